import type { LogsPort } from '../aws/logs.js';
import type { MetricsPort } from '../aws/metrics.js';
import type { S3Port } from '../aws/s3.js';
import { DEFAULT_COMPRESSION_RATIO } from '../cost/estimate.js';
import { uncompressedFromObjectBytes } from '../cost/guard.js';
import type { Clock } from './clock.js';
import type { DeliveredBytes } from './cost.js';
import type { DataLocation } from './destination.js';
import type { Places } from './places.js';
import { openStore, s3WindowEnd } from './store.js';

/**
 * How much record text a capture has delivered so far, uncompressed: what vended-log delivery
 * bills, what the live cost guard projects from and what `list` prices.
 *
 * - S3 text: each `.log.gz` object's own uncompressed size, from the gzip trailer (ISIZE, the
 *   last 4 bytes: https://www.rfc-editor.org/rfc/rfc1952#section-2.3.1), read with one 4-byte
 *   ranged GET per object, once per object. Flow-log files are one gzip member (every file we
 *   have seen), so ISIZE is the exact size; as a floor against a file made of several members
 *   (ISIZE then covers only the last) it counts at least DEFAULT_COMPRESSION_RATIO× the object.
 * - S3 Parquet: object bytes × 12 (no such trailer; a high ratio over-counts, so the guard stops early, not late).
 * - CloudWatch Logs: the sum of `AWS/Logs IncomingBytes` for the capture's log group, which is
 *   "the volume of log events in uncompressed bytes":
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatch-Logs-Monitoring-CloudWatch-Metrics.html
 *   CloudWatch publishes it a few minutes late, like the data itself.
 */

export interface MeterDeps {
  s3: S3Port;
  logs: LogsPort;
  /** a capture's store opens only on its own place */
  places: Places;
  metrics?: MetricsPort;
  clock: Clock;
  wallTime?: () => number;
}

export interface MeteredCapture {
  id: string;
  destination: DataLocation;
  fileFormat: 'text' | 'parquet';
  /** ISO-8601: the metrics window starts a little before it */
  createdAt: string;
}

export interface DeliveryReading extends DeliveredBytes {
  at: Date;
  /** the latest time delivered data covers (ms since epoch), when it can be told */
  latestDataTime?: number;
  /** what could not be measured exactly, one sentence each */
  notes: string[];
}

/** Parallel ranged GETs for new objects. */
const CONCURRENCY = 8;
const GZIP_TRAILER = /\.gz$/i;

export class DeliveryMeter {
  /** key → uncompressed bytes, for objects already measured (delivered objects never change) */
  private readonly measured = new Map<string, { size: number; uncompressed: number; how: 'isize' | 'floor' | 'ratio' | 'plain' | 'unread'; why?: string }>();

  constructor(
    private readonly capture: MeteredCapture,
    private readonly deps: MeterDeps,
  ) {}

  async read(): Promise<DeliveryReading> {
    return this.capture.destination.type === 's3' ? this.readS3(this.capture.destination) : this.readLogs();
  }

  private async readS3(location: Extract<DataLocation, { type: 's3' }>): Promise<DeliveryReading> {
    const at = this.deps.clock.now();
    const dataPrefix = `${location.prefix}AWSLogs/`;
    const objects: { key: string; size: number }[] = [];
    for await (const object of this.deps.s3.listObjects(location.bucket, dataPrefix)) if (object.key.startsWith(dataPrefix)) objects.push(object);
    const fresh = objects.filter((object) => this.measured.get(object.key)?.size !== object.size);
    for (let i = 0; i < fresh.length; i += CONCURRENCY) {
      await Promise.all(fresh.slice(i, i + CONCURRENCY).map((object) => this.measureObject(location.bucket, object)));
    }
    let uncompressed = 0;
    let latest: number | undefined;
    const hows = new Set<string>();
    let unread: { count: number; why?: string } = { count: 0 };
    for (const object of objects) {
      const entry = this.measured.get(object.key);
      if (entry) {
        uncompressed += entry.uncompressed;
        hows.add(entry.how);
        if (entry.how === 'unread') unread = { count: unread.count + 1, why: unread.why ?? entry.why };
      }
      const end = s3WindowEnd(object.key);
      if (end !== undefined && (latest === undefined || end > latest)) latest = end;
    }
    const notes: string[] = [];
    if (hows.has('floor')) notes.push(`some objects' gzip size field was below ${DEFAULT_COMPRESSION_RATIO}× their compressed size; they are counted at ${DEFAULT_COMPRESSION_RATIO}×`);
    if (unread.count > 0) notes.push(`the size field of ${unread.count} object(s) could not be read (${unread.why}); they are counted at 12× their compressed size`);
    return {
      at,
      objects: objects.length,
      storedBytes: objects.reduce((sum, object) => sum + object.size, 0),
      uncompressedBytes: uncompressed,
      measuredBy:
        this.capture.fileFormat === 'parquet' || hows.has('ratio')
          ? 'Parquet object bytes × 12 (an over-count: Parquet has no uncompressed size to read)'
          : `each object's gzip size field (ISIZE)${notes.length > 0 ? '; some objects counted higher (see the notes)' : ''}`,
      ...(latest !== undefined ? { latestDataTime: latest } : {}),
      notes,
    };
  }

