/**
 * Cost control against moto (issue 4): the estimate from metrics seeded with PutMetricData,
 * a clear statement (not a zero) when an instance has no data points, the same estimate in
 * the plan of `start`, `list` pricing what a running capture delivered beside its estimate,
 * and the --max-cost guard stopping a capture once seeded deliveries cross the cap — in the
 * foreground and from a one-shot `sweep` on "another machine" — with nothing left running.
 */
import { gzipSync } from 'node:zlib';
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import {
  ACCOUNT,
  bucketName,
  cliEnv,
  collect,
  endpoint,
  flowdumpFlowLogs,
  HANDSHAKE_HEADER,
  INTEGRATION_TIMEOUT,
  LATE_MARGIN_MS,
  listKeys,
  makeFixture,
  runCli,
  safetyNetSchedules,
  sdk,
  spawnCli,
  stateDir,
  waitFor,
  windowStart,
  type Sdk,
} from './helpers.js';

/** moto fails on gzip request bodies, and the SDK compresses PutMetricData: turn that off here. */
function cloudWatch(region: string): CloudWatchClient {
  return new CloudWatchClient({ endpoint: endpoint(), region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1, disableRequestCompression: true });
}

/** Eleven 5-minute sums of packets in the last hour; the one 15 minutes ago is the busiest. */
async function seedPackets(region: string, instanceId: string, busiest: { in: number; out: number }, usual: { in: number; out: number }): Promise<void> {
  const now = Date.now();
  const data: MetricDatum[] = [];
  for (let i = 1; i <= 11; i++) {
    const at = new Date(now - i * 300_000);
    const value = i === 3 ? busiest : usual;
    data.push({ MetricName: 'NetworkPacketsIn', Dimensions: [{ Name: 'InstanceId', Value: instanceId }], Timestamp: at, Value: value.in, Unit: 'Count' });
    data.push({ MetricName: 'NetworkPacketsOut', Dimensions: [{ Name: 'InstanceId', Value: instanceId }], Timestamp: at, Value: value.out, Unit: 'Count' });
  }
  await cloudWatch(region).send(new PutMetricDataCommand({ Namespace: 'AWS/EC2', MetricData: data }));
}

/** Handshake-format records: `count` established connections of one interface (SYN + SYN-ACK each), about 125 bytes a line. */
function manyRecords(eni: string, count: number, at: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const port = 10_000 + (i % 50_000);
    const client = `10.9.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
    lines.push(`5 ${eni} ingress ${client} ${port} 10.0.1.4 443 ${client} 10.0.1.4 6 2 1 60 ${at} ${at + 50} ACCEPT OK`);
    lines.push(`5 ${eni} egress 10.0.1.4 443 ${client} ${port} 10.0.1.4 ${client} 6 18 1 60 ${at} ${at + 50} ACCEPT OK`);
  }
  return lines;
}

/** One delivered `.log.gz` file under the capture's prefix; returns its uncompressed size. */
async function deliver(aws: Sdk, bucket: string, id: string, flowLogId: string, window: Date, lines: string[]): Promise<number> {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${window.getUTCFullYear()}/${pad(window.getUTCMonth() + 1)}/${pad(window.getUTCDate())}`;
  const stamp = `${window.getUTCFullYear()}${pad(window.getUTCMonth() + 1)}${pad(window.getUTCDate())}T${pad(window.getUTCHours())}${pad(window.getUTCMinutes())}Z`;
  const text = `${HANDSHAKE_HEADER}\n${lines.join('\n')}\n`;
  const key = `flowdump/${id}/AWSLogs/${ACCOUNT}/vpcflowlogs/${aws.region}/${day}/${ACCOUNT}_vpcflowlogs_${aws.region}_${flowLogId}_${stamp}_${Math.random().toString(16).slice(2, 10)}.log.gz`;
  await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(text) }));
  return Buffer.byteLength(text);
}

async function readJson(aws: Sdk, bucket: string, key: string) {
  return JSON.parse(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString());
}

