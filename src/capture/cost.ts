import { actualCost, type ActualCostResult } from '../cost/actual.js';
import type { CostEstimate, Range } from '../cost/estimate.js';
import type { Destination, PriceTable } from '../cost/pricing.js';
import type { DataLocation } from './destination.js';

/**
 * The cost figures a capture carries: the estimate made before it started (plan, manifest,
 * summary, `list`) and the actual cost of what was delivered (live line, `list`, summary).
 * Both come from src/cost/ with the same price table, so they can sit side by side.
 */

/** The estimate as a capture keeps it (plan, capture.json): the range, and what the guard needs. */
export interface CaptureEstimate {
  /** USD for the whole capture */
  low: number;
  high: number;
  /** USD per hour if the flow log were left running (a failed teardown) */
  perHourIfLeftRunning: Range;
  records: Range;
  /** uncompressed record bytes */
  bytes: Range;
  /** the high end as bytes/second: the live guard's expected rate until the first delivery */
  bytesPerSecondHigh: number;
  priceSource: string;
  assumptions: string[];
  /** what could not be measured; the range may be too low because of it */
  warnings: string[];
}

export function captureEstimateOf(estimate: CostEstimate): CaptureEstimate {
  return {
    low: estimate.usd.low,
    high: estimate.usd.high,
    perHourIfLeftRunning: estimate.usdPerHourIfLeftRunning,
    records: estimate.records,
    bytes: estimate.bytes,
    bytesPerSecondHigh: estimate.bytes.high / (estimate.durationMinutes * 60),
    priceSource: estimate.priceSource,
    assumptions: estimate.assumptions,
    warnings: estimate.warnings,
  };
}

/** A capture's destination as the price table names it. */
export function costDestination(location: Pick<DataLocation, 'type'>): Destination {
  return location.type === 's3' ? 's3' : 'cloudwatch-logs';
}

/** What has been delivered, measured (see DeliveryMeter). */
export interface DeliveredBytes {
  /** S3 objects, or log streams */
  objects: number;
  /** bytes as stored: gzip/Parquet object sizes, or the log group's stored bytes */
  storedBytes: number;
  /** uncompressed record text: what vended-log delivery bills */
  uncompressedBytes: number;
  /** how `uncompressedBytes` was measured, in words */
  measuredBy: string;
}

export interface CaptureCostFacts {
  destination: Pick<DataLocation, 'type'>;
  fileFormat: 'text' | 'parquet';
  region: string;
  durationSeconds: number;
}

/** The data is kept for the capture plus an hour (flowdump deletes it after the summary), as the estimate assumes. */
export function captureRetentionHours(capture: Pick<CaptureCostFacts, 'durationSeconds'>): number {
  return capture.durationSeconds / 3600 + 1;
}

/** What the delivered data cost: delivery on the uncompressed bytes, storage, S3 PUTs (one per object). */
export function priceDelivered(capture: CaptureCostFacts, delivered: DeliveredBytes, prices: PriceTable): ActualCostResult {
  const s3 = capture.destination.type === 's3';
  return actualCost({
    deliveredBytes: delivered.uncompressedBytes,
    destination: costDestination(capture.destination),
    fileFormat: capture.fileFormat,
    region: capture.region,
    prices,
    ...(s3 ? { objects: { count: delivered.objects, bytes: delivered.storedBytes } } : {}),
    retentionHours: captureRetentionHours(capture),
  });
}
