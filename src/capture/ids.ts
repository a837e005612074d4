import { randomBytes } from 'node:crypto';

/**
 * A capture id: `fd-20261130-081502-3fa94c0e5b7d2a18` — sortable by creation time, with 64 random
 * bits so nobody can guess the next one, and short enough for a ClientToken (64 ASCII), an S3
 * prefix, a log-group name and a schedule name.
 */
export function newCaptureId(now: Date, random: () => string = () => randomBytes(8).toString('hex')): string {
  const iso = now.toISOString();
  return `fd-${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${random()}`;
}

/** Ids made before 64 random bits had 4 hex digits; they still name captures that may be running. */
const CAPTURE_ID = /^fd-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-[0-9a-f]{4,16}$/;

/**
 * The one parser for a capture id, wherever one enters: a tag, a manifest, the local index, the
 * command line. Returns the id when it is well formed (including a real date and time), else
 * undefined — so an id can never carry `/`, `..` or anything else a path or prefix would act on.
 */
export function parseCaptureId(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const match = CAPTURE_ID.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const real = at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  return real ? text : undefined;
}

export function isCaptureId(text: unknown): text is string {
  return parseCaptureId(text) !== undefined;
}
