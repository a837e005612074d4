import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import type { AthenaPort, QueryStatus, StartQuery, WorkGroupInfo } from '../../src/aws/athena.js';
import type { ObjectInfo, S3Port } from '../../src/aws/s3.js';
import { analyzeWithAthena, scanCostUsd, type AthenaRequest } from '../../src/athena/run.js';
import { parseLogFormat } from '../../src/format/template.js';
import { SUMMARY_COLUMNS } from '../../src/athena/summary-sql.js';
import { FlowdumpError, UsageError, UserAbort } from '../../src/errors.js';

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags';
const BASE = 'AWSLogs/123456789012/vpcflowlogs/eu-west-1/';

function fakeS3(objects: { key: string; size: number }[], body = `${HEADER}\n2 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 60 1 2 ACCEPT OK 2\n`): S3Port {
  return {
    listObjects: () => ({
      async *[Symbol.asyncIterator]() {
        for (const object of objects) yield object as ObjectInfo;
      },
    }),
    getObject: () => ({
      async *[Symbol.asyncIterator]() {
        yield gzipSync(body);
      },
    }),
  } as unknown as S3Port;
}

/** Athena that answers each statement with the next state list; records what it was asked. */
function fakeAthena(options: { workgroup?: Partial<WorkGroupInfo>; states?: QueryStatus['state'][][]; rows?: (string | null)[][] } = {}) {
  const started: StartQuery[] = [];
  const stopped: string[] = [];
  const states = options.states ?? [['SUCCEEDED'], ['SUCCEEDED'], ['RUNNING', 'SUCCEEDED']];
  const port: AthenaPort = {
    getWorkGroup: async () => ({ managed: false, enforced: false, ...options.workgroup }),
    startQuery: async (request) => {
      started.push(request);
      return `q-${started.length}`;
    },
    getQuery: async (id) => {
      const list = states[Number(id.slice(2)) - 1];
      const state = list.length > 1 ? list.shift()! : list[0];
      return { state, scannedBytes: id === 'q-3' ? 123_000_000 : 0, elapsedMs: 10, reason: state === 'FAILED' ? 'HIVE_BAD_DATA: boom' : undefined };
    },
    results: (_id, columns) => ({
      async *[Symbol.asyncIterator]() {
        expect(columns).toEqual(SUMMARY_COLUMNS);
        yield* options.rows ?? [];
      },
    }),
    stopQuery: async (id) => {
      stopped.push(id);
    },
  };
  return { port, started, stopped };
}

const request: AthenaRequest = { bucket: 'b', prefix: 'AWSLogs/', workgroup: 'primary', defaultResults: 's3://flowdump-1-eu-west-1/flowdump/athena-results/', runId: 'r1' };
const deps = (athena: AthenaPort, s3 = fakeS3([{ key: `${BASE}2026/05/01/x.log.gz`, size: 5_000_000 }])) => ({ athena, s3, sleep: async () => {} });
const kindRow = (kind: string, n: number) => SUMMARY_COLUMNS.map((column) => (column === 'sec' ? 'kind' : column === 'kind' ? kind : column === 'n' ? String(n) : null));

