/**
 * The cost model wired into the capture lifecycle, against the in-memory fakes and a fake
 * clock: what a capture delivered, measured (gzip size fields, IncomingBytes); the live guard
 * of a foreground capture over a simulated S3 timeline (5-minute batches, 10 minutes late,
 * 2 more minutes of records after the stop); the guard in `sweep`; the estimate a plan
 * carries; the owners of interfaces the estimate needs.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import type { EniInfo } from '../../src/aws/ec2.js';
import type { MetricQuery, MetricSeries, MetricsPort, MetricTimeRange } from '../../src/aws/metrics.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { priceDelivered } from '../../src/capture/cost.js';
import { CostWatch } from '../../src/capture/cost-guard.js';
import { parseDestination } from '../../src/capture/destination.js';
import { estimateCapture } from '../../src/capture/estimate.js';
import { startCapture, type CaptureDeps } from '../../src/capture/lifecycle.js';
import type { CaptureManifest } from '../../src/capture/manifest.js';
import { DeliveryMeter } from '../../src/capture/meter.js';
import { planCapture, type CapturePlan } from '../../src/capture/plan.js';
import { ownerOf, rateScopeOf } from '../../src/capture/rate-scope.js';
import { runCapture } from '../../src/capture/run.js';
import { sweepCaptures } from '../../src/capture/sweep.js';
import { resolveTarget } from '../../src/capture/targets.js';
import { loadPriceTable, type PriceTable } from '../../src/cost/pricing.js';
import { findPreset } from '../../src/format/presets.js';
import { FakeAws, fakeDeps } from './fakes.js';

const BUCKET = 'flowdump-111122223333-eu-west-1';
const START = '2026-05-01T12:00:00.000Z';
const HEADER = 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status';
const MINUTE = 60_000;

/**
 * The real price table with a "GB" of 1 KiB: $0.25 per KiB delivered to S3. Scales dollars so
 * a few kilobytes of real records cross a cap, with every price and rule unchanged.
 */
function kibPrices(): PriceTable {
  const table = loadPriceTable();
  return { ...table, units: { ...table.units, bytesPerGB: 1024 } };
}

async function makePlan(aws: FakeAws, clock: FakeClock, options: { id?: string; minutes?: number; maxCostUsd?: number; destination?: string } = {}): Promise<CapturePlan> {
  const target = await resolveTarget({ kind: 'eni', value: aws.enis[0].id }, aws.ec2, { where: 'in eu-west-1' });
  const preset = findPreset('handshake');
  return planCapture({
    id: options.id ?? 'fd-20260501-120000-c057',
    target,
    format: { preset, bytesPerRecord: preset.bytesPerRecord },
    destination: parseDestination(options.destination),
    defaultBucket: BUCKET,
    fileFormat: 'text',
    traffic: 'ALL',
    durationSeconds: (options.minutes ?? 60) * 60,
    now: clock.now(),
    account: '111122223333',
    region: 'eu-west-1',
    createdBy: 'test',
    keep: false,
    ...(options.maxCostUsd !== undefined ? { maxCostUsd: options.maxCostUsd } : {}),
  });
}

/** `n` handshake records of one interface in the minute starting at `at` (unix seconds), each a SYN or SYN-ACK. */
function minuteOfRecords(eni: string, n: number, at: number, seed: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = `10.9.${(seed + i) % 200}.${(i % 200) + 1}`;
    const port = 20_000 + ((seed * 31 + i) % 40_000);
    lines.push(
      i % 2 === 0
        ? `5 ${eni} ingress ${c} ${port} 10.0.1.10 443 ${c} 10.0.1.10 6 2 1 60 ${at} ${at + 30} ACCEPT OK`
        : `5 ${eni} egress 10.0.1.10 443 ${c} ${port - 1} 10.0.1.10 ${c} 6 18 1 60 ${at} ${at + 30} ACCEPT OK`,
    );
  }
  return lines;
}

function stampOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace(/[-:]/g, '') + 'Z';
}

/**
 * VPC Flow Logs to S3, simulated on the fake clock: records per minute from `perMinute`, one
 * file per 5-minute batch, delivered 10 minutes after the batch ends; after DeleteFlowLogs the
 * flow log records 2 more minutes (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html).
 */
