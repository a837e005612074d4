import { WHOLE_SOURCE_MAX, type Source } from './sources.js';

/**
 * Reading S3 objects one at a time spends most of the time waiting for each object's first byte
 * (tens of ms per GET). This keeps several downloads in flight while the analyzer reads the
 * current one, and hands the sources on in their original order (the analyzer does not depend on
 * the order, but messages and examples then read the same on every run).
 */
export interface ReadAheadOptions {
  /** objects downloading at once (default 16) */
  concurrency?: number;
  /**
   * bytes downloaded ahead of the reader, at most (default 128 MiB): an object's listed size is
   * reserved before its GET starts and freed once the reader is done with it. An object larger
   * than the whole budget is read alone, streamed.
   */
  maxBytes?: number;
  /** which sources to read ahead (default: those with a name starting with s3://) */
  remote?: (source: Source) => boolean;
}

export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_READ_AHEAD_BYTES = 128 * 2 ** 20;

/** Sources read ahead; `totalBytes` when the list was known up front (the analyzer sizes its work by it). */
export interface ReadAheadSources extends AsyncIterable<Source> {
  totalBytes?: number;
}

/**
 * Sources whose bytes are fetched ahead of the reader; iterable again (each pass fetches anew).
 * A list with nothing to read ahead (local files only) is returned as it is.
 */
export function readAhead(sources: Source[] | AsyncIterable<Source>, options: ReadAheadOptions = {}): Source[] | ReadAheadSources {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const maxBytes = options.maxBytes ?? DEFAULT_READ_AHEAD_BYTES;
  const remote = options.remote ?? ((source: Source) => source.name.startsWith('s3://') && !source.lines);
  if (Array.isArray(sources) && (concurrency <= 1 || !sources.some(remote))) return sources;
  return {
    [Symbol.asyncIterator]: () => readAheadPass(sources, concurrency, maxBytes, remote)[Symbol.asyncIterator](),
    ...(Array.isArray(sources) ? { totalBytes: sources.reduce((sum, source) => sum + (source.size ?? 0), 0) } : {}),
  };
}

async function* readAheadPass(
  sources: Iterable<Source> | AsyncIterable<Source>,
  concurrency: number,
  maxBytes: number,
  remote: (source: Source) => boolean,
): AsyncGenerator<Source> {
  const budget = new Budget(maxBytes);
  /** sources taken from the list, in order; a download is started for the first `concurrency` remote ones */
  const queue: { source: Source; fetch?: Fetch; reserve: number }[] = [];
  const iterator = (Symbol.asyncIterator in sources ? (sources as AsyncIterable<Source>)[Symbol.asyncIterator]() : (sources as Iterable<Source>)[Symbol.iterator]()) as AsyncIterator<Source> | Iterator<Source>;
  let listed = false;
  let listing: Promise<void> | undefined;
  let listError: unknown;
  let wakeLister: (() => void) | undefined;
  let wakeReader: (() => void) | undefined;
  let stopped = false;
  const wake = (): void => {
    const reader = wakeReader;
    wakeReader = undefined;
    reader?.();
  };
  /** downloads not yet at their end, the one being read included */
  const active = new Set<Fetch>();
  const start = (source: Source): Fetch => {
    const fetch = new Fetch(source, () => {
      active.delete(fetch);
      pump();
      wake();
    });
    active.add(fetch);
    return fetch;
  };

  /** Starts downloads while there is room (in order: the reader needs the first one first). */
  function pump(): void {
    for (const entry of queue) {
      if (entry.fetch || !remote(entry.source)) continue;
      if (active.size >= concurrency) return;
      if (!budget.take(entry.reserve)) return;
      entry.fetch = start(entry.source);
    }
  }

  // the listing runs beside the downloads: its next page is asked for while objects arrive
  listing = (async () => {
    try {
      for (;;) {
        // stay at most a few hundred sources ahead of the reader (the list itself is memory too)
        while (queue.length >= Math.max(256, concurrency * 4) && !stopped) await new Promise<void>((resolve) => (wakeLister = resolve));
        if (stopped) return;
        const next = await iterator.next();
        if (next.done) break;
        const size = next.value.size ?? 0;
        queue.push({ source: next.value, reserve: Math.min(size, maxBytes) });
        pump();
        wake();
      }
    } catch (error) {
      listError = error;
    } finally {
      listed = true;
      wake();
    }
  })();

  try {
    for (;;) {
      while (queue.length === 0 && !listed) await new Promise<void>((resolve) => (wakeReader = resolve));
      if (queue.length === 0) {
        if (listError !== undefined) throw listError;
        return;
      }
      const entry = queue.shift()!;
      const lister = wakeLister;
      wakeLister = undefined;
      lister?.();
      if (!remote(entry.source)) {
        yield entry.source;
        continue;
      }
      // not started yet (budget or concurrency full): it streams directly once its turn comes
      if (!entry.fetch) {
        if (!budget.take(entry.reserve, true)) throw new Error('read-ahead budget refused the first object');
        entry.fetch = start(entry.source);
      }
      const fetch = entry.fetch;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        fetch.cancel();
        budget.give(entry.reserve);
        pump();
      };
      // an object downloaded by now, small and whole, is handed over in one piece (Source.whole)
      const whole = fetch.whole();
      try {
        yield { name: entry.source.name, size: entry.source.size, bytes: () => fetch.read(release), ...(whole ? { whole: () => Promise.resolve(whole) } : {}) };
      } finally {
        release();
      }
    }
  } finally {
    stopped = true;
    wakeLister?.();
    for (const entry of queue) entry.fetch?.cancel();
    await listing;
  }
}

