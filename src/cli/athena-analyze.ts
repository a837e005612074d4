import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parseAwsSource, parseTimeFlag } from '../analyze/aws-sources.js';
import type { Summary } from '../analyze/summary.js';
import { analyzeWithAthena, estimateScan, formatBytes, formatUsd, type AthenaProgress } from '../athena/run.js';
import { DEFAULT_S3_BASE } from '../capture/destination.js';
import type { AwsContext } from '../aws/clients.js';
import { isCaptureId } from '../capture/ids.js';
import { UsageError } from '../errors.js';
import { parseLogFormat, type LogFormat } from '../format/template.js';
import type { ReportContext } from '../report/context.js';
import { cliClock, identity, openAws } from './aws.js';
import { findCapture } from './remote-sources.js';
import type { CliContext, CommonOptions } from './context.js';

/**
 * `analyze --engine athena|auto`: the analysis of an S3 prefix as one Athena query, or (auto)
 * the local analyzer below AUTO_ATHENA_BYTES. A module of its own, loaded only for these engines.
 */
export type Engine = 'local' | 'athena' | 'auto';

/**
 * `--engine auto` runs Athena from this many bytes of objects under the prefix: about 10 GB of
 * text, which the local analyzer reads in a couple of minutes after downloading it all, and
 * Athena scans for half a cent.
 */
export const AUTO_ATHENA_BYTES = 2 ** 30;

export interface AthenaFlags extends CommonOptions {
  engine?: string;
  workgroup?: string;
  maxScanCost?: string;
  since?: string;
  until?: string;
}

export function parseEngine(text: string | undefined): Engine {
  const engine = text ?? 'local';
  if (engine !== 'local' && engine !== 'athena' && engine !== 'auto') throw new UsageError(`--engine must be local, athena or auto, not "${engine}"`, { code: 'bad-flag' });
  return engine;
}

export function parseMaxScanCost(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const usd = Number(text.replace(/^\$/, ''));
  if (!Number.isFinite(usd) || usd < 0) throw new UsageError(`--max-scan-cost must be an amount in USD such as 0.50, not "${text}"`, { code: 'bad-flag' });
  return usd;
}

/**
 * The summary from Athena, or undefined when the local analyzer should run (auto below the
 * threshold, or sources that are not one S3 prefix). Says which engine and why on stderr.
 */
export async function athenaSummary(ctx: CliContext, sources: readonly string[], flags: AthenaFlags, explicitFormat: LogFormat | undefined, maxPeers: number): Promise<Summary | undefined> {
  const engine = parseEngine(flags.engine);
  let format = explicitFormat;
  const maxScanCostUsd = parseMaxScanCost(flags.maxScanCost);
  const captureId = sources.length === 1 && isCaptureId(sources[0]) && !existsSync(sources[0]) ? sources[0] : undefined;
  let spec = sources.length === 1 ? parseAwsSource(sources[0]) : undefined;
  const note = (text: string) => {
    if (!flags.json) ctx.io.stderr.write(`${ctx.paintErr.dim(text)}\n`);
  };
  if (spec?.type !== 's3' && !captureId) {
    if (engine === 'athena') throw new UsageError(`--engine athena reads one S3 prefix (s3://bucket/prefix) or one capture id, not ${sources.join(' ')}`, { code: 'bad-source' });
    return undefined;
  }
  const aws = await openAws(ctx, flags, 'flowdump-athena.json');
  const now = cliClock(ctx.io.env).now();
  const window = { since: seconds(parseTimeFlag(flags.since, '--since', now)), until: seconds(parseTimeFlag(flags.until, '--until', now)) };
  if (captureId) {
    // a capture's data: its prefix in its bucket, its format, its window
    const capture = await captureLocation(ctx, aws, captureId);
    if (!capture) {
      if (engine === 'athena') throw new UsageError(`capture ${captureId} has no data in S3 to query (it delivered to CloudWatch Logs, or it was cleaned); analyze it with --engine local`, { code: 'bad-source' });
      return undefined;
    }
    spec = { type: 's3', bucket: capture.bucket, prefix: capture.prefix };
    format ??= capture.format;
    window.since ??= capture.since;
    window.until ??= capture.until;
  }
  if (spec?.type !== 's3') return undefined;
  if (engine === 'auto') {
    const estimate = await estimateScan(aws.s3, { bucket: spec.bucket, prefix: spec.prefix, ...window });
    if (estimate.bytes < AUTO_ATHENA_BYTES) {
      if (flags.since !== undefined || flags.until !== undefined) throw new UsageError('--since/--until apply to logs:/group sources and to --engine athena only', { code: 'bad-flag' });
      note(`engine: local (${formatBytes(estimate.bytes)} in ${estimate.objects} objects, below the ${formatBytes(AUTO_ATHENA_BYTES)} at which auto uses Athena)`);
      return undefined;
    }
    note(`engine: athena (${formatBytes(estimate.bytes)} in ${estimate.objects} objects, ${formatBytes(AUTO_ATHENA_BYTES)} or more)`);
  }
  const who = await identity(aws);
  const { AthenaClient } = await import('@aws-sdk/client-athena');
  const { createAthenaPort } = await import('../aws/athena.js');
  const athena = createAthenaPort(new AthenaClient(aws.config as never), aws.scope);
  const controller = new AbortController();
  const unsubscribe = ctx.io.onSignal?.(() => controller.abort());
  let lastState = '';
  try {
    return await analyzeWithAthena(
      {
        athena,
        s3: aws.s3,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        signal: controller.signal,
        onEstimate: (estimate) => note(`Athena: ${formatBytes(estimate.bytes)} in ${estimate.objects} objects to scan, about ${formatUsd(estimate.usd)} (5 USD per TB, 10 MB minimum)`),
        onProgress: (progress: AthenaProgress) => {
          const line = `${progress.step}: ${progress.state}`;
          if (line === lastState && progress.state !== 'RUNNING') return;
          lastState = line;
          note(`Athena ${line}, ${formatBytes(progress.scannedBytes)} scanned, ${(progress.elapsedMs / 1000).toFixed(1)} s`);
        },
      },
      {
        bucket: spec.bucket,
        prefix: spec.prefix,
        format,
        ...window,
        workgroup: flags.workgroup ?? 'primary',
        maxScanCostUsd,
        // under the prefix the bucket's lifecycle rule expires (flowdump setup)
        defaultResults: `s3://${who.defaultBucket}/${DEFAULT_S3_BASE}/athena-results/`,
        maxPeers,
        runId: randomBytes(8).toString('hex'),
      },
    );
  } finally {
    unsubscribe?.();
  }
}

