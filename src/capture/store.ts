import type { LogsPort } from '../aws/logs.js';
import type { S3Port } from '../aws/s3.js';
import type { Source } from '../analyze/sources.js';
import { FlowdumpError } from '../errors.js';
import { describeLocation, locationBelongsTo, type DataLocation } from './destination.js';
import { parseManifest, serializeManifest, type CaptureManifest } from './manifest.js';
import { isPlaceOf, sameLocation, type Places } from './places.js';
import { TAG_CAPTURE_ID } from './tags.js';

/**
 * A capture's own corner of S3 or CloudWatch Logs: its manifest, its delivered data, its summary
 * and a lock. A store opens only on a place proven to be the capture's (places.ts), so nothing is
 * ever read as a manifest from, or written into, anywhere else; and it deletes data only after it
 * found the capture's own manifest there, agreeing on id and destination, and not one rebuilt from
 * tags (docs/security.md).
 */
export interface DeliveryStatus {
  objects: number;
  bytes: number;
  /** the latest time delivered data covers (ms since epoch), when it can be told */
  latestDataTime?: number;
}

export interface CaptureStore {
  readonly location: DataLocation;
  readonly captureId: string;
  readManifest(): Promise<CaptureManifest | undefined>;
  writeManifest(manifest: CaptureManifest): Promise<void>;
  delivered(): Promise<DeliveryStatus>;
  /** the delivered data, as analyzer sources */
  sources(): Promise<Source[]>;
  writeSummary(json: string, text: string): Promise<string>;
  readSummary(): Promise<string | undefined>;
  /** deletes the capture's delivered data (never its manifest or summary); returns what is left */
  deleteData(onBatch?: (deleted: number) => Promise<void>): Promise<{ deleted: number; remaining: number }>;
  /** a lease so two sweeps never finish one capture at once; false when someone else holds it */
  acquireLock(owner: string, now: Date, leaseMs: number): Promise<boolean>;
  releaseLock(owner: string): Promise<void>;
}

export interface StoreDeps {
  s3: S3Port;
  logs: LogsPort;
  /** where flowdump puts captures: a store opens only there */
  places: Places;
  /** real wall time for CloudWatch Logs event timestamps (AWS rejects events far from now) */
  wallTime?: () => number;
}

export function openStore(location: DataLocation, captureId: string, deps: StoreDeps): CaptureStore {
  if (!locationBelongsTo(location, captureId) || !isPlaceOf(captureId, location, deps.places)) {
    throw new FlowdumpError('not-ours', `${describeLocation(location)} is not where flowdump puts capture ${captureId}; flowdump only touches its own capture prefixes and log groups`, { exitCode: 1 });
  }
  return location.type === 's3' ? s3Store(location, captureId, deps.s3) : logsStore(location, captureId, deps.logs, deps.wallTime ?? Date.now);
}

/** The manifest read at a place counts only when it names this capture and this very place. */
function agreeing(manifest: CaptureManifest | undefined, captureId: string, location: DataLocation): CaptureManifest | undefined {
  return manifest && manifest.id === captureId && sameLocation(manifest.destination, location) ? manifest : undefined;
}

/**
 * Data is deleted only where the capture's own manifest was found and agrees; a manifest rebuilt
 * from tags (its process died before writing one) never leads to a delete.
 */
async function assertManifestAllowsDelete(store: Pick<CaptureStore, 'readManifest'>, where: string): Promise<void> {
  const manifest = await store.readManifest();
  if (!manifest || manifest.recovered) {
    const why = manifest ? 'its manifest was rebuilt from the flow log\'s tags, not written when the capture started' : 'no manifest of that capture was found there';
    throw new FlowdumpError('not-ours', `refusing to delete data at ${where}: ${why}`, { exitCode: 1 });
  }
}

function readLock(text: string): { owner?: string; leaseUntil?: string } | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as { owner?: string; leaseUntil?: string }) : undefined;
  } catch {
    return undefined;
  }
}

/** `…_20261130T0815Z_hash.log.gz` → the end of the 5-minute window the file holds (ms). https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html */
export function s3WindowEnd(key: string): number | undefined {
  const match = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_[^/]*$/.exec(key);
  if (!match) return undefined;
  const [, y, mo, d, h, mi] = match;
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi)) + 5 * 60_000;
}

