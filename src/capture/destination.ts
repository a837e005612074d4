import { UsageError } from '../errors.js';

/**
 * Where a capture's data goes. One prefix (or log group) per capture, so cleaning a capture
 * can never touch anything else (invariant 2).
 */
export type DestinationRequest = { type: 's3'; bucket?: string; base: string } | { type: 'logs'; base: string };

export type DataLocation =
  | { type: 's3'; bucket: string; /** `flowdump/<id>/`, always ending in `/` */ prefix: string }
  | { type: 'logs'; logGroup: string };

export const DEFAULT_S3_BASE = 'flowdump';
export const DEFAULT_LOGS_BASE = '/flowdump';
export const DELIVERY_ROLE_NAME = 'flowdump-flow-logs-delivery';
/** the capture group's retention: the last guard if cleaning never happens */
export const LOG_GROUP_RETENTION_DAYS = 1;

/** The bucket `flowdump setup` makes. */
export function defaultBucketName(account: string, region: string): string {
  return `flowdump-${account}-${region}`;
}

/** `s3://bucket/prefix`, `s3://bucket`, `logs:/group`, `logs:` → a request; anything else is a UsageError. */
export function parseDestination(text: string | undefined, flag = '--destination'): DestinationRequest {
  if (text === undefined || text === '' || text === 's3') return { type: 's3', base: DEFAULT_S3_BASE };
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(text);
  if (s3) {
    const base = (s3[2] ?? '').replace(/^\/+|\/+$/g, '') || DEFAULT_S3_BASE;
    if (base.split('/').includes('AWSLogs')) throw new UsageError(`${flag} ${text}: AWSLogs is reserved by VPC Flow Logs as a folder name; pick another prefix`, { code: 'bad-destination' });
    return { type: 's3', bucket: s3[1], base };
  }
  if (text === 'logs' || text.startsWith('logs:')) {
    const group = text.slice(5).replace(/\/+$/, '') || DEFAULT_LOGS_BASE;
    if (!/^\/?[\w#\-./]+$/.test(group)) throw new UsageError(`${flag} ${text}: "${group}" is not a valid log group name`, { code: 'bad-destination' });
    return { type: 'logs', base: group.startsWith('/') ? group : `/${group}` };
  }
  throw new UsageError(`${flag} "${text}" is not a destination; use s3://bucket[/prefix] or logs:/group`, { code: 'bad-destination' });
}

export function dataLocation(request: DestinationRequest, captureId: string, defaultBucket: string): DataLocation {
  if (request.type === 's3') return { type: 's3', bucket: request.bucket ?? defaultBucket, prefix: `${request.base}/${captureId}/` };
  return { type: 'logs', logGroup: `${request.base}/${captureId}` };
}

/** Whether a value read from a file (a manifest, the local index) has a location's shape. */
export function isDataLocation(value: unknown): value is DataLocation {
  if (!value || typeof value !== 'object') return false;
  const location = value as Partial<{ type: string; bucket: unknown; prefix: unknown; logGroup: unknown }>;
  if (location.type === 's3') return typeof location.bucket === 'string' && typeof location.prefix === 'string';
  return location.type === 'logs' && typeof location.logGroup === 'string';
}

export function describeLocation(location: DataLocation): string {
  return location.type === 's3' ? `s3://${location.bucket}/${location.prefix}` : `logs:${location.logGroup}`;
}

/** The S3 ARN CreateFlowLogs takes: a folder ARN ends in `/`. */
export function s3DestinationArn(location: Extract<DataLocation, { type: 's3' }>, partition = 'aws'): string {
  return `arn:${partition}:s3:::${location.bucket}/${location.prefix}`;
}

/** The role VPC Flow Logs assumes to deliver into CloudWatch Logs (made by flowdump setup). */
export function deliveryRoleArn(account: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:role/${DELIVERY_ROLE_NAME}`;
}

/** `arn:aws-cn:iam::…` → `aws-cn`: the partition of the caller's own ARN. */
export function partitionOfArn(arn: string): string {
  return /^arn:(aws[\w-]*):/.exec(arn)?.[1] ?? 'aws';
}

/** The location a flow log writes to, read back from DescribeFlowLogs (for captures whose manifest is missing). */
export function locationFromFlowLog(flowLog: { destinationType: string; destination?: string; logGroupName?: string }): DataLocation | undefined {
  if (flowLog.destinationType === 's3' && flowLog.destination) {
    const match = /^arn:aws[\w-]*:s3:::([^/]+)\/(.*)$/.exec(flowLog.destination);
    if (!match) return undefined;
    return { type: 's3', bucket: match[1], prefix: match[2].endsWith('/') ? match[2] : `${match[2]}/` };
  }
  const group = flowLog.logGroupName ?? /:log-group:([^:]+)/.exec(flowLog.destination ?? '')?.[1];
  return group ? { type: 'logs', logGroup: group } : undefined;
}

/** Whether a location belongs to this capture: its prefix/group ends in the capture id (invariant 2). */
export function locationBelongsTo(location: DataLocation, captureId: string): boolean {
  if (location.type === 's3') return location.prefix.endsWith(`/${captureId}/`) || location.prefix === `${captureId}/`;
  return location.logGroup.endsWith(`/${captureId}`);
}
