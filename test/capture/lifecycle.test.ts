import { describe, expect, test } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { parseDestination } from '../../src/capture/destination.js';
import { finishCapture, RECOVERED_KEEP_NOTE, startCapture, stopCapture } from '../../src/capture/lifecycle.js';
import { planCapture, type CapturePlan } from '../../src/capture/plan.js';
import { findPreset } from '../../src/format/presets.js';
import { resolveTarget } from '../../src/capture/targets.js';
import { selectExpired, sweepCaptures } from '../../src/capture/sweep.js';
import { FakeAws, fakeDeps } from './fakes.js';

const BUCKET = 'flowdump-111122223333-eu-west-1';
const START = '2026-05-01T12:00:00.000Z';
const HEADER = 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status';

async function plan(aws: FakeAws, clock: FakeClock, options: { id?: string; destination?: string; minutes?: number; keep?: boolean } = {}): Promise<CapturePlan> {
  const target = await resolveTarget({ kind: 'instance', value: aws.instances[0].id }, aws.ec2, { where: 'in eu-west-1' });
  const preset = findPreset('handshake');
  return planCapture({
    id: options.id ?? 'fd-20260501-120000-aaaa',
    target,
    format: { preset, bytesPerRecord: preset.bytesPerRecord },
    destination: parseDestination(options.destination),
    defaultBucket: BUCKET,
    fileFormat: 'text',
    traffic: 'ALL',
    durationSeconds: (options.minutes ?? 15) * 60,
    now: clock.now(),
    account: '111122223333',
    region: 'eu-west-1',
    createdBy: 'arn:aws:iam::111122223333:user/oncall',
    keep: options.keep ?? false,
  });
}

/** a delivered file whose 5-minute window starts at `window`, with one established and one refused connection */
function deliver(aws: FakeAws, p: CapturePlan, flowLogId: string, window: string) {
  const at = Date.parse(window) / 1000;
  const eni = p.resourceIds[0];
  const lines = [
    `5 ${eni} ingress 10.9.0.5 40001 10.0.1.10 443 10.9.0.5 10.0.1.10 6 2 1 60 ${at} ${at + 30} ACCEPT OK`,
    `5 ${eni} egress 10.0.1.10 443 10.9.0.5 40001 10.0.1.10 10.9.0.5 6 18 1 60 ${at} ${at + 30} ACCEPT OK`,
    `5 ${eni} ingress 10.9.0.6 40002 10.0.1.10 8080 10.9.0.6 10.0.1.10 6 2 1 60 ${at} ${at + 30} ACCEPT OK`,
    `5 ${eni} egress 10.0.1.10 8080 10.9.0.6 40002 10.0.1.10 10.9.0.6 6 4 1 40 ${at} ${at + 30} ACCEPT OK`,
  ];
  const stamp = window.slice(0, 16).replace(/[-:]/g, '') + 'Z';
  const prefix = p.location.type === 's3' ? p.location.prefix : '';
  aws.putDataFile(BUCKET, `${prefix}AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/111122223333_vpcflowlogs_eu-west-1_${flowLogId}_${stamp}_abcd1234.log.gz`, `${HEADER}\n${lines.join('\n')}\n`);
}

const finishOptions = { settleTimeoutMs: 15 * 60_000, waitForSettle: true, reason: 'test', pollMs: 30_000 };

