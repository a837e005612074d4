import type { GapWindow, TimelineRow } from '../analyze/summary.js';
import { esc, hhmm, isoOf, num, px } from './markup.js';
import { FAILURE_SERIES, VOLUME_SERIES, type Series, type SeriesKey } from './when.js';

export interface TimelineChartOptions {
  /** bars at most; longer captures are folded into buckets of several minutes */
  maxBars?: number;
  /** the summary's window: the axis covers it even where no connection started */
  window?: { start: string | null; end: string | null };
  /** SKIPDATA windows, shaded as blind spots */
  skipdata?: readonly GapWindow[];
}

export interface TimelineChart {
  svg: string;
  /** minutes per bar */
  bucketMinutes: number;
  bars: number;
}

const WIDTH = 960;
const LEFT = 52;
const RIGHT = 12;
const PLOT_W = WIDTH - LEFT - RIGHT;
const FAIL_TOP = 26;
const FAIL_H = 170;
const VOL_TOP = FAIL_TOP + FAIL_H + 36;
const VOL_H = 60;
const AXIS_Y = VOL_TOP + VOL_H + 16;
const HEIGHT = AXIS_Y + 8;
/** a count of 1 next to a peak of 10,000 must still show: the intermittent failure is the point */
const MIN_MARK = 2;

/**
 * Connections per minute by class as inline SVG, in two panels sharing the time axis:
 * failures (refused, unanswered, rejected, resets) on their own scale on top, so a few
 * failures stay visible beside heavy healthy traffic, and the established/midstream
 * volume below. One `<rect class="mark">` per class per minute with a non-zero count.
 */
export function renderTimelineChart(timeline: readonly TimelineRow[], options: TimelineChartOptions = {}): TimelineChart | undefined {
  const minuteOf = (iso: string | null) => (iso ? Math.floor(Date.parse(iso) / 60_000) * 60 : Number.NaN);
  const starts = timeline.map((row) => minuteOf(row.minute));
  const windowStart = minuteOf(options.window?.start ?? null);
  const windowEnd = minuteOf(options.window?.end ?? null);
  const candidates = [...starts, windowStart, windowEnd].filter((value) => Number.isFinite(value) && value > 0);
  if (timeline.length === 0 || candidates.length === 0) return undefined;
  const first = Math.min(...candidates);
  const last = Math.max(...candidates);
  const minutes = Math.round((last - first) / 60) + 1;
  const maxBars = options.maxBars ?? 180;
  const per = Math.max(1, Math.ceil(minutes / maxBars));
  const bars = Math.ceil(minutes / per);
  const barW = PLOT_W / bars;

  const keys: SeriesKey[] = [...FAILURE_SERIES, ...VOLUME_SERIES].map((series) => series.key);
  const buckets = Array.from({ length: bars }, () => Object.fromEntries(keys.map((key) => [key, 0])) as Record<SeriesKey, number>);
  for (const row of timeline) {
    const at = minuteOf(row.minute);
    if (!Number.isFinite(at)) continue;
    const bucket = buckets[Math.floor(Math.round((at - first) / 60) / per)];
    for (const key of keys) bucket[key] += row[key];
  }
  const failMax = niceCeil(Math.max(1, ...buckets.map((b) => FAILURE_SERIES.reduce((sum, s) => sum + b[s.key], 0))));
  const volMax = niceCeil(Math.max(1, ...buckets.map((b) => VOLUME_SERIES.reduce((sum, s) => sum + b[s.key], 0))));
  const withDate = isoOf(first).slice(0, 10) !== isoOf(last).slice(0, 10);
  const unit = per === 1 ? 'per minute' : `per ${per} minutes`;

  const out: string[] = [];
  out.push(
    `<svg id="timeline-chart" class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="xMinYMin meet" role="img" aria-label="connections ${unit} by class" data-bucket-minutes="${per}">`,
  );
  // blind spots first, so the bars draw over them
  for (const gap of options.skipdata ?? []) {
    const from = gap.start ? Date.parse(gap.start) / 1000 : Number.NaN;
    const to = gap.end ? Date.parse(gap.end) / 1000 : Number.NaN;
    if (!Number.isFinite(from) || !Number.isFinite(to)) continue;
    const x1 = LEFT + Math.max(0, Math.floor((from - first) / 60 / per)) * barW;
    const x2 = LEFT + Math.min(bars, Math.floor((to - first) / 60 / per) + 1) * barW;
    if (x2 <= x1) continue;
    const title = `SKIPDATA on ${gap.interface ?? 'an interface'} ${hhmm(gap.start, withDate)}–${hhmm(gap.end, withDate)} UTC: AWS skipped records here, so unanswered verdicts near it are low confidence`;
    out.push(
      `<g class="blind"><title>${esc(title)}</title>`,
      `<rect x="${px(x1)}" y="${FAIL_TOP - 4}" width="${px(x2 - x1)}" height="${FAIL_H + 4}" fill="#efe6c8"/>`,
      `<rect x="${px(x1)}" y="${VOL_TOP}" width="${px(x2 - x1)}" height="${VOL_H}" fill="#efe6c8"/>`,
      // above the plot, where bars never reach
      `<text x="${px((x1 + x2) / 2)}" y="${FAIL_TOP - 8}" text-anchor="middle" class="blind-label">SKIPDATA</text></g>`,
    );
  }
  panel(out, 'failed or reset connections', FAIL_TOP, FAIL_H, failMax);
  panel(out, 'established and midstream connections', VOL_TOP, VOL_H, volMax);

  // time axis: ticks on round clock minutes, at most ~12 labels
  const step = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].find((s) => s >= per && minutes / s <= 12) ?? 10080;
  let lastDay = '';
  for (let m = Math.ceil(first / 60 / step) * step; m * 60 <= last; m += step) {
    const x = LEFT + ((m * 60 - first) / 60 / per) * barW;
    const iso = isoOf(m * 60);
    const day = iso.slice(0, 10);
    const label = withDate && day !== lastDay ? hhmm(iso, true) : hhmm(iso);
    lastDay = day;
    out.push(
      `<line x1="${px(x)}" y1="${FAIL_TOP}" x2="${px(x)}" y2="${VOL_TOP + VOL_H}" class="tick"/>`,
      `<text x="${px(x)}" y="${AXIS_Y}" text-anchor="middle" class="axis">${esc(label)}</text>`,
    );
  }

  buckets.forEach((bucket, i) => {
    const x = LEFT + i * barW + (barW >= 4 ? barW * 0.12 : 0);
    const w = barW >= 4 ? barW * 0.76 : Math.max(barW, 0.6);
    const at = first + i * per * 60;
    const when = per === 1 ? `${hhmm(isoOf(at), withDate)} UTC` : `${hhmm(isoOf(at), withDate)}–${hhmm(isoOf(at + (per - 1) * 60), withDate)} UTC`;
    stack(out, bucket, FAILURE_SERIES, FAIL_TOP + FAIL_H, FAIL_H / failMax, x, w, isoOf(at), when, per);
    stack(out, bucket, VOLUME_SERIES, VOL_TOP + VOL_H, VOL_H / volMax, x, w, isoOf(at), when, per);
  });
  out.push('</svg>');
  return { svg: out.join(''), bucketMinutes: per, bars };
}