/** Where a capture's S3 data is (the prefix its flow logs deliver to), its format and its window; undefined for CloudWatch Logs or a cleaned capture. */
async function captureLocation(ctx: CliContext, aws: AwsContext, id: string): Promise<{ bucket: string; prefix: string; format: LogFormat; since: number; until: number } | undefined> {
  const { manifest } = await findCapture(ctx, aws, id);
  if (manifest.destination.type !== 's3' || manifest.state === 'cleaned') return undefined;
  const since = Date.parse(manifest.createdAt) / 1000;
  const until = Date.parse(manifest.stoppedAt ?? manifest.expiresAt) / 1000;
  return {
    bucket: manifest.destination.bucket,
    prefix: `${manifest.destination.prefix}AWSLogs/`,
    format: parseLogFormat(manifest.format.template, 'flow-log', `capture ${id}`),
    since: Math.floor(since) - manifest.aggregationSeconds,
    until: Math.ceil(until) + manifest.aggregationSeconds,
  };
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.floor(ms / 1000);
}

/** The line the text and Markdown outputs end with: which engine answered and what its scan cost. */
export function engineLine(summary: Summary): string {
  const engine = (summary as Summary & { engine?: { scannedBytes: number; scanCostUsd: number; queryExecutionId?: string } }).engine;
  if (!engine) return '';
  return `Athena scanned ${formatBytes(engine.scannedBytes)} (${formatUsd(engine.scanCostUsd)})${engine.queryExecutionId ? `, query ${engine.queryExecutionId}` : ''}`;
}

/**
 * What the HTML report shows around an Athena summary: the engine line in its header, and in
 * place of the ladders (which need the records, and Athena answers none) how to draw them.
 */
export function athenaReportContext(summary: Summary, inputs: readonly string[], context: ReportContext = {}): ReportContext {
  const source = inputs.length === 1 ? inputs[0] : '<source>';
  const first = summary.failures[0];
  const show = `flowdump show ${source} --connection ${first?.id ?? '<id>'}`;
  const filter = first ? `host ${first.client.address} and port ${first.server.port}` : "'<filter>'";
  return {
    ...context,
    inputs: [...inputs],
    engine: engineLine(summary),
    laddersUnavailable: `they need each connection's records, and the Athena engine answers only the summary; to draw them, analyze those connections with the local engine and a filter (flowdump analyze ${source} ${filter} --html report.html) or list one's records with ${show}, on a prefix as narrow as one day's folder to download less`,
  };
}