/** Bytes reserved by downloads not yet read to their end. */
class Budget {
  private used = 0;
  constructor(private readonly max: number) {}
  /** `force`: the reader waits for this one: it goes even when the others fill the budget */
  take(bytes: number, force = false): boolean {
    if (!force && this.used > 0 && this.used + bytes > this.max) return false;
    this.used += bytes;
    return true;
  }
  give(bytes: number): void {
    this.used -= bytes;
  }
}

/** One object being downloaded: its chunks so far, handed to one reader as they arrive. */
class Fetch {
  private readonly chunks: Uint8Array[] = [];
  private error: unknown;
  done = false;
  private cancelled = false;
  private notify: (() => void) | undefined;
  private iterator: AsyncIterator<Uint8Array> | undefined;

  constructor(
    source: Source,
    private readonly onProgress: () => void,
  ) {
    void this.run(source);
  }

  private async run(source: Source): Promise<void> {
    try {
      this.iterator = source.bytes()[Symbol.asyncIterator]();
      for (;;) {
        const next = await this.iterator.next();
        if (next.done || this.cancelled) break;
        this.chunks.push(next.value);
        this.signal();
      }
    } catch (error) {
      this.error = error;
    } finally {
      this.done = true;
      this.signal();
      this.onProgress();
    }
  }

  private signal(): void {
    const notify = this.notify;
    this.notify = undefined;
    notify?.();
  }

  /** The bytes, as they arrive; a failed download fails the read after the bytes it got. */
  async *read(onEnd: () => void): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const chunk = this.chunks.shift();
        if (chunk !== undefined) {
          yield chunk;
          continue;
        }
        if (this.done) {
          if (this.error !== undefined) throw this.error;
          return;
        }
        await new Promise<void>((resolve) => (this.notify = resolve));
      }
    } finally {
      onEnd();
    }
  }

  /**
   * The object's bytes in one piece, when its download has ended without an error and it is at
   * most WHOLE_SOURCE_MAX bytes (as small local files are); else undefined (it is read as it arrives, and a failed download fails
   * after the bytes it got).
   */
  whole(): Uint8Array | undefined {
    if (!this.done || this.error !== undefined || this.cancelled) return undefined;
    let size = 0;
    for (const chunk of this.chunks) size += chunk.length;
    if (size > WHOLE_SOURCE_MAX) return undefined;
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, size);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.chunks.length = 0;
    if (!this.done) void this.iterator?.return?.(undefined)?.catch?.(() => {});
  }
}
