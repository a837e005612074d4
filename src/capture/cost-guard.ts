import { decideGuard, type DeliveryObservation, type GuardDecision } from '../cost/guard.js';
import type { PriceTable } from '../cost/pricing.js';
import { captureRetentionHours, costDestination } from './cost.js';
import type { CaptureManifest } from './manifest.js';
import type { DeliveryReading } from './meter.js';

/**
 * The live cost guard of one capture (`--max-cost`): keeps what was delivered at each look,
 * asks decideGuard (src/cost/guard.ts) and says when to stop. The foreground capture and
 * `sweep --watch` each hold one per capture and call `decide` about once a minute.
 */

/** Why a capture was stopped by its cap, as capture.json and the summary keep it. */
export interface CostGuardStop {
  at: string;
  maxCostUsd: number;
  reason: string;
  /** cost of what had been delivered when it stopped */
  spentUsd: number;
  deliveredBytes: number;
  /** what the capture will have cost once the data in flight has landed */
  projectedUsd: number;
  /** what it would have cost had it run to the end of its time budget */
  projectedUsdAtEnd: number;
  rateSource: GuardDecision['rateSource'];
}

export class CostWatch {
  private readonly observations: DeliveryObservation[] = [];
  private nextCheckAt = 0;

  constructor(
    private readonly manifest: Pick<CaptureManifest, 'createdAt' | 'expiresAt' | 'maxCostUsd' | 'destination' | 'fileFormat' | 'region' | 'durationSeconds' | 'estimate'>,
    private readonly prices: PriceTable,
  ) {}

  /** Whether a check is due (decideGuard says when the next one is). */
  due(now: Date): boolean {
    return now.getTime() >= this.nextCheckAt;
  }

  /** Records a reading (if any: a failed read adds nothing) and decides. */
  decide(asOf: Date, reading: DeliveryReading | undefined): GuardDecision {
    if (reading) this.observations.push({ at: reading.at, deliveredBytes: reading.uncompressedBytes });
    // a reading finished after the caller took the time still counts (decideGuard ignores observations from the future)
    const now = reading && reading.at.getTime() > asOf.getTime() ? reading.at : asOf;
    const decision = decideGuard({
      startedAt: new Date(this.manifest.createdAt),
      endsAt: new Date(this.manifest.expiresAt),
      maxCostUsd: this.manifest.maxCostUsd ?? Infinity,
      now,
      observations: this.observations,
      destination: costDestination(this.manifest.destination),
      fileFormat: this.manifest.fileFormat,
      region: this.manifest.region,
      prices: this.prices,
      ...(this.manifest.estimate?.bytesPerSecondHigh ? { expectedBytesPerSecond: this.manifest.estimate.bytesPerSecondHigh } : {}),
      retentionHours: captureRetentionHours(this.manifest),
    });
    this.nextCheckAt = decision.nextCheckAt.getTime();
    return decision;
  }
}

export function guardStopOf(decision: GuardDecision, maxCostUsd: number, now: Date): CostGuardStop {
  return {
    at: now.toISOString(),
    maxCostUsd,
    reason: decision.reason,
    spentUsd: decision.spentUsd,
    deliveredBytes: decision.deliveredBytes,
    projectedUsd: decision.projectedUsdIfStoppedNow,
    projectedUsdAtEnd: decision.projectedUsdAtEnd,
    rateSource: decision.rateSource,
  };
}

/** The stop reason a capture stopped by its cap carries (manifest `stopReason`, the `stopping` event). */
export function capStopReason(stop: CostGuardStop): string {
  return `cost cap (--max-cost): ${stop.reason}`;
}
