import { hostname, homedir } from 'node:os';
import type { AwsContext } from '../aws/clients.js';
import type { SchedulerPort } from '../aws/scheduler.js';
import { scaledClock, systemClock, type Clock } from '../capture/clock.js';
import { defaultBucketName, partitionOfArn } from '../capture/destination.js';
import type { Places } from '../capture/places.js';
import type { Summary } from '../analyze/summary.js';
import { startCapture, type CaptureDeps, type CheckpointPhase, type Reporter, type SafetyNet } from '../capture/lifecycle.js';
import type { CaptureManifest } from '../capture/manifest.js';
import type { CapturePlan } from '../capture/plan.js';
import { LocalCache, stateDirectory } from '../capture/local-cache.js';
import { AwsAccessError, UsageError } from '../errors.js';
import { createSafetyNet, SAFETY_NET_ROLE_NAME, safetyNetRoleArn } from '../schedule/safety-net.js';
import { parseDuration } from '../duration.js';
import { loadPriceTable, type PriceTable } from '../cost/pricing.js';
import type { CliContext, CommonOptions } from './context.js';
import { renderSummaryText } from './render/summary-text.js';
import { renderCaptureFacts } from './render/capture.js';
import { paint } from './io.js';

/** Builds the AWS ports once for a command (credentials and region resolved once, at the edge). `policy` is named in access-denied messages. */
export async function openAws(ctx: CliContext, flags: CommonOptions, policy: string): Promise<AwsContext> {
  // loaded here, not at the top: it brings @aws-sdk/core, which `--help` and usage errors never need
  const { createAwsContext } = await import('../aws/clients.js');
  return createAwsContext({ profile: flags.profile, region: flags.region, env: ctx.io.env, policy });
}

export interface Identity {
  account: string;
  arn: string;
  /** from the caller's ARN: `aws`, `aws-cn`, `aws-us-gov` */
  partition: string;
  defaultBucket: string;
}

export async function identity(aws: AwsContext): Promise<Identity> {
  const who = await aws.sts.getCallerIdentity();
  return { account: who.account, arn: who.arn, partition: partitionOfArn(who.arn), defaultBucket: defaultBucketName(who.account, aws.region) };
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

/**
 * EventBridge Scheduler ports, one per region (a safety net lives in its flow log's region).
 * The SDK client is loaded here, on first use, not at startup (like the other clients).
 */
export async function openScheduler(aws: AwsContext): Promise<(region: string) => SchedulerPort> {
  const [{ SchedulerClient }, { AwsSchedulerAdapter }] = await Promise.all([import('@aws-sdk/client-scheduler'), import('../aws/scheduler.js')]);
  const ports = new Map<string, SchedulerPort>();
  return (region) => {
    let port = ports.get(region);
    if (!port) {
      const client = new SchedulerClient({ ...aws.config, region } as never);
      aws.instrument(client);
      ports.set(region, (port = new AwsSchedulerAdapter(client, region)));
    }
    return port;
  };
}

/** The real safety net (src/schedule/safety-net.ts) for captureDeps: arms in start, disarms in stop and sweep. */
export async function openSafetyNet(aws: AwsContext, who: Identity, clock: Clock): Promise<SafetyNet> {
  const schedulerFor = await openScheduler(aws);
  // the role's partition is the caller's own (from its ARN), as every other ARN flowdump makes
  return createSafetyNet({ schedulerFor, roleArn: safetyNetRoleArn(who.account, who.partition), clock });
}

/**
 * Refuses a capture whose safety net cannot work because `flowdump setup` never made its role
 * (e.g. after `setup --s3-only`) — before anything is created. A caller who may not read IAM
 * roles is let through: CreateSchedule then says what is wrong, and the flow log is rolled back.
 */
export async function checkSafetyNetRole(aws: AwsContext, account: string): Promise<void> {
  let role;
  try {
    role = await aws.iam.getRole(SAFETY_NET_ROLE_NAME);
  } catch (error) {
    if (error instanceof AwsAccessError && error.code === 'access-denied') return;
    throw error;
  }
  if (!role) {
    throw new UsageError(
      `the safety-net role ${SAFETY_NET_ROLE_NAME} does not exist in account ${account}; run flowdump setup once, or pass --no-safety-net to capture without a server-side teardown`,
      { code: 'no-safety-net-role' },
    );
  }
}

/**
 * Where flowdump puts captures in this account and region: its default places, and the
 * destinations this machine recorded when it started captures (docs/security.md).
 */
export async function capturePlaces(ctx: CliContext, aws: AwsContext, who: Identity): Promise<Places> {
  const recorded = await localCache(ctx).known(aws.region);
  return { account: who.account, defaultBucket: who.defaultBucket, recorded: recorded.map((entry) => ({ id: entry.id, location: entry.location })) };
}

/** Everything the capture actions need, built once and passed in (docs/architecture.md). */
export async function captureDeps(
  ctx: CliContext,
  aws: AwsContext,
  who: Identity,
  reporter: Reporter,
  options: { prices?: PriceTable; clock?: Clock; safetyNet?: SafetyNet; explain?: boolean } = {},
): Promise<CaptureDeps> {
  const plain = paint(false);
  return {
    ec2: aws.ec2,
    s3: aws.ownedS3(who.account),
    places: await capturePlaces(ctx, aws, who),
    logs: aws.logs,
    clock: options.clock ?? cliClock(ctx.io.env),
    reporter,
    prices: options.prices ?? loadPriceTable(),
    metrics: aws.metrics,
    renderText: (summary, capture) => renderSummaryText(summary, { paint: plain, top: 10 }) + (capture ? renderCaptureFacts(capture, plain) : ''),
    cache: localCache(ctx),
    checkpoint: holdAt(ctx),
    ...(options.safetyNet ? { safetyNet: options.safetyNet } : {}),
    // the summary says what blocks each failing peer unless --no-explain (the code loads only then)
    ...(options.explain !== false ? { explain: async (summary: Summary) => (await import('./explain.js')).explainWithAws(aws, summary) } : {}),
    owner: `${hostname()}:${process.pid}`,
  };
}

/**
 * Starts a capture after recording its destination on this machine: for a `--destination`
 * capture that record is what later proves the flow log and its data are flowdump's.
 */
export async function startRecordedCapture(ctx: CliContext, plan: CapturePlan, deps: CaptureDeps): Promise<CaptureManifest> {
  await localCache(ctx).remember({ id: plan.id, region: plan.region, location: plan.location });
  const recorded = [...deps.places.recorded, { id: plan.id, location: plan.location }];
  return startCapture(plan, { ...deps, places: { ...deps.places, recorded } });
}
