import type { FlowLogResourceType } from '../aws/ec2.js';
import type { FormatPreset } from '../format/presets.js';
import { toTemplate, type LogFormat } from '../format/template.js';
import type { CaptureEstimate } from './cost.js';
import { dataLocation, type DataLocation, type DestinationRequest } from './destination.js';
import { captureTags } from './tags.js';
import type { ResolvedTarget } from './targets.js';
import type { CaptureManifest } from './manifest.js';
import { MANIFEST_SCHEMA } from './manifest.js';
import type { Tags } from '../aws/ec2.js';
import { UsageError } from '../errors.js';

export interface CapturePlanOptions {
  id: string;
  target: ResolvedTarget;
  /** a preset, or a custom format (then `preset` is undefined) */
  format: { preset?: FormatPreset; custom?: LogFormat; bytesPerRecord: number };
  destination: DestinationRequest;
  defaultBucket: string;
  fileFormat: 'text' | 'parquet';
  traffic: 'ALL' | 'ACCEPT' | 'REJECT';
  durationSeconds: number;
  now: Date;
  account: string;
  /** the caller's partition (`aws`, `aws-cn`, `aws-us-gov`), from its ARN; `aws` when not given */
  partition?: string;
  region: string;
  createdBy: string;
  keep: boolean;
  /** the cost estimate, made before planning (it needs metrics); absent with `estimateError` when it failed */
  estimate?: CaptureEstimate;
  /** why there is no estimate: a missing or failed estimate never blocks a capture */
  estimateError?: string;
  /** --max-cost in USD */
  maxCostUsd?: number;
}

/** Everything `start` will do, decided before anything is made. `--dry-run` renders it. */
export interface CapturePlan {
  id: string;
  account: string;
  /** the caller's partition (`aws`, `aws-cn`, `aws-us-gov`), from its ARN; `aws` when not given */
  partition?: string;
  region: string;
  createdBy: string;
  target: ResolvedTarget;
  resourceType: FlowLogResourceType;
  resourceIds: string[];
  format: { preset?: string; template: string; bytesPerRecord: number };
  fileFormat: 'text' | 'parquet';
  traffic: 'ALL' | 'ACCEPT' | 'REJECT';
  /** 60 s: the finest VPC Flow Logs offers, so one-minute captures see their traffic */
  aggregationSeconds: 60;
  location: DataLocation;
  createdAt: Date;
  expiresAt: Date;
  durationSeconds: number;
  tags: Tags;
  keep: boolean;
  estimate?: CaptureEstimate;
  estimateError?: string;
  maxCostUsd?: number;
}

export function planCapture(options: CapturePlanOptions): CapturePlan {
  const { target } = options;
  const template = options.format.preset?.template ?? toTemplate(options.format.custom?.fields ?? []);
  // whole seconds: the expires-at tag is ISO-8601 to the second
  const now = new Date(Math.floor(options.now.getTime() / 1000) * 1000);
  const expiresAt = new Date(now.getTime() + options.durationSeconds * 1000);
  const location = dataLocation(options.destination, options.id, options.defaultBucket);
  if (options.maxCostUsd !== undefined && !(options.maxCostUsd > 0)) throw new UsageError(`--max-cost must be more than $0, not ${options.maxCostUsd}`, { code: 'bad-max-cost' });
  return {
    id: options.id,
    account: options.account,
    partition: options.partition ?? 'aws',
    region: options.region,
    createdBy: options.createdBy,
    target,
    resourceType: target.resourceType,
    resourceIds: target.resourceIds,
    format: { preset: options.format.preset?.name, template, bytesPerRecord: options.format.bytesPerRecord },
    fileFormat: location.type === 'logs' ? 'text' : options.fileFormat,
    traffic: options.traffic,
    aggregationSeconds: 60,
    location,
    createdAt: now,
    expiresAt,
    durationSeconds: options.durationSeconds,
    tags: captureTags({ captureId: options.id, expiresAt, createdBy: options.createdBy, name: `flowdump ${options.id} ${target.label}`.slice(0, 255), maxCostUsd: options.maxCostUsd }),
    keep: options.keep,
    ...(options.estimate ? { estimate: options.estimate } : { estimateError: options.estimateError ?? 'not estimated' }),
    ...(options.maxCostUsd !== undefined ? { maxCostUsd: options.maxCostUsd } : {}),
  };
}

export function manifestFromPlan(plan: CapturePlan, flowLogIds: string[]): CaptureManifest {
  return {
    schema: MANIFEST_SCHEMA,
    id: plan.id,
    account: plan.account,
    region: plan.region,
    createdBy: plan.createdBy,
    target: {
      kind: plan.target.kind,
      value: plan.target.value,
      label: plan.target.label,
      resourceType: plan.resourceType,
      resourceIds: plan.resourceIds,
      enis: plan.target.enis.map((eni) => eni.id),
    },
    format: plan.format,
    fileFormat: plan.fileFormat,
    traffic: plan.traffic,
    aggregationSeconds: plan.aggregationSeconds,
    destination: plan.location,
    flowLogIds,
    createdAt: plan.createdAt.toISOString(),
    expiresAt: plan.expiresAt.toISOString(),
    durationSeconds: plan.durationSeconds,
    ...(plan.estimate ? { estimate: plan.estimate } : {}),
    ...(plan.estimateError ? { estimateError: plan.estimateError } : {}),
    ...(plan.maxCostUsd !== undefined ? { maxCostUsd: plan.maxCostUsd } : {}),
    state: 'active',
    keep: plan.keep,
  };
}
