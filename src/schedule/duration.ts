import { UsageError } from '../errors.js';

/**
 * Durations as the CLI writes them (DESIGN §2): `90s`, `15m`, `2h`, `1h30m`.
 * (The capture lifecycle parses `--for` the same way; reconcile into one module at merge.)
 */
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  const match = DURATION.exec(trimmed);
  if (!match || trimmed === '') {
    throw new UsageError(`${flag} must be a duration like 90s, 15m, 2h or 1h30m, not "${text}"`);
  }
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  const ms = (Number(hours) * 3600 + Number(minutes) * 60 + Number(seconds)) * 1000;
  if (ms <= 0) throw new UsageError(`${flag} must be longer than zero, not "${text}"`);
  return ms;
}

/** 5400000 → "1h30m"; 90000 → "1m30s". */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return text || '0s';
}
