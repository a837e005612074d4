import type { RawGap } from './record-tally.js';
import type { GapWindow } from './summary.js';
import { iso } from './report-text.js';

// NODATA/SKIPDATA windows: merged per interface for the summary, and how near a verdict must be to one.

/** A SKIPDATA window lowers confidence in unanswered verdicts within this many seconds of it. */
export const GAP_SLACK_SECONDS = 60;

/** Merges gap records of one interface that touch or overlap into windows. */
export function mergeWindows(gaps: RawGap[]): RawGap[] {
  const sorted = [...gaps].sort((a, b) => (a.iface ?? '').localeCompare(b.iface ?? '') || (a.start || 0) - (b.start || 0));
  const merged: RawGap[] = [];
  for (const gap of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.iface === gap.iface && gap.start <= last.end + 1) {
      if (gap.end > last.end) last.end = gap.end;
      last.records += gap.records;
    } else {
      merged.push({ ...gap });
    }
  }
  return merged;
}

export function gapToIso(gap: RawGap): GapWindow {
  return { interface: gap.iface, start: iso(gap.start), end: iso(gap.end), records: gap.records };
}

/** Whether [start, end] (give or take the slack) touches a window; a window without times touches everything. */
export function overlaps(windows: RawGap[], start: number, end: number): boolean {
  if (windows.length === 0) return false;
  const from = (start || end) - GAP_SLACK_SECONDS;
  const to = (end || start) + GAP_SLACK_SECONDS;
  for (const w of windows) if ((Number.isNaN(w.start) || w.start <= to) && (Number.isNaN(w.end) || w.end >= from)) return true;
  return false;
}
