import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readAhead } from '../../src/analyze/read-ahead.js';
import { analyzeSources } from '../../src/analyze/run.js';
import type { Source } from '../../src/analyze/sources.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fake S3 objects: each waits `delay` ms before its first byte and records how many are open at once. */
function fakeObjects(count: number, options: { delay?: number; size?: number; failAt?: number; body?: (i: number) => Uint8Array } = {}) {
  const stats = { open: 0, maxOpen: 0, started: [] as number[], bytesOpen: 0, maxBytesOpen: 0 };
  const size = options.size ?? 100;
  const sources: Source[] = Array.from({ length: count }, (_, i) => ({
    name: `s3://bucket/AWSLogs/${String(i).padStart(4, '0')}.log.gz`,
    size,
    async *bytes() {
      stats.started.push(i);
      stats.open++;
      stats.bytesOpen += size;
      stats.maxOpen = Math.max(stats.maxOpen, stats.open);
      stats.maxBytesOpen = Math.max(stats.maxBytesOpen, stats.bytesOpen);
      try {
        await sleep(options.delay ?? 5);
        if (options.failAt === i) {
          yield Buffer.from('half a ');
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        yield options.body?.(i) ?? Buffer.from(`object ${i}\n`);
      } finally {
        stats.open--;
        stats.bytesOpen -= size;
      }
    },
  }));
  return { sources, stats };
}

async function readAll(sources: AsyncIterable<Source> | Source[]): Promise<string[]> {
  const out: string[] = [];
  for await (const source of sources) {
    const parts: Buffer[] = [];
    for await (const chunk of source.bytes()) parts.push(Buffer.from(chunk));
    out.push(`${source.name}=${Buffer.concat(parts).toString().trim()}`);
  }
  return out;
}

describe('readAhead', () => {
  it('keeps several downloads in flight, never more than the concurrency, and hands them on in order', async () => {
    const { sources, stats } = fakeObjects(40, { delay: 10 });
    const read = await readAll(readAhead(sources, { concurrency: 8 }));
    expect(read).toEqual(sources.map((source, i) => `${source.name}=object ${i}`));
    expect(stats.maxOpen).toBe(8);
  });

  it('with concurrency 1 reads one at a time', async () => {
    const { sources, stats } = fakeObjects(10, { delay: 2 });
    await readAll(readAhead(sources, { concurrency: 1 }));
    expect(stats.maxOpen).toBe(1);
  });

  it('caps the bytes downloaded ahead of the reader', async () => {
    const { sources, stats } = fakeObjects(30, { delay: 5, size: 1000 });
    await readAll(readAhead(sources, { concurrency: 16, maxBytes: 3500 }));
    expect(stats.maxBytesOpen).toBeLessThanOrEqual(3000);
    expect(stats.maxOpen).toBe(3);
  });

  it('reads an object larger than the whole budget alone', async () => {
    const { sources, stats } = fakeObjects(4, { delay: 2, size: 10_000 });
    const read = await readAll(readAhead(sources, { concurrency: 16, maxBytes: 1000 }));
    expect(read).toHaveLength(4);
    expect(stats.maxOpen).toBe(1);
  });

  it('starts downloads while the listing is still running', async () => {
    const { sources, stats } = fakeObjects(6, { delay: 1 });
    let listedAll = false;
    const startedBeforeListed: number[] = [];
    const listing: AsyncIterable<Source> = {
      async *[Symbol.asyncIterator]() {
        for (const source of sources) {
          await sleep(15); // one page of ListObjectsV2
          startedBeforeListed.push(stats.started.length);
          yield source;
        }
        listedAll = true;
      },
    };
    const read = await readAll(readAhead(listing, { concurrency: 4 }));
    expect(listedAll).toBe(true);
    expect(read).toHaveLength(6);
    // by the time the last object was listed, the earlier ones had been fetched
    expect(startedBeforeListed.at(-1)).toBeGreaterThanOrEqual(4);
  });

  it('a failed download fails the read of that object after the bytes it got; the others are read', async () => {
    const { sources } = fakeObjects(5, { failAt: 2 });
    const seen: string[] = [];
    for await (const source of readAhead(sources, { concurrency: 4 })) {
      const parts: Buffer[] = [];
      try {
        for await (const chunk of source.bytes()) parts.push(Buffer.from(chunk));
        seen.push('ok');
      } catch (error) {
        seen.push(`${(error as Error).message} after "${Buffer.concat(parts).toString()}"`);
      }
    }
    expect(seen).toEqual(['ok', 'ok', 'socket hang up after "half a "', 'ok', 'ok']);
  });

  it('an object downloaded by its turn is handed over in one piece, the same bytes; a failed one is not', async () => {
    const { sources } = fakeObjects(5, { failAt: 2, delay: 1 });
    const seen: string[] = [];
    for await (const source of readAhead(sources, { concurrency: 8 })) {
      // (the first is handed over as soon as it is listed: still downloading; the others have ended by their turn)
      if (source.whole) seen.push(Buffer.from(await source.whole()).toString().trim());
      else seen.push(`streamed ${source.name.slice(-11)}`);
      await sleep(20);
    }
    expect(seen).toEqual(['streamed 0000.log.gz', 'object 1', 'streamed 0002.log.gz', 'object 3', 'object 4']);
  });

  it('a listing that fails fails the iteration (after the objects listed before it)', async () => {
    const { sources } = fakeObjects(2);
    const listing: AsyncIterable<Source> = {
      async *[Symbol.asyncIterator]() {
        yield* sources;
        throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      },
    };
    const names: string[] = [];
    await expect(
      (async () => {
        for await (const source of readAhead(listing)) names.push(source.name);
      })(),
    ).rejects.toThrow('Access Denied');
    expect(names).toHaveLength(2);
  });

  it('leaves local files as they are', () => {
    const local: Source[] = [{ name: 'capture/a.log', bytes: async function* () {} }];
    expect(readAhead(local)).toBe(local);
  });

  it('gives the same summary as reading one at a time', async () => {
    const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags\n';
    const body = (i: number) =>
      gzipSync(
        header +
          `2 1 eni-1 10.0.0.${i % 250} 10.0.1.1 ${40000 + i} 443 6 1 60 1700000000 1700000060 ACCEPT OK 2\n` +
          (i % 3 === 0 ? `2 1 eni-1 10.0.1.1 10.0.0.${i % 250} 443 ${40000 + i} 6 1 60 1700000000 1700000060 ACCEPT OK 18\n` : ''),
      );
    const one = fakeObjects(60, { delay: 1, body });
    const many = fakeObjects(60, { delay: 1, body });
    const serial = (await analyzeSources(one.sources, { parallel: false })).summary;
    const ahead = (await analyzeSources(readAhead(many.sources, { concurrency: 16 }), { parallel: false })).summary;
    expect(ahead.tcp).toEqual(serial.tcp);
    expect(ahead.records).toEqual(serial.records);
    expect(ahead.tcp.connections).toBe(60);
    expect(ahead.tcp.established).toBe(20);
    expect(many.stats.maxOpen).toBeGreaterThan(1);
  });
});
