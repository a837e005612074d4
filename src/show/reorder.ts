/**
 * Puts a stream of records into time order with bounded memory.
 *
 * Flow-log records do not arrive in time order: an S3 file holds the records whose
 * `end` falls in its 5-minute slot, unordered, and a record's `start` precedes its
 * `end` by up to the aggregation interval (60 or 600 s); files of one slot overlap.
 * So a record is held until a record more than `windowSeconds` newer has been read
 * (or until `maxBuffered` records are held), then released in (start, rank, input)
 * order. A record older than one already released is *late*: it is released at once,
 * out of order, and counted. `windowSeconds = Infinity` and `maxBuffered = Infinity`
 * give an exact sort (everything is held until the end).
 */
export class ReorderBuffer<T> {
  private keys: number[] = [];
  private seqs: number[] = [];
  private starts: number[] = [];
  private items: T[] = [];
  private seq = 0;
  private newest = Number.NEGATIVE_INFINITY;
  private lastReleased = Number.NEGATIVE_INFINITY;
  /** records released out of order */
  late = 0;

  constructor(
    private readonly windowSeconds: number,
    private readonly maxBuffered: number,
    private readonly release: (item: T) => void,
  ) {}

  get size(): number {
    return this.keys.length;
  }

  /** Whether a record with this start and tie rank would be released out of order. */
  isLate(start: number, rank: number): boolean {
    return !Number.isNaN(start) && key(start, rank) < this.lastReleased;
  }

  /** Adds a record; releases whatever has fallen out of the window. A record without a start time is released at once. */
  push(start: number, rank: number, item: T): void {
    if (Number.isNaN(start)) {
      this.release(item);
      return;
    }
    const k = key(start, rank);
    if (k < this.lastReleased) {
      this.late++;
      this.release(item);
      return;
    }
    this.insert(k, start, item);
    if (start > this.newest) this.newest = start;
    const horizon = this.newest - this.windowSeconds;
    while (this.keys.length > 0 && (this.keys.length > this.maxBuffered || this.starts[0] < horizon)) this.pop();
  }

  /** Releases everything held, in order. */
  flush(): void {
    while (this.keys.length > 0) this.pop();
  }

  private insert(k: number, start: number, item: T): void {
    const { keys, seqs, starts, items } = this;
    let i = keys.length;
    keys.push(k);
    seqs.push(this.seq++);
    starts.push(start);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const { keys, seqs, starts, items } = this;
    const item = items[0];
    const k = keys[0];
    const last = keys.length - 1;
    keys[0] = keys[last];
    seqs[0] = seqs[last];
    starts[0] = starts[last];
    items[0] = items[last];
    keys.pop();
    seqs.pop();
    starts.pop();
    items.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < keys.length && this.less(l, m)) m = l;
      if (r < keys.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    if (k > this.lastReleased) this.lastReleased = k;
    this.release(item);
  }

  private less(a: number, b: number): boolean {
    return this.keys[a] < this.keys[b] || (this.keys[a] === this.keys[b] && this.seqs[a] < this.seqs[b]);
  }

  private swap(a: number, b: number): void {
    const { keys, seqs, starts, items } = this;
    const k = keys[a];
    keys[a] = keys[b];
    keys[b] = k;
    const q = seqs[a];
    seqs[a] = seqs[b];
    seqs[b] = q;
    const s = starts[a];
    starts[a] = starts[b];
    starts[b] = s;
    const item = items[a];
    items[a] = items[b];
    items[b] = item;
  }
}

/** start in seconds and a tie rank 0..3 as one sortable number (exact below 2^50 s). */
function key(start: number, rank: number): number {
  return start * 4 + rank;
}
