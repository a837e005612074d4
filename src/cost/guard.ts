import { actualCost } from './actual.js';
import type { Destination, FileFormat, PriceTable } from './pricing.js';

/**
 * The live cost guard behind `--max-cost` (pure part): from what has actually been
 * delivered so far, project what the capture will have cost, and say `stop` before the
 * projection crosses the cap. The caller (foreground capture, `sweep --watch`) reads the
 * deliveries, asks every `checkIntervalSeconds`, and deletes the flow log on `stop`.
 *
 * Why it must look ahead: data reaches the destination late. S3 gets files "at 5-minute
 * intervals", typically ~10 minutes after the traffic; CloudWatch Logs ~5 minutes
 * (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html,
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html), and a deleted
 * flow log "can take several minutes to stop collecting data"
 * (https://docs.aws.amazon.com/vpc/latest/userguide/working-with-flow-logs.html).
 * So at any moment minutes of traffic are in flight, and stopping adds a little more.
 * The guard counts both at the observed rate; docs/cost.md explains the margin.
 */

export interface DeliveryObservation {
  /** when flowdump looked */
  at: Date;
  /**
   * uncompressed record bytes delivered since the capture started (cumulative): for S3,
   * the decompressed size of the capture's objects (see uncompressedFromObjectBytes);
   * for CloudWatch Logs, the sum of AWS/Logs IncomingBytes (already uncompressed)
   */
  deliveredBytes: number;
}

export interface GuardTiming {
  /** typical age of data when it is delivered */
  deliveryLagSeconds: number;
  /** delivery batch length: no observation can cover less than this */
  batchSeconds: number;
  /** how long the flow log keeps recording after DeleteFlowLogs */
  stopDelaySeconds: number;
  /** how often the caller asks the guard */
  checkIntervalSeconds: number;
}

/** Defaults per destination (Firehose buffers like S3; the data then lands where Firehose sends it). */
export const GUARD_TIMING: Readonly<Record<Destination, GuardTiming>> = {
  s3: { deliveryLagSeconds: 600, batchSeconds: 300, stopDelaySeconds: 120, checkIntervalSeconds: 60 },
  'cloudwatch-logs': { deliveryLagSeconds: 300, batchSeconds: 60, stopDelaySeconds: 120, checkIntervalSeconds: 60 },
  firehose: { deliveryLagSeconds: 600, batchSeconds: 300, stopDelaySeconds: 120, checkIntervalSeconds: 60 },
};

export interface GuardOptions {
  startedAt: Date;
  /** when the time budget ends (start + --for) */
  endsAt: Date;
  maxCostUsd: number;
  now: Date;
  observations: readonly DeliveryObservation[];
  destination: Destination;
  fileFormat?: FileFormat;
  region: string;
  prices: PriceTable;
  /** bytes/second to assume until the first delivery (e.g. the estimate's high); none = wait and see */
  expectedBytesPerSecond?: number;
  timing?: Partial<GuardTiming>;
  /** hours the data will be kept, for the storage part of the cost (default 1) */
  retentionHours?: number;
}

export interface GuardDecision {
  action: 'continue' | 'stop';
  /** one sentence for the progress line and the summary */
  reason: string;
  deliveredBytes: number;
  /** cost of what has been delivered so far */
  spentUsd: number;
  /** bytes/second the projection uses; undefined before anything is known */
  bytesPerSecond: number | undefined;
  rateSource: 'observed' | 'expected' | 'none';
  /** bytes generated but not delivered yet, at the rate above */
  inFlightBytes: number;
  /** the capture's cost if the flow log were deleted now (in-flight and stop delay included) */
  projectedUsdIfStoppedNow: number;
  /** the capture's cost if it runs to the end of its time budget */
  projectedUsdAtEnd: number;
  /** when the projection reaches the cap, if that is before the end of the budget */
  projectedCapAt?: Date;
  nextCheckAt: Date;
}

const seconds = (from: Date, to: Date): number => (to.getTime() - from.getTime()) / 1000;
const usdText = (usd: number): string => (usd === 0 ? '$0' : `$${usd < 0.01 ? usd.toPrecision(2) : usd.toFixed(2)}`);