function s3Store(location: Extract<DataLocation, { type: 's3' }>, captureId: string, s3: S3Port): CaptureStore {
  const { bucket, prefix } = location;
  const dataPrefix = `${prefix}AWSLogs/`;
  const manifestKey = `${prefix}capture.json`;
  const lockKey = `${prefix}lock.json`;
  const own = (key: string) => key.startsWith(dataPrefix) && locationBelongsTo(location, captureId);
  async function listData() {
    const out: { key: string; size: number }[] = [];
    for await (const object of s3.listObjects(bucket, dataPrefix)) if (own(object.key)) out.push(object);
    return out;
  }
  return {
    location,
    captureId,
    async readManifest() {
      const text = await s3.getObjectText(bucket, manifestKey);
      return agreeing(text === undefined ? undefined : parseManifest(text), captureId, location);
    },
    async writeManifest(manifest) {
      await s3.putObject(bucket, manifestKey, serializeManifest(manifest), 'application/json');
    },
    async delivered() {
      const objects = await listData();
      let latest: number | undefined;
      for (const object of objects) {
        const end = s3WindowEnd(object.key);
        if (end !== undefined && (latest === undefined || end > latest)) latest = end;
      }
      return { objects: objects.length, bytes: objects.reduce((sum, object) => sum + object.size, 0), latestDataTime: latest };
    },
    async sources() {
      return (await listData())
        .filter((object) => /\.(log|gz|parquet)$/i.test(object.key))
        .map((object) => ({ name: `s3://${bucket}/${object.key}`, size: object.size, bytes: () => s3.getObject(bucket, object.key) }));
    },
    async writeSummary(json, text) {
      await s3.putObject(bucket, `${prefix}summary.json`, json, 'application/json');
      await s3.putObject(bucket, `${prefix}summary.txt`, text, 'text/plain; charset=utf-8');
      return `s3://${bucket}/${prefix}summary.json`;
    },
    readSummary() {
      return s3.getObjectText(bucket, `${prefix}summary.json`);
    },
    async deleteData(onBatch) {
      await assertManifestAllowsDelete(this, describeLocation(location));
      let deleted = 0;
      const keys = (await listData()).map((object) => object.key);
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        // checked again right before the delete (invariant 2)
        if (!batch.every(own)) throw new FlowdumpError('not-ours', `refusing to delete outside s3://${bucket}/${dataPrefix}`, { exitCode: 1 });
        const refused = await s3.deleteObjects(bucket, batch);
        if (refused.length > 0) {
          throw new FlowdumpError('delete-failed', `S3 refused to delete ${refused.length} object(s) of capture ${captureId}, e.g. s3://${bucket}/${refused[0].key}: ${refused[0].code}; run flowdump sweep again`, {
            exitCode: 3,
          });
        }
        deleted += batch.length;
        await onBatch?.(deleted);
      }
      return { deleted, remaining: (await listData()).length };
    },
    async acquireLock(owner, now, leaseMs) {
      const body = JSON.stringify({ owner, acquiredAt: now.toISOString(), leaseUntil: new Date(now.getTime() + leaseMs).toISOString() });
      if ((await s3.putObject(bucket, lockKey, body, 'application/json', { ifNoneMatch: true })) === 'written') return true;
      const current = await s3.getObjectText(bucket, lockKey);
      const lease = current === undefined ? undefined : readLock(current);
      // flowdump always writes a readable lock: one that is not readable holds no lease of ours
      if (lease && !(Date.parse(lease.leaseUntil ?? '') < now.getTime())) return false;
      // a stale lease (its holder died): take it over; of two takers only one conditional write wins
      await s3.deleteObjects(bucket, [lockKey]);
      return (await s3.putObject(bucket, lockKey, body, 'application/json', { ifNoneMatch: true })) === 'written';
    },
    async releaseLock(owner) {
      const current = await s3.getObjectText(bucket, lockKey);
      if (current && readLock(current)?.owner === owner) await s3.deleteObjects(bucket, [lockKey]);
    },
  };
}

/** Streams flowdump itself writes into a capture's log group; every other stream is delivered data. */
export const MANIFEST_STREAM = 'flowdump-manifest';
export const SUMMARY_STREAM = 'flowdump-summary';
export const LOCK_STREAM = 'flowdump-lock';
const OWN_STREAMS = new Set([MANIFEST_STREAM, SUMMARY_STREAM, LOCK_STREAM]);
/** CloudWatch Logs events are at most 256 KB: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html */
const MAX_EVENT_BYTES = 200_000;

