import {
  ConflictException,
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  SchedulerServiceException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsSchedulerAdapter } from '../../src/aws/scheduler.js';
import { AwsAccessError, ExitCode, FlowdumpError } from '../../src/errors.js';
import { planSafetyNet } from '../../src/schedule/safety-net.js';

const schedulerMock = mockClient(SchedulerClient);
const meta = { $metadata: { httpStatusCode: 400, requestId: 'req-1' } };

function adapter(): AwsSchedulerAdapter {
  return new AwsSchedulerAdapter(new SchedulerClient({ region: 'eu-west-1' }), 'eu-west-1');
}

function accessDenied(message: string): SchedulerServiceException {
  return new SchedulerServiceException({ name: 'AccessDeniedException', $fault: 'client', message, ...meta });
}

const plan = planSafetyNet(
  { id: 'fd-20260501-1230-ab12', flowLogIds: ['fl-0123456789abcdef0'], expiresAt: '2026-05-01T12:30:00Z', region: 'eu-west-1' },
  { roleArn: 'arn:aws:iam::123456789012:role/flowdump-safety-net', now: new Date('2026-05-01T12:15:00Z') },
);

async function rejection(promise: Promise<unknown>): Promise<FlowdumpError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(FlowdumpError);
    return error as FlowdumpError;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  schedulerMock.reset();
});