describe('start', () => {
  test('one tagged flow log per interface of the instance, 60 s windows, the preset format, a manifest beside the data', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 2);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock);
    const manifest = await startCapture(p, deps);
    const flowLogs = [...aws.flowLogs.values()];
    expect(flowLogs.map((f) => f.resourceId).sort()).toEqual(p.resourceIds.slice().sort());
    expect(flowLogs.every((f) => f.maxAggregationInterval === 60 && f.logFormat === findPreset('handshake').template && f.trafficType === 'ALL')).toBe(true);
    expect(flowLogs[0].tags).toEqual({
      'flowdump:capture-id': 'fd-20260501-120000-aaaa',
      'flowdump:expires-at': '2026-05-01T12:15:00Z',
      'flowdump:created-by': 'arn:aws:iam::111122223333:user/oncall',
      Name: 'flowdump fd-20260501-120000-aaaa instance i-0aaaaaaaaaaaaaaa1 (web-1)',
    });
    expect(flowLogs[0].destination).toBe(`arn:aws:s3:::${BUCKET}/flowdump/fd-20260501-120000-aaaa/`);
    expect(JSON.parse(aws.objects.get(`${BUCKET}/flowdump/fd-20260501-120000-aaaa/capture.json`)!.body.toString())).toMatchObject({
      id: manifest.id,
      state: 'active',
      flowLogIds: flowLogs.map((f) => f.id),
      expiresAt: '2026-05-01T12:15:00.000Z',
      target: { label: 'instance i-0aaaaaaaaaaaaaaa1 (web-1)', enis: p.resourceIds },
    });
  });

  test('invariant 3: a retried start after a half-success makes no second flow log and does not fail', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 2);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock);
    // an earlier process made the flow log of the first interface, then died
    await aws.ec2.createFlowLogs({
      resourceType: 'NetworkInterface',
      resourceIds: [p.resourceIds[0]],
      trafficType: 'ALL',
      destination: { type: 's3', arn: `arn:aws:s3:::${BUCKET}/flowdump/${p.id}/`, fileFormat: 'plain-text' },
      logFormat: p.format.template,
      maxAggregationInterval: 60,
      tags: p.tags,
      clientToken: p.id,
    });
    const manifest = await startCapture(p, deps);
    expect(aws.flowLogs.size).toBe(2);
    expect([...aws.flowLogs.values()].map((f) => f.resourceId).sort()).toEqual(p.resourceIds.slice().sort());
    expect(manifest.flowLogIds.sort()).toEqual([...aws.flowLogs.keys()].sort());
    expect(deps.events.find((e) => e.type === 'created')).toMatchObject({ adopted: [manifest.flowLogIds[0]] });
    // a further retry makes nothing new and still succeeds
    await startCapture(p, deps);
    expect(aws.flowLogs.size).toBe(2);
  });

  test('invariant 3: a create that fails after AWS made the flow logs leaves none behind, and the retry makes exactly one per interface', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 2);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock);
    aws.throwAfterCreate = true;
    await expect(startCapture(p, deps)).rejects.toThrow(/InternalError/);
    expect(aws.flowLogs.size).toBe(0);
    await startCapture(p, deps);
    expect([...aws.flowLogs.values()].map((f) => f.resourceId).sort()).toEqual(p.resourceIds.slice().sort());
  });

  test('Unsuccessful[] rolls back what was made and explains each failed resource', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 2);
    const clock = new FakeClock(START);
    const p = await plan(aws, clock);
    aws.failResources.set(p.resourceIds[1], { code: '400', message: `LogDestination: ${BUCKET} does not exist.` });
    const error = await startCapture(p, fakeDeps(aws, clock)).catch((e: Error) => e);
    expect(error.message).toBe(
      `AWS could not create the flow log for ${p.resourceIds[1]}: 400 (LogDestination: ${BUCKET} does not exist); the 1 flow log(s) already made were deleted — nothing of capture fd-20260501-120000-aaaa is left running`,
    );
    expect(aws.flowLogs.size).toBe(0);
  });

  test('the safety-net seam: armed right after creation; if it cannot be armed the flow logs are rolled back', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const armed: string[] = [];
    const ok = fakeDeps(aws, clock, { safetyNet: { arm: async (c) => void armed.push(`${c.id} ${c.flowLogIds.join(',')}`), disarm: async (c) => void armed.push(`disarm ${c.id}`) } });
    const manifest = await startCapture(await plan(aws, clock), ok);
    expect(armed).toEqual([`${manifest.id} ${manifest.flowLogIds[0]}`]);
    await stopCapture(manifest, ok, 'test');
    expect(armed[1]).toBe(`disarm ${manifest.id}`);

    const failing = fakeDeps(aws, clock, { safetyNet: { arm: async () => Promise.reject(new Error('scheduler:CreateSchedule denied')), disarm: async () => undefined } });
    const error = await startCapture(await plan(aws, clock, { id: 'fd-20260501-120000-bbbb' }), failing).catch((e: Error) => e);
    expect(error.message).toMatch(/^the teardown safety net could not be armed \(scheduler:CreateSchedule denied\); the flow log was rolled back/);
    expect(aws.flowLogs.size).toBe(0);
  });
});

