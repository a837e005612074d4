#!/usr/bin/env node
// Writes the binary test fixtures, deterministically (re-run after changing them:
//   node scripts/make-test-fixtures.mjs):
//
// * test/fixtures/gzip/capture.log.gz, truncated.log.gz, corrupt.log.gz: 400 made-up records
//   (handshake preset, header line) as S3 delivers them; the truncated copy ends at 60% of the
//   bytes, the corrupt one has garbage in the middle of its deflate stream.
// * test/fixtures/parquet/handshake.parquet: a tiny made-up capture in the shape S3
// delivers with FileFormat=parquet (columns named like the fields with `_` for `-`, numeric
// columns INT_32/INT_64, missing values null, pages compressed with GZIP — see
// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3.html#flow-logs-s3-path).
// Needs the dev dependency hyparquet-writer (the reader, hyparquet, is a runtime dependency).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'test', 'fixtures', 'parquet', 'handshake.parquet');
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0) / 1000;
const ENI = 'eni-0aaaaaaaaaaaaaaa1';
const C = '10.0.1.10';
const S = '10.0.2.20';

// [srcaddr, srcport, dstaddr, dstport, protocol, tcp_flags, packets, bytes, offset, action, log_status]
const rows = [
  // established and closed: 10.0.1.10:40000 → 10.0.2.20:5432
  [C, 40000, S, 5432, 6, 3, 6, 480, 0, 'ACCEPT', 'OK'],
  [S, 5432, C, 40000, 6, 19, 5, 1500, 0, 'ACCEPT', 'OK'],
  // refused: 10.0.1.10:40001 → 10.0.2.20:6379 answered by RST
  [C, 40001, S, 6379, 6, 2, 1, 60, 60, 'ACCEPT', 'OK'],
  [S, 6379, C, 40001, 6, 4, 1, 40, 60, 'ACCEPT', 'OK'],
  // unanswered, retried: 3 SYN packets to 10.0.2.20:5432
  [C, 40002, S, 5432, 6, 2, 3, 180, 120, 'ACCEPT', 'OK'],
  // UDP
  [C, 48125, '10.0.3.40', 8125, 17, 0, 60, 9000, 120, 'ACCEPT', 'OK'],
  // a NODATA window: every flow column null
  [null, null, null, null, null, null, null, null, 180, null, 'NODATA'],
];

const column = (name, type, pick) => ({ name, type, data: rows.map(pick) });
const big = (value) => (value === null ? null : BigInt(value));
const buffer = parquetWriteBuffer({
  codec: 'GZIP',
  compressors: { GZIP: (bytes) => new Uint8Array(gzipSync(bytes, { level: 9 })) },
  createdBy: 'flowdump test fixture (scripts/make-parquet-fixture.mjs)',
  columnData: [
    column('version', 'INT32', () => 5),
    column('account_id', 'STRING', () => '123456789012'),
    column('interface_id', 'STRING', () => ENI),
    column('srcaddr', 'STRING', (r) => r[0]),
    column('dstaddr', 'STRING', (r) => r[2]),
    column('srcport', 'INT32', (r) => r[1]),
    column('dstport', 'INT32', (r) => r[3]),
    column('protocol', 'INT32', (r) => r[4]),
    column('packets', 'INT64', (r) => big(r[6])),
    column('bytes', 'INT64', (r) => big(r[7])),
    column('start', 'INT64', (r) => BigInt(T0 + r[8])),
    column('end', 'INT64', (r) => BigInt(T0 + r[8] + 10)),
    column('action', 'STRING', (r) => r[9]),
    column('log_status', 'STRING', (r) => r[10]),
    column('tcp_flags', 'INT32', (r) => r[5]),
    column('pkt_srcaddr', 'STRING', (r) => r[0]),
    column('pkt_dstaddr', 'STRING', (r) => r[2]),
  ],
});
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, new Uint8Array(buffer));
console.log(`wrote ${rows.length} rows (${buffer.byteLength} bytes) to ${out}`);

// gzip: 200 connections of 2 records each (established, closed), one minute apart per 20.
const HEADER = 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status';
const lines = [HEADER];
for (let i = 0; i < 200; i++) {
  const start = T0 + Math.floor(i / 20) * 60 + (i % 20);
  const port = 41000 + i;
  lines.push(`5 ${ENI} egress ${C} ${port} ${S} 5432 ${C} ${S} 6 3 6 480 ${start} ${start + 5} ACCEPT OK`);
  lines.push(`5 ${ENI} ingress ${S} 5432 ${C} ${port} ${S} ${C} 6 19 5 1500 ${start} ${start + 5} ACCEPT OK`);
}
const gz = gzipSync(`${lines.join('\n')}\n`, { level: 9 });
const gzipDir = join(root, 'test', 'fixtures', 'gzip');
mkdirSync(gzipDir, { recursive: true });
writeFileSync(join(gzipDir, 'capture.log.gz'), gz);
writeFileSync(join(gzipDir, 'truncated.log.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
const corrupt = Buffer.from(gz);
for (let i = Math.floor(gz.length / 2); i < Math.floor(gz.length / 2) + 64; i++) corrupt[i] = 0xff;
writeFileSync(join(gzipDir, 'corrupt.log.gz'), corrupt);
console.log(`wrote ${lines.length - 1} records (${gz.length} bytes gzip) to ${gzipDir}`);
