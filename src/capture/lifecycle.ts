import { readAhead } from '../analyze/read-ahead.js';
import type { Ec2Port, FlowLogInfo, UnsuccessfulItem } from '../aws/ec2.js';
import type { LogsPort } from '../aws/logs.js';
import type { MetricsPort } from '../aws/metrics.js';
import type { S3Port } from '../aws/s3.js';
import { analyzeSources } from '../analyze/run.js';
import type { Summary } from '../analyze/summary.js';
import type { Explanation } from '../explain/model.js';
import { ExitCode, FlowdumpError } from '../errors.js';
import { parseLogFormat } from '../format/template.js';
import type { Clock } from './clock.js';
import type { ActualCostResult } from '../cost/actual.js';
import type { PriceTable } from '../cost/pricing.js';
import type { CostGuardStop } from './cost-guard.js';
import { priceDelivered, type CaptureEstimate, type DeliveredBytes } from './cost.js';
import { DeliveryMeter, type DeliveryReading } from './meter.js';
import { deliveryRoleArn, describeLocation, LOG_GROUP_RETENTION_DAYS, locationFromFlowLog, s3DestinationArn, type DataLocation } from './destination.js';
import { formatDuration } from '../duration.js';
import { stateAtLeast, type CaptureManifest } from './manifest.js';
import { manifestFromPlan, type CapturePlan } from './plan.js';
import { openStore, type CaptureStore, type DeliveryStatus } from './store.js';
import { isPlaceOf, judgeFlowLog, type Places } from './places.js';
import type { LiveEvent } from './live.js';
import { readCaptureTags, TAG_CAPTURE_ID } from './tags.js';

/** Progress as events: the CLI turns them into a live line, or JSON, or nothing. */
export type CaptureEvent =
  | { type: 'created'; manifest: CaptureManifest; adopted: string[] }
  | {
      type: 'progress';
      id: string;
      timeLeftSeconds: number;
      objects: number;
      bytes: number;
      costSoFar: number;
      /** --max-cost, and what the guard projects the capture to cost by its end */
      maxCostUsd?: number;
      projectedUsd?: number;
    }
  | { type: 'stopping'; id: string; reason: string }
  | { type: 'stopped'; id: string; flowLogIds: string[] }
  | { type: 'disarmed'; id: string }
  | { type: 'settling'; id: string; waitedSeconds: number; leftSeconds: number; objects: number; bytes: number }
  | { type: 'settled'; id: string; complete: boolean; note?: string }
  | { type: 'analyzing'; id: string; sources: number }
  | { type: 'analyzed'; id: string; summaryLocation: string; headline: string }
  | { type: 'cleaned'; id: string; deleted: number }
  | { type: 'kept'; id: string; reason: string; location: string }
  | { type: 'skipped'; id: string; reason: string }
  | { type: 'warning'; id?: string; message: string }
  | LiveEvent;

export interface Reporter {
  event(event: CaptureEvent): void;
}

/**
 * The server-side safety net (EventBridge Scheduler, src/schedule/): armed right after the
 * flow logs exist, disarmed once they are verified deleted. If `arm` throws, `start` rolls the
 * flow logs back and fails: a capture never runs without its dead man's switch when one is configured.
 */
export interface SafetyNet {
  /** resolves with the schedule it made (recorded in the manifest), or nothing */
  arm(capture: CaptureManifest): Promise<{ name: string; groupName: string; fireAt: string } | void>;
  disarm(capture: CaptureManifest): Promise<unknown>;
}

/** What the manifest says of a capture started without a safety net (--no-safety-net). */
export const NO_SAFETY_NET_NOTE =
  'no server-side teardown: started with --no-safety-net, so nothing deletes the flow log if this machine stops before it does — only flowdump stop or flowdump sweep';

/** Where a running process may be stopped by the kill tests (FLOWDUMP_TEST_HOLD_AT); no-op otherwise. */
export type CheckpointPhase = 'created' | 'settling' | 'cleaning';

export interface SummaryCache {
  save(manifest: CaptureManifest, summaryJson: string, summaryText: string): Promise<string>;
}