describe('finish: stop → settle → analyze → clean', () => {
  test('waits for the last window, writes the summary beside the data and locally, then deletes only the data', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const saved: string[] = [];
    const deps = fakeDeps(aws, clock, { cache: { save: async (m, json) => (saved.push(`${m.id} ${JSON.parse(json).tcp.connections}`), '/cache') } });
    const p = await plan(aws, clock);
    const manifest = await startCapture(p, deps);
    deliver(aws, p, manifest.flowLogIds[0], '2026-05-01T12:00:00Z');
    clock.set('2026-05-01T12:15:00Z');
    // the last window (12:15) arrives only after 6 minutes of settling
    const report = deps.reporter.event;
    deps.reporter.event = (event) => {
      report(event);
      if (event.type === 'settling' && event.waitedSeconds >= 360 && aws.keys(BUCKET).every((k) => !k.includes('T1215Z'))) deliver(aws, p, manifest.flowLogIds[0], '2026-05-01T12:15:00Z');
    };
    const result = await finishCapture(manifest, deps, finishOptions);
    expect(clock.now().toISOString()).toBe('2026-05-01T12:21:30.000Z');
    expect(aws.flowLogs.size).toBe(0);
    expect(result.manifest.state).toBe('cleaned');
    expect(result.manifest.settleComplete).toBe(true);
    expect(result.summary?.tcp).toMatchObject({ connections: 2, established: 1, refused: 1 });
    expect(saved).toEqual(['fd-20260501-120000-aaaa 2']);
    expect(aws.keys(BUCKET)).toEqual(['flowdump/fd-20260501-120000-aaaa/capture.json', 'flowdump/fd-20260501-120000-aaaa/summary.json', 'flowdump/fd-20260501-120000-aaaa/summary.txt']);
    const settling = deps.events.filter((e) => e.type === 'settling');
    expect(settling.length).toBeGreaterThan(0);
  });

  test('invariant 4: data is never deleted before its summary is written', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock);
    const manifest = await startCapture(p, deps);
    deliver(aws, p, manifest.flowLogIds[0], '2026-05-01T12:10:00Z');
    clock.set('2026-05-01T12:15:00Z');
    aws.failPut = /summary\.json$/;
    await expect(finishCapture(manifest, deps, finishOptions)).rejects.toThrow(/summary\.json/);
    expect(aws.keys(BUCKET, 'flowdump/fd-20260501-120000-aaaa/AWSLogs/')).toHaveLength(1);
    expect(aws.log.some((line) => line.startsWith('s3:DeleteObject flowdump/fd-20260501-120000-aaaa/AWSLogs/'))).toBe(false);
    // once it can be written, the summary comes first and the delete after it
    aws.failPut = undefined;
    await finishCapture(manifest, deps, finishOptions);
    const summaryAt = aws.log.indexOf('s3:PutObject flowdump/fd-20260501-120000-aaaa/summary.json');
    const firstDelete = aws.log.findIndex((line) => line.startsWith('s3:DeleteObject flowdump/fd-20260501-120000-aaaa/AWSLogs/'));
    expect(summaryAt).toBeGreaterThan(-1);
    expect(firstDelete).toBeGreaterThan(summaryAt);
  });

  test('the settle timeout ends the wait and the summary says plainly that data may be incomplete', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock);
    const manifest = await startCapture(p, deps);
    deliver(aws, p, manifest.flowLogIds[0], '2026-05-01T12:00:00Z');
    clock.set('2026-05-01T12:15:00Z');
    const result = await finishCapture(manifest, deps, { ...finishOptions, settleTimeoutMs: 5 * 60_000 });
    expect(result.manifest.settleComplete).toBe(false);
    expect(result.summary?.warnings[0]).toBe('data may be incomplete: the last minute had not arrived 5m after the stop (--settle-timeout)');
    expect(clock.now().toISOString()).toBe('2026-05-01T12:20:00.000Z');
  });

  test('--keep keeps the data; a teardown that cannot be verified fails with exit 5', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock, { keep: true });
    const manifest = await startCapture(p, deps);
    deliver(aws, p, manifest.flowLogIds[0], '2026-05-01T12:10:00Z');
    clock.set('2026-05-01T12:15:00Z');
    const kept = await finishCapture(manifest, deps, finishOptions);
    expect(kept.manifest.state).toBe('analyzed');
    expect(aws.keys(BUCKET, 'flowdump/fd-20260501-120000-aaaa/AWSLogs/')).toHaveLength(1);

    const p2 = await plan(aws, clock, { id: 'fd-20260501-120000-cccc' });
    const m2 = await startCapture(p2, deps);
    aws.undeletable.add(m2.flowLogIds[0]);
    const error = await stopCapture(m2, deps, 'test').catch((e) => e);
    expect(error.exitCode).toBe(5);
    expect(error.message).toMatch(new RegExp(`^flow log\\(s\\) ${m2.flowLogIds[0]} of capture fd-20260501-120000-cccc are still there after deleting them: ${m2.flowLogIds[0]}: Client.UnauthorizedOperation`));
  });
});

