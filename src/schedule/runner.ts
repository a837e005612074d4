import type { Summary } from '../analyze/summary.js';
import { ExitCode, isFlowdumpError } from '../errors.js';
import { describeOverlap, iterateWindows, seriesOf, type CaptureWindow, type WindowPlan } from './windows.js';

/**
 * `flowdump schedule run`: the long-lived loop that runs each planned window as a normal capture.
 * Time comes from the injected clock and sleep, so tests drive it with a fake clock; the capture
 * itself is the injected `runCapture` (the capture lifecycle's foreground run: same safety net,
 * same cost cap). A window is started on time even while the previous one is still settling or
 * being analyzed (their flow logs never overlap: planWindows refuses that), and a failed window
 * is reported and the series goes on.
 */

export interface WindowCaptureResult {
  captureId?: string;
  summary?: Summary;
}

/**
 * Runs one window as a capture that stops its flow log at `window.end` (or earlier when `signal`
 * aborts), then settles, analyzes and cleans up like a foreground `flowdump start`.
 */
export type RunWindowCapture = (window: CaptureWindow, options: { signal: AbortSignal }) => Promise<WindowCaptureResult>;

/** Resolves after `ms`, or as soon as `signal` aborts (it never rejects). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export type WindowStatus = 'done' | 'failed' | 'missed' | 'skipped' | 'aborted';

export interface WindowOutcome {
  window: CaptureWindow;
  status: WindowStatus;
  /** when the capture started and finished (its analysis included), ISO-8601 UTC */
  startedAt?: string;
  finishedAt?: string;
  captureId?: string;
  summary?: Summary;
  /** why it failed, was missed or skipped */
  error?: { code: string; message: string };
}

export type ScheduleRunEvent =
  | { type: 'upcoming'; windows: CaptureWindow[] }
  | { type: 'window-started'; window: CaptureWindow; lateMs: number }
  | { type: 'window-done'; outcome: WindowOutcome }
  | { type: 'window-failed'; outcome: WindowOutcome }
  | { type: 'window-missed'; outcome: WindowOutcome }
  | { type: 'window-skipped'; outcome: WindowOutcome }
  | { type: 'stopping'; reason: 'aborted' | 'fatal'; message?: string };

export interface ScheduleRunDeps {
  clock: { now(): Date };
  sleep: Sleep;
  runCapture: RunWindowCapture;
  /** progress events (the CLI renders them on stderr) */
  report?: (event: ScheduleRunEvent) => void;
  /** Ctrl-C / SIGTERM: stop starting windows, stop the running ones early, wait for them */
  signal?: AbortSignal;
  /** the longest single sleep: the loop re-reads the clock at least this often (default 60 s), so a suspended laptop wakes up to the right time */
  maxSleepMs?: number;
  /** windows listed in each `upcoming` event (default 3) */
  upcoming?: number;
}

export interface ScheduleRunResult {
  outcomes: WindowOutcome[];
  /** why the loop ended: the series ran out, the user stopped it, or a window failed in a way every window would */
  stoppedBy: 'end' | 'abort' | 'fatal';
  fatal?: { code: string; message: string };
}

/**
 * A window with less than this left is not worth a flow log (records are aggregated per minute) —
 * or less than half of it, for windows of a minute or two, which would otherwise be missed
 * whenever the machine wakes a few milliseconds after their start.
 */
const MIN_REMAINING_MS = 60_000;

function minRemainingMs(window: CaptureWindow): number {
  return Math.min(MIN_REMAINING_MS, (Date.parse(window.end) - Date.parse(window.start)) / 2);
}

function errorInfo(error: unknown): { code: string; message: string } {
  if (isFlowdumpError(error)) return { code: error.code, message: error.message };
  return { code: 'error', message: (error as Error)?.message ?? String(error) };
}

/** Bad arguments fail every window the same way: no point going on. Everything else may be passing. */
function isFatal(error: unknown): boolean {
  return isFlowdumpError(error) && error.exitCode === ExitCode.usage;
}

function isAbort(error: unknown): boolean {
  return isFlowdumpError(error) && error.exitCode === ExitCode.abort;
}

