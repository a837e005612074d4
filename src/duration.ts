import { UsageError } from './errors.js';

/**
 * Durations as the CLI writes them: `90s`, `15m`, `2h`, `1h30m`, in that order of
 * units, case-insensitive; `1d` too for how long ago (--since/--until). One parser for every
 * flag (--for, --settle-timeout, --window, --lookback, --retention, --since …), one unit:
 * milliseconds.
 */
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/i;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A capture longer than this needs --force: a forgotten VPC-wide capture costs real money. */
export const MAX_UNFORCED_MS = 24 * HOUR;
/** The shortest capture: one aggregation window. */
export const MIN_CAPTURE_MS = MINUTE;

export interface ParseDurationOptions {
  /** accept `0s` (e.g. --settle-timeout 0s: do not wait for late data); default false */
  allowZero?: boolean;
  /** the shortest accepted duration, in ms */
  minMs?: number;
}

/**
 * The milliseconds of a duration written `1d2h30m15s` (each unit optional, in that order, any
 * case), or undefined when the text is not one. Days only when `days` is true.
 */
export function durationMs(text: string, days = false): number | undefined {
  const trimmed = text.trim();
  const match = DURATION.exec(trimmed);
  if (!match || trimmed === '' || (match[1] !== undefined && !days)) return undefined;
  const [, d = '0', hours = '0', minutes = '0', seconds = '0'] = match;
  return Number(d) * DAY + Number(hours) * HOUR + Number(minutes) * MINUTE + Number(seconds) * SECOND;
}

/** `90s` → 90000. `flag` names where the text came from, for the message. Throws a UsageError (exit 2). */
export function parseDuration(text: string, flag: string, options: ParseDurationOptions = {}): number {
  const trimmed = text.trim();
  const ms = durationMs(trimmed);
  if (ms === undefined) {
    throw new UsageError(`${flag} must be a duration like 90s, 15m, 2h or 1h30m, not "${text}"`, { code: 'bad-duration' });
  }
  if (ms === 0 && !options.allowZero) throw new UsageError(`${flag} must be longer than zero, not "${text}"`, { code: 'bad-duration' });
  if (options.minMs !== undefined && ms < options.minMs) {
    throw new UsageError(`${flag} ${trimmed} is too short; the minimum is ${formatDuration(options.minMs)}`, { code: 'bad-duration' });
  }
  return ms;
}

/** A capture's --for: at least one minute (one aggregation window); above 24h only with --force. Milliseconds. */
export function parseCaptureDuration(text: string, force: boolean, flag = '--for'): number {
  const ms = parseDuration(text, flag, { minMs: MIN_CAPTURE_MS });
  if (ms > MAX_UNFORCED_MS && !force) {
    throw new UsageError(`${flag} ${text.trim()} is longer than 24h; add --force if you really mean it (a capture bills for every minute it runs)`, { code: 'duration-too-long' });
  }
  return ms;
}

/** 5400000 → "1h30m"; 90000 → "1m30s"; 0 → "0s" (rounded to the second). */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / SECOND));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return text || '0s';
}
