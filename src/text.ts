/**
 * Text that came from AWS or from a file someone else may have written (tag keys and values,
 * manifest fields) can carry terminal escape sequences: they are stripped before anything is
 * printed, so a forged tag cannot rewrite what the user sees.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function stripControls(text: string): string {
  return text.replace(CONTROL, '');
}

/** The same, through every string of a JSON value (keys included). */
export function stripControlsDeep<T>(value: T): T {
  if (typeof value === 'string') return stripControls(value) as T;
  if (Array.isArray(value)) return value.map((item) => stripControlsDeep(item)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [stripControls(key), stripControlsDeep(item)])) as T;
  }
  return value;
}