describe('analyzeWithAthena', () => {
  test('database, table and SELECT, one after the other with tokens of the run; results to the default location; cost from DataScannedInBytes', async () => {
    const fake = fakeAthena({ rows: [kindRow('tcp', 7)] });
    const summary = await analyzeWithAthena(deps(fake.port), request);
    expect(fake.started.map((start) => start.sql.split('\n')[0])).toEqual(['CREATE DATABASE IF NOT EXISTS flowdump', expect.stringMatching(/^CREATE EXTERNAL TABLE IF NOT EXISTS flowdump\.flows_b_/), 'WITH']);
    expect(new Set(fake.started.map((start) => start.token)).size).toBe(3);
    for (const start of fake.started) expect(start.token.length).toBeGreaterThanOrEqual(32);
    expect(fake.started.every((start) => start.outputLocation === request.defaultResults)).toBe(true);
    expect(summary.records.tcp).toBe(7);
    expect(summary.engine).toMatchObject({ engine: 'athena', scannedBytes: 123_000_000, scanCostUsd: scanCostUsd(123_000_000), queryExecutionId: 'q-3' });
  });

  test('a workgroup with managed results or its own location gets no OutputLocation', async () => {
    for (const workgroup of [{ managed: true }, { outputLocation: 's3://team-results/' }]) {
      const fake = fakeAthena({ workgroup });
      await analyzeWithAthena(deps(fake.port), request);
      expect(fake.started.every((start) => start.outputLocation === undefined)).toBe(true);
    }
  });

  test('--max-scan-cost below the estimate: refused before any statement', async () => {
    const fake = fakeAthena();
    const s3 = fakeS3([{ key: `${BASE}2026/05/01/x.log.gz`, size: 400e9 }]);
    const error = await analyzeWithAthena(deps(fake.port, s3), { ...request, maxScanCostUsd: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('costs about $2.00, above --max-scan-cost $1.00');
    expect(fake.started).toEqual([]);
  });

  test('a failed query fails with Athena\'s reason', async () => {
    const fake = fakeAthena({ states: [['SUCCEEDED'], ['SUCCEEDED'], ['RUNNING', 'FAILED']] });
    const error = await analyzeWithAthena(deps(fake.port), request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FlowdumpError);
    expect((error as Error).message).toBe('the Athena query q-3 failed: HIVE_BAD_DATA: boom');
  });

  test('Ctrl-C stops the running query', async () => {
    const fake = fakeAthena({ states: [['SUCCEEDED'], ['SUCCEEDED'], ['RUNNING']] });
    const controller = new AbortController();
    let polls = 0;
    const error = await analyzeWithAthena(
      { ...deps(fake.port), signal: controller.signal, onProgress: (progress) => progress.step === 'summary' && ++polls === 2 && controller.abort() },
      request,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserAbort);
    expect(fake.stopped).toEqual(['q-3']);
  });

  test('--since/--until leave out the objects of other days and prune the partitions', async () => {
    const fake = fakeAthena();
    const s3 = fakeS3([
      { key: `${BASE}2026/04/30/a.log.gz`, size: 100 },
      { key: `${BASE}2026/05/01/b.log.gz`, size: 200 },
      { key: `${BASE}2026/05/03/c.log.gz`, size: 400 },
    ]);
    let objects = 0;
    const since = Date.parse('2026-05-01T06:00:00Z') / 1000;
    const until = Date.parse('2026-05-01T18:00:00Z') / 1000;
    await analyzeWithAthena({ ...deps(fake.port, s3), onEstimate: (estimate) => (objects = estimate.objects) }, { ...request, since, until });
    expect(objects).toBe(1);
    expect(fake.started[2].sql).toContain("dt >= '2026/05/01' AND dt <= '2026/05/01'");
    expect(fake.started[2].sql).toContain(`coalesce("end", "start") >= ${since}`);
  });
  test('a header line names the columns and is skipped; headerless text (--log-format) skips no line, in a table of its own', async () => {
    const withHeader = fakeAthena();
    await analyzeWithAthena(deps(withHeader.port), request);
    const headerDdl = withHeader.started[1].sql;
    expect(headerDdl).toContain("'skip.header.line.count'='1'");
    expect(headerDdl).toContain('`tcp_flags` int');

    const headerless = fakeAthena();
    const s3 = fakeS3([{ key: `${BASE}2026/05/01/x.log.gz`, size: 5_000 }], '2 1 eni-1 10.0.0.1 10.0.0.2 40000 443 6 1 60 1 2 ACCEPT OK 2\n');
    await analyzeWithAthena(deps(headerless.port, s3), { ...request, format: parseLogFormat(HEADER, 'template') });
    const ddl = headerless.started[1].sql;
    expect(ddl).not.toContain('skip.header.line.count');
    expect(ddl).toContain('`tcp_flags` int');
    const name = (sql: string) => sql.match(/flowdump\.flows_[a-z0-9_]+/)![0];
    expect(name(ddl)).not.toBe(name(headerDdl));
    expect(headerless.started[2].sql).toContain(name(ddl));

    // headerless without --log-format: version 2's columns
    const v2 = fakeAthena();
    await analyzeWithAthena(deps(v2.port, s3), request);
    expect(v2.started[1].sql).not.toContain('skip.header.line.count');
    expect(v2.started[1].sql).not.toContain('tcp_flags');
  });
});
