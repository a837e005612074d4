import { randomBytes } from 'node:crypto';

/**
 * A capture id: `fd-20261130-081502-3fa9` — sortable by creation time, short enough for a
 * ClientToken (64 ASCII), an S3 prefix and a log-group name.
 */
export function newCaptureId(now: Date, random: () => string = () => randomBytes(2).toString('hex')): string {
  const iso = now.toISOString();
  return `fd-${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${random()}`;
}

const CAPTURE_ID = /^fd-\d{8}-\d{6}-[0-9a-f]{4,8}$/;

export function isCaptureId(text: string): boolean {
  return CAPTURE_ID.test(text);
}
