import { parseAwsSource } from '../analyze/aws-sources.js';
import type { AwsContext } from '../aws/clients.js';
import { DeliveryFeed, type FeedPlace } from '../capture/deliveries.js';
import { isCaptureId } from '../capture/ids.js';
import { storeFor } from '../capture/lifecycle.js';
import { captureFeedPlace } from '../capture/live.js';
import { stateAtLeast, type CaptureManifest } from '../capture/manifest.js';
import { discoverCaptures } from '../capture/sweep.js';
import { ExitCode, UsageError } from '../errors.js';
import type { RecordPredicate } from '../filter/compile.js';
import { parseLogFormat, type LogFormat } from '../format/template.js';
import { finishedWhen, followRecords, type FinishedCheck } from '../show/follow.js';
import { capturePlaces, cliClock, identity, openAws } from './aws.js';
import type { CliContext } from './context.js';
import type { OutStream } from './io.js';
import { recordJson, renderRecordLine, TimeFormat } from './render/record-line.js';

export interface FollowFlags {
  t: number;
  count?: number;
  json?: boolean;
  format?: LogFormat;
  profile?: string;
  region?: string;
}

interface Followed {
  feed: DeliveryFeed;
  finished: FinishedCheck;
  format?: LogFormat;
}

/** `flowdump show --follow <capture-id | s3://… | logs:/…> [expression]`: records as they are delivered. */
export async function runFollow(ctx: CliContext, source: string, filter: RecordPredicate | undefined, flags: FollowFlags): Promise<void> {
  if (!parseAwsSource(source) && !isCaptureId(source)) {
    throw new UsageError(`--follow reads a running capture: give a capture id, s3://bucket/prefix or logs:/group, not "${source}"`, { code: 'bad-source' });
  }
  const aws = await openAws(ctx, flags, 'flowdump-analyze.json');
  const clock = cliClock(ctx.io.env);
  const followed = await openFollowed(ctx, aws, source, clock);
  const stop = new AbortController();
  const unsubscribe = ctx.io.onSignal?.(() => stop.abort());
  const time = new TimeFormat(flags.t);
  const out = ctx.io.stdout;
  try {
    const result = await followRecords(followed.feed, followed.finished, clock, {
      format: flags.format ?? followed.format,
      explicitFormat: flags.format !== undefined,
      filter,
      limit: flags.count,
      withConnection: flags.json === true,
      signal: stop.signal,
      render: (r, view) => (flags.json ? recordJson(r, view.toRecord(), false) : renderRecordLine(r, ctx.paint)),
      write: (lines) => {
        let text = '';
        for (const line of lines) text += flags.json ? `${line.text}\n` : `${time.prefix(line.start)}${line.text}\n`;
        return writeOut(out, text);
      },
      // a delivery that cannot be read is said at once; the following goes on
      onProblem: (problem) => ctx.io.stderr.write(`${ctx.paintErr.red('flowdump:')} ${problem.message}\n`),
    });
    const warn = ctx.paintErr.yellow('flowdump: warning:');
    for (const warning of result.warnings) ctx.io.stderr.write(`${warn} ${warning}\n`);
    if (result.malformed.count > 0) {
      const example = result.malformed.examples[0];
      ctx.io.stderr.write(`${warn} ${result.malformed.count} malformed line${result.malformed.count === 1 ? '' : 's'} skipped${example ? `, e.g. ${example.source}:${example.line}: ${example.message}` : ''}\n`);
    }
    if (result.problems.length > 0) ctx.exitCode = ExitCode.input;
  } finally {
    unsubscribe?.();
  }
}

async function openFollowed(ctx: CliContext, aws: AwsContext, source: string, clock: ReturnType<typeof cliClock>): Promise<Followed> {
  const spec = parseAwsSource(source);
  if (spec) {
    const place: FeedPlace = spec.type === 's3' ? { type: 's3', bucket: spec.bucket, prefix: spec.prefix } : { type: 'logs', group: spec.group };
    const format = spec.type === 'logs' ? await flowLogFormat(aws, spec.group) : undefined;
    return { feed: new DeliveryFeed(place, { s3: aws.s3, logs: aws.logs }), finished: finishedWhen(place, { ec2: aws.ec2, clock }), format };
  }
  const who = await identity(aws);
  const deps = { ec2: aws.ec2, s3: aws.ownedS3(who.account), logs: aws.logs, places: await capturePlaces(ctx, aws, who) };
  const { captures } = await discoverCaptures(deps, { account: who.account, region: aws.region });
  const manifest = captures.find((candidate) => candidate.id === source)?.manifest;
  if (!manifest) throw new UsageError(`no capture "${source}" in ${aws.region}; see flowdump list --all`, { code: 'no-capture' });
  if (stateAtLeast(manifest.state, 'analyzed')) {
    const data = manifest.state === 'cleaned' ? 'its data is gone; flowdump analyze ' + manifest.id + ' shows its summary' : `flowdump show ${manifest.id} prints its records`;
    throw new UsageError(`capture ${manifest.id} is finished (${manifest.state}): there is nothing more to follow; ${data}`, { code: 'capture-finished' });
  }
  const place = captureFeedPlace(manifest, deps.places);
  const store = storeFor(manifest, deps);
  const readManifest = (): Promise<CaptureManifest | undefined> => store.readManifest();
  return {
    feed: new DeliveryFeed(place, deps, { sinceMs: Date.parse(manifest.createdAt) - 10 * 60_000 }),
    finished: finishedWhen(place, { ec2: aws.ec2, clock }, readManifest),
    format: manifest.format.template ? parseLogFormat(manifest.format.template, 'flow-log', `capture ${manifest.id}`) : undefined,
  };
}

/** The LogFormat of the flow log delivering to this group, when there is one (CloudWatch Logs data has no header). */
async function flowLogFormat(aws: AwsContext, group: string): Promise<LogFormat | undefined> {
  const flowLogs = await aws.ec2.describeFlowLogs({}).catch(() => []);
  const match = flowLogs.find((flowLog) => flowLog.logGroupName === group && flowLog.logFormat);
  return match?.logFormat ? parseLogFormat(match.logFormat, 'flow-log', `the flow log ${match.id}`) : undefined;
}

async function writeOut(stream: OutStream, text: string): Promise<void> {
  if (text === '') return;
  if (stream.write(text) === false && typeof stream.once === 'function') await new Promise<void>((resolve) => stream.once?.('drain', resolve));
}
