import { CronDate, CronExpressionParser, type CronExpression } from 'cron-parser';
import { UsageError } from '../errors.js';
import { formatDuration } from '../duration.js';

/**
 * Recurring capture windows: a cron expression says when a window starts (in a time zone),
 * `--for` how long it lasts. Everything here is pure data: the runner executes it.
 *
 * DST behaviour (cron-parser 5 on Luxon; pinned by test/schedule/windows.test.ts, explained in
 * docs/schedules.md):
 * - a start time that does not exist (spring forward, e.g. 02:30 in Europe/Berlin on the last
 *   Sunday of March) moves forward by the gap: the window starts at 03:30 local, once;
 * - a start time that exists twice (fall back, e.g. 01:30 in America/New_York on the first
 *   Sunday of November) runs once, at its first occurrence (daylight time); the repeated hour
 *   produces no second window, even for crons like `*\/30 * * * *`;
 * - a window always lasts `--for` of real time, whatever the clock does meanwhile;
 * - overlap is judged on real instants, so a DST change that squeezes two windows together is
 *   refused like any other overlap.
 */

export interface CaptureWindow {
  /** 1-based position in the series */
  index: number;
  /** ISO-8601 UTC */
  start: string;
  end: string;
  /** the same instants as local time in the schedule's zone, with offset: 2026-03-30T09:00:00+02:00 */
  startLocal: string;
  endLocal: string;
}

export interface WindowSeriesOptions {
  /** 5-field cron (minute hour day-of-month month day-of-week) or @hourly/@daily/@weekly/… */
  cron: string;
  /** IANA zone the cron is read in */
  tz: string;
  durationMs: number;
  /** windows start strictly after this instant (the clock's now) */
  from: Date;
  /** only windows that start before this instant */
  until?: Date;
  /** at most this many windows */
  count?: number;
}

export interface WindowPlan {
  cron: string;
  tz: string;
  durationMs: number;
  from: string;
  until?: string;
  count?: number;
  /** the series has an end (--until or --count) */
  bounded: boolean;
  /** the first windows (the whole series when it is short and bounded) */
  windows: CaptureWindow[];
  /** how much of the series the overlap check covered (the runner re-checks each window as it goes) */
  checked: { windows: number; through: string | null; dstChanges: string[]; complete: boolean };
}

export interface PlanWindowsOptions extends WindowSeriesOptions {
  /** windows to list in the plan (default 10); a bounded series of at most this many is listed whole */
  preview?: number;
}

export const MIN_WINDOW_MS = 60_000;
export const MAX_COUNT = 10_000;
/** The overlap check scans at least this far ahead (a week covers weekday patterns)… */
const CHECK_MIN_SPAN_MS = 8 * 86_400_000;
/** …and at least this many windows (so crons that fire monthly are checked too)… */
const CHECK_MIN_WINDOWS = 50;
/** …but no more than this many windows or this far (cron-parser needs ~0.1–0.5 ms per step). */
const CHECK_MAX_WINDOWS = 5_000;
const CHECK_MAX_SPAN_MS = 366 * 86_400_000;

/** An IANA zone name Node's ICU knows, else a UsageError naming the flag. */
export function validateTimeZone(tz: string, flag = '--tz'): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new UsageError(`${flag} "${tz}" is not a time zone name; use an IANA name such as Europe/Berlin, America/New_York or UTC`);
  }
}

/** Offset of `tz` at `instant`, in minutes east of UTC. */
export function zoneOffsetMinutes(instant: Date, tz: string): number {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' })
    .formatToParts(instant)
    .find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(part ?? '');
  if (!match) return 0; // "GMT" = UTC
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === '-' ? -minutes : minutes;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** 2026-03-30T07:00:00Z in Europe/Berlin → "2026-03-30T09:00:00+02:00". */
export function toLocalIso(instant: Date, tz: string): string {
  const offset = zoneOffsetMinutes(instant, tz);
  const shifted = new Date(instant.getTime() + offset * 60_000);
  return `${shifted.toISOString().slice(0, 19)}${offsetText(offset)}`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** For people: "Mon 2026-03-30 09:00 +02:00". */
export function formatLocal(instant: Date | string, tz: string): string {
  const date = instant instanceof Date ? instant : new Date(instant);
  const offset = zoneOffsetMinutes(date, tz);
  const shifted = new Date(date.getTime() + offset * 60_000);
  return `${WEEKDAYS[shifted.getUTCDay()]} ${shifted.toISOString().slice(0, 10)} ${shifted.toISOString().slice(11, 16)} ${offsetText(offset)}`;
}

/**
 * --until: `2026-05-08` (through the end of that day in the zone), `2026-05-08T18:00` (local time
 * in the zone) or an absolute instant with `Z` or an offset.
 */
export function parseUntil(text: string, tz: string, flag = '--until'): Date {
  const trimmed = text.trim();
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed);
  let source = trimmed;
  if (dateOnly) {
    // through the end of that day = before the next day's midnight in the zone
    const next = new Date(Date.UTC(Number(dateOnly[1]), Number(dateOnly[2]) - 1, Number(dateOnly[3]) + 1));
    if (next.getUTCDate() === 1 && Number(dateOnly[3]) > 31) throw new UsageError(`${flag} "${text}" is not a date`);
    source = `${next.toISOString().slice(0, 10)}T00:00:00`;
  } else if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(trimmed)) {
    throw new UsageError(`${flag} must be a date (2026-05-08) or a local time (2026-05-08T18:00), not "${text}"`);
  }
  try {
    const date = new CronDate(source, tz).toDate();
    if (Number.isNaN(date.getTime())) throw new Error('invalid');
    return date;
  } catch {
    throw new UsageError(`${flag} "${text}" is not a valid date or time`);
  }
}

