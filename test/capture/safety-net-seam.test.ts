/**
 * The safety-net seam with the real safety net (src/schedule/safety-net.ts) plugged in over an
 * in-memory Scheduler: start arms one schedule that deletes exactly the capture's flow logs after
 * its expiry; stop disarms it; a net that cannot be armed rolls the flow logs back.
 */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { parseDestination } from '../../src/capture/destination.js';
import { startCapture, stopCapture, type SafetyNet } from '../../src/capture/lifecycle.js';
import { planCapture } from '../../src/capture/plan.js';
import { resolveTarget } from '../../src/capture/targets.js';
import { findPreset } from '../../src/format/presets.js';
import { createSafetyNet, safetyNetRoleArn } from '../../src/schedule/safety-net.js';
import { FakeScheduler } from '../schedule/fake-scheduler.js';
import { FakeAws, fakeDeps } from './fakes.js';

async function setup() {
  const aws = new FakeAws();
  aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 2);
  const clock = new FakeClock('2026-05-01T12:00:00Z');
  const scheduler = new FakeScheduler('eu-west-1', () => clock.now());
  const safetyNet: SafetyNet = createSafetyNet({ schedulerFor: () => scheduler, roleArn: safetyNetRoleArn('111122223333'), clock });
  const preset = findPreset('handshake');
  const plan = planCapture({
    id: 'fd-20260501-120000-5afe',
    target: await resolveTarget({ kind: 'instance', value: 'i-0aaaaaaaaaaaaaaa1' }, aws.ec2, { where: 'in eu-west-1' }),
    format: { preset, bytesPerRecord: preset.bytesPerRecord },
    destination: parseDestination(undefined),
    defaultBucket: 'flowdump-111122223333-eu-west-1',
    fileFormat: 'text',
    traffic: 'ALL',
    durationSeconds: 900,
    now: clock.now(),
    account: '111122223333',
    region: 'eu-west-1',
    createdBy: 'test',
    keep: false,
  });
  return { aws, clock, scheduler, safetyNet, plan };
}

describe('the safety-net seam (deps.safetyNet) with the EventBridge Scheduler safety net', () => {
  test('start arms a schedule that deletes exactly this capture\'s flow logs after expiry; stop disarms it', async () => {
    const { aws, clock, scheduler, safetyNet, plan } = await setup();
    const deps = fakeDeps(aws, clock, { safetyNet });
    const manifest = await startCapture(plan, deps);
    const [schedule] = [...scheduler.schedules.values()].map((entry) => entry.request);
    expect(schedule.Name).toBe('flowdump-fd-20260501-120000-5afe');
    expect(JSON.parse(schedule.Target.Input).FlowLogIds.sort()).toEqual([...manifest.flowLogIds].sort());
    expect(schedule.ScheduleExpression).toBe('at(2026-05-01T12:17:00)');
    await stopCapture(manifest, deps, 'test');
    expect(scheduler.schedules.size).toBe(0);
    expect(aws.flowLogs.size).toBe(0);
  });

  test('the manifest written beside the data says which schedule tears the capture down, and when', async () => {
    const { aws, clock, safetyNet, plan } = await setup();
    const deps = fakeDeps(aws, clock, { safetyNet });
    const manifest = await startCapture(plan, deps);
    const expected = { armed: true, schedule: 'flowdump/flowdump-fd-20260501-120000-5afe', fireAt: '2026-05-01T12:17:00.000Z' };
    expect(manifest.safetyNet).toEqual(expected);
    expect(JSON.parse(aws.objects.get(`flowdump-111122223333-eu-west-1/flowdump/${plan.id}/capture.json`)!.body.toString()).safetyNet).toEqual(expected);
    await stopCapture(manifest, deps, 'test');
    expect(deps.events.filter((e) => e.type === 'disarmed')).toEqual([{ type: 'disarmed', id: plan.id }]);
  });

  test('without a net (--no-safety-net) the manifest says so, and stop does not go looking for one', async () => {
    const { aws, clock, scheduler, plan } = await setup();
    const calls: string[] = [];
    const watching = { arm: async () => void calls.push('arm'), disarm: async () => void calls.push('disarm') };
    const manifest = await startCapture(plan, fakeDeps(aws, clock));
    expect(manifest.safetyNet).toEqual({ armed: false, note: expect.stringMatching(/^no server-side teardown: started with --no-safety-net/) });
    // a later stop (with a net configured, as flowdump stop always has) leaves Scheduler alone
    const stopDeps = fakeDeps(aws, clock, { safetyNet: watching });
    await stopCapture(manifest, stopDeps, 'test');
    expect(calls).toEqual([]);
    expect(scheduler.schedules.size).toBe(0);
    expect(aws.flowLogs.size).toBe(0);
    expect(stopDeps.events.some((e) => e.type === 'disarmed')).toBe(false);
  });

  test('a net that cannot be removed is a warning: the flow log is gone, so it would only find nothing to delete', async () => {
    const { aws, clock, scheduler, safetyNet, plan } = await setup();
    const deps = fakeDeps(aws, clock, { safetyNet });
    const manifest = await startCapture(plan, deps);
    scheduler.failNext('deleteSchedule', new Error('ThrottlingException: Rate exceeded'));
    const stopped = await stopCapture(manifest, deps, 'test');
    expect(stopped.state).toBe('settling');
    expect(aws.flowLogs.size).toBe(0);
    expect(deps.events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message)).toEqual([
      `the safety net of ${plan.id} could not be disarmed (ThrottlingException: Rate exceeded); it will find nothing to delete, then delete itself`,
    ]);
  });

  test('a schedule that cannot be made rolls the flow logs back: nothing runs without its net', async () => {
    const { aws, clock, scheduler, safetyNet, plan } = await setup();
    scheduler.failNext('createSchedule', new Error('AccessDeniedException: not authorized to perform scheduler:CreateSchedule'));
    const error = await startCapture(plan, fakeDeps(aws, clock, { safetyNet })).catch((e: Error) => e);
    expect(error.message).toMatch(/^the teardown safety net could not be armed \(AccessDeniedException: not authorized to perform scheduler:CreateSchedule\); the flow log was rolled back/);
    expect(aws.flowLogs.size).toBe(0);
    expect(scheduler.schedules.size).toBe(0);
  });
});
