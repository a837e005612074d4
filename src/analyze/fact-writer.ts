import { TCP_FACTS } from '../layout.js';

/**
 * Takes a batch of fact rows: `count` rows of TCP_FACTS numbers from the start of `rows`, and
 * `textKeys`, the rows whose key is text, as [row, key] in row order. It may keep `rows` (send it
 * to another thread), but not `textKeys` (read it before returning): it returns the memory the
 * writer writes the next batch into, or undefined to go on in the same memory. Called by the writer only (FactWriter.flush(), or a full batch).
 */
export type FactDrain = (rows: Float64Array, count: number, textKeys: [number, string][]) => Float64Array | undefined;

/**
 * The one owner of a batch of TCP fact rows on its way from the per-record tally (and the
 * scanner's fast path) to the connection table: the tally writes through it, and its drain takes
 * the rows away — the connection table's module applies them, or the parsing thread sends them
 * to the main thread (docs/architecture.md, "The facts buffer").
 *
 * Rules: a row is written only after reserve() and counts only once committed; the memory that
 * `rows` returns is valid from a reserve() until the next call of this writer (a full batch, a
 * flush or a growth may give it other memory); rows reach the drain in the order they were
 * committed, however they are cut into batches.
 *
 * A writer of fixed `capacity` drains as soon as the batch is full (the connection table applies
 * at most that many rows at a time); a growing one (capacity Infinity) grows its memory instead,
 * and drains only when flush() is called.
 */
export class FactWriter {
  private memory: Float64Array;
  private count = 0;
  /** rows reserved after the committed ones, not yet committed */
  private reserved = 0;
  private textKeys: [number, string][] = [];
  /** rows the batch holds before it drains (fixed) or grows (Infinity) */
  private readonly capacity: number;

  constructor(
    memory: Float64Array,
    private readonly drain: FactDrain,
    options: { capacity?: number } = {},
  ) {
    this.memory = memory;
    this.capacity = options.capacity ?? Number.POSITIVE_INFINITY;
    if (this.capacity !== Number.POSITIVE_INFINITY && memory.length < this.capacity * TCP_FACTS) {
      throw new RangeError(`a fact batch of ${this.capacity} rows needs ${this.capacity * TCP_FACTS} numbers of memory, not ${memory.length}`);
    }
  }

  /** Rows committed and not yet drained. */
  get rowCount(): number {
    return this.count;
  }

  /** The batch's memory, where reserved rows are written (valid until the next call of this writer). */
  get rows(): Float64Array {
    return this.memory;
  }

  /**
   * Makes room for `n` rows after the committed ones (draining a fixed batch that has no room,
   * growing a growing one) and returns the index in `rows` of the first. Replaces an earlier
   * reserve that was not committed.
   */
  reserve(n: number): number {
    if (!(n >= 0 && n <= this.capacity)) throw new RangeError(`cannot reserve ${n} fact rows in a batch of ${this.capacity}`);
    if (this.count + n > this.capacity) this.flush();
    else if ((this.count + n) * TCP_FACTS > this.memory.length) this.grow(this.count + n);
    this.reserved = n;
    return this.count * TCP_FACTS;
  }

  /** Commits the first reserved row; `textKey` when its key is text (NaN at FACT_KEY). */
  commitRow(textKey?: string): void {
    if (this.reserved === 0) throw new RangeError('a fact row was committed without a reserved row');
    this.reserved--;
    if (textKey !== undefined) this.textKeys.push([this.count, textKey]);
    if (++this.count === this.capacity) this.flush();
  }

  /**
   * Copies `count` rows from the start of `source` into the batch, in order (across as many
   * batches as a fixed capacity needs); `textKeys` lists those of them with a text key as
   * [row, key], in row order. Replaces an uncommitted reserve.
   */
  append(source: Float64Array, count: number, textKeys: readonly [number, string][]): void {
    if (count * TCP_FACTS > source.length) throw new RangeError(`${count} fact rows do not fit in ${source.length} numbers`);
    this.reserved = 0;
    let next = 0;
    for (let k = 0; k < count; ) {
      let n = count - k;
      if (this.count + n > this.capacity) n = this.capacity - this.count;
      if ((this.count + n) * TCP_FACTS > this.memory.length) this.grow(this.count + n);
      this.memory.set(source.subarray(k * TCP_FACTS, (k + n) * TCP_FACTS), this.count * TCP_FACTS);
      for (; next < textKeys.length && textKeys[next][0] < k + n; next++) this.textKeys.push([this.count + textKeys[next][0] - k, textKeys[next][1]]);
      this.count += n;
      k += n;
      if (this.count === this.capacity) this.flush();
    }
  }

  /** Hands the batch to the drain, even an empty one, and starts the next. Drops an uncommitted reserve. */
  flush(): void {
    const rows = this.memory;
    const count = this.count;
    const textKeys = this.textKeys;
    this.count = 0;
    this.reserved = 0;
    if (textKeys.length > 0) this.textKeys = [];
    this.memory = this.drain(rows, count, textKeys) ?? rows;
  }

  private grow(rows: number): void {
    let length = Math.max(this.memory.length, TCP_FACTS);
    while (length < rows * TCP_FACTS) length *= 2;
    const bigger = new Float64Array(length);
    bigger.set(this.memory.subarray(0, this.count * TCP_FACTS));
    this.memory = bigger;
  }
}