  private async measureObject(bucket: string, object: { key: string; size: number }): Promise<void> {
    if (this.capture.fileFormat === 'parquet' || /\.parquet$/i.test(object.key)) {
      this.measured.set(object.key, { size: object.size, uncompressed: uncompressedFromObjectBytes(object.size), how: 'ratio' });
      return;
    }
    if (!GZIP_TRAILER.test(object.key)) {
      this.measured.set(object.key, { size: object.size, uncompressed: object.size, how: 'plain' });
      return;
    }
    let tail: Uint8Array | undefined;
    try {
      tail = await this.deps.s3.getObjectTail(bucket, object.key, 4);
    } catch (error) {
      // the guard must not go blind: count the object high, as for Parquet, and say so
      this.measured.set(object.key, { size: object.size, uncompressed: uncompressedFromObjectBytes(object.size), how: 'unread', why: (error as Error)?.message ?? String(error) });
      return;
    }
    // deleted meanwhile (cleaned by another process): counts as nothing; read again if it comes back
    if (!tail) return;
    const isize = tail.length === 4 ? Buffer.from(tail).readUInt32LE(0) : 0;
    const floor = object.size * DEFAULT_COMPRESSION_RATIO;
    this.measured.set(object.key, { size: object.size, uncompressed: Math.max(isize, floor), how: isize >= floor ? 'isize' : 'floor' });
  }

  private async readLogs(): Promise<DeliveryReading> {
    const at = this.deps.clock.now();
    const store = openStore(this.capture.destination, this.capture.id, this.deps);
    const delivered = await store.delivered();
    const base = { at, objects: delivered.objects, storedBytes: delivered.bytes, ...(delivered.latestDataTime !== undefined ? { latestDataTime: delivered.latestDataTime } : {}) };
    const group = this.capture.destination.type === 'logs' ? this.capture.destination.logGroup : '';
    if (!this.deps.metrics) {
      return { ...base, uncompressedBytes: delivered.bytes, measuredBy: 'the log group\'s stored bytes', notes: ['no CloudWatch metrics client: the stored (compressed) bytes are used, which is low'] };
    }
    const start = new Date(Date.parse(this.capture.createdAt) - 5 * 60_000);
    const end = new Date(at.getTime() + 60_000);
    const [series] = await this.deps.metrics.getMetricData(
      [{ id: 'incoming', namespace: 'AWS/Logs', metricName: 'IncomingBytes', dimensions: { LogGroupName: group }, stat: 'Sum', periodSeconds: 60 }],
      { start, end },
    );
    const points = series?.points ?? [];
    const incoming = points.reduce((sum, point) => sum + point.value, 0);
    const notes: string[] = [];
    if (points.length === 0 && delivered.objects > 0) notes.push(`no IncomingBytes data points for ${group} yet (CloudWatch publishes them minutes late): nothing counted yet`);
    return { ...base, uncompressedBytes: incoming, measuredBy: 'AWS/Logs IncomingBytes of the log group (includes flowdump\'s own manifest events, a few KB)', notes };
  }
}