export async function runSchedule(deps: ScheduleRunDeps, plan: WindowPlan): Promise<ScheduleRunResult> {
  const maxSleepMs = deps.maxSleepMs ?? 60_000;
  const upcomingCount = deps.upcoming ?? 3;
  const report = deps.report ?? (() => {});
  const userSignal = deps.signal ?? new AbortController().signal;
  // Scheduling stops on the user's abort or on a fatal window; running captures stop only on the user's.
  const scheduling = new AbortController();
  const onUserAbort = () => scheduling.abort();
  if (userSignal.aborted) scheduling.abort();
  else userSignal.addEventListener('abort', onUserAbort, { once: true });

  const outcomes: WindowOutcome[] = [];
  const running = new Set<Promise<void>>();
  let fatal: { code: string; message: string } | undefined;

  const record = (outcome: WindowOutcome, type: 'window-done' | 'window-failed' | 'window-missed' | 'window-skipped') => {
    outcomes.push(outcome);
    report({ type, outcome });
  };

  const sleepUntil = async (targetMs: number): Promise<boolean> => {
    for (;;) {
      if (scheduling.signal.aborted) return false;
      const remaining = targetMs - deps.clock.now().getTime();
      if (remaining <= 0) return true;
      await deps.sleep(Math.min(remaining, maxSleepMs), scheduling.signal);
    }
  };

  const launch = (window: CaptureWindow) => {
    const startedAt = deps.clock.now().toISOString();
    const task = (async () => {
      try {
        const result = await deps.runCapture(window, { signal: userSignal });
        record({ window, status: 'done', startedAt, finishedAt: deps.clock.now().toISOString(), captureId: result.captureId, summary: result.summary }, 'window-done');
      } catch (error) {
        const info = errorInfo(error);
        if (isAbort(error) && userSignal.aborted) {
          record({ window, status: 'aborted', startedAt, finishedAt: deps.clock.now().toISOString(), error: info }, 'window-failed');
          return;
        }
        record({ window, status: 'failed', startedAt, finishedAt: deps.clock.now().toISOString(), error: info }, 'window-failed');
        if (isFatal(error) && !fatal) {
          fatal = info;
          report({ type: 'stopping', reason: 'fatal', message: info.message });
          scheduling.abort();
        }
      }
    })();
    running.add(task);
    void task.finally(() => running.delete(task));
  };

  // Look ahead one window so each `upcoming` event can list what comes next.
  const series = iterateWindows(seriesOf(plan));
  const lookahead: CaptureWindow[] = [];
  const peek = (n: number): CaptureWindow[] => {
    while (lookahead.length < n) {
      let next: IteratorResult<CaptureWindow>;
      try {
        next = series.next();
      } catch {
        break; // the cron has no further start time: the series is over
      }
      if (next.done) break;
      lookahead.push(next.value);
    }
    return lookahead.slice(0, n);
  };

  let previous: CaptureWindow | undefined;
  try {
    for (;;) {
      if (scheduling.signal.aborted) break;
      const next = peek(upcomingCount);
      if (next.length === 0) break;
      report({ type: 'upcoming', windows: next });
      const window = lookahead.shift() as CaptureWindow;
      // planWindows checked a horizon; past it, every window is checked here before it runs.
      if (previous && Date.parse(window.start) < Date.parse(previous.end)) {
        record({ window, status: 'skipped', error: { code: 'windows-overlap', message: describeOverlap({ first: previous, second: window }, plan) } }, 'window-skipped');
        continue;
      }
      if (!(await sleepUntil(Date.parse(window.start)))) break;
      const now = deps.clock.now().getTime();
      if (Date.parse(window.end) - now < minRemainingMs(window)) {
        record({ window, status: 'missed', error: { code: 'missed', message: `woke up at ${new Date(now).toISOString()}, too late for this window (the machine was asleep or busy)` } }, 'window-missed');
        continue;
      }
      previous = window;
      report({ type: 'window-started', window, lateMs: Math.max(0, now - Date.parse(window.start)) });
      launch(window);
    }
  } finally {
    userSignal.removeEventListener('abort', onUserAbort);
  }
  if (userSignal.aborted) report({ type: 'stopping', reason: 'aborted' });
  while (running.size > 0) await Promise.all([...running]);
  outcomes.sort((a, b) => a.window.index - b.window.index);
  return { outcomes, stoppedBy: fatal ? 'fatal' : userSignal.aborted ? 'abort' : 'end', ...(fatal ? { fatal } : {}) };
}
