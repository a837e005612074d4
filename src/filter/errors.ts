import { UsageError } from '../errors.js';

/**
 * A filter expression flowdump cannot use: one line naming the column (1-based) and
 * what is wrong there. Exit code 2, like every bad argument.
 */
export class FilterSyntaxError extends UsageError {
  readonly column: number;

  /** @param pos 0-based offset in the expression; @param problem the rest of the sentence */
  constructor(pos: number, problem: string) {
    super(`bad filter at column ${pos + 1}: ${problem}`, { code: 'bad-filter', details: { column: pos + 1 } });
    this.name = 'FilterSyntaxError';
    this.column = pos + 1;
  }
}

/**
 * `bad filter at column N: expected <what>, found "<text>"[; <how to fix>]`.
 * `found` is the offending token's text; an empty string means the end of the expression.
 */
export function expected(pos: number, what: string, found: string, note?: string): FilterSyntaxError {
  const shown = found === '' ? 'the end of the expression' : `"${found}"`;
  return new FilterSyntaxError(pos, `expected ${what}, found ${shown}${note ? `; ${note}` : ''}`);
}