class S3Timeline {
  stoppedAt: number | undefined;
  readonly batches: { key: string; bytes: number; deliveredAt: number }[] = [];
  private next = 0;

  constructor(
    private readonly aws: FakeAws,
    private readonly clock: FakeClock,
    private readonly manifest: CaptureManifest,
    private readonly perMinute: (minute: number) => number,
  ) {
    const remove = aws.ec2.deleteFlowLogs;
    aws.ec2.deleteFlowLogs = async (ids) => {
      this.stoppedAt ??= clock.now().getTime();
      return remove(ids);
    };
    const sleep = clock.sleep.bind(clock);
    clock.sleep = async (ms, signal) => {
      await sleep(ms, signal);
      this.deliverDue();
    };
  }

  /** bytes of record text generated (not necessarily delivered) up to `until` */
  get recordedUntil(): number {
    const end = Date.parse(this.manifest.expiresAt);
    return this.stoppedAt === undefined ? end : Math.min(end, this.stoppedAt + 2 * MINUTE);
  }

  private deliverDue(): void {
    const start = Date.parse(this.manifest.createdAt);
    const now = this.clock.now().getTime();
    for (;;) {
      const windowStart = start + this.next * 5 * MINUTE;
      const windowEnd = windowStart + 5 * MINUTE;
      const until = this.recordedUntil;
      if (windowStart >= until || windowEnd + 10 * MINUTE > now) return;
      const lines: string[] = [];
      for (let t = windowStart; t < Math.min(windowEnd, until); t += MINUTE) {
        const minute = (t - start) / MINUTE;
        lines.push(...minuteOfRecords(this.manifest.target.enis[0], this.perMinute(minute), t / 1000, minute));
      }
      const text = `${HEADER}\n${lines.join('\n')}\n`;
      const prefix = this.manifest.destination.type === 's3' ? this.manifest.destination.prefix : '';
      const key = `${prefix}AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/111122223333_vpcflowlogs_eu-west-1_${this.manifest.flowLogIds[0]}_${stampOf(windowStart)}_b${this.next}.log.gz`;
      this.aws.putDataFile(BUCKET, key, text);
      this.batches.push({ key, bytes: Buffer.byteLength(text), deliveredAt: now });
      this.next++;
    }
  }
}

async function startedCapture(options: { maxCostUsd?: number; minutes?: number } = {}) {
  const aws = new FakeAws();
  aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'db-1', 1);
  aws.buckets.add(BUCKET);
  const clock = new FakeClock(START);
  const deps = fakeDeps(aws, clock, { prices: kibPrices() });
  const manifest = await startCapture(await makePlan(aws, clock, options), deps);
  return { aws, clock, deps, manifest };
}

const run = (manifest: CaptureManifest, deps: CaptureDeps) =>
  runCapture(manifest, deps, { settleTimeoutMs: 30 * MINUTE, stopSignal: new AbortController().signal, skipSignal: new AbortController().signal });

