import type { TcpClass } from './classify.js';
import type { TimelineRow } from './summary.js';

// How ConnectionTable.finish() numbers verdicts and counts connections into timeline and peer
// rows (src/analyze/fold.ts, minute-rows.ts, peer-rows.ts).

/*
 * A verdict as one number (ConnectionTable.verdictCode()), for finish()'s loop: the class, the
 * client + 1 (0: the flags cannot tell), reset, closed, and the category the connection is
 * counted in (see CATEGORIES); CODE_KNOWN keeps a code from being 0.
 */
export const ESTABLISHED = 0;
export const REFUSED = 1;
export const UNANSWERED = 2;
export const REJECTED = 3;
export const MIDSTREAM = 4;
export const CODE_CLASS = 7;
export const CODE_CLIENT_SHIFT = 3;
export const CODE_RESET = 1 << 5;
export const CODE_CLOSED = 1 << 6;
export const CODE_KNOWN = 1 << 7;
export const CODE_CATEGORY_SHIFT = 8;
export const CODE_OF_CLASS: Record<TcpClass, number> = { established: ESTABLISHED, refused: REFUSED, unanswered: UNANSWERED, rejected: REJECTED, midstream: MIDSTREAM };
export const CLASS_OF_CODE: readonly TcpClass[] = ['established', 'refused', 'unanswered', 'rejected', 'midstream'];
/**
 * Timeline and peer rows count connections by category: the class (0–4), plus 5 if reset.
 * One count a connection and row; the rows' columns are sums of these (classCounts()).
 */
export const CATEGORIES = 10;


/** The columns of a timeline or peer row, from its counts by category (CATEGORIES) at counts[at…]. */
export function classCounts(counts: Int32Array, at: number): Omit<TimelineRow, 'minute'> {
  const refused = counts[at + REFUSED] + counts[at + 5 + REFUSED];
  const unanswered = counts[at + UNANSWERED] + counts[at + 5 + UNANSWERED];
  const rejected = counts[at + REJECTED] + counts[at + 5 + REJECTED];
  let reset = 0;
  for (let k = 5; k < CATEGORIES; k++) reset += counts[at + k];
  return {
    established: counts[at + ESTABLISHED] + counts[at + 5 + ESTABLISHED],
    refused,
    unanswered,
    rejected,
    midstream: counts[at + MIDSTREAM] + counts[at + 5 + MIDSTREAM],
    reset,
    failures: refused + unanswered + rejected,
  };
}

/** classCounts(counts, at).failures, reset, and the connections of all classes, without making the object. */
export function failuresOf(counts: Int32Array, at: number): number {
  return counts[at + REFUSED] + counts[at + 5 + REFUSED] + counts[at + UNANSWERED] + counts[at + 5 + UNANSWERED] + counts[at + REJECTED] + counts[at + 5 + REJECTED];
}

export function resetOf(counts: Int32Array, at: number): number {
  let reset = 0;
  for (let k = 5; k < CATEGORIES; k++) reset += counts[at + k];
  return reset;
}

export function connectionsOf(counts: Int32Array, at: number): number {
  let connections = 0;
  for (let k = 0; k < CATEGORIES; k++) connections += counts[at + k];
  return connections;
}

/** `array`, or a larger copy of it, with room for `length` numbers at least. */
export function withRoom(array: Int32Array, length: number): Int32Array {
  if (length <= array.length) return array;
  const grown = new Int32Array(Math.max(length, array.length * 2));
  grown.set(array);
  return grown;
}
