import type { Source } from './sources.js';

/** A source read once while keeping its bytes (up to a bound), so it can be read again. */
export interface BufferedSource {
  /** read this for the first pass */
  source: Source;
  /** a source over the kept bytes, once the first pass has read everything within the bound; else null */
  replay(): Source | null;
  /** why there is no replay, when there is none */
  reason(): string | undefined;
}

/**
 * Keeps what stdin delivered so a second pass (the report's ladder diagrams) can read
 * it again. Bounded: past `maxBytes` the copy is dropped and only the first pass
 * happens, so memory never grows with the input beyond the bound.
 */
export function bufferedSource(inner: Source, maxBytes: number): BufferedSource {
  let chunks: Uint8Array[] = [];
  let size = 0;
  let overflow = false;
  let complete = false;
  const source: Source = {
    name: inner.name,
    size: inner.size,
    async *bytes() {
      for await (const chunk of inner.bytes()) {
        if (!overflow) {
          size += chunk.length;
          if (size > maxBytes) {
            overflow = true;
            chunks = [];
          } else {
            chunks.push(chunk);
          }
        }
        yield chunk;
      }
      complete = true;
    },
  };
  return {
    source,
    replay: () =>
      complete && !overflow
        ? {
            name: inner.name,
            size,
            async *bytes() {
              yield* chunks;
            },
          }
        : null,
    reason: () =>
      overflow
        ? `${inner.name === '-' ? 'stdin' : inner.name} was larger than ${Math.round(maxBytes / 2 ** 20)} MiB, too much to keep for a second read; save the data to a file and pass the file instead`
        : complete
          ? undefined
          : `${inner.name === '-' ? 'stdin' : inner.name} was not read to its end`,
  };
}