export interface CaptureDeps {
  ec2: Ec2Port;
  /** bound to the caller's account: every call names it as the bucket's expected owner */
  s3: S3Port;
  /** where flowdump puts captures: the proof that a flow log, prefix or log group is ours */
  places: Places;
  logs: LogsPort;
  clock: Clock;
  reporter: Reporter;
  /** the price table (templates/pricing.json): actual cost, live guard */
  prices: PriceTable;
  /** CloudWatch metrics: AWS/Logs IncomingBytes for the live cost of CloudWatch Logs captures */
  metrics?: MetricsPort;
  /** renders summary.txt (the CLI's text renderer, without colour), with the capture's facts (cost, stop reason) */
  renderText: (summary: Summary, capture?: CaptureSummaryFacts) => string;
  /** the local summary cache (XDG state dir) */
  cache?: SummaryCache;
  /** what in security groups or network ACLs blocks each failing peer (read-only); absent with --no-explain */
  explain?: (summary: Summary) => Promise<Explanation[]>;
  safetyNet?: SafetyNet;
  checkpoint?: (phase: CheckpointPhase, capture: CaptureManifest) => Promise<void>;
  /** who holds a lock: host and process */
  owner: string;
  wallTime?: () => number;
}

const MINUTE = 60_000;

export function storeFor(manifestOrLocation: { destination: DataLocation; id: string }, deps: Pick<CaptureDeps, 's3' | 'logs' | 'wallTime' | 'places'>): CaptureStore {
  return openStore(manifestOrLocation.destination, manifestOrLocation.id, deps);
}

/** The flow logs of one capture: tagged with its id AND delivering to its own place (places.ts). */
export async function captureFlowLogs(ec2: Ec2Port, places: Places, captureId: string, extraIds: string[] = []): Promise<FlowLogInfo[]> {
  const tagged = await ec2.describeFlowLogs({ tagKey: TAG_CAPTURE_ID });
  const byId = extraIds.length > 0 ? await ec2.describeFlowLogs({ ids: extraIds }) : [];
  const seen = new Map<string, FlowLogInfo>();
  for (const flowLog of [...tagged, ...byId]) {
    if (seen.has(flowLog.id) || !isOurs(flowLog, captureId, places)) continue;
    seen.set(flowLog.id, flowLog);
  }
  return [...seen.values()];
}

export function isOurs(flowLog: FlowLogInfo, captureId: string, places: Places): boolean {
  const judged = judgeFlowLog(flowLog, places);
  return judged.ours && judged.id === captureId;
}

function explainFailures(items: UnsuccessfulItem[]): string {
  return items.map((item) => `${item.resourceId}: ${item.code}${item.message ? ` (${item.message.replace(/\.$/, '')})` : ''}`).join('; ');
}

/**
 * CreateFlowLogs for a plan. Idempotent (invariant 3): flow logs this capture already has are
 * adopted, not made twice; the ClientToken is the capture id. Per-resource failures (HTTP 200
 * with Unsuccessful[]) roll back everything made and fail with one line per resource.
 */
