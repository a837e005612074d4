import type { FlowLogResourceType } from '../aws/ec2.js';
import type { CostGuardStop } from './cost-guard.js';
import type { CaptureEstimate } from './cost.js';
import { isDataLocation, type DataLocation } from './destination.js';
import { parseCaptureId } from './ids.js';
import { stripControlsDeep } from '../text.js';
import type { TargetKind } from './targets.js';

export const MANIFEST_SCHEMA = 'flowdump.capture/v1';

/** plan → active → stopping → settling → analyzed → cleaned (docs/capture.md). */
export type CaptureState = 'active' | 'stopping' | 'settling' | 'analyzed' | 'cleaned';

export const STATE_ORDER: readonly CaptureState[] = ['active', 'stopping', 'settling', 'analyzed', 'cleaned'];

/**
 * The capture's server-side teardown (docs/schedules.md): a one-time EventBridge Scheduler
 * schedule that deletes its flow logs if nothing else did — or, with --no-safety-net, none.
 */
export type SafetyNetRecord =
  | { armed: true; /** `<group>/<name>` */ schedule?: string; /** when it fires, ISO-8601 UTC */ fireAt?: string }
  | { armed: false; note: string };

/** `capture.json`, written beside the data: any machine with credentials can finish the capture from it. */
export interface CaptureManifest {
  schema: typeof MANIFEST_SCHEMA;
  id: string;
  account: string;
  region: string;
  createdBy: string;
  target: {
    kind: TargetKind;
    value: string;
    label: string;
    resourceType: FlowLogResourceType;
    resourceIds: string[];
    enis: string[];
  };
  format: { preset?: string; template: string; bytesPerRecord: number };
  fileFormat: 'text' | 'parquet';
  traffic: 'ALL' | 'ACCEPT' | 'REJECT';
  aggregationSeconds: 60 | 600;
  destination: DataLocation;
  flowLogIds: string[];
  createdAt: string;
  expiresAt: string;
  durationSeconds: number;
  /** the cost estimate shown before the start (USD range, assumptions) */
  estimate?: CaptureEstimate;
  /** why there is no estimate ("no metric shows how busy …") */
  estimateError?: string;
  /** --max-cost: the live guard (foreground capture, sweep --watch) stops the capture before it crosses this */
  maxCostUsd?: number;
  /** set when the guard stopped the capture */
  costGuard?: CostGuardStop;
  state: CaptureState;
  /** absent in manifests written before the safety net, and in recovered ones */
  safetyNet?: SafetyNetRecord;
  /** keep the captured data after the summary (--keep, or data that could not be read) */
  keep: boolean;
  keptBecause?: string;
  stoppedAt?: string;
  stopReason?: string;
  settledAt?: string;
  /** false when the settle timeout passed before the last window arrived */
  settleComplete?: boolean;
  analyzedAt?: string;
  cleanedAt?: string;
  /** what was delivered: objects (or streams), stored bytes, uncompressed record bytes and how they were measured */
  delivered?: { objects: number; bytes: number; uncompressedBytes?: number; measuredBy?: string };
  /** what the capture cost (delivery, storage, requests), from what was delivered */
  actualUsd?: number;
  summary?: { headline: string; records: number; connections: number; failures: number };
  /** set when the manifest was rebuilt from a flow log's tags (its process died before writing it) */
  recovered?: boolean;
}

/** Later in the lifecycle than `b`? A manifest never moves backwards. */
export function stateAtLeast(state: CaptureState, than: CaptureState): boolean {
  return STATE_ORDER.indexOf(state) >= STATE_ORDER.indexOf(than);
}

export function serializeManifest(manifest: CaptureManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Parses a capture.json; undefined when it is not one of ours (foreign or damaged): every field
 * the lifecycle acts on must have its shape, and text fields lose control characters (they reach
 * a terminal).
 */
export function parseManifest(text: string): CaptureManifest | undefined {
  let value: Partial<CaptureManifest>;
  try {
    value = JSON.parse(text) as Partial<CaptureManifest>;
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (value.schema !== MANIFEST_SCHEMA || parseCaptureId(value.id) === undefined || !STATE_ORDER.includes(value.state as CaptureState)) return undefined;
  if (!isDataLocation(value.destination) || !isStringArray(value.flowLogIds)) return undefined;
  if (!isIsoTime(value.createdAt) || !isIsoTime(value.expiresAt)) return undefined;
  const target = value.target as Partial<CaptureManifest['target']> | undefined;
  if (!target || typeof target !== 'object' || typeof target.label !== 'string' || !isStringArray(target.resourceIds) || !isStringArray(target.enis)) return undefined;
  if (!value.format || typeof value.format !== 'object' || typeof value.format.template !== 'string') return undefined;
  return stripControlsDeep(value) as CaptureManifest;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isIsoTime(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

