import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionTable } from '../../src/analyze/fold.js';
import { WorkerLineInput, workerScript } from '../../src/analyze/parallel-read.js';
import { analyzeSources, type AnalyzeOptions } from '../../src/analyze/run.js';
import { localSources, type Source } from '../../src/analyze/sources.js';
import { InputError } from '../../src/errors.js';
import { resolveFormat } from '../../src/format/presets.js';
import { defaultFormat } from '../../src/format/template.js';
// The bench's generator: realistic traffic of every class, with its ground truth.
import { generateFlowLog } from '../../bench/generate.mjs';
import { splitFlowLog } from '../../bench/split.mjs';
import { dataFiles, ROOT as root } from '../helpers/data-files.js';

const fixtures = join(root, 'test', 'fixtures');

async function both(sources: Source[], options: AnalyzeOptions = {}) {
  const single = await analyzeSources(sources, { ...options, parallel: false });
  const parallel = await analyzeSources(sources, { ...options, parallel: true });
  return { single, parallel };
}

describe('parsing in a worker thread gives the same summary as one thread', () => {
  it('has a worker script to run (npm test builds it)', () => {
    expect(workerScript()).toBeDefined();
  });

  it.each(dataFiles().map((path) => [path.slice(root.length), path]))('%s', async (_name, path) => {
    const { single, parallel } = await both(await localSources([path]));
    expect(parallel.summary).toEqual(single.summary);
  });

  it('with a --log-format, and with every failing connection listed', async () => {
    const sources = await localSources([join(root, 'examples')]);
    const format = resolveFormat('handshake');
    const { single, parallel } = await both(sources, { format, explicitFormat: true, maxFailures: 10_000, maxPeers: 10_000 });
    expect(parallel.summary).toEqual(single.summary);
    expect(parallel.summary.failures.length).toBe(parallel.summary.failuresTotal);
  });

  it('a truncated gzip file reports the same records read before the break', async () => {
    const { single, parallel } = await both(await localSources([join(fixtures, 'gzip', 'truncated.log.gz'), join(fixtures, 'gzip', 'capture.log.gz')]));
    expect(parallel.summary.errors).toEqual(single.summary.errors);
    expect(parallel.summary.errors[0]?.message).toMatch(/truncated gzip file .* \d+ records? read before it/);
    expect(parallel.summary).toEqual(single.summary);
  });

  it('a failure of the connection table (more connections than it keeps) ends the analysis with its sentence', async () => {
    const failing = {
      tcpBatch() {
        throw new InputError('too-many-connections', 'the input holds more TCP connections than flowdump can keep');
      },
    } as unknown as ConnectionTable;
    const input = new WorkerLineInput(failing, workerScript() as URL, { format: defaultFormat(), explicit: false });
    try {
      input.startSource('capture.log');
      const lines = Array.from({ length: 50 }, (_, k) => `2 123456789012 eni-0aaa 10.0.0.1 10.0.0.2 ${40000 + k} 443 6 1 60 1700000000 1700000030 ACCEPT OK`);
      const reading = (async () => {
        await input.push(Buffer.from(`${lines.join('\n')}\n`));
        // the end of a source does not wait for the parsing thread: the failure comes by the end of the analysis at the latest
        await input.endSource();
        await input.finish();
      })();
      await expect(reading).rejects.toMatchObject({ code: 'too-many-connections' });
    } finally {
      await input.abort();
    }
  });

  it('the connection table answers follow-up questions the same way', async () => {
    const { single, parallel } = await both(await localSources([join(root, 'examples')]));
    expect(parallel.table.connectionCount).toBe(single.table.connectionCount);
    const ids = new Set<string>();
    for (let i = 0; i < single.table.connectionCount; i++) {
      const report = single.table.connection(i);
      expect(parallel.table.connection(i)).toEqual(report);
      ids.add(report.id);
    }
    // one id per connection: the id a report shows finds one connection
    expect(ids.size).toBe(single.table.connectionCount);
  });
});

describe('a generated capture (the bench generator): right at scale, either way', () => {
  let dir: string;
  let file: string;
  let truth: Awaited<ReturnType<typeof generateFlowLog>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flowdump-parallel-'));
    file = join(dir, 'flows.log.gz');
    truth = await generateFlowLog(file, { records: 60_000 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts every record and classifies every connection as generated', async () => {
    const { single, parallel } = await both(await localSources([file]));
    for (const { summary } of [single, parallel]) {
      expect(summary.records).toEqual(truth.records);
      expect(summary.tcp).toMatchObject(truth.tcp);
    }
    expect(parallel.summary).toEqual(single.summary);
  });

  it('the failures listed with a small limit are the first of the full ranking', async () => {
    const sources = await localSources([file]);
    const all = (await analyzeSources(sources, { maxFailures: 1_000_000, parallel: true })).summary.failures;
    expect(all.length).toBeGreaterThan(1000);
    for (const limit of [0, 1, 7, 200, 1500]) {
      const { single, parallel } = await both(sources, { maxFailures: limit });
      expect(single.summary.failures).toEqual(all.slice(0, limit));
      expect(parallel.summary.failures).toEqual(all.slice(0, limit));
    }
  });

  it('lines from a source of lines (as CloudWatch Logs delivers them) give the same summary', async () => {
    const { gunzipSync } = await import('node:zlib');
    const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n').filter((line) => line.length > 0);
    const source: Source = {
      name: 'logs:/flowdump/test',
      bytes: () => {
        throw new Error('a source of lines');
      },
      lines: async function* () {
        yield* lines;
      },
    };
    const { single, parallel } = await both([source]);
    expect(single.summary.records).toEqual(truth.records);
    expect(parallel.summary).toEqual(single.summary);
  });

  it('the same records as a folder of many small gzip objects give the same summary as the one file', async () => {
    const folder = join(dir, 'objects');
    // as S3 delivers a busy flow log: many objects, each with the header line
    expect(await splitFlowLog(file, folder, 60, truth.records.total)).toBe(60);
    const many = await localSources([folder]);
    expect(many.length).toBe(60);
    const one = await both(await localSources([file]));
    const split = await both(many);
    for (const { summary } of [split.single, split.parallel]) {
      expect(summary.sources.count).toBe(60);
      expect(summary.records).toEqual(truth.records);
      // everything but the number of sources, to the byte
      expect(JSON.stringify({ ...summary, sources: { ...summary.sources, count: 1 } })).toBe(JSON.stringify(one.single.summary));
    }
    expect(split.parallel.table.connectionCount).toBe(one.single.table.connectionCount);
  });
});