export async function startCapture(plan: CapturePlan, deps: CaptureDeps): Promise<CaptureManifest> {
  const { ec2 } = deps;
  const location = plan.location;
  // a flow log is only made where flowdump can later prove it is its own (and so stop and clean it)
  if (!isPlaceOf(plan.id, location, deps.places)) {
    throw new FlowdumpError('not-ours', `${describeLocation(location)} is not a place recorded for capture ${plan.id}; nothing was created`, { exitCode: ExitCode.bug });
  }
  let createdGroup = false;
  if (location.type === 'logs') {
    createdGroup = (await deps.logs.createLogGroup(location.logGroup, plan.tags)) === 'created';
    await deps.logs.putRetentionPolicy(location.logGroup, LOG_GROUP_RETENTION_DAYS);
  }
  const existing = await captureFlowLogs(ec2, deps.places, plan.id);
  const covered = new Set(existing.map((flowLog) => flowLog.resourceId));
  const missing = plan.resourceIds.filter((id) => !covered.has(id));
  let unsuccessful: UnsuccessfulItem[] = [];
  if (missing.length > 0) {
    try {
      const result = await ec2.createFlowLogs({
        resourceType: plan.resourceType,
        resourceIds: missing,
        trafficType: plan.traffic,
        destination:
          location.type === 's3'
            ? { type: 's3', arn: s3DestinationArn(location, plan.partition), fileFormat: plan.fileFormat === 'parquet' ? 'parquet' : 'plain-text' }
            : { type: 'cloud-watch-logs', logGroupName: location.logGroup, roleArn: deliveryRoleArn(plan.account, plan.partition) },
        logFormat: plan.format.template,
        maxAggregationInterval: plan.aggregationSeconds,
        tags: plan.tags,
        // the same token for the same request: a retried create returns the first one's flow logs
        clientToken: missing.length === plan.resourceIds.length ? plan.id : `${plan.id}-${missing.length}`,
      });
      unsuccessful = result.unsuccessful;
    } catch (error) {
      // FlowLogAlreadyExists: an earlier attempt half-succeeded; adopt what it made below
      if (!(error instanceof FlowdumpError && error.code === 'aws-FlowLogAlreadyExists')) {
        await rollBack(plan, deps, createdGroup).catch(() => undefined);
        throw error;
      }
    }
  }
  const flowLogs = await captureFlowLogs(ec2, deps.places, plan.id);
  const stillMissing = plan.resourceIds.filter((id) => !flowLogs.some((flowLog) => flowLog.resourceId === id));
  if (unsuccessful.length > 0 || stillMissing.length > 0) {
    const reasons = unsuccessful.length > 0 ? explainFailures(unsuccessful) : `${stillMissing.join(', ')}: no flow log was created`;
    const rolledBack = await rollBack(plan, deps, createdGroup);
    throw new FlowdumpError('create-failed', `AWS could not create the flow log for ${reasons}; ${rolledBack} — nothing of capture ${plan.id} is left running`, {
      exitCode: ExitCode.awsAccess,
      details: { unsuccessful },
    });
  }
  let manifest = manifestFromPlan(plan, flowLogs.map((flowLog) => flowLog.id));
  if (!deps.safetyNet) {
    manifest = { ...manifest, safetyNet: { armed: false, note: NO_SAFETY_NET_NOTE } };
  } else {
    try {
      const armed = await deps.safetyNet.arm(manifest);
      manifest = { ...manifest, safetyNet: armed ? { armed: true, schedule: `${armed.groupName}/${armed.name}`, fireAt: armed.fireAt } : { armed: true } };
    } catch (error) {
      const rolledBack = await rollBack(plan, deps, createdGroup);
      const reason = (error as Error)?.message ?? String(error);
      throw new FlowdumpError('safety-net-failed', `the teardown safety net could not be armed (${reason}); the flow log was rolled back (${rolledBack}), so nothing is running — fix that and start again`, {
        exitCode: (error as FlowdumpError)?.exitCode ?? ExitCode.awsAccess,
        cause: error,
      });
    }
  }
  await storeFor(manifest, deps).writeManifest(manifest);
  deps.reporter.event({ type: 'created', manifest, adopted: existing.map((flowLog) => flowLog.id) });
  await deps.checkpoint?.('created', manifest);
  return manifest;
}

async function rollBack(plan: CapturePlan, deps: CaptureDeps, createdGroup: boolean): Promise<string> {
  const made = await captureFlowLogs(deps.ec2, deps.places, plan.id);
  if (made.length > 0) await deleteVerified(deps, plan.id, made.map((flowLog) => flowLog.id));
  if (createdGroup && plan.location.type === 'logs') await deps.logs.deleteLogGroup(plan.location.logGroup);
  return made.length > 0 ? `the ${made.length} flow log(s) already made were deleted` : 'no flow log had been made';
}

