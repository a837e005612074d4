import { UsageError } from '../errors.js';

/**
 * Durations as flowdump writes them (DESIGN.md §2): `90s`, `15m`, `2h`, `7d`, or a
 * combination such as `1h30m`. Returns seconds; a bad value is a UsageError naming the flag.
 */
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

export function parseDuration(value: string, flag: string): number {
  const text = value.trim().toLowerCase();
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)([smhd])/g)];
  if (text.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new UsageError(`${flag} "${value}" is not a duration; write it like 90s, 15m, 2h or 1h30m`, { code: 'bad-duration' });
  }
  const seconds = parts.reduce((sum, part) => sum + Number(part[1]) * UNIT_SECONDS[part[2]], 0);
  if (!(seconds > 0)) throw new UsageError(`${flag} must be longer than zero, not "${value}"`, { code: 'bad-duration' });
  return seconds;
}

/** 900 → "15m", 5400 → "1h30m" */
export function formatDuration(seconds: number): string {
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]];
  let rest = Math.round(seconds);
  let out = '';
  for (const [unit, size] of units) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out || '0s';
}