function panel(out: string[], title: string, top: number, height: number, max: number): void {
  out.push(`<text x="${LEFT}" y="${top - 10}" class="panel-title">${esc(title)}</text>`);
  const ticks = max % 2 === 0 ? [0, max / 2, max] : [0, max];
  for (const tick of ticks) {
    const y = top + height - (tick / max) * height;
    out.push(`<line x1="${LEFT}" y1="${px(y)}" x2="${WIDTH - RIGHT}" y2="${px(y)}" class="${tick === 0 ? 'base' : 'grid'}"/>`);
    out.push(`<text x="${LEFT - 6}" y="${px(y + 4)}" text-anchor="end" class="axis">${num(tick)}</text>`);
  }
}

function stack(
  out: string[],
  bucket: Record<SeriesKey, number>,
  series: readonly Series[],
  baseY: number,
  scale: number,
  x: number,
  w: number,
  minute: string,
  when: string,
  per: number,
): void {
  let y = baseY;
  for (const s of series) {
    const count = bucket[s.key];
    if (count <= 0) continue;
    const h = Math.max(MIN_MARK, count * scale);
    y -= h;
    out.push(
      `<rect class="mark" data-class="${s.key}" data-minute="${minute}" data-minutes="${per}" data-count="${count}" x="${px(x)}" y="${px(y)}" width="${px(w)}" height="${px(h)}" fill="${s.color}">` +
        `<title>${esc(`${when}: ${num(count)} ${s.label} (${s.meaning})`)}</title></rect>`,
    );
  }
}

/** The smallest of 1–5, 10, 20, 25, 50, 100, … that is at least `value`. */
function niceCeil(value: number): number {
  if (value <= 5) return Math.ceil(value);
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 2.5, 5, 10]) {
    if (factor * magnitude >= value) return factor * magnitude;
  }
  return 10 * magnitude;
}
