import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeSources, readSources, recordCallbackSink, type SourceProblem } from '../../src/analyze/run.js';
import { fileSource, localSources } from '../../src/analyze/sources.js';
import { UsageError } from '../../src/errors.js';
import type { FlowRecord } from '../../src/format/line-reader.js';
import { classes, textSource } from '../helpers/flow-lines.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const at = (...parts: string[]) => join(fixtures, ...parts);

async function analyzePaths(paths: string[], stdin?: AsyncIterable<Uint8Array>) {
  return (await analyzeSources(await localSources(paths, { stdin }))).summary;
}

describe('gzip', () => {
  it('reads a .log.gz as S3 delivers it (detected by its magic number)', async () => {
    const summary = await analyzePaths([at('gzip', 'capture.log.gz')]);
    expect(summary.records).toMatchObject({ total: 400, tcp: 400, malformed: 0 });
    expect(classes(summary)).toMatchObject({ connections: 200, established: 200, closed: 200 });
    expect(summary.errors).toEqual([]);
  });

  it('gzip is detected by content, not by name', async () => {
    const bytes = readFileSync(at('gzip', 'capture.log.gz'));
    const { summary } = await analyzeSources([textSource('capture.txt', bytes)]);
    expect(summary.records.total).toBe(400);
  });

  it('concatenated gzip members (cat a.log.gz b.log.gz) are read as one stream, header repeated', async () => {
    const bytes = readFileSync(at('gzip', 'capture.log.gz'));
    const { summary } = await analyzeSources([textSource('-', Buffer.concat([bytes, bytes]))]);
    expect(summary.records).toMatchObject({ total: 800, malformed: 0 });
    expect(summary.tcp.connections).toBe(200);
  });

  it('a truncated gzip is a clear error naming the file and how many records were read; the summary covers them', async () => {
    const summary = await analyzePaths([at('gzip', 'truncated.log.gz')]);
    expect(summary.errors).toHaveLength(1);
    const [error] = summary.errors;
    expect(error.code).toBe('truncated-gzip');
    expect(error.source).toBe(at('gzip', 'truncated.log.gz'));
    const read = Number(/; (\d+) records read before it are counted/.exec(error.message)?.[1]);
    expect(error.message).toContain(`${at('gzip', 'truncated.log.gz')} is a truncated gzip file`);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(400);
    expect(summary.records.total).toBe(read);
    expect(summary.records.malformed).toBe(0); // the cut-off last line is not blamed on the data
    expect(summary.tcp.connections).toBeGreaterThan(0);
  });

  it('a truncated file does not stop the other sources from being read', async () => {
    const summary = await analyzePaths([at('gzip', 'truncated.log.gz'), at('gzip', 'capture.log.gz')]);
    expect(summary.errors).toHaveLength(1);
    expect(summary.sources.count).toBe(2);
    expect(summary.records.total).toBeGreaterThan(400);
  });

  it('corrupt gzip data is reported as such', async () => {
    const summary = await analyzePaths([at('gzip', 'corrupt.log.gz')]);
    expect(summary.errors.map((e) => e.code)).toEqual(['corrupt-gzip']);
    expect(summary.errors[0].message).toMatch(/corrupt\.log\.gz is not valid gzip data \(\d+ records? read before it are counted\)/);
  });
});

describe('Parquet', () => {
  it('reads S3-style Parquet (underscore columns, INT_32/INT_64, nulls, GZIP pages) into the same verdicts', async () => {
    const summary = await analyzePaths([at('parquet', 'handshake.parquet')]);
    expect(summary.errors).toEqual([]);
    expect(summary.records).toMatchObject({ total: 7, tcp: 5, udp: 1, nodata: 1, malformed: 0 });
    expect(classes(summary)).toEqual({ connections: 3, established: 1, refused: 1, unanswered: 1, rejected: 0, midstream: 0, reset: 0, closed: 1 });
    expect(summary.tcp).toMatchObject({ classified: true, retriedSyn: 1 });
  });

  it('typed records: numbers stay numbers and null columns are absent', async () => {
    const records: FlowRecord[] = [];
    const problems: SourceProblem[] = [];
    await readSources(await localSources([at('parquet', 'handshake.parquet')]), recordCallbackSink((view) => records.push(view.toRecord())), {}, (p) => problems.push(p));
    expect(problems).toEqual([]);
    expect(records).toHaveLength(7);
    expect(records[2]).toEqual({
      version: 5, 'account-id': '123456789012', 'interface-id': 'eni-0aaaaaaaaaaaaaaa1', srcaddr: '10.0.1.10', dstaddr: '10.0.2.20',
      srcport: 40001, dstport: 6379, protocol: 6, packets: 1, bytes: 60, start: 1768471260, end: 1768471270, action: 'ACCEPT',
      'log-status': 'OK', 'tcp-flags': 2, 'pkt-srcaddr': '10.0.1.10', 'pkt-dstaddr': '10.0.2.20',
    });
    expect(Object.keys(records[6]).sort()).toEqual(['account-id', 'end', 'interface-id', 'log-status', 'start', 'version']);
  });

  it('a damaged Parquet file is an error naming the file, not a crash', async () => {
    const bytes = readFileSync(at('parquet', 'handshake.parquet')).subarray(0, 600);
    const { summary } = await analyzeSources([textSource('broken.parquet', bytes)]);
    expect(summary.errors).toHaveLength(1);
    expect(summary.errors[0].message).toMatch(/^broken\.parquet/);
  });
});