/** DeleteFlowLogs, then DescribeFlowLogs until none is left; throws `teardown-unverified` (exit 5) otherwise. */
async function deleteVerified(deps: Pick<CaptureDeps, 'ec2' | 'clock'>, captureId: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  let failures: UnsuccessfulItem[] = [];
  let remaining = ids;
  for (let attempt = 1; attempt <= 3 && remaining.length > 0; attempt++) {
    const result = await deps.ec2.deleteFlowLogs(remaining);
    failures = result.unsuccessful.filter((item) => item.code !== 'InvalidFlowLogId.NotFound');
    // deleting is not instant everywhere: ask again what is still there
    remaining = (await deps.ec2.describeFlowLogs({ ids: remaining })).map((flowLog) => flowLog.id);
    if (remaining.length > 0 && attempt < 3) await deps.clock.sleep(2000 * attempt);
  }
  if (remaining.length > 0) {
    const why = failures.length > 0 ? `: ${explainFailures(failures)}` : '';
    throw new FlowdumpError('teardown-unverified', `flow log(s) ${remaining.join(', ')} of capture ${captureId} are still there after deleting them${why}; run flowdump stop ${captureId} again`, {
      exitCode: ExitCode.unverified,
      details: { remaining, failures },
    });
  }
}

/** The manifest further along the lifecycle (the one in hand when they are level: it may carry --keep). */
function laterOf(inHand: CaptureManifest, stored: CaptureManifest | undefined): CaptureManifest {
  return stored && stored.id === inHand.id && stateAtLeast(stored.state, inHand.state) && stored.state !== inHand.state ? stored : inHand;
}

/** Stops the flow logs of a capture and verifies they are gone; moves the manifest to `settling`. */
export async function stopCapture(given: CaptureManifest, deps: CaptureDeps, reason: string): Promise<CaptureManifest> {
  const store = storeFor(given, deps);
  const flowLogs = await captureFlowLogs(deps.ec2, deps.places, given.id, given.flowLogIds);
  // `given` may be stale: a sweep reads every capture first, and another process may have finished
  // this one since. Writing 'stopping' over its 'cleaned' would send it back to settling data that is gone.
  const manifest = laterOf(given, await store.readManifest().catch(() => undefined));
  let current = manifest;
  if (flowLogs.length > 0 || !stateAtLeast(manifest.state, 'settling')) {
    deps.reporter.event({ type: 'stopping', id: manifest.id, reason });
    if (!stateAtLeast(manifest.state, 'stopping')) {
      current = { ...current, state: 'stopping', stopReason: reason };
      await store.writeManifest(current);
    }
    await deleteVerified(deps, manifest.id, flowLogs.map((flowLog) => flowLog.id));
    deps.reporter.event({ type: 'stopped', id: manifest.id, flowLogIds: flowLogs.map((flowLog) => flowLog.id) });
    // a capture started without a net has none to remove (and its user may lack the Scheduler permissions)
    if (deps.safetyNet && current.safetyNet?.armed !== false) {
      await deps.safetyNet.disarm(current).then(
        () => deps.reporter.event({ type: 'disarmed', id: manifest.id }),
        (error: unknown) => {
          deps.reporter.event({ type: 'warning', id: manifest.id, message: `the safety net of ${manifest.id} could not be disarmed (${(error as Error)?.message}); it will find nothing to delete, then delete itself` });
        },
      );
    }
  }
  if (!stateAtLeast(current.state, 'settling')) {
    current = { ...current, state: 'settling', stoppedAt: current.stoppedAt ?? deps.clock.now().toISOString(), stopReason: current.stopReason ?? reason };
    await store.writeManifest(current);
  }
  return current;
}

/** The data is complete once data from the last aggregation window has arrived. */
export function settleReached(manifest: CaptureManifest, delivery: DeliveryStatus): boolean {
  if (!manifest.stoppedAt || delivery.latestDataTime === undefined) return false;
  const stoppedAt = Date.parse(manifest.stoppedAt);
  const window = manifest.aggregationSeconds * 1000;
  // S3 names a file by the start of its 5-minute window (we compare its end); CloudWatch Logs
  // stamps an event with the record's start, up to one window before its end.
  const threshold = manifest.destination.type === 's3' ? stoppedAt - window : stoppedAt - 2 * window;
  return delivery.latestDataTime >= threshold;
}

