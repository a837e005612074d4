import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import type { AthenaPort, QueryStatus } from '../aws/athena.js';
import type { S3Port } from '../aws/s3.js';
import { FlowdumpError, UsageError, UserAbort } from '../errors.js';
import { parseLogFormat, type LogFormat } from '../format/template.js';
import { summaryFromAnswer, type EngineSummary } from './summary-rows.js';
import { SUMMARY_COLUMNS, summarySql } from './summary-sql.js';
import { createDatabaseSql, createTableSql, DATABASE, dateText, locateKey, partitionFilter, tableName, type DataLocation } from './table.js';

/** Athena's price: 5 USD per TB scanned, at least 10 MB a query (https://aws.amazon.com/athena/pricing/). */
export const USD_PER_TB = 5;
export const MIN_BILLED_BYTES = 10 * 1e6;

export function scanCostUsd(bytes: number): number {
  return (Math.max(bytes, MIN_BILLED_BYTES) / 1e12) * USD_PER_TB;
}

export interface AthenaRequest {
  bucket: string;
  prefix: string;
  /** the data's format when it has no header (`--log-format`); a header line in the data wins */
  format?: LogFormat;
  since?: number;
  until?: number;
  workgroup: string;
  /** refuse to run when the estimate is above it */
  maxScanCostUsd?: number;
  /** where results go when the workgroup names no location: s3://flowdump-<account>-<region>/flowdump/athena-results/ */
  defaultResults: string;
  maxPeers?: number;
  /** a run id (idempotency tokens of its statements) */
  runId: string;
}

export interface AthenaProgress {
  step: 'database' | 'table' | 'summary';
  state: QueryStatus['state'];
  scannedBytes: number;
  elapsedMs: number;
}

export interface AthenaDeps {
  athena: AthenaPort;
  s3: S3Port;
  sleep: (ms: number) => Promise<void>;
  onEstimate?: (estimate: ScanEstimate) => void;
  onProgress?: (progress: AthenaProgress) => void;
  /** Ctrl-C: the running query is stopped */
  signal?: AbortSignal;
}

export interface ScanEstimate {
  objects: number;
  bytes: number;
  usd: number;
  location: DataLocation;
}

/** What is under the prefix (and within the window): objects, bytes, the layout. Text is scanned compressed, so the bytes are what Athena reads. */
export async function estimateScan(s3: S3Port, request: Pick<AthenaRequest, 'bucket' | 'prefix' | 'since' | 'until'>): Promise<ScanEstimate & { firstKey: string }> {
  let location: DataLocation | undefined;
  let objects = 0;
  let bytes = 0;
  let firstKey = '';
  for await (const object of s3.listObjects(request.bucket, request.prefix)) {
    if (!/\.(log|log\.gz|gz|parquet|txt)$/i.test(object.key) || object.size === 0) continue;
    const here = locateKey(request.bucket, object.key, request.prefix);
    if (!here) continue;
    location ??= here;
    if (here.base !== location.base || here.layout !== location.layout) continue; // one table reads one layout at one place
    const date = object.key.slice(here.base.length).split('/').slice(0, here.layout.endsWith('hourly') ? 4 : 3).join('/');
    if (request.since !== undefined && date < dateText(here.layout, request.since - 3600)) continue;
    if (request.until !== undefined && date > dateText(here.layout, request.until + 3600)) continue;
    objects++;
    bytes += object.size;
    firstKey ||= object.key;
  }
  if (!location || objects === 0) {
    throw new UsageError(`no flow-log objects in an S3 delivery layout (…/AWSLogs/<account>/vpcflowlogs/<region>/yyyy/mm/dd/…) under s3://${request.bucket}/${request.prefix}${request.since !== undefined || request.until !== undefined ? ' within --since/--until' : ''}; check the prefix`, { code: 'empty-prefix' });
  }
  return { objects, bytes, usd: scanCostUsd(bytes), location, firstKey };
}

/** The fields of the data and whether its objects start with a header line: the first object's first line (text), else the given format. */
async function dataFields(s3: S3Port, bucket: string, key: string, format: LogFormat | undefined): Promise<TextFields> {
  if (/\.parquet$/i.test(key)) {
    if (!format) throw new UsageError(`s3://${bucket}/${key} is Parquet: give its fields with --log-format for the Athena table`, { code: 'bad-format' });
    return { fields: format.fields, header: false };
  }
  let head = '';
  const bytes = s3.getObject(bucket, key);
  const text = /\.gz$/i.test(key) ? Readable.from(bytes).pipe(createGunzip()) : Readable.from(bytes);
  for await (const chunk of text) {
    head += Buffer.from(chunk as Uint8Array).toString('utf8');
    if (head.includes('\n') || head.length > 4096) break;
  }
  text.destroy();
  return textFields(head.split('\n')[0], format, `the header of s3://${bucket}/${key}`);
}

export interface TextFields {
  fields: readonly string[];
  /** the first line is a header: the table skips the first line of every object */
  header: boolean;
}