describe('sweep', () => {
  test('invariant 1: finishes every expired capture, leaves running ones alone, and a second sweep is a no-op', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const short = await startCapture(await plan(aws, clock, { id: 'fd-20260501-120000-0001', minutes: 5 }), deps);
    const long = await startCapture(await plan(aws, clock, { id: 'fd-20260501-120000-0002', minutes: 60 }), deps);
    deliver(aws, await plan(aws, clock, { id: short.id }), short.flowLogIds[0], '2026-05-01T12:05:00Z');
    clock.set('2026-05-01T12:30:00Z');
    const options = { account: '111122223333', region: 'eu-west-1', defaultBucket: BUCKET, settleTimeoutMs: 15 * 60_000, waitForSettle: true };
    const first = await sweepCaptures(deps, options);
    expect(first.exitCode).toBe(0);
    expect(first.finished.map((f) => [f.manifest.id, f.manifest.state])).toEqual([[short.id, 'cleaned']]);
    expect([...aws.flowLogs.values()].map((f) => f.tags['flowdump:capture-id'])).toEqual([long.id]);
    const second = await sweepCaptures(deps, options);
    expect(second.finished).toEqual([]);
    expect(second.skipped).toEqual([{ id: long.id, reason: 'still running' }]);
  });

  test('two sweeps at once do no harm: one summary, no errors, everything cleaned', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock, { minutes: 5 });
    const manifest = await startCapture(p, deps);
    deliver(aws, p, manifest.flowLogIds[0], '2026-05-01T12:05:00Z');
    clock.set('2026-05-01T12:30:00Z');
    const options = { account: '111122223333', region: 'eu-west-1', defaultBucket: BUCKET, settleTimeoutMs: 15 * 60_000, waitForSettle: true };
    const [a, b] = await Promise.all([sweepCaptures(deps, options), sweepCaptures(fakeDeps(aws, clock, { owner: 'other-host:2' }), options)]);
    expect([...a.failed, ...b.failed]).toEqual([]);
    expect(aws.log.filter((line) => line.endsWith('summary.json'))).toHaveLength(1);
    expect(aws.keys(BUCKET)).toEqual([`flowdump/${manifest.id}/capture.json`, `flowdump/${manifest.id}/summary.json`, `flowdump/${manifest.id}/summary.txt`]);
    expect(aws.flowLogs.size).toBe(0);
  });

  test('a sweep that read a capture before another process finished it leaves it finished (no stale manifest written back, no wait for data that is gone)', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock, { minutes: 5 });
    const stale = await startCapture(p, deps);
    deliver(aws, p, stale.flowLogIds[0], '2026-05-01T12:05:00Z');
    clock.set('2026-05-01T12:30:00Z');
    // the other process finishes it completely…
    const other = await finishCapture(stale, fakeDeps(aws, clock, { owner: 'other-host:2' }), { settleTimeoutMs: 15 * 60_000, waitForSettle: true, reason: 'expired (sweep)' });
    expect(other.manifest.state).toBe('cleaned');
    const before = clock.now().toISOString();
    // …then this one gets to it with the manifest it read before
    const late = fakeDeps(aws, clock);
    const result = await finishCapture(stale, late, { settleTimeoutMs: 15 * 60_000, waitForSettle: true, reason: 'expired (sweep)' });
    expect(result.manifest.state).toBe('cleaned');
    expect(late.events.filter((e) => e.type === 'stopping' || e.type === 'settling')).toEqual([]);
    expect(JSON.parse(aws.objects.get(`${BUCKET}/flowdump/${stale.id}/capture.json`)!.body.toString()).state).toBe('cleaned');
    // nothing waited
    expect(clock.now().toISOString()).toBe(before);
  });

  test('selectExpired is a pure choice over plain data', () => {
    const now = new Date('2026-05-01T12:30:00Z');
    const base = { flowLogs: [], location: undefined };
    const plan = selectExpired(
      [
        { ...base, id: 'a', expiresAt: new Date('2026-05-01T12:29:59Z'), flowLogs: [{ id: 'fl-1', resourceId: 'eni-1', destinationType: 's3', tags: {} }] },
        { ...base, id: 'b', expiresAt: new Date('2026-05-01T12:31:00Z'), flowLogs: [{ id: 'fl-2', resourceId: 'eni-1', destinationType: 's3', tags: {} }] },
        { ...base, id: 'c', expiresAt: new Date('2026-05-01T12:00:00Z'), manifest: { state: 'cleaned' } as never },
        { ...base, id: 'd', expiresAt: new Date('2026-05-01T12:00:00Z'), manifest: { state: 'settling' } as never },
        { ...base, id: 'e', expiresAt: new Date('2026-05-01T12:00:00Z'), manifest: { state: 'analyzed', keep: true } as never },
      ],
      now,
    );
    expect(plan.finish.map((r) => r.id)).toEqual(['a', 'd']);
    expect(plan.skip.map((s) => s.record.id)).toEqual(['b']);
  });
});