describe('the live guard in the foreground capture (--max-cost)', () => {
  test('steady traffic: stopped before the cap; once the data in flight has landed the capture cost less than the cap; the summary says why', async () => {
    const { aws, clock, deps, manifest } = await startedCapture({ maxCostUsd: 5 });
    // ~1 KiB of records a minute: $0.25 a minute at the test's prices, so the cap is ~20 minutes of traffic
    const timeline = new S3Timeline(aws, clock, manifest, () => 8);
    const result = await run(manifest, deps);

    expect(timeline.stoppedAt).toBeDefined();
    expect(timeline.stoppedAt!).toBeLessThan(Date.parse(manifest.expiresAt));
    // nothing had been delivered for the first 15 minutes; it stopped on what arrived, not on a guess
    expect(result.manifest.costGuard).toMatchObject({ maxCostUsd: 5, rateSource: 'observed' });
    expect(result.manifest.costGuard!.reason).toMatch(/^stopping before --max-cost \$5\.00: \$\d\.\d\d delivered, and with the observed rate and the data still in flight the capture would pass the cap before the next check$/);
    expect(result.manifest.stopReason).toBe(`cost cap (--max-cost): ${result.manifest.costGuard!.reason}`);
    expect(result.manifest.costGuard!.spentUsd).toBeLessThan(5);

    // everything recorded until 2 minutes after the stop was delivered, analyzed and priced
    const deliveredBytes = timeline.batches.reduce((sum, batch) => sum + batch.bytes, 0);
    expect(result.facts?.delivered).toMatchObject({ objects: timeline.batches.length, uncompressedBytes: deliveredBytes });
    expect(result.facts!.actualUsd).toBeCloseTo(priceDelivered(manifest, { objects: timeline.batches.length, storedBytes: result.facts!.delivered!.bytes, uncompressedBytes: deliveredBytes, measuredBy: '' }, kibPrices()).usd, 9);
    expect(result.facts!.actualUsd!).toBeLessThan(5);
    expect(result.facts).not.toHaveProperty('costUsd'); // the cost has one name in a summary
    expect(result.manifest.state).toBe('cleaned');
    expect(aws.flowLogs.size).toBe(0);
    expect(result.summary!.warnings[0]).toBe(`stopped early by --max-cost $5: ${result.manifest.costGuard!.reason}`);

    // the live line carried the cap and the projection
    const progress = deps.events.filter((e) => e.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ maxCostUsd: 5 });
    expect(progress.some((e) => e.type === 'progress' && e.projectedUsd !== undefined && e.projectedUsd > 5)).toBe(true);
    expect(deps.events.find((e) => e.type === 'stopping')).toMatchObject({ reason: result.manifest.stopReason });
  });

  test('a burst: the capture never ends more than one S3 batch past the cap', async () => {
    const { aws, clock, deps, manifest } = await startedCapture({ maxCostUsd: 10 });
    // 8 records a minute, 80 in minutes 20–24: the burst's batch lands at minute 35
    const timeline = new S3Timeline(aws, clock, manifest, (minute) => (minute >= 20 && minute < 25 ? 80 : 8));
    const result = await run(manifest, deps);

    expect(timeline.stoppedAt!).toBeLessThan(Date.parse(manifest.expiresAt));
    const largestBatch = Math.max(...timeline.batches.map((batch) => batch.bytes));
    const priced = (bytes: number) => priceDelivered(manifest, { objects: timeline.batches.length, storedBytes: 0, uncompressedBytes: bytes, measuredBy: '' }, kibPrices()).usd;
    const total = timeline.batches.reduce((sum, batch) => sum + batch.bytes, 0);
    expect(result.facts!.delivered!.uncompressedBytes).toBe(total);
    // past the cap by less than the one batch that was in flight, unseen, when it stopped
    expect(priced(total - largestBatch)).toBeLessThan(10);
    expect(result.manifest.costGuard).toBeDefined();
  });

  test('without --max-cost there is no guard: the capture runs its whole budget and prices what it delivered', async () => {
    const { aws, clock, deps, manifest } = await startedCapture({ minutes: 20 });
    const timeline = new S3Timeline(aws, clock, manifest, () => 8);
    const result = await run(manifest, deps);
    expect(timeline.stoppedAt).toBeGreaterThanOrEqual(Date.parse(manifest.expiresAt));
    expect(result.manifest.costGuard).toBeUndefined();
    expect(result.manifest.stopReason).toBe('time budget reached');
    expect(result.facts!.actualUsd).toBeGreaterThan(0);
    expect(result.facts!.maxCostUsd).toBeUndefined();
  });
});

