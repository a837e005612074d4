import type { TimelineRow } from '../analyze/summary.js';

/** The per-minute series a report shows: the failing classes, resets after the handshake, and the healthy/unknown volume. */
export type SeriesKey = 'refused' | 'unanswered' | 'rejected' | 'reset' | 'established' | 'midstream';

export interface Series {
  key: SeriesKey;
  label: string;
  /** colour-blind-safe (Okabe–Ito) */
  color: string;
  /** what a mark of this series means, for the legend */
  meaning: string;
}

/** Drawn in the failures panel, bottom to top. */
export const FAILURE_SERIES: readonly Series[] = [
  { key: 'refused', label: 'refused', color: '#D55E00', meaning: 'SYN answered by RST' },
  { key: 'unanswered', label: 'unanswered', color: '#E69F00', meaning: 'SYN, nothing came back' },
  { key: 'rejected', label: 'rejected', color: '#CC79A7', meaning: 'REJECT by security group / network ACL' },
  { key: 'reset', label: 'reset', color: '#0072B2', meaning: 'established, then a RST' },
];

/** Drawn in the volume panel: how much traffic there was around the failures. */
export const VOLUME_SERIES: readonly Series[] = [
  { key: 'established', label: 'established', color: '#009E73', meaning: 'SYN-ACK seen (includes the reset ones)' },
  { key: 'midstream', label: 'midstream', color: '#A8A8A8', meaning: 'no SYN seen: began before the capture' },
];

export interface MinuteRange {
  /** ISO start of the first and of the last minute */
  from: string;
  to: string;
  count: number;
}

export interface WhenRow {
  key: SeriesKey;
  label: string;
  total: number;
  ranges: MinuteRange[];
}

/**
 * When each failing class happened, as runs of consecutive minutes ("08:04–08:06"):
 * the at-a-glance answer to "when did it break?".
 */
export function failureRanges(timeline: readonly TimelineRow[]): WhenRow[] {
  const rows: WhenRow[] = [];
  for (const series of FAILURE_SERIES) {
    const ranges: MinuteRange[] = [];
    let total = 0;
    for (const row of timeline) {
      const count = row[series.key];
      if (count <= 0) continue;
      total += count;
      const at = Date.parse(row.minute);
      const last = ranges[ranges.length - 1];
      if (last && at - Date.parse(last.to) === 60_000) {
        last.to = row.minute;
        last.count += count;
      } else {
        ranges.push({ from: row.minute, to: row.minute, count });
      }
    }
    if (total > 0) rows.push({ key: series.key, label: series.label, total, ranges });
  }
  return rows;
}

/** "08:04–08:06" or "08:10" (dates added when the ranges cross midnight). */
export function formatRange(range: MinuteRange, withDate = false): string {
  const clock = (iso: string) => (withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16));
  return range.from === range.to ? clock(range.from) : `${clock(range.from)}–${clock(range.to)}`;
}

/** At most `max` ranges, then "and N more runs". */
export function formatRanges(ranges: readonly MinuteRange[], withDate = false, max = 6): string {
  const shown = ranges.slice(0, max).map((range) => formatRange(range, withDate));
  if (ranges.length > max) shown.push(`and ${ranges.length - max} more runs`);
  return shown.join(', ');
}

/** Whether the timeline spans more than one UTC day (then times carry the date). */
export function spansDays(timeline: readonly TimelineRow[]): boolean {
  return timeline.length > 0 && timeline[0].minute.slice(0, 10) !== timeline[timeline.length - 1].minute.slice(0, 10);
}