describe('invariant 2: never touches what it did not create', () => {
  test('a flow log with a forged capture tag but a foreign destination, foreign objects and a foreign log group survive stop and sweep', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock, { minutes: 5 });
    const manifest = await startCapture(p, deps);
    aws.flowLogs.set('fl-foreign', { id: 'fl-foreign', resourceId: p.resourceIds[0], destinationType: 's3', destination: 'arn:aws:s3:::audit-logs/vpc/', tags: { 'flowdump:capture-id': manifest.id } });
    aws.flowLogs.set('fl-untagged', { id: 'fl-untagged', resourceId: p.resourceIds[0], destinationType: 's3', destination: `arn:aws:s3:::${BUCKET}/flowdump/${manifest.id}/`, tags: {} });
    aws.putDataFile(BUCKET, 'other-team/AWSLogs/x.log.gz', 'x');
    aws.putDataFile(BUCKET, `flowdump/${manifest.id}-copy/AWSLogs/x.log.gz`, 'x');
    await aws.logs.createLogGroup('/flowdump/fd-20260501-110000-ffff', { team: 'net' });
    clock.set('2026-05-01T12:30:00Z');
    await sweepCaptures(deps, { account: '111122223333', region: 'eu-west-1', defaultBucket: BUCKET, settleTimeoutMs: 60_000, waitForSettle: true });
    expect([...aws.flowLogs.keys()].sort()).toEqual(['fl-foreign', 'fl-untagged']);
    expect(aws.keys(BUCKET, 'other-team/')).toHaveLength(1);
    expect(aws.keys(BUCKET, `flowdump/${manifest.id}-copy/`)).toHaveLength(1);
    expect(aws.groups.has('/flowdump/fd-20260501-110000-ffff')).toBe(true);
  });
});

