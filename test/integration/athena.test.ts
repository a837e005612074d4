/**
 * `analyze --engine athena` against moto, which runs no SQL: each StartQueryExecution takes the
 * next queued answer (POST /moto-api/static/athena/query-results), the DDL statements included.
 * The SELECT's answer is what DuckDB gives for the same SQL over the same files, so the summary
 * the CLI prints must be the local analyzer's.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient, GetQueryExecutionCommand, ListQueryExecutionsCommand } from '@aws-sdk/client-athena';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { SUMMARY_COLUMNS } from '../../src/athena/summary-sql.js';
import { comparable, duckdbSummary } from '../helpers/athena-duckdb.js';
import { ACCOUNT, cliEnv, endpoint, keptCaptureWithData, runCli, sdk, INTEGRATION_TIMEOUT } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'incident-capture');

function exampleFiles(dir = EXAMPLE): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? exampleFiles(join(dir, entry.name)) : [join(dir, entry.name)])).sort();
}

async function queueResults(region: string, results: { rows: (string | null)[][]; columns?: readonly string[] }[]): Promise<void> {
  const body = {
    account_id: ACCOUNT,
    region,
    results: results.map((result) => ({
      rows: result.rows.map((row) => ({ Data: row.map((cell) => (cell === null ? {} : { VarCharValue: cell })) })),
      column_info: (result.columns ?? []).map((name) => ({ Name: name, Label: name, Type: 'varchar' })),
    })),
  };
  const answer = await fetch(`${endpoint()}/moto-api/static/athena/query-results`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  expect(answer.status).toBe(201);
}

async function statementsRun(region: string): Promise<string[]> {
  const athena = new AthenaClient({ endpoint: endpoint(), region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  const ids = (await athena.send(new ListQueryExecutionsCommand({}))).QueryExecutionIds ?? [];
  const queries = await Promise.all(ids.map(async (id) => (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution!));
  return queries.sort((a, b) => (a.Status?.SubmissionDateTime?.getTime() ?? 0) - (b.Status?.SubmissionDateTime?.getTime() ?? 0)).map((query) => query.Query ?? '');
}

/** The bundled example under AWSLogs/ in `bucket` (the account's own flowdump bucket made too), as S3 delivers it. */
async function exampleInBucket(region: string, bucket: string) {
  const aws = sdk(region);
  await aws.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }));
  await aws.s3.send(new CreateBucketCommand({ Bucket: `flowdump-${ACCOUNT}-${region}`, CreateBucketConfiguration: { LocationConstraint: region } }));
  const files = exampleFiles();
  for (const file of files) {
    const key = file.slice(EXAMPLE.length + 1).replace('eu-west-1', region);
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(file) }));
  }
  return { aws, files };
}