describe('the guard in sweep (a capture started elsewhere with --max-cost)', () => {
  test('each round looks at what was delivered; over the cap the capture is stopped and finished, with the reason in its manifest', async () => {
    const { aws, clock, deps, manifest } = await startedCapture({ maxCostUsd: 2, minutes: 120 });
    const costWatches = new Map();
    const options = { account: '111122223333', region: 'eu-west-1', defaultBucket: BUCKET, settleTimeoutMs: 30 * MINUTE, waitForSettle: false, costWatches };
    const prefix = `flowdump/${manifest.id}/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/111122223333_vpcflowlogs_eu-west-1_${manifest.flowLogIds[0]}`;
    const file = (window: string, minutes: number) =>
      aws.putDataFile(
        BUCKET,
        `${prefix}_${window}_x.log.gz`,
        `${HEADER}\n${Array.from({ length: minutes }, (_, m) => minuteOfRecords(manifest.target.enis[0], 8, Date.parse(START) / 1000 + m * 60, m)).flat().join('\n')}\n`,
      );

    clock.set('2026-05-01T12:15:00Z');
    file('20260501T1200Z', 2);
    const first = await sweepCaptures(deps, options);
    expect(first.guarded).toEqual([expect.objectContaining({ id: manifest.id, action: 'continue', maxCostUsd: 2 })]);
    expect(first.skipped).toEqual([{ id: manifest.id, reason: 'still running' }]);
    expect(aws.flowLogs.size).toBe(1);
    expect(costWatches.size).toBe(1);

    clock.set('2026-05-01T12:20:00Z');
    file('20260501T1205Z', 10);
    const second = await sweepCaptures(deps, options);
    expect(second.guarded).toEqual([expect.objectContaining({ id: manifest.id, action: 'stop' })]);
    expect(second.skipped).toEqual([]);
    expect(aws.flowLogs.size).toBe(0);
    // under --watch it comes back for the late data on a later round
    expect(second.finished).toEqual([expect.objectContaining({ deferred: 'still settling' })]);
    const stored = JSON.parse(aws.objects.get(`${BUCKET}/flowdump/${manifest.id}/capture.json`)!.body.toString());
    expect(stored).toMatchObject({ state: 'settling', maxCostUsd: 2, costGuard: { maxCostUsd: 2, reason: second.guarded[0].reason } });
    expect(stored.stopReason).toBe(`cost cap (--max-cost): ${second.guarded[0].reason}`);
    expect(costWatches.size).toBe(0);
  });

  test('the cap is read from the flow log\'s tag when the manifest is gone (recovered capture)', async () => {
    const { aws, clock, deps, manifest } = await startedCapture({ maxCostUsd: 1, minutes: 120 });
    const flowLog = [...aws.flowLogs.values()][0];
    expect(flowLog.tags['flowdump:max-cost-usd']).toBe('1');
    aws.objects.delete(`${BUCKET}/flowdump/${manifest.id}/capture.json`);
    aws.putDataFile(BUCKET, `flowdump/${manifest.id}/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/x_${flowLog.id}_20260501T1200Z_y.log.gz`, `${HEADER}\n${minuteOfRecords(manifest.target.enis[0], 40, Date.parse(START) / 1000, 1).join('\n')}\n`);
    clock.set('2026-05-01T12:20:00Z');
    const result = await sweepCaptures(deps, { account: '111122223333', region: 'eu-west-1', defaultBucket: BUCKET, settleTimeoutMs: 0, waitForSettle: true });
    expect(result.guarded).toEqual([expect.objectContaining({ id: manifest.id, action: 'stop', maxCostUsd: 1 })]);
    expect(aws.flowLogs.size).toBe(0);
  });
});

describe('CostWatch', () => {
  test('a reading that finished a moment after the caller took the time still counts (a one-shot sweep has only that one)', () => {
    const watch = new CostWatch(
      { createdAt: START, expiresAt: '2026-05-01T14:00:00.000Z', maxCostUsd: 1, destination: { type: 's3', bucket: BUCKET, prefix: 'flowdump/x/' }, fileFormat: 'text', region: 'eu-west-1', durationSeconds: 7200 },
      kibPrices(),
    );
    const asOf = new Date('2026-05-01T12:20:00.000Z');
    expect(watch.due(asOf)).toBe(true);
    // 8 KiB at $0.25 per KiB (the test's prices): $2, past the $1 cap
    const decision = watch.decide(asOf, { at: new Date(asOf.getTime() + 5), objects: 1, storedBytes: 400, uncompressedBytes: 8192, measuredBy: '', notes: [] });
    expect(decision).toMatchObject({ action: 'stop', deliveredBytes: 8192, rateSource: 'observed' });
    expect(decision.reason).toBe('delivered data already cost $2.00, at or past --max-cost $1.00: stopping now');
    expect(watch.due(new Date(asOf.getTime() + 30_000))).toBe(false);
  });
});