describe('schedule group', () => {
  it('an existing group is never created again (moto would empty it)', async () => {
    schedulerMock.on(GetScheduleGroupCommand).resolves({ Name: 'flowdump', State: 'ACTIVE' });
    schedulerMock.on(CreateScheduleGroupCommand).rejects(new Error('must not be called'));
    await expect(adapter().ensureScheduleGroup('flowdump')).resolves.toEqual({ created: false });
    expect(schedulerMock.commandCalls(CreateScheduleGroupCommand)).toHaveLength(0);
  });

  it('a missing group is created, with its tags', async () => {
    schedulerMock.on(GetScheduleGroupCommand).rejects(new ResourceNotFoundException({ message: 'Schedule group flowdump does not exist.', ...meta }));
    schedulerMock.on(CreateScheduleGroupCommand).resolves({ ScheduleGroupArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule-group/flowdump' });
    await expect(adapter().ensureScheduleGroup('flowdump', { 'flowdump:created-by': 'flowdump' })).resolves.toEqual({ created: true });
    expect(schedulerMock.commandCalls(CreateScheduleGroupCommand)[0].args[0].input).toEqual({
      Name: 'flowdump',
      Tags: [{ Key: 'flowdump:created-by', Value: 'flowdump' }],
    });
  });

  it('a group created by someone else in between is fine', async () => {
    schedulerMock.on(GetScheduleGroupCommand).rejects(new ResourceNotFoundException({ message: 'not found', ...meta }));
    schedulerMock.on(CreateScheduleGroupCommand).rejects(new ConflictException({ message: 'Schedule group flowdump already exists.', ...meta }));
    await expect(adapter().ensureScheduleGroup('flowdump')).resolves.toEqual({ created: false });
  });

  it('no permission to read the group names the action and the policy file', async () => {
    schedulerMock.on(GetScheduleGroupCommand).rejects(accessDenied('User: arn:aws:iam::123456789012:user/dev is not authorized to perform: scheduler:GetScheduleGroup'));
    const error = await rejection(adapter().ensureScheduleGroup('flowdump'));
    expect(error.message).toBe(
      'not allowed to call scheduler:GetScheduleGroup in eu-west-1 (for schedule group "flowdump"): attach the policy in templates/iam/safety-net-caller-policy.json to your user or role (or start with --no-safety-net to go without the server-side teardown)',
    );
  });
});

describe('createSchedule', () => {
  it('sends the planned request unchanged and returns the ARN', async () => {
    schedulerMock.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/flowdump/flowdump-fd-20260501-1230-ab12' });
    await expect(adapter().createSchedule(plan.request)).resolves.toEqual({
      arn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/flowdump/flowdump-fd-20260501-1230-ab12',
      created: true,
    });
    const sent = schedulerMock.commandCalls(CreateScheduleCommand)[0].args[0].input;
    expect(sent).toEqual(plan.request);
    expect(sent.ActionAfterCompletion).toBe('DELETE');
  });

  it('a schedule that already exists is idempotent, not an error', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'Schedule flowdump-fd-20260501-1230-ab12 already exists.', ...meta }));
    await expect(adapter().createSchedule(plan.request)).resolves.toEqual({ created: false });
  });

  it('throttling that outlived the SDK retries is one sentence with exit code 3', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(new ThrottlingException({ message: 'Rate exceeded', ...meta }));
    const error = await rejection(adapter().createSchedule(plan.request));
    expect(error).toBeInstanceOf(AwsAccessError);
    expect(error.code).toBe('throttled');
    expect(error.exitCode).toBe(ExitCode.awsAccess);
    expect(error.message).toBe(
      'EventBridge Scheduler kept throttling scheduler:CreateSchedule for schedule "flowdump/flowdump-fd-20260501-1230-ab12" in eu-west-1 after the SDK\'s retries; wait a minute and run the command again',
    );
    expect(error.details).toMatchObject({ action: 'scheduler:CreateSchedule', region: 'eu-west-1', requestId: 'req-1' });
  });

  it('AccessDenied names scheduler:CreateSchedule and the policy that grants it', async () => {
    schedulerMock
      .on(CreateScheduleCommand)
      .rejects(accessDenied('User: arn:aws:iam::123456789012:user/dev is not authorized to perform: scheduler:CreateSchedule on resource: arn:aws:scheduler:eu-west-1:123456789012:schedule/flowdump/flowdump-fd-20260501-1230-ab12'));
    const error = await rejection(adapter().createSchedule(plan.request));
    expect(error.code).toBe('access-denied');
    expect(error.exitCode).toBe(ExitCode.awsAccess);
    expect(error.message).toMatch(/^not allowed to call scheduler:CreateSchedule in eu-west-1 \(for schedule "flowdump\/flowdump-fd-20260501-1230-ab12"\): attach the policy in templates\/iam\/safety-net-caller-policy.json/);
    expect(error.cause).toBeInstanceOf(SchedulerServiceException);
  });

  it('a missing iam:PassRole is named as such', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(accessDenied('User: arn:aws:iam::123456789012:user/dev is not authorized to perform: iam:PassRole on resource: arn:aws:iam::123456789012:role/flowdump-safety-net'));
    const error = await rejection(adapter().createSchedule(plan.request));
    expect(error.message).toMatch(/^not allowed to call iam:PassRole on the safety-net role in eu-west-1/);
  });

  it('a role Scheduler cannot assume points at the trust policy and flowdump setup', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(new ValidationException({ message: 'The execution role you provide must allow AWS EventBridge Scheduler to assume the role.', ...meta }));
    const error = await rejection(adapter().createSchedule(plan.request));
    expect(error.code).toBe('safety-net-role');
    expect(error.message).toContain('templates/iam/safety-net-role-trust.json');
    expect(error.message).toContain('run flowdump setup');
  });

  it('any other service error is still one sentence naming action, schedule and region', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(new ValidationException({ message: 'Invalid Schedule Expression at(2026-13-01T00:00:00).', ...meta }));
    const error = await rejection(adapter().createSchedule(plan.request));
    expect(error.code).toBe('scheduler-error');
    expect(error.message).toBe(
      'EventBridge Scheduler CreateSchedule failed for schedule "flowdump/flowdump-fd-20260501-1230-ab12" in eu-west-1: ValidationException: Invalid Schedule Expression at(2026-13-01T00:00:00).',
    );
  });
});

