/**
 * The Athena SELECT's truth: DuckDB runs the exact SQL text (after the Trino shims) over the
 * files loaded as Athena's text table reads them, and its summary must be the local analyzer's.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { analyzeSources } from '../../src/analyze/run.js';
import { localSources } from '../../src/analyze/sources.js';
import type { Summary } from '../../src/analyze/summary.js';
import { comparable, duckdbSummary } from '../helpers/athena-duckdb.js';

const ROOT = join(import.meta.dirname, '..', '..');

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const out: string[] = [];
  for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.name.startsWith('.')) continue;
    const full = join(path, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(full));
    else if (/\.(log|gz|parquet)$/.test(entry.name)) out.push(full);
  }
  return out;
}

async function local(path: string): Promise<Summary> {
  return (await analyzeSources(await localSources([path]))).summary;
}

const CASES = [
  'examples/incident-capture',
  'test/fixtures/aws-doc/example-accepted-rejected.log',
  'test/fixtures/aws-doc/example-no-data.log',
  'test/fixtures/aws-doc/example-nat.log',
  'test/fixtures/aws-doc/example-traffic-path.log',
  'test/fixtures/derived/refused.log',
  'test/fixtures/derived/reset.log',
  'test/fixtures/gzip/capture.log.gz',
  'test/fixtures/report-small.log',
  'test/fixtures/show/mixed.log',
  'test/fixtures/schedule/window-1.log',
  'test/fixtures/parquet/handshake.parquet',
  'test/fixtures/athena/no-interface.log',
];

describe('the Athena summary SELECT, run in DuckDB, gives the local analyzer\'s summary', { timeout: 120_000 }, () => {
  for (const path of CASES) {
    test(path, async () => {
      const full = join(ROOT, path);
      const [expected, got] = await Promise.all([local(full), duckdbSummary(filesUnder(full))]);
      expect(expected.records.malformed).toBe(0);
      expect(comparable(got.summary)).toEqual(comparable(expected));
    });
  }
});

describe('where Athena reads the data differently, the summary says so', { timeout: 120_000 }, () => {
  test('a line with two spaces in a row (as in AWS\'s TCP-flag example) shifts its fields in Athena; with single spaces both agree', async () => {
    const path = join(ROOT, 'test/fixtures/aws-doc/example-tcp-flag.log');
    const expected = await local(path);
    const athena = (await duckdbSummary([path])).summary;
    // Hive's reader splits on each space: the SYN-ACK + FIN line loses its protocol, and the connection looks unanswered
    expect(athena.records.other).toBe(expected.records.other + 1);
    expect(athena.tcp.unanswered).toBe(expected.tcp.unanswered + 1);
    const dir = mkdtempSync(join(tmpdir(), 'flowdump-single-space-'));
    try {
      const single = join(dir, 'example-tcp-flag.log');
      writeFileSync(single, readFileSync(path, 'utf8').replace(/ {2,}/g, ' '));
      expect(comparable((await duckdbSummary([single])).summary)).toEqual(comparable(await local(single)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a malformed line is a record of protocol "other" in Athena, never a malformed count made up', async () => {
    const path = join(ROOT, 'test/fixtures/aws-doc/example-tgw.log');
    const expected = await local(path);
    expect(expected.records.malformed).toBe(1);
    const athena = (await duckdbSummary([path])).summary;
    expect(athena.records.total).toBe(expected.records.total);
    expect(athena.records.other).toBe(expected.records.other + expected.records.malformed);
    expect(athena.records.malformed).toBe(0);
    expect(athena.warnings.join(' ')).toMatch(/malformed/);
    expect(athena.tcp).toEqual(expected.tcp);
  });
});

describe('more tied peers than the list holds: both engines cut it at the same peer', { timeout: 120_000 }, () => {
  test('by address (code point: 10.0.1.1 before 10.0.1.10, IPv4 before IPv6), then port as a number (1029 before 10000)', async () => {
    // one connection each, no tcp-flags (midstream, the lower port is the server): 84 peers tied on every count
    const lines = ['version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'];
    const servers = [
      ...Array.from({ length: 30 }, (_, i) => ['10.0.1.1', 1000 + i]),
      ...Array.from({ length: 30 }, (_, i) => ['10.0.1.1', 10000 + i]),
      ...Array.from({ length: 12 }, (_, i) => ['10.0.1.10', 1000 + i]),
      ...Array.from({ length: 12 }, (_, i) => ['2001:db8::1', 1000 + i]),
    ] as const;
    servers.forEach(([address, port], i) => lines.push(`2 123456789012 eni-0a1b2c3d4e5f60718 ${address.includes(':') ? '2001:db8::9' : '10.0.0.5'} ${address} ${50000 + i} ${port} 6 1 60 1767607205 1767607205 ACCEPT OK`));
    const dir = mkdtempSync(join(tmpdir(), 'flowdump-tied-peers-'));
    try {
      const file = join(dir, 'tied-peers.log');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const expected = await local(file);
      expect(expected.peersTotal).toBe(servers.length);
      expect(expected.peers).toHaveLength(50);
      // the first 50 of 10.0.1.1:1000…1029, 10.0.1.1:10000…10029, 10.0.1.10:…, [2001:db8::1]:…
      expect(expected.peers.map((peer) => peer.peer)).toEqual(servers.slice(0, 50).map(([address, port]) => `${address}:${port}`));
      expect(comparable((await duckdbSummary([file])).summary)).toEqual(comparable(expected));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a planted bug in the SQL fails the comparison', { timeout: 120_000 }, () => {
  const plants: [string, (sql: string) => string][] = [
    ['a SYN taken for a SYN-ACK', (sql) => sql.replace('CASE WHEN bitwise_and(g0, 18) = 18 THEN 1 ELSE 0 END AS sa0', 'CASE WHEN bitwise_and(g0, 2) = 2 THEN 1 ELSE 0 END AS sa0')],
    ['refused before rejected', (sql) => sql.replace('WHEN rj_sum > 0 AND synack_ok = 0 THEN 3', 'WHEN rj_sum > 100 AND synack_ok = 0 THEN 3')],
    ['no SKIPDATA slack', (sql) => sql.replace('coalesce(nullif(st_min, 0), en_max, 0) - 60', 'coalesce(nullif(st_min, 0), en_max, 0) + 600')],
    ['SYN packets added up across interfaces', (sql) => sql.replace('max(CASE WHEN s0_pk > 1 THEN 1 ELSE 0 END) AS s0_many', 'CASE WHEN sum(s0_pk) > 1 THEN 1 ELSE 0 END AS s0_many').replace('max(CASE WHEN s1_pk > 1 THEN 1 ELSE 0 END) AS s1_many', 'CASE WHEN sum(s1_pk) > 1 THEN 1 ELSE 0 END AS s1_many')],
  ];
  for (const [name, plant] of plants) {
    test(name, async () => {
      const path = join(ROOT, 'examples/incident-capture');
      const expected = await local(path);
      const planted = await duckdbSummary(filesUnder(path), { sql: plant });
      expect(planted.sql).not.toBe((await duckdbSummary(filesUnder(path))).sql);
      expect(comparable(planted.summary)).not.toEqual(comparable(expected));
    });
  }
});

describe('Parquet, as S3 delivers it with FileFormat=parquet', { timeout: 120_000 }, () => {
  test('the bundled example written as Parquet (hyparquet-writer): the same summary from both engines', async () => {
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const { athenaColumns } = await import('../../src/athena/columns.js');
    const { gunzipSync } = await import('node:zlib');
    const lines = filesUnder(join(ROOT, 'examples/incident-capture')).flatMap((file) => gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n'));
    const fields = lines[0].split(' ');
    const records = lines.filter((line) => line !== lines[0]).map((line) => line.split(' '));
    const columns = athenaColumns(fields);
    const buffer = parquetWriteBuffer({
      columnData: columns.map((column, i) => ({
        name: column.name,
        type: column.type === 'string' ? 'STRING' : column.type === 'int' ? 'INT32' : 'INT64',
        data: records.map((record) => (record[i] === '-' ? null : column.type === 'string' ? record[i] : column.type === 'int' ? Number(record[i]) : BigInt(record[i]))),
      })),
    });
    const dir = mkdtempSync(join(tmpdir(), 'flowdump-parquet-'));
    try {
      const file = join(dir, 'capture.parquet');
      writeFileSync(file, Buffer.from(buffer));
      const expected = await local(file);
      expect(expected.tcp.connections).toBe((await local(join(ROOT, 'examples/incident-capture'))).tcp.connections);
      expect(comparable((await duckdbSummary([file])).summary)).toEqual(comparable(expected));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