describe('DeliveryMeter', () => {
  test('S3: each object counts at its gzip size field, read once with a 4-byte ranged GET; new objects are read as they arrive', async () => {
    const { aws, deps, manifest } = await startedCapture();
    const prefix = `flowdump/${manifest.id}/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/`;
    const a = `${HEADER}\n${minuteOfRecords('eni-1', 50, 1777636800, 1).join('\n')}\n`;
    aws.putDataFile(BUCKET, `${prefix}f_20260501T1200Z_a.log.gz`, a);
    const meter = new DeliveryMeter(manifest, deps);
    const first = await meter.read();
    expect(first).toMatchObject({ objects: 1, uncompressedBytes: Buffer.byteLength(a), storedBytes: gzipSync(a).length, measuredBy: "each object's gzip size field (ISIZE)", notes: [] });
    expect(first.latestDataTime).toBe(Date.parse('2026-05-01T12:05:00Z'));
    const b = `${HEADER}\n${minuteOfRecords('eni-1', 20, 1777637100, 2).join('\n')}\n`;
    aws.putDataFile(BUCKET, `${prefix}f_20260501T1205Z_b.log.gz`, b);
    const second = await meter.read();
    expect(second.uncompressedBytes).toBe(Buffer.byteLength(a) + Buffer.byteLength(b));
    expect(aws.log.filter((line) => line.startsWith('s3:GetObject(tail)'))).toHaveLength(2);
  });

  test('S3: a file of several gzip members (its size field covers only the last) counts at least 5× its compressed size', async () => {
    const { aws, deps, manifest } = await startedCapture();
    const big = `${HEADER}\n${minuteOfRecords('eni-1', 400, 1777636800, 3).join('\n')}\n`;
    const key = `flowdump/${manifest.id}/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/f_20260501T1200Z_m.log.gz`;
    const body = Buffer.concat([gzipSync(big), gzipSync('x\n')]);
    aws.objects.set(`${BUCKET}/${key}`, { body, modified: new Date() });
    const reading = await new DeliveryMeter(manifest, deps).read();
    expect(reading.uncompressedBytes).toBe(body.length * 5);
    expect(reading.notes).toEqual(["some objects' gzip size field was below 5× their compressed size; they are counted at 5×"]);
  });

  test('S3: an object whose size field cannot be read counts high (12× its compressed size), so the guard never goes blind', async () => {
    const { aws, deps, manifest } = await startedCapture();
    const key = `flowdump/${manifest.id}/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/f_20260501T1200Z_d.log.gz`;
    aws.putDataFile(BUCKET, key, `${HEADER}\n${minuteOfRecords('eni-1', 30, 1777636800, 4).join('\n')}\n`);
    aws.s3.getObjectTail = async () => {
      throw new Error(`AWS denied s3:GetObject on s3://${BUCKET}/${key}`);
    };
    const reading = await new DeliveryMeter(manifest, deps).read();
    expect(reading.uncompressedBytes).toBe(aws.objects.get(`${BUCKET}/${key}`)!.body.length * 12);
    expect(reading.notes).toEqual([`the size field of 1 object(s) could not be read (AWS denied s3:GetObject on s3://${BUCKET}/${key}); they are counted at 12× their compressed size`]);
  });

  test('CloudWatch Logs: the sum of AWS/Logs IncomingBytes of the capture\'s log group; before the first data point it says so', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'db-1', 1);
    const clock = new FakeClock(START);
    const metrics = new FakeMetrics([{ at: new Date('2026-05-01T12:03:00Z'), value: 4000 }, { at: new Date('2026-05-01T12:04:00Z'), value: 6000 }]);
    const deps = fakeDeps(aws, clock, { metrics });
    const manifest = await startCapture(await makePlan(aws, clock, { destination: 'logs:/flowdump' }), deps);
    const group = `/flowdump/${manifest.id}`;
    await aws.logs.createLogStream(group, manifest.target.enis[0]);
    await aws.logs.putLogEvents(group, manifest.target.enis[0], [{ timestamp: Date.parse(START), message: 'x' }]);
    clock.set('2026-05-01T12:10:00Z');
    const reading = await new DeliveryMeter(manifest, deps).read();
    expect(reading).toMatchObject({ objects: 1, uncompressedBytes: 10_000, notes: [] });
    expect(metrics.calls[0].queries).toEqual([{ id: 'incoming', namespace: 'AWS/Logs', metricName: 'IncomingBytes', dimensions: { LogGroupName: group }, stat: 'Sum', periodSeconds: 60 }]);
    expect(metrics.calls[0].range).toEqual({ start: new Date('2026-05-01T11:55:00Z'), end: new Date('2026-05-01T12:11:00Z') });

    metrics.points = [];
    const early = await new DeliveryMeter(manifest, deps).read();
    expect(early.uncompressedBytes).toBe(0);
    expect(early.notes).toEqual([`no IncomingBytes data points for ${group} yet (CloudWatch publishes them minutes late): nothing counted yet`]);
  });
});

