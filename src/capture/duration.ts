import { UsageError } from '../errors.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** A capture longer than this needs --force: a forgotten VPC-wide capture costs real money. */
export const MAX_UNFORCED_SECONDS = 24 * 3600;

/**
 * `90s`, `15m`, `2h` (also `1h30m`) → seconds. `flag` names where it came from, for the message.
 */
export function parseDuration(text: string, flag: string, options: { min?: number } = {}): number {
  const value = text.trim().toLowerCase();
  const parts = [...value.matchAll(/(\d+)([smh])/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== value) {
    throw new UsageError(`${flag} "${text}" is not a duration; write it like 90s, 15m or 2h`, { code: 'bad-duration' });
  }
  const seconds = parts.reduce((sum, part) => sum + Number(part[1]) * UNITS[part[2]], 0);
  const min = options.min ?? 0;
  if (seconds < min) {
    throw new UsageError(`${flag} ${text} is too short; the minimum is ${formatDuration(min)}`, { code: 'bad-duration' });
  }
  return seconds;
}

/** A capture duration: at least one minute (one aggregation window); above 24h only with --force. */
export function parseCaptureDuration(text: string, force: boolean, flag = '--for'): number {
  const seconds = parseDuration(text, flag, { min: 60 });
  if (seconds > MAX_UNFORCED_SECONDS && !force) {
    throw new UsageError(`${flag} ${text} is longer than 24h; add --force if you really mean it (a capture bills for every minute it runs)`, { code: 'duration-too-long' });
  }
  return seconds;
}

/** 5400 → "1h30m", 90 → "1m30s", 0 → "0s". */
export function formatDuration(totalSeconds: number): string {
  let seconds = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(seconds / 3600);
  seconds -= h * 3600;
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  const out = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return out || '0s';
}