describe('getSchedule / deleteSchedule', () => {
  it('reads back expression, target, input and role', async () => {
    schedulerMock.on(GetScheduleCommand).resolves({
      Name: plan.name,
      GroupName: 'flowdump',
      Arn: 'arn:aws:scheduler:eu-west-1:123456789012:schedule/flowdump/x',
      State: 'ENABLED',
      ScheduleExpression: plan.request.ScheduleExpression,
      ScheduleExpressionTimezone: 'UTC',
      ActionAfterCompletion: 'DELETE',
      Target: { Arn: plan.request.Target.Arn, RoleArn: plan.request.Target.RoleArn, Input: plan.request.Target.Input },
      CreationDate: new Date('2026-05-01T12:15:01Z'),
    });
    const details = await adapter().getSchedule(plan.name, 'flowdump');
    expect(details).toMatchObject({
      name: plan.name,
      scheduleExpression: 'at(2026-05-01T12:32:00)',
      target: { arn: 'arn:aws:scheduler:::aws-sdk:ec2:deleteFlowLogs', roleArn: 'arn:aws:iam::123456789012:role/flowdump-safety-net', input: '{"FlowLogIds":["fl-0123456789abcdef0"]}' },
    });
  });

  it('a schedule that does not exist reads as undefined', async () => {
    schedulerMock.on(GetScheduleCommand).rejects(new ResourceNotFoundException({ message: 'Schedule x does not exist.', ...meta }));
    await expect(adapter().getSchedule('x', 'flowdump')).resolves.toBeUndefined();
  });

  it('deleting a schedule that is already gone is fine', async () => {
    schedulerMock.on(DeleteScheduleCommand).rejects(new ResourceNotFoundException({ message: 'Schedule x does not exist.', ...meta }));
    await expect(adapter().deleteSchedule('x', 'flowdump')).resolves.toEqual({ deleted: false });
    schedulerMock.reset();
    schedulerMock.on(DeleteScheduleCommand).resolves({});
    await expect(adapter().deleteSchedule('x', 'flowdump')).resolves.toEqual({ deleted: true });
  });

  it('no permission to delete names scheduler:DeleteSchedule', async () => {
    schedulerMock.on(DeleteScheduleCommand).rejects(accessDenied('not authorized to perform: scheduler:DeleteSchedule'));
    const error = await rejection(adapter().deleteSchedule('x', 'flowdump'));
    expect(error.message).toMatch(/^not allowed to call scheduler:DeleteSchedule in eu-west-1 \(for schedule "flowdump\/x"\)/);
  });
});

describe('listSchedules', () => {
  it('follows every page and returns one flat array', async () => {
    const summary = (name: string) => ({ Name: name, GroupName: 'flowdump', State: 'ENABLED', CreationDate: new Date('2026-05-01T12:00:00Z'), Target: { Arn: 'arn:aws:scheduler:::aws-sdk:ec2:deleteFlowLogs' } });
    schedulerMock
      .on(ListSchedulesCommand, { GroupName: 'flowdump', NamePrefix: 'flowdump-' })
      .resolvesOnce({ Schedules: [summary('flowdump-a'), summary('flowdump-b')], NextToken: 'page-2' })
      .resolvesOnce({ Schedules: [summary('flowdump-c'), summary('someone-else')] });
    const listed = await adapter().listSchedules('flowdump', 'flowdump-');
    expect(listed.map((s) => s.name)).toEqual(['flowdump-a', 'flowdump-b', 'flowdump-c']);
    expect(listed[0]).toMatchObject({ groupName: 'flowdump', state: 'ENABLED', targetArn: 'arn:aws:scheduler:::aws-sdk:ec2:deleteFlowLogs' });
    const calls = schedulerMock.commandCalls(ListSchedulesCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1].args[0].input.NextToken).toBe('page-2');
  });

  it('a group that does not exist has no schedules', async () => {
    schedulerMock.on(ListSchedulesCommand).rejects(new ResourceNotFoundException({ message: 'Schedule group flowdump does not exist.', ...meta }));
    await expect(adapter().listSchedules('flowdump')).resolves.toEqual([]);
  });
});