class FakeMetrics implements MetricsPort {
  readonly calls: { queries: readonly MetricQuery[]; range: MetricTimeRange }[] = [];
  constructor(public points: { at: Date; value: number }[], private readonly failure?: Error) {}
  async getMetricData(queries: readonly MetricQuery[], range: MetricTimeRange): Promise<MetricSeries[]> {
    this.calls.push({ queries, range });
    if (this.failure) throw this.failure;
    return queries.map((query) => ({ id: query.id, complete: true, points: this.points }));
  }
}

describe('the estimate a capture carries', () => {
  test('from the target\'s packet metrics; the plan keeps the range, the guard\'s expected rate and the assumptions; --max-cost goes into the tags', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'db-1', 2);
    const clock = new FakeClock(START);
    const metrics = new FakeMetrics([{ at: new Date('2026-05-01T11:30:00Z'), value: 3000 }]);
    const target = await resolveTarget({ kind: 'instance', value: 'i-0aaaaaaaaaaaaaaa1' }, aws.ec2, { where: 'here' });
    const result = await estimateCapture(
      { target, region: 'eu-west-1', durationSeconds: 900, destination: { type: 's3' }, fileFormat: 'text', formatName: 'handshake', fields: findPreset('handshake').format.fields },
      { ec2: aws.ec2, metrics, prices: loadPriceTable, clock },
    );
    // in 3,000 + out 3,000 packets in the busiest 5 minutes → 1,200/min, + 1 NODATA/min for the second interface
    expect(result.estimate?.recordsPerMinute).toEqual({ low: 2, high: 1201, complete: true });
    expect(metrics.calls[0].range).toEqual({ start: new Date('2026-05-01T11:00:00Z'), end: clock.now() });
    const { captureEstimateOf } = await import('../../src/capture/cost.js');
    const estimate = captureEstimateOf(result.estimate!);
    expect(estimate.bytesPerSecondHigh).toBeCloseTo((1201 * 138) / 60, 6);
    const plan = await makePlan(aws, clock, { maxCostUsd: 0.5 });
    const withEstimate = planCapture({ ...planOptionsOf(plan, target), estimate, maxCostUsd: 0.5 });
    expect(withEstimate.estimate).toEqual(estimate);
    expect(withEstimate.tags['flowdump:max-cost-usd']).toBe('0.5');
    expect(withEstimate.maxCostUsd).toBe(0.5);
  });

  test('a failed or missing estimate is a reason, never an error', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'db-1', 1);
    const clock = new FakeClock(START);
    const target = await resolveTarget({ kind: 'instance', value: 'i-0aaaaaaaaaaaaaaa1' }, aws.ec2, { where: 'here' });
    const options = { target, region: 'eu-west-1', durationSeconds: 900, destination: { type: 's3' as const }, fileFormat: 'text' as const, formatName: 'handshake', fields: findPreset('handshake').format.fields };
    const none = await estimateCapture(options, { ec2: aws.ec2, metrics: new FakeMetrics([]), prices: loadPriceTable, clock });
    expect(none.error).toMatch(/^no metric shows how busy instance i-0aaaaaaaaaaaaaaa1 \(db-1\) is \(no NetworkPacketsIn\/Out data points/);
    const denied = await estimateCapture(options, { ec2: aws.ec2, metrics: new FakeMetrics([], new Error('AWS denied cloudwatch:GetMetricData for the default credentials in eu-west-1')), prices: loadPriceTable, clock });
    expect(denied.error).toBe('AWS denied cloudwatch:GetMetricData for the default credentials in eu-west-1');
    const plan = planCapture({ ...planOptionsOf(await makePlan(aws, clock), target), estimateError: none.error });
    expect(plan.estimate).toBeUndefined();
    expect(plan.estimateError).toBe(none.error);
    expect(() => planCapture({ ...planOptionsOf(plan, target), maxCostUsd: 0 })).toThrow('--max-cost must be more than $0, not 0');
  });
});

