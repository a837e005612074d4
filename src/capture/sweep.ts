import type { FlowLogInfo } from '../aws/ec2.js';
import { isFlowdumpError, ExitCode } from '../errors.js';
import { DEFAULT_LOGS_BASE, DEFAULT_S3_BASE, describeLocation, type DataLocation } from './destination.js';
import { parseCaptureId } from './ids.js';
import { isPlaceOf, judgeFlowLog } from './places.js';
import { capStopReason, CostWatch, guardStopOf } from './cost-guard.js';
import { finishCapture, recoverManifest, storeFor, type CaptureDeps, type FinishResult } from './lifecycle.js';
import { DeliveryMeter, type DeliveryReading } from './meter.js';
import type { CaptureManifest } from './manifest.js';
import { readCaptureTags, TAG_CAPTURE_ID } from './tags.js';

/** One capture as found in AWS: its live flow logs (by tag) and its manifest (beside the data). */
export interface CaptureRecord {
  id: string;
  manifest?: CaptureManifest;
  flowLogs: FlowLogInfo[];
  location?: DataLocation;
  expiresAt?: Date;
  /** --max-cost from the flow log's tag (the manifest has it too) */
  maxCostUsd?: number;
}

export interface DiscoverOptions {
  account: string;
  region: string;
}

export interface Discovery {
  captures: CaptureRecord[];
  /** flow logs that carry flowdump tags but are not provably captures: one line each, left alone */
  foreign: string[];
}

/**
 * Every capture in this account and region: flow logs tagged flowdump:capture-id that deliver to
 * their capture's own place, manifests in the setup bucket, capture log groups under /flowdump/,
 * and the destinations this machine recorded. Needs no local state for captures in flowdump's
 * default places. A flow log with flowdump's tags anywhere else is reported, never acted on.
 */
export async function discoverCaptures(deps: Pick<CaptureDeps, 'ec2' | 's3' | 'logs' | 'wallTime' | 'places'>, options: DiscoverOptions): Promise<Discovery> {
  const { places } = deps;
  const records = new Map<string, CaptureRecord>();
  const foreign: string[] = [];
  const record = (id: string) => {
    let entry = records.get(id);
    if (!entry) records.set(id, (entry = { id, flowLogs: [] }));
    return entry;
  };
  for (const flowLog of await deps.ec2.describeFlowLogs({ tagKey: TAG_CAPTURE_ID })) {
    if (flowLog.tags[TAG_CAPTURE_ID] === undefined) continue;
    const judged = judgeFlowLog(flowLog, places);
    if (!judged.ours) {
      foreign.push(judged.note);
      continue;
    }
    const tags = readCaptureTags(flowLog.tags);
    const entry = record(judged.id);
    entry.flowLogs.push(flowLog);
    entry.expiresAt ??= tags?.expiresAt;
    entry.maxCostUsd ??= tags?.maxCostUsd;
    entry.location ??= judged.location;
  }
  const locations: { id: string; location: DataLocation }[] = [];
  for (const folder of await deps.s3.listFolders(places.defaultBucket, `${DEFAULT_S3_BASE}/`)) {
    const id = parseCaptureId(folder.slice(DEFAULT_S3_BASE.length + 1).replace(/\/$/, ''));
    if (id) locations.push({ id, location: { type: 's3', bucket: places.defaultBucket, prefix: folder } });
  }
  for (const group of await deps.logs.describeLogGroups(`${DEFAULT_LOGS_BASE}/`)) {
    const id = parseCaptureId(group.name.slice(DEFAULT_LOGS_BASE.length + 1));
    if (id) locations.push({ id, location: { type: 'logs', logGroup: group.name } });
  }
  locations.push(...places.recorded);
  for (const entry of records.values()) if (entry.location) locations.push({ id: entry.id, location: entry.location });
  const read = new Set<string>();
  for (const { id, location } of locations) {
    const key = `${id} ${describeLocation(location)}`;
    if (read.has(key) || records.get(id)?.manifest || !isPlaceOf(id, location, places)) continue;
    read.add(key);
    const manifest = await storeFor({ id, destination: location }, deps).readManifest().catch(() => undefined);
    if (!manifest || manifest.region !== options.region) continue;
    const entry = record(id);
    entry.manifest = manifest;
    entry.location = manifest.destination;
    entry.expiresAt ??= new Date(manifest.expiresAt);
  }
  for (const entry of records.values()) {
    if (!entry.manifest && entry.flowLogs.length > 0) entry.manifest = recoverManifest(entry.id, entry.flowLogs, options.account, options.region);
  }
  return { captures: [...records.values()].sort((a, b) => (a.id < b.id ? -1 : 1)), foreign };
}

/** What a sweep will do: pure, over plain data (decide, then act). */
export interface SweepPlan {
  /** expired and not finished: stop (if running) → settle → analyze → clean */
  finish: CaptureRecord[];
  skip: { record: CaptureRecord; reason: string }[];
}

/** A capture needs finishing once it is expired, or was stopped and left unfinished. */
export function selectExpired(records: CaptureRecord[], now: Date): SweepPlan {
  const plan: SweepPlan = { finish: [], skip: [] };
  for (const record of records) {
    const manifest = record.manifest;
    const expired = record.expiresAt !== undefined && record.expiresAt.getTime() <= now.getTime();
    if (record.flowLogs.length > 0) {
      if (expired) plan.finish.push(record);
      else plan.skip.push({ record, reason: 'still running' });
      continue;
    }
    if (!manifest) continue;
    if (manifest.state === 'cleaned') continue;
    if (manifest.state === 'analyzed' && manifest.keep) continue;
    if (expired || manifest.stoppedAt) plan.finish.push(record);
    else plan.skip.push({ record, reason: 'still running' });
  }
  return plan;
}

