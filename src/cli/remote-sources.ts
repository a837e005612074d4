import { logsSources, parseAwsSource, parseTimeFlag, s3SourceStream } from '../analyze/aws-sources.js';
import type { Source } from '../analyze/sources.js';
import type { Summary } from '../analyze/summary.js';
import type { AwsContext } from '../aws/clients.js';
import { storeFor, type CaptureDeps } from '../capture/lifecycle.js';
import type { CaptureManifest } from '../capture/manifest.js';
import { readStoredSummary } from '../capture/stored-summary.js';
import { discoverCaptures } from '../capture/sweep.js';
import { UsageError } from '../errors.js';
import { parseLogFormat, type LogFormat } from '../format/template.js';
import { capturePlaces, cliClock, identity, localCache, openAws } from './aws.js';
import type { CliContext } from './context.js';
import type { AwsSourceFlags, ResolvedSources } from './sources.js';

/**
 * Opens S3 prefixes, log groups and capture ids through the AWS ports. A module of its own so
 * that `analyze`/`show` of a local file never loads the AWS SDK: sources.ts imports it on demand.
 * `single` says the capture id is the only source given (then a cleaned capture's stored summary is the answer).
 */
export async function remoteSources(ctx: CliContext, names: readonly string[], flags: AwsSourceFlags, options: { single: boolean }): Promise<ResolvedSources> {
  const aws = await openAws(ctx, flags, 'flowdump-analyze.json');
  const now = cliClock(ctx.io.env).now();
  const window = { startTime: parseTimeFlag(flags.since, '--since', now), endTime: parseTimeFlag(flags.until, '--until', now) };
  const sources: Source[] = [];
  /** S3 prefixes, listed while they are read */
  const streams: AsyncIterable<Source>[] = [];
  let format: LogFormat | undefined;
  let storedSummary: Summary | undefined;
  for (const name of names) {
    const spec = parseAwsSource(name);
    if (spec?.type === 's3') streams.push(s3SourceStream(aws.s3, spec.bucket, spec.prefix));
    else if (spec?.type === 'logs') {
      sources.push(...(await logsSources(aws.logs, spec.group, window)));
      format ??= await flowLogFormat(aws, spec.group);
    } else {
      const capture = await captureSources(ctx, aws, name);
      if (capture.summary && options.single) storedSummary = capture.summary;
      sources.push(...capture.sources);
      format ??= capture.format;
    }
  }
  if (streams.length === 0) return { sources, format, storedSummary };
  const all: AsyncIterable<Source> = {
    async *[Symbol.asyncIterator]() {
      yield* sources;
      for (const stream of streams) yield* stream;
    },
  };
  return { sources: all, format, storedSummary };
}

/** The LogFormat of the flow log delivering to this group, when there is one (DescribeFlowLogs). */
async function flowLogFormat(aws: AwsContext, group: string): Promise<LogFormat | undefined> {
  const flowLogs = await aws.ec2.describeFlowLogs({}).catch(() => []);
  const match = flowLogs.find((flowLog) => flowLog.logGroupName === group && flowLog.logFormat);
  return match?.logFormat ? parseLogFormat(match.logFormat, 'flow-log', `the flow log ${match.id}`) : undefined;
}

/** A capture's data while it is there; its stored summary once it was cleaned. */
/** One capture of this account and region, found as `list` finds it (its own place only), and the deps to read its store. */
export async function findCapture(ctx: CliContext, aws: AwsContext, id: string): Promise<{ manifest: CaptureManifest; deps: Pick<CaptureDeps, 'ec2' | 's3' | 'logs' | 'places'> }> {
  const who = await identity(aws);
  const deps = { ec2: aws.ec2, s3: aws.ownedS3(who.account), logs: aws.logs, places: await capturePlaces(ctx, aws, who) };
  const { captures } = await discoverCaptures(deps, { account: who.account, region: aws.region });
  const manifest = captures.find((candidate) => candidate.id === id)?.manifest;
  if (!manifest) throw new UsageError(`no capture "${id}" in ${aws.region}; see flowdump list --all`, { code: 'no-capture' });
  return { manifest, deps };
}

async function captureSources(ctx: CliContext, aws: AwsContext, id: string): Promise<{ sources: Source[]; format?: LogFormat; summary?: Summary }> {
  const { manifest, deps } = await findCapture(ctx, aws, id);
  const format = manifest.format.template ? parseLogFormat(manifest.format.template, 'flow-log', `capture ${id}`) : undefined;
  if (manifest.state === 'cleaned') {
    const text = (await storeFor(manifest, deps).readSummary()) ?? (await localCache(ctx).readSummary(id));
    if (!text) throw new UsageError(`capture ${id} was cleaned and its summary is gone (the bucket's lifecycle rule expires it after 7 days)`, { code: 'no-summary' });
    return { sources: [], format, summary: readStoredSummary(text) };
  }
  return { sources: await storeFor(manifest, deps).sources(), format };
}