export function decideGuard(options: GuardOptions): GuardDecision {
  const timing: GuardTiming = { ...GUARD_TIMING[options.destination], ...options.timing };
  const { startedAt, endsAt, now, maxCostUsd } = options;
  const cost = (bytes: number): number =>
    actualCost({ deliveredBytes: bytes, destination: options.destination, fileFormat: options.fileFormat, region: options.region, prices: options.prices, retentionHours: options.retentionHours ?? 1 }).usd;

  const observations = [...options.observations].filter((o) => o.at.getTime() <= now.getTime()).sort((a, b) => a.at.getTime() - b.at.getTime());
  const delivered = observations.reduce((max, o) => Math.max(max, o.deliveredBytes), 0);
  const spentUsd = cost(delivered);

  // When did the delivered total last grow? Data up to ~lag before that moment is in.
  let lastIncreaseAt: Date | undefined;
  let previous = 0;
  for (const o of observations) {
    if (o.deliveredBytes > previous) lastIncreaseAt = o.at;
    previous = Math.max(previous, o.deliveredBytes);
  }

  let rate: number | undefined;
  let rateSource: GuardDecision['rateSource'] = 'none';
  let coverageEnd = startedAt;
  if (lastIncreaseAt) {
    const covered = Math.max(timing.batchSeconds, seconds(startedAt, lastIncreaseAt) - timing.deliveryLagSeconds);
    coverageEnd = new Date(startedAt.getTime() + covered * 1000);
    const overall = delivered / covered;
    // The busiest two batches' worth seen so far: catches a burst the capture-wide average
    // dilutes, and keeps the rate up while a late batch leaves a hole in the deliveries.
    rate = Math.max(overall, peakWindowRate(observations, 2 * timing.batchSeconds));
    rateSource = 'observed';
  } else if (options.expectedBytesPerSecond !== undefined && options.expectedBytesPerSecond > 0) {
    rate = options.expectedBytesPerSecond;
    rateSource = 'expected';
  }

  const nextCheckAt = new Date(now.getTime() + timing.checkIntervalSeconds * 1000);
  const generatedBy = (at: Date): number => delivered + (rate ?? 0) * Math.max(0, seconds(coverageEnd, at));
  const finalIfStoppedAt = (at: Date): number => generatedBy(new Date(at.getTime() + timing.stopDelaySeconds * 1000));
  const inFlightBytes = generatedBy(now) - delivered;
  const projectedUsdIfStoppedNow = cost(finalIfStoppedAt(now));
  const lastStop = now.getTime() < endsAt.getTime() ? endsAt : now;
  const projectedUsdAtEnd = cost(finalIfStoppedAt(lastStop));
  const projectedCapAt = rate ? capCrossing({ rate, coverageEnd, delivered, cost, maxCostUsd, stopDelaySeconds: timing.stopDelaySeconds, now, endsAt }) : undefined;

  const base = { deliveredBytes: delivered, spentUsd, bytesPerSecond: rate, rateSource, inFlightBytes, projectedUsdIfStoppedNow, projectedUsdAtEnd, nextCheckAt, ...(projectedCapAt ? { projectedCapAt } : {}) };

  if (spentUsd >= maxCostUsd) {
    return { ...base, action: 'stop', reason: `delivered data already cost ${usdText(spentUsd)}, at or past --max-cost ${usdText(maxCostUsd)}: stopping now` };
  }
  if (rate === undefined) {
    return {
      ...base,
      action: 'continue',
      reason: `nothing delivered yet (${options.destination === 'cloudwatch-logs' ? 'CloudWatch Logs delivers ~5' : 'S3 delivers ~10'} minutes late) and no expected rate given: no projection yet`,
    };
  }
  const atNextCheck = cost(finalIfStoppedAt(nextCheckAt));
  if (atNextCheck >= maxCostUsd) {
    return {
      ...base,
      action: 'stop',
      reason: `stopping before --max-cost ${usdText(maxCostUsd)}: ${usdText(spentUsd)} delivered, and with the ${rateSource === 'observed' ? 'observed' : 'expected'} rate and the data still in flight the capture would pass the cap before the next check`,
    };
  }
  const when = projectedCapAt ? `; at this rate it would reach the cap at ${projectedCapAt.toISOString().slice(11, 16)} UTC and will be stopped just before` : '';
  return {
    ...base,
    action: 'continue',
    reason: `${usdText(spentUsd)} delivered; ${usdText(projectedUsdAtEnd)} projected by the end of the capture (cap ${usdText(maxCostUsd)})${when}`,
  };
}

/** Highest bytes/second delivered within any `windowSeconds` ending at an observation. */
function peakWindowRate(sorted: readonly DeliveryObservation[], windowSeconds: number): number {
  let peak = 0;
  let before = 0; // the most delivered at least one window before `end`
  let next = 0;
  let runningMax = 0;
  for (const end of sorted) {
    runningMax = Math.max(runningMax, end.deliveredBytes);
    while (next < sorted.length && seconds(sorted[next].at, end.at) >= windowSeconds) before = Math.max(before, sorted[next++].deliveredBytes);
    peak = Math.max(peak, (runningMax - before) / windowSeconds);
  }
  return peak;
}

/** When finalIfStoppedAt(t) reaches the cap (cost is monotonic in bytes: bisect on bytes). */
function capCrossing(input: {
  rate: number;
  coverageEnd: Date;
  delivered: number;
  cost: (bytes: number) => number;
  maxCostUsd: number;
  stopDelaySeconds: number;
  now: Date;
  endsAt: Date;
}): Date | undefined {
  const { rate, cost, maxCostUsd } = input;
  if (cost(input.delivered) >= maxCostUsd) return input.now;
  let low = input.delivered;
  let high = Math.max(low * 2, 1);
  for (let i = 0; i < 200 && cost(high) < maxCostUsd; i++) high *= 2;
  if (cost(high) < maxCostUsd) return undefined;
  for (let i = 0; i < 100; i++) {
    const mid = (low + high) / 2;
    if (cost(mid) < maxCostUsd) low = mid;
    else high = mid;
  }
  const at = new Date(input.coverageEnd.getTime() + ((high - input.delivered) / rate - input.stopDelaySeconds) * 1000);
  if (at.getTime() >= input.endsAt.getTime()) return undefined;
  return at.getTime() < input.now.getTime() ? input.now : at;
}

/**
 * Uncompressed bytes from gzip object sizes, when the objects cannot be read: a high
 * ratio over-counts, which makes the guard stop early rather than late. Prefer counting
 * the decompressed bytes of the objects themselves.
 */
export function uncompressedFromObjectBytes(objectBytes: number, ratio = 12): number {
  return objectBytes * ratio;
}