export interface SweepOptions extends DiscoverOptions {
  settleTimeoutMs: number;
  waitForSettle: boolean;
  /**
   * The cost guards of running captures with --max-cost, kept across rounds by `sweep --watch`
   * (each round adds a look at what was delivered). Without it, a one-shot sweep looks once.
   */
  costWatches?: Map<string, { watch: CostWatch; meter: DeliveryMeter }>;
}

/** One look of the cost guard at a running capture. */
export interface GuardLook {
  id: string;
  action: 'continue' | 'stop';
  reason: string;
  maxCostUsd: number;
  spentUsd: number;
  projectedUsdAtEnd: number;
  /** why this look could not read what was delivered (the guard then goes on what it saw before) */
  readError?: string;
}

export interface SweepResult {
  finished: FinishResult[];
  /** flow logs with flowdump tags that are not captures: left alone */
  foreign: string[];
  /** running captures with --max-cost the guard looked at this round */
  guarded: GuardLook[];
  failed: { id: string; message: string; exitCode: number }[];
  skipped: { id: string; reason: string }[];
  /** exit 5: some teardown could not be verified */
  exitCode: number;
}

/** Finishes every expired capture. Idempotent; two sweeps at once do no harm (flow-log deletes are idempotent, the rest runs under a lock). */
export async function sweepCaptures(deps: CaptureDeps, options: SweepOptions): Promise<SweepResult> {
  const { captures, foreign } = await discoverCaptures(deps, options);
  const plan = selectExpired(captures, deps.clock.now());
  const result: SweepResult = { finished: [], foreign, guarded: [], failed: [], skipped: plan.skip.map(({ record, reason }) => ({ id: record.id, reason })), exitCode: ExitCode.ok };
  await guardRunning(plan, deps, options, result);
  for (const record of plan.finish) {
    try {
      // discoverCaptures only keeps flow logs whose location it can read, so a manifest can always be rebuilt
      const manifest = record.manifest ?? recoverManifest(record.id, record.flowLogs, options.account, options.region);
      if (!manifest) continue;
      result.finished.push(await finishCapture(manifest, deps, { settleTimeoutMs: options.settleTimeoutMs, waitForSettle: options.waitForSettle, reason: 'expired (sweep)' }));
    } catch (error) {
      const exitCode = isFlowdumpError(error) ? error.exitCode : ExitCode.bug;
      result.failed.push({ id: record.id, message: (error as Error)?.message ?? String(error), exitCode });
    }
  }
  if (result.failed.some((failure) => failure.exitCode === ExitCode.unverified || failure.exitCode !== ExitCode.ok)) {
    result.exitCode = result.failed.some((failure) => failure.exitCode === ExitCode.unverified) ? ExitCode.unverified : result.failed[0].exitCode;
  }
  return result;
}

/**
 * The live cost guard for captures that are still running (`--max-cost`, from the manifest or
 * the flow log's tag): a capture the guard stops is finished like an expired one, and its
 * manifest keeps why (spend at the stop, projection).
 */
async function guardRunning(plan: SweepPlan, deps: CaptureDeps, options: SweepOptions, result: SweepResult): Promise<void> {
  const watches = options.costWatches ?? new Map<string, { watch: CostWatch; meter: DeliveryMeter }>();
  const running = new Set<string>();
  for (const { record, reason } of plan.skip) {
    if (reason !== 'still running' || record.flowLogs.length === 0 || !record.manifest) continue;
    const maxCostUsd = record.manifest.maxCostUsd ?? record.maxCostUsd;
    if (maxCostUsd === undefined) continue;
    running.add(record.id);
    const manifest = { ...record.manifest, maxCostUsd };
    let entry = watches.get(record.id);
    if (!entry) watches.set(record.id, (entry = { watch: new CostWatch(manifest, deps.prices), meter: new DeliveryMeter(manifest, deps) }));
    const now = deps.clock.now();
    if (!entry.watch.due(now)) continue;
    let reading: DeliveryReading | undefined;
    let readError: string | undefined;
    try {
      reading = await entry.meter.read();
    } catch (error) {
      readError = (error as Error)?.message ?? String(error);
      deps.reporter.event({ type: 'warning', id: record.id, message: `could not read what capture ${record.id} delivered for its cost cap: ${readError}` });
    }
    const decision = entry.watch.decide(now, reading);
    result.guarded.push({ id: record.id, action: decision.action, reason: decision.reason, maxCostUsd, spentUsd: decision.spentUsd, projectedUsdAtEnd: decision.projectedUsdAtEnd, ...(readError ? { readError } : {}) });
    if (decision.action !== 'stop') continue;
    const stop = guardStopOf(decision, maxCostUsd, now);
    result.skipped = result.skipped.filter((entry) => entry.id !== record.id);
    watches.delete(record.id);
    try {
      result.finished.push(await finishCapture({ ...manifest, costGuard: stop }, deps, { settleTimeoutMs: options.settleTimeoutMs, waitForSettle: options.waitForSettle, reason: capStopReason(stop) }));
    } catch (error) {
      const exitCode = isFlowdumpError(error) ? error.exitCode : ExitCode.bug;
      result.failed.push({ id: record.id, message: (error as Error)?.message ?? String(error), exitCode });
    }
  }
  // forget captures that ended some other way
  for (const id of watches.keys()) if (!running.has(id)) watches.delete(id);
}