/** A positive whole number of windows, at most MAX_COUNT. */
export function parseCount(text: string, flag = '--count'): number {
  const count = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(count) || count < 1) throw new UsageError(`${flag} must be a positive whole number, not "${text}"`);
  if (count > MAX_COUNT) throw new UsageError(`${flag} ${count} is more windows than flowdump plans at once (${MAX_COUNT}); use --until, or a smaller count`);
  return count;
}

function openCron(cron: string, tz: string, from: Date): CronExpression {
  const fields = cron.trim().split(/\s+/);
  if (!cron.trim().startsWith('@') && fields.length !== 5) {
    throw new UsageError(
      `--cron needs 5 fields (minute hour day-of-month month day-of-week), not ${fields.length}: "${cron}"; for example "*/30 9-18 * * 1-5"`,
    );
  }
  try {
    return CronExpressionParser.parse(cron.trim(), { currentDate: from, tz });
  } catch (error) {
    throw new UsageError(`--cron "${cron}" is not a cron expression: ${(error as Error).message}; for example "*/30 9-18 * * 1-5"`);
  }
}

function nextStart(expression: CronExpression, cron: string): number {
  try {
    return expression.next().getTime();
  } catch (error) {
    throw new UsageError(`--cron "${cron}" has no next start time: ${(error as Error).message}`);
  }
}

function makeWindow(index: number, startMs: number, durationMs: number, tz: string): CaptureWindow {
  const start = new Date(startMs);
  const end = new Date(startMs + durationMs);
  return { index, start: start.toISOString(), end: end.toISOString(), startLocal: toLocalIso(start, tz), endLocal: toLocalIso(end, tz) };
}

/**
 * The series, lazily, in start order. Unbounded without --until/--count. Starts are strictly
 * increasing (a start equal to the previous one, as DST arithmetic can produce, is dropped).
 */
export function* iterateWindows(options: WindowSeriesOptions): Generator<CaptureWindow> {
  const expression = openCron(options.cron, options.tz, options.from);
  const untilMs = options.until?.getTime();
  let previous = -Infinity;
  let index = 0;
  for (;;) {
    if (options.count !== undefined && index >= options.count) return;
    const startMs = nextStart(expression, options.cron);
    if (untilMs !== undefined && startMs >= untilMs) return;
    if (startMs <= previous) continue;
    previous = startMs;
    index += 1;
    yield makeWindow(index, startMs, options.durationMs, options.tz);
  }
}

export interface WindowOverlap {
  first: CaptureWindow;
  second: CaptureWindow;
}

/** The first pair of consecutive windows where one has not ended when the next starts. */
export function findOverlap(windows: Iterable<CaptureWindow>): WindowOverlap | undefined {
  let previous: CaptureWindow | undefined;
  for (const window of windows) {
    if (previous && Date.parse(window.start) < Date.parse(previous.end)) return { first: previous, second: window };
    previous = window;
  }
  return undefined;
}

/**
 * One sentence: which two windows overlap, why, and how to fix it. `numbered` false when the
 * windows' indexes are not positions in the series (the DST scan starts mid-series).
 */
export function describeOverlap(overlap: WindowOverlap, options: Pick<WindowSeriesOptions, 'cron' | 'tz' | 'durationMs'>, numbered = true): string {
  const gapMs = Date.parse(overlap.second.start) - Date.parse(overlap.first.start);
  const first = numbered ? `window ${overlap.first.index}` : 'the window';
  const second = numbered ? `window ${overlap.second.index}` : 'the next one';
  return (
    `capture windows would overlap: ${first} (${formatLocal(overlap.first.start, options.tz)} for ${formatDuration(options.durationMs)}) ` +
    `is still running when ${second} starts (${formatLocal(overlap.second.start, options.tz)}), only ${formatDuration(gapMs)} later; ` +
    `shorten --for to ${formatDuration(gapMs)} or less, or space out --cron "${options.cron}"`
  );
}