async function readText(aws: Sdk, bucket: string, key: string): Promise<string> {
  return (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

const tag = (flowLog: { Tags?: { Key?: string; Value?: string }[] }, key: string) => flowLog.Tags?.find((t) => t.Key === key)?.Value;

describe('flowdump estimate from CloudWatch metrics', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('--instance <id> --for 15m --json bounds the records by the busiest 5 minutes of packets; an instance without data points gets a statement, not a zero; start --dry-run shows the same estimate (ap-south-1)', async () => {
    const region = 'ap-south-1';
    const aws = sdk(region);
    const busy = await makeFixture(aws, 'busy');
    const quiet = await makeFixture(aws, 'quiet', '10.1');
    await seedPackets(region, busy.instanceId, { in: 60_000, out: 40_000 }, { in: 20_000, out: 15_000 });
    const env = cliEnv({ region });

    const result = await runCli(['estimate', '--instance', busy.instanceId, '--for', '15m', '--json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const estimate = JSON.parse(result.stdout);
    // busiest 5 minutes: 100,000 packets → ≤ 20,000 records/min on the primary interface, + 1 NODATA/min for the second
    expect(estimate).toMatchObject({
      schema: 'flowdump.estimate/v1',
      target: `instance ${busy.instanceId} (busy)`,
      region,
      destination: 's3',
      durationMinutes: 15,
      recordsPerMinute: { low: 2, high: 20_001, complete: true },
      records: { low: 30, high: 300_015 },
      bytes: { low: 30 * 77, high: 300_015 * 138 },
    });
    expect(estimate.usd.high).toBeGreaterThan(estimate.usd.low);
    expect(estimate.usd.high).toBeCloseTo((300_015 * 138 / 2 ** 30) * 0.25, 4);
    expect(estimate.assumptions).toContainEqual(expect.stringContaining('its busiest 5-minute period in the last 1h moved 100,000 packets (in + out)'));
    expect(estimate.warnings).toEqual([]);

    // the text form says the same, with the reasoning a reader can check
    const text = await runCli(['estimate', busy.instanceId, '--for', '15m'], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Cost estimate: instance ${busy.instanceId} (busy), 15 min to S3 (text) in ${region}, handshake format`);
    expect(text.stdout).toMatch(/Records\s+30 – 300,015/);

    // no data points: no estimate, said plainly, exit 4 — never a zero
    const none = await runCli(['estimate', '--name', 'quiet', '--for', '15m', '--json'], env);
    expect(none.code).toBe(4);
    const error = JSON.parse(none.stdout).error;
    expect(error.code).toBe('no-estimate');
    expect(error.message).toBe(
      `no estimate: no metric shows how busy instance ${quiet.instanceId} (quiet) is (no NetworkPacketsIn/Out data points for instance ${quiet.instanceId} in the last 1h (stopped, just launched, or a new interface): its 2 interfaces count at the floor of 1 record per window in both bounds, so the upper bound does not see their traffic); give a rate you know with --rate <records>/min`,
    );

    // start shows the same estimate before it asks; --dry-run makes nothing
    const dry = await runCli(['start', '--instance', busy.instanceId, '--for', '15m', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout).plan;
    expect(plan.estimate).toMatchObject({ low: estimate.usd.low, high: estimate.usd.high, records: estimate.records, bytes: estimate.bytes, assumptions: estimate.assumptions });
    const dryText = await runCli(['start', '--name', 'quiet', '--for', '15m', '--dry-run'], env);
    expect(dryText.code).toBe(0);
    expect(dryText.stdout).toContain(`estimate     no estimate: no metric shows how busy instance ${quiet.instanceId} (quiet) is`);
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
  });
});

describe('--max-cost', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('a foreground capture stops once delivered data reaches the cap: the summary says why, what was spent and projected; nothing is left running (eu-west-1)', async () => {
    const region = 'eu-west-1';
    const aws = sdk(region);
    const fixture = await makeFixture(aws, 'db-1');
    // one minute of capture per second of test: 30 minutes would take 30 s
    const env = cliEnv({ region, scale: 60, stateDir: stateDir() });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const bucket = bucketName(region);
    const child = spawnCli(['start', '--eni', fixture.eniIds[0], '--for', '30m', '--max-cost', '0.0001', '--yes'], env);
    const done = collect(child);
    const [flowLog] = await waitFor(async () => {
      const found = await flowdumpFlowLogs(aws);
      return found.length === 1 ? found : undefined;
    });
    const id = tag(flowLog, 'flowdump:capture-id')!;
    // the cap travels with the flow log, for a sweep on any machine
    expect(tag(flowLog, 'flowdump:max-cost-usd')).toBe('0.0001');
    const expiresAt = new Date(tag(flowLog, 'flowdump:expires-at')!);
    // $0.0001 at $0.25/GB is 429,497 bytes of records; deliver ~0.9 MB in one batch, in a window past
    // any stop so the capture settles at once
    const lines = manyRecords(fixture.eniIds[0], 3500, Math.floor(Date.now() / 1000));
    const uncompressed = await deliver(aws, bucket, id, flowLog.FlowLogId!, windowStart(new Date(expiresAt.getTime() + LATE_MARGIN_MS)), lines);
    expect(uncompressed).toBeGreaterThan(429_497);

    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`${id}: stopping (cost cap (--max-cost): delivered data already cost`);
    expect(result.stdout).toMatch(/Stopped early\s+by --max-cost \$0\.0001/);
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect(await listKeys(aws, bucket)).toEqual([`flowdump/${id}/capture.json`, `flowdump/${id}/summary.json`, `flowdump/${id}/summary.txt`]);

    const manifest = await readJson(aws, bucket, `flowdump/${id}/capture.json`);
    expect(manifest).toMatchObject({ id, state: 'cleaned', maxCostUsd: 0.0001, costGuard: { maxCostUsd: 0.0001, rateSource: 'observed' } });
    expect(manifest.stopReason).toMatch(/^cost cap \(--max-cost\): delivered data already cost \$0\.000\d+, at or past --max-cost \$0\.00010: stopping now$/);
    // stopped early: well before its 30 minutes were up
    expect(Date.parse(manifest.stoppedAt)).toBeLessThan(expiresAt.getTime());

    const summary = await readJson(aws, bucket, `flowdump/${id}/summary.json`);
    expect(summary.records.total).toBe(7000);
    expect(summary.tcp).toMatchObject({ connections: 3500, established: 3500 });
    // the actual cost is priced on the record text the analysis read: exactly what was delivered
    expect(summary.capture.delivered).toMatchObject({ objects: 1, uncompressedBytes: uncompressed });
    expect(summary.capture.actualUsd).toBeGreaterThanOrEqual(0.0001);
    expect(summary.capture.costGuard.spentUsd).toBeGreaterThanOrEqual(0.0001);
    expect(summary.capture.costGuard.deliveredBytes).toBe(uncompressed);
    expect(summary.capture.estimateError).toMatch(/^no metric shows how busy interface/);
    expect(summary.warnings[0]).toMatch(/^stopped early by --max-cost \$0\.0001: delivered data already cost/);
    const text = await readText(aws, bucket, `flowdump/${id}/summary.txt`);
    expect(text).toMatch(/Cost\s+no estimate \(no metric shows how busy interface .*\) · actual \$0\.000\d+ · cap \$0\.0001\n/);
    expect(text).toContain('Stopped early');
  });

  test('a detached capture: list prices what it delivered beside its estimate and cap; a one-shot sweep from elsewhere enforces the cap from the manifest (eu-south-2)', async () => {
    const region = 'eu-south-2';
    const aws = sdk(region);
    const fixture = await makeFixture(aws, 'api-1');
    await seedPackets(region, fixture.instanceId, { in: 600, out: 400 }, { in: 200, out: 150 });
    const env = cliEnv({ region });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const bucket = bucketName(region);
    const started = await runCli(['start', '--instance', fixture.instanceId, '--for', '2h', '--max-cost', '0.0002', '--yes', '--detach', '--json'], env);
    expect(started.code).toBe(0);
    const capture = JSON.parse(started.stdout).capture;
    expect(capture).toMatchObject({ maxCostUsd: 0.0002, estimate: { records: { low: 240, high: 24_120 } } });
    const id = capture.id as string;
    const flowLogs = await flowdumpFlowLogs(aws);
    expect(flowLogs.map((f) => tag(f, 'flowdump:max-cost-usd'))).toEqual(['0.0002', '0.0002']);

    // below the cap: list shows cost so far beside the estimate; a sweep leaves it running
    const small = await deliver(aws, bucket, id, flowLogs[0].FlowLogId!, windowStart(new Date()), manyRecords(fixture.eniIds[0], 200, Math.floor(Date.now() / 1000)));
    const listed = JSON.parse((await runCli(['list', '--json'], env)).stdout).captures;
    expect(listed).toEqual([expect.objectContaining({ id, state: 'active', objects: 1, uncompressedBytes: small, maxCostUsd: 0.0002, estimateUsd: { low: capture.estimate.low, high: capture.estimate.high } })]);
    expect(listed[0].costUsd).toBeGreaterThan(0);
    expect(listed[0].costUsd).toBeLessThan(0.0002);
    const listText = await runCli(['list'], env);
    expect(listText.stdout).toMatch(/COST\s+ESTIMATE\s+CAP/);
    expect(listText.stdout).toMatch(new RegExp(`${id}\\s+active.*\\$0\\.0002\\s+armed, fires \\d\\d:\\d\\dZ\\s*$`, 'm'));
    const calm = JSON.parse((await runCli(['sweep', '--json'], cliEnv({ region }))).stdout);
    expect(calm.guarded).toEqual([expect.objectContaining({ id, action: 'continue', maxCostUsd: 0.0002 })]);
    expect(calm.finished).toEqual([]);
    expect(await flowdumpFlowLogs(aws)).toHaveLength(2);

    // past the cap: another machine's sweep (its own state dir, no local record of the capture) stops it
    // $0.0002 is 858,993 bytes of records: ~1.2 MB more
    const big = await deliver(aws, bucket, id, flowLogs[1].FlowLogId!, windowStart(new Date(Date.now() + 3 * 3600_000)), manyRecords(fixture.eniIds[1], 5000, Math.floor(Date.now() / 1000)));
    expect(small + big).toBeGreaterThan(858_993);
    const swept = await runCli(['sweep', '--json', '--settle-timeout', '0s'], cliEnv({ region }));
    expect(swept.code).toBe(0);
    const report = JSON.parse(swept.stdout);
    expect(report.guarded).toEqual([expect.objectContaining({ id, action: 'stop', reason: expect.stringMatching(/^delivered data already cost \$0\.000\d+, at or past --max-cost \$0\.00020: stopping now$/) })]);
    expect(report.finished).toEqual([expect.objectContaining({ id, state: 'cleaned' })]);
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    // the cap stopped it, and its safety net went with the flow log
    expect(await safetyNetSchedules(aws)).toEqual([]);
    const manifest = await readJson(aws, bucket, `flowdump/${id}/capture.json`);
    expect(manifest.costGuard).toMatchObject({ maxCostUsd: 0.0002 });
    const summary = await readJson(aws, bucket, `flowdump/${id}/summary.json`);
    expect(summary.capture).toMatchObject({ estimateUsd: { low: capture.estimate.low, high: capture.estimate.high }, maxCostUsd: 0.0002 });
    expect(summary.capture.actualUsd).toBeGreaterThanOrEqual(0.0002);
    // cleaned captures show their actual cost in list --all
    const all = JSON.parse((await runCli(['list', '--all', '--json'], env)).stdout).captures;
    expect(all[0]).toMatchObject({ id, state: 'cleaned', costUsd: summary.capture.actualUsd });
  });
});
