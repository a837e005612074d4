import type { Tags } from '../aws/ec2.js';

/** The tags every flow log flowdump creates carries (DESIGN §1); teardown selects by them. */
export const TAG_CAPTURE_ID = 'flowdump:capture-id';
export const TAG_EXPIRES_AT = 'flowdump:expires-at';
export const TAG_CREATED_BY = 'flowdump:created-by';

export interface CaptureTagValues {
  captureId: string;
  expiresAt: Date;
  createdBy: string;
  /** the Name tag */
  name: string;
}

export function captureTags(values: CaptureTagValues): Tags {
  return {
    [TAG_CAPTURE_ID]: values.captureId,
    [TAG_EXPIRES_AT]: values.expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    [TAG_CREATED_BY]: values.createdBy,
    Name: values.name,
  };
}

/** The capture facts a resource's tags carry, or undefined when they are not ours. */
export function readCaptureTags(tags: Tags): { captureId: string; expiresAt?: Date; createdBy?: string } | undefined {
  const captureId = tags[TAG_CAPTURE_ID];
  if (!captureId) return undefined;
  const expires = tags[TAG_EXPIRES_AT] ? new Date(tags[TAG_EXPIRES_AT]) : undefined;
  return { captureId, expiresAt: expires && !Number.isNaN(expires.getTime()) ? expires : undefined, createdBy: tags[TAG_CREATED_BY] };
}