describe('the foreground run', () => {
  test('reports progress until the budget, then finishes; an interrupt stops it early and is recorded', async () => {
    const { runCapture } = await import('../../src/capture/run.js');
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock, { minutes: 2 });
    const manifest = await startCapture(p, deps);
    deliver(aws, p, manifest.flowLogIds[0], '2026-05-01T12:00:00Z');
    const result = await runCapture(manifest, deps, { settleTimeoutMs: 60_000, stopSignal: new AbortController().signal, skipSignal: new AbortController().signal });
    const progress = deps.events.filter((e) => e.type === 'progress').map((e) => (e as { timeLeftSeconds: number }).timeLeftSeconds);
    expect(progress).toEqual([120, 90, 60, 30]);
    expect(result.manifest).toMatchObject({ state: 'cleaned', stopReason: 'time budget reached', stoppedAt: '2026-05-01T12:02:00.000Z' });

    const p2 = await plan(aws, clock, { id: 'fd-20260501-120000-dddd', minutes: 60 });
    const m2 = await startCapture(p2, deps);
    const stop = new AbortController();
    const skip = new AbortController();
    deps.reporter.event = (event) => {
      if (event.type === 'progress' && event.timeLeftSeconds <= 3000) stop.abort();
      if (event.type === 'stopped') skip.abort();
    };
    const early = await runCapture(m2, deps, { settleTimeoutMs: 60_000, stopSignal: stop.signal, skipSignal: skip.signal });
    expect(early.deferred).toBe('analysis skipped (second interrupt)');
    expect(early.manifest).toMatchObject({ state: 'settling', stopReason: 'interrupted' });
    expect(aws.flowLogs.size).toBe(0);
  });
});

describe('a process that died between CreateFlowLogs and writing its manifest', () => {
  test('sweep rebuilds the manifest from the flow log (tags, destination, format), stops and summarizes the capture, and keeps its data: a rebuilt manifest never leads to a delete', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
    const clock = new FakeClock(START);
    const deps = fakeDeps(aws, clock);
    const p = await plan(aws, clock, { minutes: 5 });
    await aws.ec2.createFlowLogs({
      resourceType: 'NetworkInterface',
      resourceIds: p.resourceIds,
      trafficType: 'ALL',
      destination: { type: 's3', arn: `arn:aws:s3:::${BUCKET}/flowdump/${p.id}/`, fileFormat: 'plain-text' },
      logFormat: p.format.template,
      maxAggregationInterval: 60,
      tags: p.tags,
      clientToken: p.id,
    });
    const [flowLogId] = [...aws.flowLogs.keys()];
    deliver(aws, p, flowLogId, '2026-05-01T12:05:00Z');
    clock.set('2026-05-01T12:30:00Z');
    const result = await sweepCaptures(deps, { account: '111122223333', region: 'eu-west-1', defaultBucket: BUCKET, settleTimeoutMs: 60_000, waitForSettle: true });
    expect(result.failed).toEqual([]);
    expect(result.finished[0].manifest).toMatchObject({ id: p.id, state: 'analyzed', recovered: true, keep: true, keptBecause: RECOVERED_KEEP_NOTE, expiresAt: '2026-05-01T12:05:00.000Z', flowLogIds: [flowLogId] });
    expect(result.finished[0].summary?.tcp.connections).toBe(2);
    expect(aws.flowLogs.size).toBe(0);
    const keys = aws.keys(BUCKET);
    expect(keys.filter((key) => !key.includes('/AWSLogs/'))).toEqual([`flowdump/${p.id}/capture.json`, `flowdump/${p.id}/summary.json`, `flowdump/${p.id}/summary.txt`]);
    expect(keys.filter((key) => key.includes('/AWSLogs/'))).toHaveLength(1);
  });
});
