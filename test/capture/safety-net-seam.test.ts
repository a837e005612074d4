/**
 * The safety-net seam with the real safety net (src/schedule/safety-net.ts) plugged in over an
 * in-memory Scheduler: start arms one schedule that deletes exactly the capture's flow logs after
 * its expiry; stop disarms it; a net that cannot be armed rolls the flow logs back.
 */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../../src/capture/clock.js';
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

  test('a schedule that cannot be made rolls the flow logs back: nothing runs without its net', async () => {
    const { aws, clock, scheduler, safetyNet, plan } = await setup();
    scheduler.failNext('createSchedule', new Error('AccessDeniedException: not authorized to perform scheduler:CreateSchedule'));
    const error = await startCapture(plan, fakeDeps(aws, clock, { safetyNet })).catch((e: Error) => e);
    expect(error.message).toMatch(/^the teardown safety net could not be armed \(AccessDeniedException: not authorized to perform scheduler:CreateSchedule\); the flow log was rolled back/);
    expect(aws.flowLogs.size).toBe(0);
    expect(scheduler.schedules.size).toBe(0);
  });
});
