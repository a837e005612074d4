import { describe, expect, it } from 'vitest';
import type { ScheduleListing } from '../../src/aws/scheduler.js';
import { AwsAccessError, ExitCode, FlowdumpError } from '../../src/errors.js';
import {
  armSafetyNet,
  captureIdOfSchedule,
  createSafetyNet,
  disarmSafetyNet,
  planSafetyNet,
  renderSafetyNetPolicies,
  safetyNetRoleArn,
  safetyNetFireTime,
  safetyNetStatus,
  selectOrphanSchedules,
  sweepSafetyNets,
  type CaptureRef,
  type SafetyNetDeps,
} from '../../src/schedule/safety-net.js';
import { FakeScheduler } from './fake-scheduler.js';

const ROLE = 'arn:aws:iam::123456789012:role/flowdump-safety-net';
const capture: CaptureRef = { id: 'fd-20260501-1230-ab12', flowLogIds: ['fl-0123456789abcdef0'], expiresAt: '2026-05-01T12:30:00Z', region: 'eu-west-1' };

function thrownBy(fn: () => unknown): FlowdumpError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FlowdumpError);
    return error as FlowdumpError;
  }
  throw new Error('expected a FlowdumpError');
}

describe('planSafetyNet: the CreateSchedule request as data', () => {
  it('deletes the capture flow logs two minutes after expires-at, once, as the safety-net role', () => {
    const plan = planSafetyNet(capture, { roleArn: ROLE, now: new Date('2026-05-01T12:15:00Z') });
    expect(plan).toMatchObject({ name: 'flowdump-fd-20260501-1230-ab12', groupName: 'flowdump', region: 'eu-west-1', fireAt: '2026-05-01T12:32:00.000Z' });
    const { ClientToken, ...request } = plan.request;
    expect(request).toEqual({
      Name: 'flowdump-fd-20260501-1230-ab12',
      GroupName: 'flowdump',
      ScheduleExpression: 'at(2026-05-01T12:32:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Description: 'flowdump safety net: deletes flow log fl-0123456789abcdef0 of capture fd-20260501-1230-ab12 if still running at 2026-05-01T12:32:00.000Z',
      Target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:ec2:deleteFlowLogs',
        RoleArn: ROLE,
        Input: '{"FlowLogIds":["fl-0123456789abcdef0"]}',
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
      },
    });
    expect(ClientToken).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it('rounds up to a whole minute (Scheduler fires with 60-second precision)', () => {
    const plan = planSafetyNet({ ...capture, expiresAt: '2026-05-01T12:30:20Z' }, { roleArn: ROLE, now: new Date('2026-05-01T12:15:00Z') });
    expect(plan.request.ScheduleExpression).toBe('at(2026-05-01T12:33:00)');
  });

  it('a capture armed after its expiry still gets a net, a minute out', () => {
    const plan = planSafetyNet(capture, { roleArn: ROLE, now: new Date('2026-05-01T12:40:30Z') });
    expect(plan.fireAt).toBe('2026-05-01T12:42:00.000Z');
  });

  it('several flow logs (an instance with several ENIs) go in one call', () => {
    const plan = planSafetyNet({ ...capture, flowLogIds: ['fl-aaa', 'fl-bbb'] }, { roleArn: ROLE, now: new Date('2026-05-01T12:15:00Z') });
    expect(JSON.parse(plan.request.Target.Input)).toEqual({ FlowLogIds: ['fl-aaa', 'fl-bbb'] });
    expect(plan.request.Description).toContain('flow logs fl-aaa, fl-bbb');
  });

  it('the universal target lives in the role partition', () => {
    const plan = planSafetyNet(capture, { roleArn: safetyNetRoleArn('123456789012', 'aws-cn'), now: new Date('2026-05-01T12:15:00Z') });
    expect(plan.request.Target.Arn).toBe('arn:aws-cn:scheduler:::aws-sdk:ec2:deleteFlowLogs');
  });

  it('the client token is the same for a retry and differs for another fire time', () => {
    const now = new Date('2026-05-01T12:15:00Z');
    const a = planSafetyNet(capture, { roleArn: ROLE, now }).request.ClientToken;
    expect(planSafetyNet(capture, { roleArn: ROLE, now }).request.ClientToken).toBe(a);
    expect(planSafetyNet({ ...capture, expiresAt: '2026-05-01T13:30:00Z' }, { roleArn: ROLE, now }).request.ClientToken).not.toBe(a);
  });

  it('refuses what cannot make a valid schedule, in one sentence', () => {
    const now = new Date('2026-05-01T12:15:00Z');
    expect(thrownBy(() => planSafetyNet({ ...capture, id: 'x'.repeat(56) }, { roleArn: ROLE, now })).message).toMatch(/must be 1–64 letters, digits/);
    expect(thrownBy(() => planSafetyNet({ ...capture, id: 'has space' }, { roleArn: ROLE, now })).code).toBe('safety-net-name');
    expect(thrownBy(() => planSafetyNet({ ...capture, flowLogIds: [] }, { roleArn: ROLE, now })).message).toBe(
      'capture fd-20260501-1230-ab12 has no flow log ids, so there is nothing for its safety net to delete',
    );
    expect(thrownBy(() => planSafetyNet({ ...capture, flowLogIds: ['eni-123'] }, { roleArn: ROLE, now })).message).toContain('"eni-123", which is not a flow log id');
    expect(thrownBy(() => planSafetyNet({ ...capture, expiresAt: 'soon' }, { roleArn: ROLE, now })).code).toBe('safety-net-expiry');
    const role = thrownBy(() => planSafetyNet(capture, { roleArn: 'flowdump-safety-net', now }));
    expect(role.message).toContain('is not an IAM role ARN');
    expect(role.exitCode).toBe(ExitCode.usage);
    // the longest id that fits: 64 - "flowdump-".length
    expect(planSafetyNet({ ...capture, id: 'x'.repeat(55) }, { roleArn: ROLE, now }).name).toHaveLength(64);
  });
});

function deps(schedulers: Map<string, FakeScheduler>, now = '2026-05-01T12:15:00Z'): SafetyNetDeps {
  return {
    schedulerFor: (region) => {
      let scheduler = schedulers.get(region);
      if (!scheduler) {
        scheduler = new FakeScheduler(region);
        schedulers.set(region, scheduler);
      }
      return scheduler;
    },
    roleArn: ROLE,
    clock: { now: () => new Date(now) },
  };
}

describe('armSafetyNet / disarmSafetyNet', () => {
  it('creates the group once and one schedule per capture, in the capture region', async () => {
    const schedulers = new Map<string, FakeScheduler>();
    const first = await armSafetyNet(deps(schedulers), capture);
    expect(first).toMatchObject({ name: 'flowdump-fd-20260501-1230-ab12', created: true, region: 'eu-west-1', fireAt: '2026-05-01T12:32:00.000Z' });
    await armSafetyNet(deps(schedulers), { ...capture, id: 'fd-second', flowLogIds: ['fl-222'] });
    await armSafetyNet(deps(schedulers), { ...capture, id: 'fd-third', flowLogIds: ['fl-333'], region: 'us-east-1' });
    const eu = schedulers.get('eu-west-1')!;
    expect(eu.groupCreations).toBe(1);
    expect(eu.groups.get('flowdump')).toEqual({ 'flowdump:created-by': 'flowdump' });
    expect([...eu.schedules.keys()].sort()).toEqual(['flowdump/flowdump-fd-20260501-1230-ab12', 'flowdump/flowdump-fd-second']);
    expect([...schedulers.get('us-east-1')!.schedules.keys()]).toEqual(['flowdump/flowdump-fd-third']);
    const stored = await eu.getSchedule('flowdump-fd-20260501-1230-ab12', 'flowdump');
    expect(stored).toMatchObject({ scheduleExpression: 'at(2026-05-01T12:32:00)', actionAfterCompletion: 'DELETE', target: { roleArn: ROLE, input: '{"FlowLogIds":["fl-0123456789abcdef0"]}' } });
  });

  it('arming twice (a retried start) leaves one schedule and says it was already there', async () => {
    const schedulers = new Map<string, FakeScheduler>();
    await armSafetyNet(deps(schedulers), capture);
    const again = await armSafetyNet(deps(schedulers, '2026-05-01T12:16:00Z'), capture);
    expect(again.created).toBe(false);
    expect(schedulers.get('eu-west-1')!.schedules.size).toBe(1);
  });

  it('a schedule with our name for other flow logs is refused, not adopted', async () => {
    const schedulers = new Map<string, FakeScheduler>();
    await armSafetyNet(deps(schedulers), { ...capture, flowLogIds: ['fl-999'] });
    const error = await armSafetyNet(deps(schedulers), capture).then(
      () => undefined,
      (e: unknown) => e as FlowdumpError,
    );
    expect(error?.code).toBe('safety-net-conflict');
    expect(error?.message).toContain('already exists in eu-west-1 for other flow logs (fl-999)');
    expect(error?.message).toContain('aws scheduler delete-schedule --group-name flowdump --name flowdump-fd-20260501-1230-ab12 --region eu-west-1');
  });

  it('a failure to create the schedule reaches the caller, which rolls its flow log back', async () => {
    const schedulers = new Map<string, FakeScheduler>();
    const d = deps(schedulers);
    (d.schedulerFor('eu-west-1') as FakeScheduler).failNext('createSchedule', new AwsAccessError('access-denied', 'not allowed to call scheduler:CreateSchedule'));
    await expect(armSafetyNet(d, capture)).rejects.toThrow('not allowed to call scheduler:CreateSchedule');
    expect(schedulers.get('eu-west-1')!.schedules.size).toBe(0);
  });

  it('disarm deletes the schedule; disarming again is not an error', async () => {
    const schedulers = new Map<string, FakeScheduler>();
    const net = createSafetyNet(deps(schedulers));
    await net.arm(capture);
    await expect(net.disarm(capture)).resolves.toEqual({ name: 'flowdump-fd-20260501-1230-ab12', deleted: true });
    expect(schedulers.get('eu-west-1')!.schedules.size).toBe(0);
    await expect(disarmSafetyNet(deps(schedulers), capture)).resolves.toEqual({ name: 'flowdump-fd-20260501-1230-ab12', deleted: false });
  });
});

describe('selectOrphanSchedules: what a sweep may delete', () => {
  const now = new Date('2026-05-01T13:00:00Z');
  const listing = (name: string, minutesAgo: number, groupName = 'flowdump'): ScheduleListing => ({
    name,
    groupName,
    state: 'ENABLED',
    creationDate: new Date(now.getTime() - minutesAgo * 60_000),
  });

  it('removes nets of captures that are gone, keeps live and young ones, never touches foreign schedules', () => {
    const plan = selectOrphanSchedules(
      [listing('flowdump-live', 30), listing('flowdump-gone', 30), listing('flowdump-starting', 2), listing('nightly-backup', 300), listing('flowdump-other-group', 300, 'default')],
      ['live'],
      { now },
    );
    expect(plan.remove.map((d) => [d.captureId, d.reason])).toEqual([['gone', 'its capture has no flow log any more']]);
    expect(plan.keep.map((d) => [d.captureId, d.reason])).toEqual([
      ['live', 'its capture is still running'],
      ['starting', 'created moments ago: its capture may be starting'],
    ]);
    expect(plan.foreign.map((d) => d.schedule.name)).toEqual(['nightly-backup', 'flowdump-other-group']);
  });

  it('the age guard can be tuned, and a schedule of unknown age is kept', () => {
    const plan = selectOrphanSchedules([listing('flowdump-a', 2), { name: 'flowdump-b', groupName: 'flowdump' }], [], { now, minAgeMs: 60_000 });
    expect(plan.remove.map((d) => d.captureId)).toEqual(['a']);
    expect(plan.keep.map((d) => d.captureId)).toEqual(['b']);
  });

  it('maps schedule names back to capture ids', () => {
    expect(captureIdOfSchedule('flowdump-fd-1')).toBe('fd-1');
    expect(captureIdOfSchedule('flowdump-')).toBeUndefined();
    expect(captureIdOfSchedule('other')).toBeUndefined();
  });
});

describe('sweepSafetyNets: the sweep\'s part for schedules', () => {
  const now = new Date('2026-05-01T13:00:00Z');
  async function schedulerWith(entries: [name: string, minutesAgo: number][]): Promise<FakeScheduler> {
    let created = now;
    const scheduler = new FakeScheduler('eu-west-1', () => created);
    await scheduler.ensureScheduleGroup('flowdump');
    for (const [name, minutesAgo] of entries) {
      created = new Date(now.getTime() - minutesAgo * 60_000);
      const request = planSafetyNet({ ...capture, id: name.replace(/^flowdump-/, '') }, { roleArn: ROLE, now: created }).request;
      await scheduler.createSchedule({ ...request, Name: name });
    }
    return scheduler;
  }

  it('deletes only the nets whose capture is gone and that are old enough; returns what it kept', async () => {
    const scheduler = await schedulerWith([
      ['flowdump-fd-live', 30],
      ['flowdump-fd-gone', 30],
      ['flowdump-fd-starting', 1],
      ['nightly-report', 300],
    ]);
    const result = await sweepSafetyNets(scheduler, ['fd-live'], { now });
    expect(result.removed.map((d) => d.schedule.name)).toEqual(['flowdump-fd-gone']);
    expect(result.kept.map((d) => d.schedule.name).sort()).toEqual(['flowdump-fd-live', 'flowdump-fd-starting']);
    expect(result.failed).toEqual([]);
    expect([...scheduler.schedules.keys()].sort()).toEqual(['flowdump/flowdump-fd-live', 'flowdump/flowdump-fd-starting', 'flowdump/nightly-report']);
    // a second sweep (or one running at the same time) has nothing left to do
    expect((await sweepSafetyNets(scheduler, ['fd-live'], { now })).removed).toEqual([]);
  });

  it('a delete that fails is reported, not thrown: a leftover net only deletes flow logs that are gone', async () => {
    const scheduler = await schedulerWith([['flowdump-fd-gone', 30]]);
    scheduler.failNext('deleteSchedule', new AwsAccessError('access-denied', 'not allowed to call scheduler:DeleteSchedule'));
    const result = await sweepSafetyNets(scheduler, [], { now });
    expect(result.removed).toEqual([]);
    expect(result.failed).toEqual([{ name: 'flowdump-fd-gone', message: 'not allowed to call scheduler:DeleteSchedule' }]);
    expect(scheduler.schedules.size).toBe(1);
  });

  it('a region without the group has nothing to sweep', async () => {
    const result = await sweepSafetyNets(new FakeScheduler('eu-west-1'), [], { now });
    expect(result).toEqual({ removed: [], kept: [], failed: [] });
  });
});

describe('safetyNetFireTime', () => {
  it('expires-at + 2 minutes, up to the whole minute, and never sooner than a minute from now', () => {
    expect(safetyNetFireTime(new Date('2026-05-01T12:30:10Z'), new Date('2026-05-01T12:00:00Z')).toISOString()).toBe('2026-05-01T12:33:00.000Z');
    expect(safetyNetFireTime(new Date('2026-05-01T12:30:00Z'), new Date('2026-05-01T12:00:00Z')).toISOString()).toBe('2026-05-01T12:32:00.000Z');
    expect(safetyNetFireTime(new Date('2026-05-01T12:30:00Z'), new Date('2026-05-01T12:40:30Z')).toISOString()).toBe('2026-05-01T12:42:00.000Z');
  });
});

describe('safetyNetStatus: what list shows', () => {
  it('armed with its fire time, or missing', async () => {
    const scheduler = new FakeScheduler('eu-west-1');
    await armSafetyNet({ schedulerFor: () => scheduler, roleArn: ROLE, clock: { now: () => new Date('2026-05-01T12:15:00Z') } }, capture);
    const schedules = await scheduler.listSchedules('flowdump');
    expect(safetyNetStatus(capture, schedules)).toEqual({ status: 'armed', name: 'flowdump-fd-20260501-1230-ab12', fireAt: '2026-05-01T12:32:00.000Z', state: 'ENABLED' });
    expect(safetyNetStatus({ id: 'fd-other', expiresAt: capture.expiresAt }, schedules)).toEqual({ status: 'missing', name: 'flowdump-fd-other' });
  });
});

describe('IAM documents of the safety net', () => {
  const policies = renderSafetyNetPolicies({ accountId: '123456789012' });
  type Statement = { Effect: string; Action: string | string[]; Resource: string; Principal?: unknown; Condition?: Record<string, Record<string, string>> };
  const statements = (doc: unknown) => (doc as { Statement: Statement[] }).Statement;

  it('the role may only delete flow logs whose capture tag is shaped like a capture id (and their S3 delivery)', () => {
    expect(statements(policies.rolePolicy)).toEqual([
      {
        Sid: 'DeleteOnlyFlowLogsThatFlowdumpTagged',
        Effect: 'Allow',
        Action: 'ec2:DeleteFlowLogs',
        Resource: 'arn:aws:ec2:*:123456789012:vpc-flow-log/*',
        Condition: { StringLike: { 'aws:ResourceTag/flowdump:capture-id': 'fd-????????-??????-?*' } },
      },
      { Sid: 'DeleteTheFlowLogsS3Delivery', Effect: 'Allow', Action: ['logs:DeleteLogDelivery'], Resource: '*' },
    ]);
  });

  it('in another partition the documents name it (the caller ARN decides, not a constant)', () => {
    const china = renderSafetyNetPolicies({ accountId: '123456789012', partition: 'aws-cn' });
    expect(JSON.stringify(china.rolePolicy)).toContain('arn:aws-cn:ec2:*:123456789012:vpc-flow-log/*');
    expect(statements(china.trustPolicy)[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnLike: { 'aws:SourceArn': 'arn:aws-cn:scheduler:*:123456789012:schedule-group/flowdump' },
    });
  });

  it('only EventBridge Scheduler of this account may assume it', () => {
    const [trust] = statements(policies.trustPolicy);
    expect(trust).toMatchObject({ Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } });
    expect(policies.roleName).toBe('flowdump-safety-net');
  });

  it('the caller policy grants the schedule calls and passing only this role to Scheduler', () => {
    const caller = statements(policies.callerPolicy);
    const actions = caller.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(actions.sort()).toEqual(
      ['iam:GetRole', 'iam:PassRole', 'scheduler:CreateSchedule', 'scheduler:CreateScheduleGroup', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule', 'scheduler:GetScheduleGroup', 'scheduler:ListSchedules', 'scheduler:TagResource'].sort(),
    );
    const passRole = caller.find((s) => s.Action === 'iam:PassRole');
    expect(passRole).toMatchObject({ Resource: 'arn:aws:iam::123456789012:role/flowdump-safety-net', Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } });
    expect(caller.find((s) => Array.isArray(s.Action) && s.Action.includes('scheduler:CreateSchedule'))?.Resource).toBe('arn:aws:scheduler:*:123456789012:schedule/flowdump/*');
  });

  it('fills the partition and rejects a bad account id', () => {
    expect(JSON.stringify(renderSafetyNetPolicies({ accountId: '123456789012', partition: 'aws-cn' }).rolePolicy)).toContain('arn:aws-cn:ec2:*:123456789012:vpc-flow-log/*');
    expect(thrownBy(() => renderSafetyNetPolicies({ accountId: '1234' })).message).toBe('"1234" is not a 12-digit AWS account id');
  });
});
