import { hostname, homedir } from 'node:os';
import { createAwsContext, type AwsContext } from '../aws/clients.js';
import { scaledClock, systemClock, type Clock } from '../capture/clock.js';
import { defaultBucketName } from '../capture/destination.js';
import type { CaptureDeps, CheckpointPhase, Reporter } from '../capture/lifecycle.js';
import { LocalCache, stateDirectory } from '../capture/local-cache.js';
import { UsageError } from '../errors.js';
import { parseDuration } from '../duration.js';
import { loadPriceTable, type PriceTable } from '../cost/pricing.js';
import type { CliContext, CommonOptions } from './context.js';
import { renderSummaryText } from './render/summary-text.js';
import { renderCaptureFacts } from './render/capture.js';
import { paint } from './io.js';

/** Builds the AWS ports once for a command (CONVENTIONS §12). `policy` is named in access-denied messages. */
export async function openAws(ctx: CliContext, flags: CommonOptions, policy: string): Promise<AwsContext> {
  return createAwsContext({ profile: flags.profile, region: flags.region, env: ctx.io.env, policy });
}

export interface Identity {
  account: string;
  arn: string;
  defaultBucket: string;
}

export async function identity(aws: AwsContext): Promise<Identity> {
  const who = await aws.sts.getCallerIdentity();
  return { account: who.account, arn: who.arn, defaultBucket: defaultBucketName(who.account, aws.region) };
}

/**
 * The clock, with the test-only hooks (docs/testing.md): FLOWDUMP_TEST_TIME_OFFSET shifts it by
 * that many seconds, FLOWDUMP_TEST_TIME_SCALE runs it N times faster. Never set them for real use.
 */
export function cliClock(env: Readonly<Record<string, string | undefined>>): Clock {
  const offset = Number(env.FLOWDUMP_TEST_TIME_OFFSET ?? 0);
  const scale = Number(env.FLOWDUMP_TEST_TIME_SCALE ?? 1);
  if (!Number.isFinite(offset) || !Number.isFinite(scale) || scale <= 0) throw new UsageError('FLOWDUMP_TEST_TIME_OFFSET/FLOWDUMP_TEST_TIME_SCALE must be numbers (they are test hooks)');
  return offset === 0 && scale === 1 ? systemClock : scaledClock(offset * 1000, scale);
}

/** Test-only hook FLOWDUMP_TEST_HOLD_AT=<phase>: the process stops there until killed (the kill tests). */
function holdAt(ctx: CliContext): ((phase: CheckpointPhase) => Promise<void>) | undefined {
  const phase = ctx.io.env.FLOWDUMP_TEST_HOLD_AT;
  if (!phase) return undefined;
  return async (reached) => {
    if (reached !== phase) return;
    ctx.io.stderr.write(`FLOWDUMP_TEST_HOLD_AT: holding at ${phase}\n`);
    await new Promise(() => setInterval(() => undefined, 1 << 30));
  };
}

export function localCache(ctx: CliContext): LocalCache {
  return new LocalCache(stateDirectory(ctx.io.env, ctx.io.env.HOME || homedir()));
}

export function settleTimeoutMs(text: string | undefined): number {
  return parseDuration(text ?? '15m', '--settle-timeout', { allowZero: true });
}

/** Everything the capture actions need, built once (CONVENTIONS §4). */
export function captureDeps(ctx: CliContext, aws: AwsContext, reporter: Reporter, options: { prices?: PriceTable; clock?: Clock } = {}): CaptureDeps {
  const plain = paint(false);
  return {
    ec2: aws.ec2,
    s3: aws.s3,
    logs: aws.logs,
    clock: options.clock ?? cliClock(ctx.io.env),
    reporter,
    prices: options.prices ?? loadPriceTable(),
    metrics: aws.metrics,
    renderText: (summary, capture) => renderSummaryText(summary, { paint: plain, top: 10 }) + (capture ? renderCaptureFacts(capture, plain) : ''),
    cache: localCache(ctx),
    checkpoint: holdAt(ctx),
    owner: `${hostname()}:${process.pid}`,
  };
}