describe('local sources', () => {
  it('- reads stdin', async () => {
    const text = readFileSync(at('aws-doc', 'example-tcp-flag.log'));
    async function* stdin() {
      yield text.subarray(0, 100);
      yield text.subarray(100);
    }
    const summary = await analyzePaths(['-'], stdin());
    expect(summary.records.total).toBe(8);
    expect(summary.tcp.established).toBe(3);
  });

  it('- without a stdin is a usage error', async () => {
    await expect(localSources(['-'])).rejects.toThrow(UsageError);
  });

  it('directories are read recursively, in name order, skipping hidden and non-data files', async () => {
    const sources = await localSources([at('tree')]);
    expect(sources.map((s) => s.name.slice(at('tree').length + 1))).toEqual(['2026/01/15/a.log', '2026/01/15/b.log.gz', '2026/01/16/a.log', 'z-last.log']);
    const seen: string[] = [];
    await readSources(sources, recordCallbackSink((view) => seen.push(`${view.source.slice(at('tree').length + 1)}:${view.line}`)), {}, () => {});
    expect(seen).toEqual(['2026/01/15/a.log:2', '2026/01/15/b.log.gz:2', '2026/01/16/a.log:2', '2026/01/16/a.log:3', 'z-last.log:1']);
  });

  it('a directory capture is analyzed as one (a SYN in one file, its SYN-ACK in another); each file starts from the default format', async () => {
    const summary = await analyzePaths([at('tree')]);
    expect(summary.sources.count).toBe(4);
    expect(summary.records).toMatchObject({ total: 5, tcp: 4, nodata: 1, malformed: 0 });
    expect(classes(summary)).toMatchObject({ connections: 2, established: 1, refused: 1 });
  });

  it('a small file is read in one piece; one that grew after it was listed is read to its end; an empty one gives nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowdump-small-'));
    try {
      const text = readFileSync(at('aws-doc', 'example-tcp-flag.log'));
      const path = join(dir, 'a.log');
      writeFileSync(path, text);
      const read = async (size: number) => {
        const chunks: Uint8Array[] = [];
        for await (const chunk of fileSource(path, size).bytes()) chunks.push(chunk);
        return chunks;
      };
      const whole = await read(text.length);
      expect(whole.length).toBe(1);
      expect(Buffer.from(whole[0]).equals(text)).toBe(true);
      // listed when it was shorter (a file still being written)
      expect(Buffer.concat(await read(10)).equals(text)).toBe(true);
      writeFileSync(path, '');
      expect(await read(0)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file of a folder that disappears before it is read is reported, and the files around it are counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowdump-gone-'));
    try {
      const text = readFileSync(at('aws-doc', 'example-tcp-flag.log'));
      for (const name of ['a.log', 'b.log', 'c.log']) writeFileSync(join(dir, name), text);
      const sources = await localSources([dir]);
      rmSync(join(dir, 'b.log'));
      const { summary } = await analyzeSources(sources);
      expect(summary.sources.count).toBe(3);
      expect(summary.records.total).toBe(16);
      expect(summary.errors).toEqual([{ source: join(dir, 'b.log'), code: 'unreadable', message: expect.stringMatching(/^cannot read .*b\.log: ENOENT: no such file or directory.* \(0 records read before it\)$/) }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing path is a usage error that names it', async () => {
    await expect(localSources([at('no-such-file.log')])).rejects.toThrow(`no such file or directory: ${at('no-such-file.log')}`);
    await expect(localSources([at('no-such-file.log')])).rejects.toBeInstanceOf(UsageError);
  });

  it('a directory without flow-log files is a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowdump-empty-'));
    try {
      writeFileSync(join(dir, 'notes.md'), 'no flow logs here');
      await expect(localSources([dir])).rejects.toThrow(`no flow-log files (*.log, *.log.gz, *.parquet, *.txt, *.csv) under ${dir}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