/** Instants in [fromMs, toMs) where the zone's UTC offset changes (DST), to the minute. */
export function zoneTransitions(tz: string, fromMs: number, toMs: number): Date[] {
  const transitions: Date[] = [];
  const step = 86_400_000;
  let lo = fromMs;
  let loOffset = zoneOffsetMinutes(new Date(lo), tz);
  for (let hi = fromMs + step; lo < toMs; hi += step) {
    const hiOffset = zoneOffsetMinutes(new Date(hi), tz);
    if (hiOffset !== loOffset) {
      let a = lo;
      let b = hi;
      while (b - a > 60_000) {
        const mid = a + Math.floor((b - a) / 2);
        if (zoneOffsetMinutes(new Date(mid), tz) === loOffset) a = mid;
        else b = mid;
      }
      transitions.push(new Date(b - (b % 60_000)));
    }
    lo = hi;
    loOffset = hiOffset;
  }
  return transitions;
}

/**
 * Plans the series and refuses overlapping windows. The overlap check covers the whole series
 * when it is short; otherwise at least a week (and 50 windows) ahead plus every DST change in
 * the next year (or up to --until), which is where an irregular gap hides; the runner checks the
 * rest as it goes.
 */
export function planWindows(options: PlanWindowsOptions): WindowPlan {
  const tz = validateTimeZone(options.tz);
  const series = { ...options, tz };
  if (!Number.isFinite(options.durationMs) || options.durationMs < MIN_WINDOW_MS) {
    throw new UsageError(`--for must be at least 1m for a capture window (flow logs aggregate per minute), not ${formatDuration(options.durationMs)}`);
  }
  if (options.until && options.until.getTime() <= options.from.getTime()) {
    throw new UsageError(`--until ${toLocalIso(options.until, tz)} is not in the future; give a later date or time`, { code: 'until-past' });
  }
  const preview = Math.max(1, options.preview ?? 10);
  const fromMs = options.from.getTime();
  const listed: CaptureWindow[] = [];
  let checked = 0;
  let through: string | null = null;
  let previous: CaptureWindow | undefined;
  let complete = true;
  for (const window of iterateWindows(series)) {
    if (listed.length < preview) listed.push(window);
    if (previous && Date.parse(window.start) < Date.parse(previous.end)) {
      throw new UsageError(describeOverlap({ first: previous, second: window }, series), { code: 'windows-overlap', details: { first: previous, second: window } });
    }
    previous = window;
    checked += 1;
    through = window.end;
    const span = Date.parse(window.start) - fromMs;
    if (checked >= CHECK_MAX_WINDOWS || span >= CHECK_MAX_SPAN_MS || (checked >= CHECK_MIN_WINDOWS && span >= CHECK_MIN_SPAN_MS)) {
      complete = false;
      break;
    }
  }
  if (checked === 0 && options.until) {
    throw new UsageError(`--cron "${options.cron}" has no window before --until ${toLocalIso(options.until, tz)}; pick a later --until`, { code: 'no-window-before-until' });
  }
  // DST changes beyond what the scan covered: check the windows around each one.
  // (A series scanned to its end needs none of this.)
  const horizon = Math.min(options.until?.getTime() ?? Infinity, fromMs + CHECK_MAX_SPAN_MS);
  const dstChanges = zoneTransitions(tz, fromMs, horizon);
  for (const change of complete ? [] : dstChanges) {
    if (through !== null && change.getTime() + 2 * 86_400_000 < Date.parse(through)) continue; // already scanned
    const around = iterateWindows({ ...series, from: new Date(Math.max(fromMs, change.getTime() - 2 * 86_400_000)), count: undefined });
    const local: CaptureWindow[] = [];
    for (const window of around) {
      if (Date.parse(window.start) > change.getTime() + 2 * 86_400_000 || local.length >= CHECK_MAX_WINDOWS) break;
      local.push(window);
    }
    const overlap = findOverlap(local);
    if (overlap) {
      throw new UsageError(describeOverlap(overlap, series, false), {
        code: 'windows-overlap',
        details: { first: overlap.first, second: overlap.second, dstChange: change.toISOString() },
      });
    }
  }
  return {
    cron: options.cron.trim(),
    tz,
    durationMs: options.durationMs,
    from: options.from.toISOString(),
    ...(options.until ? { until: options.until.toISOString() } : {}),
    ...(options.count !== undefined ? { count: options.count } : {}),
    bounded: options.until !== undefined || options.count !== undefined,
    windows: listed,
    checked: { windows: checked, through, dstChanges: dstChanges.map((d) => d.toISOString()), complete },
  };
}

/** The series options a plan was made from, for iterateWindows (the runner's lazy source). */
export function seriesOf(plan: WindowPlan): WindowSeriesOptions {
  return {
    cron: plan.cron,
    tz: plan.tz,
    durationMs: plan.durationMs,
    from: new Date(plan.from),
    ...(plan.until ? { until: new Date(plan.until) } : {}),
    ...(plan.count !== undefined ? { count: plan.count } : {}),
  };
}
