/**
 * Helpers for building HTML/SVG as strings. Everything that came from data (addresses,
 * interface ids, file names, messages) goes through `esc` — flow-log files and their
 * names are untrusted input, and the report is opened in a browser.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in element content and in quoted attribute values. */
export function esc(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(/[&<>"']/g, (ch) => ENTITIES[ch]);
}

/** 12345 → "12,345" */
export function num(value: number): string {
  return value.toLocaleString('en-US');
}

/** A number for SVG coordinates: short and never in exponent notation. */
export function px(value: number): string {
  return String(Math.round(value * 10) / 10);
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${num(count)} ${count === 1 ? one : many}`;
}

/** "2026-11-30T08:03:00Z" → "08:03", or "11-30 08:03" with `withDate`. */
export function hhmm(iso: string | null | undefined, withDate = false): string {
  if (!iso) return '?';
  return withDate ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16);
}

/** Unix seconds → "08:03:07" (UTC), or "?" when unknown. */
export function hhmmss(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '?';
  return new Date(seconds * 1000).toISOString().slice(11, 19);
}

/** Unix seconds → ISO-8601 UTC without milliseconds. */
export function isoOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** "showing 20 of 1,234 failed connections" — what a capped list left out, or '' when nothing was. */
export function capNote(shown: number, total: number, noun: string): string {
  return total > shown ? `showing ${num(shown)} of ${num(total)} ${noun}` : '';
}