function logsStore(location: Extract<DataLocation, { type: 'logs' }>, captureId: string, logs: LogsPort, wallTime: () => number): CaptureStore {
  const group = location.logGroup;
  async function groupInfo() {
    return (await logs.describeLogGroups(group)).find((info) => info.name === group);
  }
  async function assertOwned(): Promise<boolean> {
    const info = await groupInfo();
    if (!info) return false;
    const tags = await logs.listTags(info.arn);
    if (tags === undefined) return false;
    if (tags[TAG_CAPTURE_ID] !== captureId) {
      throw new FlowdumpError('not-ours', `log group ${group} is not tagged ${TAG_CAPTURE_ID}=${captureId}; flowdump does not touch log groups it did not create`, { exitCode: 1 });
    }
    return true;
  }
  async function lastEvent(stream: string): Promise<string | undefined> {
    let last: string | undefined;
    for await (const event of logs.filterLogEvents({ group, streams: [stream] })) last = event.message;
    return last;
  }
  async function append(stream: string, messages: string[]) {
    await logs.createLogStream(group, stream);
    const now = wallTime();
    await logs.putLogEvents(group, stream, messages.map((message) => ({ timestamp: now, message })));
  }
  async function dataStreams() {
    return (await logs.describeLogStreams(group)).filter((stream) => !OWN_STREAMS.has(stream.name));
  }
  return {
    location,
    captureId,
    async readManifest() {
      const text = await lastEvent(MANIFEST_STREAM);
      return agreeing(text === undefined ? undefined : parseManifest(text), captureId, location);
    },
    async writeManifest(manifest) {
      await append(MANIFEST_STREAM, [JSON.stringify(manifest)]);
    },
    async delivered() {
      const info = await groupInfo();
      const streams = info ? await dataStreams() : [];
      let latest: number | undefined;
      for (const stream of streams) if (stream.lastEventTimestamp !== undefined && (latest === undefined || stream.lastEventTimestamp > latest)) latest = stream.lastEventTimestamp;
      return { objects: streams.length, bytes: info?.storedBytes ?? 0, latestDataTime: latest };
    },
    async sources() {
      return (await dataStreams()).map((stream) => logStreamSource(logs, group, stream.name));
    },
    async writeSummary(json, text) {
      const body = json.length <= MAX_EVENT_BYTES ? json : JSON.stringify({ ...JSON.parse(json), failures: [], peers: [], note: 'lists cut to fit one log event; see the local cache for the full summary' });
      await append(SUMMARY_STREAM, [body, text.slice(0, MAX_EVENT_BYTES)]);
      return `logs:${group}/${SUMMARY_STREAM}`;
    },
    async readSummary() {
      let first: string | undefined;
      for await (const event of logs.filterLogEvents({ group, streams: [SUMMARY_STREAM] })) if (event.message.startsWith('{')) first = event.message;
      return first;
    },
    async deleteData(onBatch) {
      if (!(await assertOwned())) return { deleted: 0, remaining: 0 };
      await assertManifestAllowsDelete(this, describeLocation(location));
      let deleted = 0;
      for (const stream of await dataStreams()) {
        await logs.deleteLogStream(group, stream.name);
        deleted++;
        await onBatch?.(deleted);
      }
      return { deleted, remaining: (await dataStreams()).length };
    },
    async acquireLock(_owner, now, leaseMs) {
      if ((await logs.createLogStream(group, LOCK_STREAM)) === 'created') return true;
      const lock = (await logs.describeLogStreams(group)).find((stream) => stream.name === LOCK_STREAM);
      if (lock && lock.createdAt !== undefined && lock.createdAt + leaseMs > now.getTime()) return false;
      await logs.deleteLogStream(group, LOCK_STREAM);
      return (await logs.createLogStream(group, LOCK_STREAM)) === 'created';
    },
    async releaseLock() {
      await logs.deleteLogStream(group, LOCK_STREAM);
    },
  };
}

/** One CloudWatch Logs stream as an analyzer source: its events are lines (no header). */
export function logStreamSource(logs: LogsPort, group: string, stream: string, window: { startTime?: number; endTime?: number } = {}): Source {
  async function* lines() {
    for await (const event of logs.filterLogEvents({ group, streams: [stream], ...window })) yield event.message;
  }
  return {
    name: `logs:${group}/${stream}`,
    lines,
    bytes: () => {
      throw new Error('a CloudWatch Logs source yields lines');
    },
  };
}
