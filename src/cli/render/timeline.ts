import type { TimelineRow } from '../../analyze/summary.js';

const BLOCKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

export interface Sparkline {
  /** one character per bucket: `·` for none, ▁…█ scaled to the peak */
  chart: string;
  from: string;
  to: string;
  /** seconds per character */
  bucketSeconds: number;
  peak: number;
  peakAt: string | null;
  total: number;
}

/**
 * Failures per minute as a one-line chart, from the first to the last minute with any
 * connection (empty minutes included, so gaps in the problem show). Long captures are
 * folded into at most `width` characters.
 */
export function failureSparkline(rows: TimelineRow[], width = 60): Sparkline | undefined {
  if (rows.length === 0) return undefined;
  const first = Date.parse(rows[0].minute) / 1000;
  const last = Date.parse(rows[rows.length - 1].minute) / 1000;
  const minutes = Math.round((last - first) / 60) + 1;
  const perBucket = Math.max(1, Math.ceil(minutes / width));
  const buckets = new Array<number>(Math.ceil(minutes / perBucket)).fill(0);
  for (const row of rows) {
    const minute = Math.round((Date.parse(row.minute) / 1000 - first) / 60);
    buckets[Math.floor(minute / perBucket)] += row.failures;
  }
  const peak = Math.max(...buckets);
  const peakIndex = buckets.indexOf(peak);
  const chart = buckets.map((value) => (value === 0 ? '·' : BLOCKS[Math.min(7, Math.ceil((value / peak) * 8) - 1)])).join('');
  return {
    chart,
    from: rows[0].minute,
    to: new Date((last + 60) * 1000).toISOString().replace('.000Z', 'Z'),
    bucketSeconds: perBucket * 60,
    peak,
    peakAt: peak > 0 ? new Date((first + peakIndex * perBucket * 60) * 1000).toISOString().replace('.000Z', 'Z') : null,
    total: buckets.reduce((a, b) => a + b, 0),
  };
}

/** "2026-11-30T08:03:00Z" → "08:03" (or "11-30 08:03" when `withDate`). */
export function clock(isoTime: string | null, withDate = false): string {
  if (!isoTime) return '-';
  return withDate ? `${isoTime.slice(5, 10)} ${isoTime.slice(11, 16)}` : isoTime.slice(11, 16);
}

export function clockSeconds(isoTime: string | null): string {
  return isoTime ? isoTime.slice(11, 19) : '-';
}