/**
 * The columns of a text table from its data's first line: a header line names them (and is
 * skipped); a headerless object is all records, in the given format or version 2.
 */
export function textFields(firstLine: string, format: LogFormat | undefined, where = 'the header'): TextFields {
  const first = firstLine.trim();
  if (/^[a-z][a-z0-9-]*( [a-z][a-z0-9-]*)*$/.test(first)) return { fields: parseLogFormat(first, 'header', where).fields, header: true };
  if (format) return { fields: format.fields, header: false };
  return { fields: parseLogFormat('version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status', 'default').fields, header: false };
}

/**
 * Runs the analysis in Athena: the database, the table and the summary SELECT, one statement
 * after the other, each waited for; then reads the answer into a summary. Refuses before any
 * statement when the estimate is above maxScanCostUsd.
 */
export async function analyzeWithAthena(deps: AthenaDeps, request: AthenaRequest): Promise<EngineSummary> {
  const estimate = await estimateScan(deps.s3, request);
  deps.onEstimate?.(estimate);
  if (request.maxScanCostUsd !== undefined && estimate.usd > request.maxScanCostUsd) {
    throw new UsageError(
      `scanning ${formatBytes(estimate.bytes)} under s3://${request.bucket}/${request.prefix} costs about ${formatUsd(estimate.usd)}, above --max-scan-cost ${formatUsd(request.maxScanCostUsd)}; narrow the prefix or the window (--since/--until), or raise the cap`,
      { code: 'over-scan-cost' },
    );
  }
  const { fields, header } = await dataFields(deps.s3, request.bucket, estimate.firstKey, request.format);
  const workgroup = await deps.athena.getWorkGroup(request.workgroup);
  // a workgroup with managed results refuses an OutputLocation; one with its own location (or enforced settings) uses it
  const outputLocation = workgroup.managed || workgroup.outputLocation ? undefined : request.defaultResults;
  const table = `${DATABASE}.${tableName(estimate.location, fields, header)}`;
  let scanned = 0;
  let lastId = '';
  const statements: [AthenaProgress['step'], string][] = [
    ['database', createDatabaseSql()],
    ['table', createTableSql(estimate.location, fields, { header })],
    [
      'summary',
      summarySql({ table, fields, since: request.since, until: request.until, partitionFilter: partitionFilter(estimate.location, request), maxPeers: request.maxPeers }),
    ],
  ];
  for (const [n, [step, sql]] of statements.entries()) {
    const id = await deps.athena.startQuery({ sql, workgroup: request.workgroup, token: token(request.runId, n), database: step === 'summary' ? DATABASE : undefined, outputLocation });
    const status = await waitFor(deps, id, step);
    scanned += status.scannedBytes;
    lastId = id;
  }
  const rows: (string | null)[][] = [];
  for await (const row of deps.athena.results(lastId, SUMMARY_COLUMNS)) rows.push(row);
  return summaryFromAnswer(rows, {
    fields,
    sources: estimate.objects,
    maxPeers: request.maxPeers,
    engine: { engine: 'athena', scannedBytes: scanned, scanCostUsd: scanCostUsd(scanned), queryExecutionId: lastId, table, objects: estimate.objects },
  });
}

/** ClientRequestToken: 32–128 characters, the same for a retried call of one statement of one run. */
function token(runId: string, statement: number): string {
  return `flowdump-${runId}-${statement}`.padEnd(32, '0').slice(0, 128);
}

async function waitFor(deps: AthenaDeps, id: string, step: AthenaProgress['step']): Promise<QueryStatus> {
  let delay = 250;
  for (;;) {
    if (deps.signal?.aborted) {
      await deps.athena.stopQuery(id).catch(() => undefined);
      throw new UserAbort(`stopped the Athena query ${id}`);
    }
    const status = await deps.athena.getQuery(id);
    deps.onProgress?.({ step, state: status.state, scannedBytes: status.scannedBytes, elapsedMs: status.elapsedMs });
    if (status.state === 'SUCCEEDED') return status;
    if (status.state === 'FAILED' || status.state === 'CANCELLED') {
      throw new FlowdumpError('athena-query-failed', `the Athena ${step === 'summary' ? 'query' : `${step} statement`} ${id} ${status.state === 'FAILED' ? 'failed' : 'was cancelled'}: ${status.reason ?? 'no reason given'}`, { exitCode: 1 });
    }
    await sleepOrAbort(deps, delay);
    delay = Math.min(delay * 2, 2000);
  }
}

async function sleepOrAbort(deps: AthenaDeps, ms: number): Promise<void> {
  if (!deps.signal) return deps.sleep(ms);
  await Promise.race([deps.sleep(ms), new Promise<void>((resolve) => deps.signal!.addEventListener('abort', () => resolve(), { once: true }))]);
}

export function formatUsd(usd: number): string {
  return usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toPrecision(2)}` : `$${usd.toFixed(2)}`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1e12) return `${(bytes / 1e12).toFixed(2)} TB`;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}