function planOptionsOf(plan: CapturePlan, target: CapturePlan['target']) {
  const preset = findPreset('handshake');
  return {
    id: plan.id,
    target,
    format: { preset, bytesPerRecord: preset.bytesPerRecord },
    destination: parseDestination(undefined),
    defaultBucket: BUCKET,
    fileFormat: 'text' as const,
    traffic: 'ALL' as const,
    durationSeconds: plan.durationSeconds,
    now: plan.createdAt,
    account: plan.account,
    region: plan.region,
    createdBy: plan.createdBy,
    keep: false,
  };
}

describe('interface owners for the estimate', () => {
  const eni = (extra: Partial<EniInfo>): EniInfo => ({ id: 'eni-0123456789abcdef0', privateIps: ['10.0.1.5'], ...extra });

  test('an attached instance, a NAT gateway, a Network Load Balancer, anything else', () => {
    expect(ownerOf(eni({ instanceId: 'i-0abc' }))).toEqual({ kind: 'instance', instanceId: 'i-0abc' });
    expect(ownerOf(eni({ interfaceType: 'nat_gateway', description: 'Interface for NAT Gateway nat-0123456789abcdef0' }))).toEqual({ kind: 'nat-gateway', natGatewayId: 'nat-0123456789abcdef0' });
    expect(ownerOf(eni({ interfaceType: 'network_load_balancer', description: 'ELB net/api-nlb/50dc6c495c0c9188' }))).toEqual({ kind: 'load-balancer', loadBalancer: 'net/api-nlb/50dc6c495c0c9188' });
    // an Application Load Balancer publishes no flow counts the estimate reads
    expect(ownerOf(eni({ description: 'ELB app/web/50dc6c495c0c9188' }))).toEqual({ kind: 'other', description: 'ELB app/web/50dc6c495c0c9188' });
    expect(ownerOf(eni({ interfaceType: 'vpc_endpoint' }))).toEqual({ kind: 'other', description: 'vpc_endpoint' });
  });

  test('the scope of a subnet: every interface with its owner, and the state of each instance', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    aws.addInstance('i-0bbbbbbbbbbbbbbb2', 'web-2', 1);
    aws.instances[1].state = 'stopped';
    aws.enis.push({ id: 'eni-0ffffffffffffffff', subnetId: 'subnet-0aaaaaaaaaaaaaaa1', vpcId: 'vpc-0aaaaaaaaaaaaaaa1', privateIps: ['10.0.1.99'], description: 'Interface for NAT Gateway nat-0123456789abcdef0', interfaceType: 'nat_gateway' });
    const target = await resolveTarget({ kind: 'subnet', value: 'subnet-0aaaaaaaaaaaaaaa1' }, aws.ec2, { where: 'here' });
    const scope = await rateScopeOf(target, aws.ec2);
    expect(scope.description).toBe('subnet subnet-0aaaaaaaaaaaaaaa1 (app-a)');
    expect(scope.interfaces.map((i) => i.owner.kind)).toEqual(['instance', 'instance', 'nat-gateway']);
    expect(scope.instanceStates).toEqual({ 'i-0aaaaaaaaaaaaaaa1': 'running', 'i-0bbbbbbbbbbbbbbb2': 'stopped' });
  });
});
