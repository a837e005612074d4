import type { Tags } from '../aws/ec2.js';

/** The tags every flow log flowdump creates carries (docs/capture.md); teardown selects by them. */
export const TAG_CAPTURE_ID = 'flowdump:capture-id';
export const TAG_EXPIRES_AT = 'flowdump:expires-at';
export const TAG_CREATED_BY = 'flowdump:created-by';
/** --max-cost, so a `sweep --watch` on any machine enforces the cap even without the manifest */
export const TAG_MAX_COST = 'flowdump:max-cost-usd';

export interface CaptureTagValues {
  captureId: string;
  expiresAt: Date;
  createdBy: string;
  /** the Name tag */
  name: string;
  maxCostUsd?: number;
}

export function captureTags(values: CaptureTagValues): Tags {
  return {
    [TAG_CAPTURE_ID]: values.captureId,
    [TAG_EXPIRES_AT]: values.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    [TAG_CREATED_BY]: values.createdBy,
    Name: values.name,
    ...(values.maxCostUsd !== undefined ? { [TAG_MAX_COST]: String(values.maxCostUsd) } : {}),
  };
}

/** The capture facts a resource's tags carry, or undefined when they are not ours. */
export function readCaptureTags(tags: Tags): { captureId: string; expiresAt?: Date; createdBy?: string; maxCostUsd?: number } | undefined {
  const captureId = tags[TAG_CAPTURE_ID];
  if (!captureId) return undefined;
  const expires = tags[TAG_EXPIRES_AT] ? new Date(tags[TAG_EXPIRES_AT]) : undefined;
  const cap = tags[TAG_MAX_COST] !== undefined ? Number(tags[TAG_MAX_COST]) : undefined;
  return {
    captureId,
    expiresAt: expires && !Number.isNaN(expires.getTime()) ? expires : undefined,
    createdBy: tags[TAG_CREATED_BY],
    ...(cap !== undefined && Number.isFinite(cap) && cap > 0 ? { maxCostUsd: cap } : {}),
  };
}