describe('flowdump analyze --engine athena', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('creates the database and the projected table, runs one SELECT and prints the local analyzer\'s summary with the scan cost; --max-scan-cost and auto (ap-southeast-7)', async () => {
    const region = 'ap-southeast-7';
    const bucket = 'flow-logs-athena-il';
    const { files } = await exampleInBucket(region, bucket);
    const answer = await duckdbSummary(files);
    // Athena's first row of a SELECT is the header; moto sends no column metadata here, so the CLI must tell it by the names
    await queueResults(region, [{ rows: [] }, { rows: [] }, { rows: [[...SUMMARY_COLUMNS], ...answer.rows] }]);
    const env = cliEnv({ region });
    const run = await runCli(['analyze', `s3://${bucket}/AWSLogs/`, '--engine', 'athena', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    const local = JSON.parse((await runCli(['analyze', EXAMPLE, '--json'], env)).stdout);
    expect(comparable(summary)).toEqual(comparable(local));
    expect(summary.engine).toMatchObject({ engine: 'athena', objects: files.length, scannedBytes: expect.any(Number), scanCostUsd: expect.any(Number) });
    expect(summary.malformed.count).toBe(0);
    expect(summary.warnings.join(' ')).toMatch(/malformed/);
    const statements = await statementsRun(region);
    expect(statements).toHaveLength(3);
    expect(statements[0]).toBe('CREATE DATABASE IF NOT EXISTS flowdump');
    expect(statements[1]).toMatch(/^CREATE EXTERNAL TABLE IF NOT EXISTS flowdump\.flows_/);
    expect(statements[1]).toContain(`'storage.location.template'='s3://${bucket}/AWSLogs/${ACCOUNT}/vpcflowlogs/${region}/\${dt}/'`);
    expect(statements[1]).toContain("'projection.dt.format'='yyyy/MM/dd'");
    expect(statements[1]).toContain('`tcp_flags` int');
    expect(statements[1]).toContain('`end` bigint');
    expect(statements[2]).toContain('GROUPING SETS');
    expect(statements[2]).toBe(answer.sql.replace('flowdump.flows', statements[1].match(/flowdump\.flows_[a-z0-9_]+/)![0]));

    // the text output says which engine answered and what the scan cost
    await queueResults(region, [{ rows: [] }, { rows: [] }, { rows: [[...SUMMARY_COLUMNS], ...answer.rows], columns: SUMMARY_COLUMNS }]);
    const text = await runCli(['analyze', `s3://${bucket}/AWSLogs/`, '--engine', 'athena'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(local.headline);
    expect(text.stdout).toMatch(/Athena scanned .* \(\$[0-9.]+\)/);
    expect(text.stderr).toMatch(/18 objects to scan, about \$0\.000050 \(5 USD per TB, 10 MB minimum\)/);

    // --max-scan-cost below the estimate refuses before any statement runs; auto stays local for a small prefix
    const before = (await statementsRun(region)).length;
    const refused = await runCli(['analyze', `s3://${bucket}/AWSLogs/`, '--engine', 'athena', '--max-scan-cost', '0'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/costs about \$0\.\d+, above --max-scan-cost \$0; narrow the prefix/);
    expect(await statementsRun(region)).toHaveLength(before);
    const auto = await runCli(['analyze', `s3://${bucket}/AWSLogs/`, '--engine', 'auto', '--json'], env);
    expect(auto.code).toBe(0);
    expect(JSON.parse(auto.stdout).engine).toBeUndefined();
    expect(JSON.parse(auto.stdout).tcp.connections).toBeGreaterThan(0);
    expect(await statementsRun(region)).toHaveLength(before);
  });

  test('a capture id: its prefix, its format and its window (ap-southeast-6)', async () => {
    const region = 'ap-southeast-6';
    const { aws, env, id, bucket, key } = await keptCaptureWithData(region);
    const dir = mkdtempSync(join(tmpdir(), 'flowdump-athena-capture-'));
    try {
      const file = join(dir, 'data.log.gz');
      writeFileSync(file, await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray());
      const answer = await duckdbSummary([file]);
      await queueResults(region, [{ rows: [] }, { rows: [] }, { rows: [[...SUMMARY_COLUMNS], ...answer.rows] }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const run = await runCli(['analyze', id, '--engine', 'athena', '--json'], env);
    expect(run.code).toBe(0);
    const local = JSON.parse((await runCli(['analyze', id, '--json'], env)).stdout);
    expect(comparable(JSON.parse(run.stdout))).toEqual(comparable(local));
    const statements = await statementsRun(region);
    expect(statements[1]).toContain(`'storage.location.template'='s3://${bucket}/flowdump/${id}/AWSLogs/${ACCOUNT}/vpcflowlogs/${region}/\${dt}/'`);
    // the capture's window prunes the partitions and the records
    expect(statements[2]).toMatch(/dt >= '\d{4}\/\d{2}\/\d{2}' AND dt <= '\d{4}\/\d{2}\/\d{2}'/);
    expect(statements[2]).toMatch(/coalesce\("end", "start"\) >= \d+ AND coalesce\("start", "end"\) <= \d+/);
    await runCli(['stop', id, '--settle-timeout', '0s'], env);
  });
  test('--html writes the report from the summary Athena answered, with no ladders and how to get them, and exits 0 (ap-east-2)', async () => {
    const region = 'ap-east-2';
    const bucket = 'flow-logs-athena-html';
    const { files } = await exampleInBucket(region, bucket);
    const answer = await duckdbSummary(files);
    await queueResults(region, [{ rows: [] }, { rows: [] }, { rows: [[...SUMMARY_COLUMNS], ...answer.rows], columns: SUMMARY_COLUMNS }]);
    const dir = mkdtempSync(join(tmpdir(), 'flowdump-athena-html-'));
    try {
      const out = join(dir, 'report.html');
      const env = cliEnv({ region });
      const source = `s3://${bucket}/AWSLogs/`;
      const run = await runCli(['analyze', source, '--engine', 'athena', '--html', out], env);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(answer.summary.headline);
      expect(run.stderr).toContain(`HTML report written to ${out} (no ladder diagrams with the Athena engine)`);
      const html = readFileSync(out, 'utf8');
      expect(html).toContain(`<p class="headline">${answer.summary.headline}</p>`);
      expect(html).toMatch(/<p class="meta" data-kind="engine">Engine: Athena scanned .* \(\$[0-9.]+\), query [0-9a-f-]+<\/p>/);
      const first = answer.summary.failures[0];
      expect(answer.summary.failuresTotal).toBeGreaterThan(0);
      const failureRows = [...html.matchAll(/<tr data-connection="([^"]+)"/g)].map((match) => match[1]);
      expect(failureRows).toEqual(answer.summary.failures.map((failure) => failure.id));
      expect(html).not.toContain('class="ladder-figure"');
      expect(html).toContain(`No ladder diagrams: they need each connection&#39;s records, and the Athena engine answers only the summary; to draw them, analyze those connections with the local engine and a filter (flowdump analyze ${source} host ${first.client.address} and port ${first.server.port} --html report.html) or list one&#39;s records with flowdump show ${source} --connection ${first.id}`);
      expect(await statementsRun(region)).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
