/**
 * The Athena SELECT against the local analyzer on a generated capture (bench/generate.mjs: NAT
 * hops, IPv6, retried SYNs, a SKIPDATA window, NODATA): 200,000 records here; `npm run bench`
 * runs it with FLOWDUMP_ATHENA_RECORDS=1000000.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
// @ts-expect-error: the generator is a plain .mjs script of the bench
import { generateFlowLog } from '../../bench/generate.mjs';
import { analyzeSources } from '../../src/analyze/run.js';
import { fileSource } from '../../src/analyze/sources.js';
import { comparable, duckdbSummary } from '../helpers/athena-duckdb.js';

const RECORDS = Number(process.env.FLOWDUMP_ATHENA_RECORDS ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'flowdump-athena-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test(`a generated capture of ${RECORDS.toLocaleString('en-US')} records: the same summary from both engines`, { timeout: 900_000 }, async () => {
  const file = join(dir, 'flows.log.gz');
  const truth = await generateFlowLog(file, { records: RECORDS, recordsPerConnection: 5 });
  let started = performance.now();
  const local = (await analyzeSources([fileSource(file)])).summary;
  const localSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const athena = (await duckdbSummary([file])).summary;
  const duckSeconds = (performance.now() - started) / 1000;
  expect(local.tcp.connections).toBe(truth.tcp.connections);
  // every count, class, peer, minute and listed failure, retried SYNs included (the generator
  // draws a SYN's packet count per interface, so many connections show a retry on one of their
  // two interfaces only)
  expect(comparable(athena)).toEqual(comparable(local));
  expect(local.tcp.retriedSyn).toBeGreaterThan(0);
  console.log(`${RECORDS} records, ${local.tcp.connections} connections: local ${localSeconds.toFixed(1)} s, DuckDB (load + SELECT) ${duckSeconds.toFixed(1)} s; tcp ${JSON.stringify(athena.tcp)}; failures listed ${local.failures.length}`);
});