export interface SettleOptions {
  settleTimeoutMs: number;
  /** false: look once and return 'pending' instead of waiting (sweep --watch) */
  wait: boolean;
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * Waits, with progress, until the last window has been delivered or the settle timeout (counted
 * from the stop) passes. S3 delivers about every 5 minutes, "typically ~10 minutes" late;
 * CloudWatch Logs about 5 minutes: https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html#flow-logs-limitations
 */
export async function settleCapture(manifest: CaptureManifest, deps: CaptureDeps, options: SettleOptions): Promise<{ state: 'complete' | 'incomplete' | 'pending' | 'interrupted'; delivery: DeliveryStatus }> {
  const store = storeFor(manifest, deps);
  const stoppedAt = Date.parse(manifest.stoppedAt ?? deps.clock.now().toISOString());
  const deadline = stoppedAt + options.settleTimeoutMs;
  let checkpointed = false;
  for (;;) {
    const delivery = await store.delivered();
    if (settleReached(manifest, delivery)) return { state: 'complete', delivery };
    const now = deps.clock.now().getTime();
    if (now >= deadline) return { state: 'incomplete', delivery };
    if (!options.wait) return { state: 'pending', delivery };
    if (options.signal?.aborted) return { state: 'interrupted', delivery };
    deps.reporter.event({ type: 'settling', id: manifest.id, waitedSeconds: Math.max(0, (now - stoppedAt) / 1000), leftSeconds: (deadline - now) / 1000, objects: delivery.objects, bytes: delivery.bytes });
    if (!checkpointed) {
      checkpointed = true;
      await deps.checkpoint?.('settling', manifest);
    }
    await deps.clock.sleep(Math.min(options.pollMs ?? 30_000, deadline - now), options.signal);
  }
}

export interface FinishOptions {
  settleTimeoutMs: number;
  /** wait for late data (false in sweep --watch: come back next round) */
  waitForSettle: boolean;
  reason: string;
  /** ends the settle wait early (first Ctrl-C) */
  settleSignal?: AbortSignal;
  /** skip analysis and cleaning: the flow log is still deleted (second Ctrl-C) */
  skipSignal?: AbortSignal;
  pollMs?: number;
}

export interface FinishResult {
  manifest: CaptureManifest;
  summary?: Summary;
  summaryText?: string;
  /** the capture's facts in the summary: estimate beside actual cost, why it stopped */
  facts?: CaptureSummaryFacts;
  /** why the capture was not finished this time (locked by another process, still settling, analysis skipped) */
  deferred?: string;
}

/** stop → settle → analyze → write the summary → clean (docs/capture.md). Safe to run twice, and from two processes at once. */
export async function finishCapture(manifest: CaptureManifest, deps: CaptureDeps, options: FinishOptions): Promise<FinishResult> {
  let current = await stopCapture(manifest, deps, options.reason);
  if (options.skipSignal?.aborted) return deferred(current, deps, 'analysis skipped (second interrupt)');
  const store = storeFor(current, deps);
  const leaseMs = options.settleTimeoutMs + 15 * MINUTE;
  if (!(await store.acquireLock(deps.owner, deps.clock.now(), leaseMs))) {
    deps.reporter.event({ type: 'skipped', id: current.id, reason: 'another flowdump process is finishing it' });
    return { manifest: current, deferred: 'another flowdump process is finishing it' };
  }
  try {
    // re-read under the lock: another process may have moved it on meanwhile
    current = (await store.readManifest()) ?? current;
    if (current.recovered && !current.keep) {
      current = { ...current, keep: true, keptBecause: RECOVERED_KEEP_NOTE };
    }
    let summary: Summary | undefined;
    let summaryText: string | undefined;
    let facts: CaptureSummaryFacts | undefined;
    if (!stateAtLeast(current.state, 'analyzed')) {
      const settle = await settleCapture(current, deps, { settleTimeoutMs: options.settleTimeoutMs, wait: options.waitForSettle, signal: options.settleSignal, pollMs: options.pollMs });
      if (settle.state === 'pending') {
        deps.reporter.event({ type: 'skipped', id: current.id, reason: 'still settling: the last window has not arrived yet' });
        return { manifest: current, deferred: 'still settling' };
      }
      if (options.skipSignal?.aborted) return deferred(current, deps, 'analysis skipped (second interrupt)');
      const complete = settle.state === 'complete';
      const note = complete
        ? undefined
        : settle.state === 'interrupted'
          ? 'the wait for late data was interrupted: data may be incomplete'
          : `data may be incomplete: the last minute had not arrived ${formatDuration(options.settleTimeoutMs)} after the stop (--settle-timeout)`;
      deps.reporter.event({ type: 'settled', id: current.id, complete, note });
      current = { ...current, settledAt: deps.clock.now().toISOString(), settleComplete: complete, delivered: { objects: settle.delivery.objects, bytes: settle.delivery.bytes } };
      const reading = await measureDelivered(current, deps);
      const analyzed = await analyzeCapture(current, store, deps, note, reading);
      current = analyzed.manifest;
      summary = analyzed.summary;
      summaryText = analyzed.text;
      facts = analyzed.facts;
      const readProblems = summary.errors.length;
      current = {
        ...current,
        state: 'analyzed',
        analyzedAt: deps.clock.now().toISOString(),
        summary: {
          headline: summary.headline,
          records: summary.records.total,
          connections: summary.tcp.connections,
          failures: summary.tcp.refused + summary.tcp.unanswered + summary.tcp.rejected,
        },
        ...(readProblems > 0 && !current.keep ? { keep: true, keptBecause: `${readProblems} source(s) could not be read to the end; the data is kept so nothing is lost` } : {}),
      };
      await store.writeManifest(current);
      deps.reporter.event({ type: 'analyzed', id: current.id, summaryLocation: analyzed.location, headline: summary.headline });
    }
    if (current.state === 'analyzed') {
      if (current.keep) {
        deps.reporter.event({ type: 'kept', id: current.id, reason: current.keptBecause ?? '--keep', location: describeLocation(current.destination) });
      } else {
        current = await cleanCapture(current, store, deps);
      }
    }
    return { manifest: current, summary, summaryText, ...(facts ? { facts } : {}) };
  } finally {
    await store.releaseLock(deps.owner).catch(() => undefined);
  }
}

/** Why a capture whose manifest was rebuilt from tags keeps its data (docs/security.md). */
export const RECOVERED_KEEP_NOTE =
  'its manifest was rebuilt from the flow log\'s tags (the process that started it stopped before writing one), and flowdump deletes data only under a manifest written at the start; the data expires with the bucket\'s lifecycle rule or the log group\'s retention';

function deferred(manifest: CaptureManifest, deps: CaptureDeps, why: string): FinishResult {
  deps.reporter.event({ type: 'skipped', id: manifest.id, reason: `${why}; the data stays at ${describeLocation(manifest.destination)} until flowdump sweep summarizes and cleans it` });
  return { manifest, deferred: why };
}

/** The live measurement of what was delivered (for its object counts and, for Parquet, the only size there is); a failure is a warning. */
async function measureDelivered(manifest: CaptureManifest, deps: CaptureDeps): Promise<DeliveryReading | undefined> {
  try {
    return await new DeliveryMeter(manifest, deps).read();
  } catch (error) {
    deps.reporter.event({ type: 'warning', id: manifest.id, message: `could not measure what capture ${manifest.id} delivered (${(error as Error)?.message}); its actual cost counts what the analysis read` });
    return undefined;
  }
}

async function analyzeCapture(
  manifest: CaptureManifest,
  store: CaptureStore,
  deps: CaptureDeps,
  note: string | undefined,
  reading: DeliveryReading | undefined,
): Promise<{ summary: Summary; text: string; location: string; manifest: CaptureManifest; facts: CaptureSummaryFacts }> {
  const sources = await store.sources();
  deps.reporter.event({ type: 'analyzing', id: manifest.id, sources: sources.length });
  const format = parseLogFormat(manifest.format.template, 'flow-log', `the format of capture ${manifest.id}`);
  let textBytes = 0;
  // several objects downloading at once: each S3 GET waits tens of ms for its first byte
  const { summary } = await analyzeSources(readAhead(sources), { format, onText: (bytes) => (textBytes += bytes) });
  if (note) summary.warnings.unshift(note);
  if (sources.length === 0) summary.warnings.unshift(`no flow-log data arrived for capture ${manifest.id} (an idle target, or delivery is late)`);
  const delivered = deliveredOf(manifest, reading, textBytes, summary.errors.length === 0);
  let cost: ActualCostResult | undefined;
  try {
    cost = priceDelivered(manifest, delivered, deps.prices);
  } catch (error) {
    deps.reporter.event({ type: 'warning', id: manifest.id, message: `could not price capture ${manifest.id} (${(error as Error)?.message})` });
  }
  const priced: CaptureManifest = {
    ...manifest,
    delivered: { objects: delivered.objects, bytes: delivered.storedBytes, uncompressedBytes: delivered.uncompressedBytes, measuredBy: delivered.measuredBy },
    ...(cost ? { actualUsd: cost.usd } : {}),
  };
  if (priced.costGuard) summary.warnings.unshift(`stopped early by --max-cost $${priced.costGuard.maxCostUsd}: ${priced.costGuard.reason}`);
  if (deps.explain) {
    summary.explanations = await deps.explain(summary).catch((error: unknown) => {
      deps.reporter.event({ type: 'warning', id: manifest.id, message: `could not explain the failures of capture ${manifest.id} (${(error as Error)?.message})` });
      return undefined;
    });
  }
  const facts = captureFacts(priced, cost);
  const text = deps.renderText(summary, facts);
  const json = `${JSON.stringify({ ...summary, capture: facts }, null, 2)}\n`;
  // invariant 4: the summary is written (beside the data, then locally) before anything is deleted
  const location = await store.writeSummary(json, text);
  if (deps.cache) await deps.cache.save(priced, json, text);
  return { summary, text, location, manifest: priced, facts };
}

/**
 * The bytes the actual cost is priced on. Text records: the record text the analysis just read,
 * decompressed — exact, as long as every source was read to its end. Parquet (whose text is
 * not what was delivered) and sources that could not be read fall back to the live measurement.
 */
function deliveredOf(manifest: CaptureManifest, reading: DeliveryReading | undefined, textBytes: number, readAll: boolean): DeliveredBytes {
  const objects = reading?.objects ?? manifest.delivered?.objects ?? 0;
  const storedBytes = reading?.storedBytes ?? manifest.delivered?.bytes ?? 0;
  if (manifest.fileFormat !== 'parquet' && readAll) {
    return { objects, storedBytes, uncompressedBytes: textBytes, measuredBy: 'the record text the analysis read (decompressed)' };
  }
  const measured = reading?.uncompressedBytes ?? 0;
  return measured >= textBytes
    ? { objects, storedBytes, uncompressedBytes: measured, measuredBy: reading?.measuredBy ?? 'nothing could be measured' }
    : { objects, storedBytes, uncompressedBytes: textBytes, measuredBy: 'the record text the analysis could read (decompressed; some sources were cut short)' };
}

/** What a capture's summary says about the capture itself (summary.json `capture`, summary.txt). */
export interface CaptureSummaryFacts {
  id: string;
  target: string;
  region: string;
  createdAt: string;
  stoppedAt?: string;
  stopReason?: string;
  settleComplete?: boolean;
  delivered?: CaptureManifest['delivered'];
  estimate?: CaptureEstimate;
  estimateError?: string;
  /** the estimate's range in USD (as the HTML report's capture facts name it) */
  estimateUsd?: { low: number; high: number };
  /** what the capture cost, in USD */
  actualUsd?: number;
  actualCost?: { usd: number; deliveredBytes: number; measuredBy?: string; priceSource: string; items: ActualCostResult['items']; assumptions: string[] };
  maxCostUsd?: number;
  /** set when --max-cost stopped the capture */
  costGuard?: CostGuardStop;
}

function captureFacts(manifest: CaptureManifest, cost: ActualCostResult | undefined): CaptureSummaryFacts {
  return {
    id: manifest.id,
    target: manifest.target.label,
    region: manifest.region,
    createdAt: manifest.createdAt,
    stoppedAt: manifest.stoppedAt,
    ...(manifest.stopReason ? { stopReason: manifest.stopReason } : {}),
    settleComplete: manifest.settleComplete,
    delivered: manifest.delivered,
    ...(manifest.estimate ? { estimate: manifest.estimate, estimateUsd: { low: manifest.estimate.low, high: manifest.estimate.high } } : {}),
    ...(manifest.estimateError ? { estimateError: manifest.estimateError } : {}),
    ...(cost
      ? {
          actualUsd: cost.usd,
          actualCost: { usd: cost.usd, deliveredBytes: cost.deliveredBytes, measuredBy: manifest.delivered?.measuredBy, priceSource: cost.priceSource, items: cost.items, assumptions: cost.assumptions },
        }
      : {}),
    ...(manifest.maxCostUsd !== undefined ? { maxCostUsd: manifest.maxCostUsd } : {}),
    ...(manifest.costGuard ? { costGuard: manifest.costGuard } : {}),
  };
}

/** Deletes the capture's data; refuses unless a summary of it has been written (invariant 4). */
export async function cleanCapture(manifest: CaptureManifest, store: CaptureStore, deps: CaptureDeps): Promise<CaptureManifest> {
  if (!stateAtLeast(manifest.state, 'analyzed') || (await store.readSummary()) === undefined) {
    throw new FlowdumpError('no-summary', `refusing to delete the data of capture ${manifest.id}: no summary of it has been written yet; run flowdump sweep to analyze it first`, { exitCode: 1 });
  }
  await deps.checkpoint?.('cleaning', manifest);
  const { deleted, remaining } = await store.deleteData();
  if (remaining > 0) {
    throw new FlowdumpError('clean-unverified', `${remaining} object(s) of capture ${manifest.id} are still at ${describeLocation(manifest.destination)} after deleting them; run flowdump sweep again`, {
      exitCode: ExitCode.unverified,
    });
  }
  const cleaned: CaptureManifest = { ...manifest, state: 'cleaned', cleanedAt: deps.clock.now().toISOString() };
  await store.writeManifest(cleaned);
  deps.reporter.event({ type: 'cleaned', id: manifest.id, deleted });
  return cleaned;
}

/** Rebuilds a manifest from a flow log's tags, for a capture whose process died before writing one. */
export function recoverManifest(captureId: string, flowLogs: FlowLogInfo[], account: string, region: string): CaptureManifest | undefined {
  const first = flowLogs[0];
  const location = first ? locationFromFlowLog(first) : undefined;
  if (!first || !location) return undefined;
  const tags = readCaptureTags(first.tags);
  const created = first.createdAt ?? new Date(0);
  const expires = tags?.expiresAt ?? created;
  return {
    schema: 'flowdump.capture/v1',
    id: captureId,
    account,
    region,
    createdBy: tags?.createdBy ?? 'unknown',
    target: {
      kind: 'eni',
      value: first.resourceId,
      label: flowLogs.map((flowLog) => flowLog.resourceId).join(', '),
      resourceType: first.resourceId.startsWith('vpc-') ? 'VPC' : first.resourceId.startsWith('subnet-') ? 'Subnet' : 'NetworkInterface',
      resourceIds: flowLogs.map((flowLog) => flowLog.resourceId),
      enis: flowLogs.map((flowLog) => flowLog.resourceId).filter((id) => id.startsWith('eni-')),
    },
    format: { template: first.logFormat ?? '', bytesPerRecord: 0 },
    fileFormat: 'text',
    traffic: (first.trafficType as 'ALL') ?? 'ALL',
    aggregationSeconds: first.maxAggregationInterval === 600 ? 600 : 60,
    destination: location,
    flowLogIds: flowLogs.map((flowLog) => flowLog.id),
    createdAt: created.toISOString(),
    expiresAt: expires.toISOString(),
    durationSeconds: Math.max(0, (expires.getTime() - created.getTime()) / 1000),
    ...(tags?.maxCostUsd !== undefined ? { maxCostUsd: tags.maxCostUsd } : {}),
    state: 'active',
    keep: false,
    recovered: true,
  };
}
