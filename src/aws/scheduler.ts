import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  paginateListSchedules,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { AwsAccessError, ExitCode, FlowdumpError } from '../errors.js';

/**
 * The EventBridge Scheduler calls flowdump makes, and nothing else (a port: docs/architecture.md).
 * The safety net (src/schedule/safety-net.ts) depends on this interface; tests use a fake.
 */
export interface SchedulerPort {
  /** the region the client talks to: a schedule must live in its flow log's region */
  readonly region: string;
  /** Creates the group unless it exists. Never re-creates an existing group (see the adapter). */
  ensureScheduleGroup(name: string, tags?: Record<string, string>): Promise<{ created: boolean }>;
  /** Idempotent: a schedule that already exists under that name is `{ created: false }`, not an error. */
  createSchedule(request: ScheduleRequest): Promise<{ arn?: string; created: boolean }>;
  /** `undefined` when the schedule (or its group) does not exist. */
  getSchedule(name: string, groupName: string): Promise<ScheduleDetails | undefined>;
  /** Idempotent: a schedule that is already gone is `{ deleted: false }`, not an error. */
  deleteSchedule(name: string, groupName: string): Promise<{ deleted: boolean }>;
  /** Every schedule of the group (all pages), optionally only names with a prefix; `[]` when the group does not exist. */
  listSchedules(groupName: string, namePrefix?: string): Promise<ScheduleListing[]>;
}

/**
 * A CreateSchedule request exactly as the API takes it (field names included), so the
 * plan that `planSafetyNet` returns is the request, as data.
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html
 */
export interface ScheduleRequest {
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  FlexibleTimeWindow: { Mode: 'OFF' };
  ActionAfterCompletion: 'DELETE' | 'NONE';
  State: 'ENABLED';
  Description: string;
  ClientToken: string;
  Target: {
    Arn: string;
    RoleArn: string;
    Input: string;
    RetryPolicy: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
  };
}

export interface ScheduleDetails {
  name: string;
  groupName: string;
  arn?: string;
  state?: string;
  scheduleExpression?: string;
  scheduleExpressionTimezone?: string;
  actionAfterCompletion?: string;
  target: { arn?: string; roleArn?: string; input?: string };
  creationDate?: Date;
}

export interface ScheduleListing {
  name: string;
  groupName: string;
  arn?: string;
  state?: string;
  targetArn?: string;
  creationDate?: Date;
}

/** The IAM policy a caller needs for the safety net; named in every access-denied message. */
export const SCHEDULER_CALLER_POLICY = 'templates/iam/safety-net-caller-policy.json';
export const SAFETY_NET_TRUST_POLICY = 'templates/iam/safety-net-role-trust.json';

interface AwsErrorShape {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

function errorName(error: unknown): string {
  const shape = error as AwsErrorShape;
  return shape?.name ?? shape?.Code ?? '';
}

function isNotFound(error: unknown): boolean {
  return errorName(error) === 'ResourceNotFoundException';
}

function isConflict(error: unknown): boolean {
  return errorName(error) === 'ConflictException';
}

/**
 * One sentence for each way a Scheduler call fails: what, where, how to fix.
 * The SDK has already retried throttling and 5xx by the time an error arrives here.
 */
export function explainSchedulerError(error: unknown, action: string, region: string, subject: string): FlowdumpError {
  if (error instanceof FlowdumpError) return error;
  const name = errorName(error);
  const message = (error as AwsErrorShape)?.message ?? String(error);
  const requestId = (error as AwsErrorShape)?.$metadata?.requestId;
  const details = { action: `scheduler:${action}`, region, subject, awsError: name, ...(requestId ? { requestId } : {}) };
  if (name === 'ThrottlingException' || name === 'TooManyRequestsException' || /rate exceeded/i.test(message)) {
    return new AwsAccessError(
      'throttled',
      `EventBridge Scheduler kept throttling scheduler:${action} for ${subject} in ${region} after the SDK's retries; wait a minute and run the command again`,
      { cause: error, details },
    );
  }
  if (name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation' || /not authorized to perform/i.test(message)) {
    const denied = /iam:PassRole/i.test(message) ? 'iam:PassRole on the safety-net role' : `scheduler:${action}`;
    return new AwsAccessError(
      'access-denied',
      `not allowed to call ${denied} in ${region} (for ${subject}): attach the policy in ${SCHEDULER_CALLER_POLICY} to your user or role (or start with --no-safety-net to go without the server-side teardown)`,
      { cause: error, details },
    );
  }
  if (name === 'ValidationException' && /assume the role|execution role/i.test(message)) {
    return new AwsAccessError(
      'safety-net-role',
      `EventBridge Scheduler cannot assume the safety-net role for ${subject} in ${region}: the role must exist and trust scheduler.amazonaws.com as ${SAFETY_NET_TRUST_POLICY} says; run flowdump setup (it makes the role, or tells you when an existing one trusts something else)`,
      { cause: error, details },
    );
  }
  if (name === 'ServiceQuotaExceededException') {
    return new AwsAccessError(
      'quota',
      `EventBridge Scheduler refused scheduler:${action} for ${subject} in ${region}: a service quota is reached (${message}); delete unused schedules or ask AWS for a higher quota`,
      { cause: error, details },
    );
  }
  if (name === 'CredentialsProviderError' || name === 'ExpiredTokenException' || name === 'UnrecognizedClientException' || name === 'InvalidSignatureException') {
    return new AwsAccessError(
      'credentials',
      `no valid AWS credentials for scheduler:${action} in ${region} (${message}); check --profile, or log in again (aws sso login)`,
      { cause: error, details },
    );
  }
  return new FlowdumpError('scheduler-error', `EventBridge Scheduler ${action} failed for ${subject} in ${region}: ${name ? `${name}: ` : ''}${message}`, {
    exitCode: ExitCode.awsAccess,
    cause: error,
    details,
  });
}

/**
 * SchedulerPort over @aws-sdk/client-scheduler. The client is built once at the edge
 * (its region decides where schedules live) and passed in.
 */
export class AwsSchedulerAdapter implements SchedulerPort {
  constructor(
    private readonly client: SchedulerClient,
    readonly region: string,
  ) {}

  async ensureScheduleGroup(name: string, tags: Record<string, string> = {}): Promise<{ created: boolean }> {
    // Look before creating: moto (the emulator our integration tests use) silently replaces an
    // existing group, and with it every schedule in it, when CreateScheduleGroup is called again.
    // Real AWS answers ConflictException instead; either way an existing group is never re-created.
    try {
      await this.client.send(new GetScheduleGroupCommand({ Name: name }));
      return { created: false };
    } catch (error) {
      if (!isNotFound(error)) throw explainSchedulerError(error, 'GetScheduleGroup', this.region, `schedule group "${name}"`);
    }
    try {
      await this.client.send(
        new CreateScheduleGroupCommand({
          Name: name,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      return { created: true };
    } catch (error) {
      // Another flowdump created it between our Get and Create: that is what we wanted.
      if (isConflict(error)) return { created: false };
      throw explainSchedulerError(error, 'CreateScheduleGroup', this.region, `schedule group "${name}"`);
    }
  }

  async createSchedule(request: ScheduleRequest): Promise<{ arn?: string; created: boolean }> {
    try {
      const output = await this.client.send(new CreateScheduleCommand(request));
      return { arn: output.ScheduleArn, created: true };
    } catch (error) {
      // CreateSchedule answers ConflictException when the name is taken: a retried start made it already.
      if (isConflict(error)) return { created: false };
      throw explainSchedulerError(error, 'CreateSchedule', this.region, `schedule "${request.GroupName}/${request.Name}"`);
    }
  }

  async getSchedule(name: string, groupName: string): Promise<ScheduleDetails | undefined> {
    try {
      const output = await this.client.send(new GetScheduleCommand({ Name: name, GroupName: groupName }));
      return {
        name: output.Name ?? name,
        groupName: output.GroupName ?? groupName,
        arn: output.Arn,
        state: output.State,
        scheduleExpression: output.ScheduleExpression,
        scheduleExpressionTimezone: output.ScheduleExpressionTimezone,
        actionAfterCompletion: output.ActionAfterCompletion,
        target: { arn: output.Target?.Arn, roleArn: output.Target?.RoleArn, input: output.Target?.Input },
        creationDate: output.CreationDate,
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw explainSchedulerError(error, 'GetSchedule', this.region, `schedule "${groupName}/${name}"`);
    }
  }

  async deleteSchedule(name: string, groupName: string): Promise<{ deleted: boolean }> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: name, GroupName: groupName }));
      return { deleted: true };
    } catch (error) {
      // Already gone: it fired and deleted itself (ActionAfterCompletion DELETE), or a sweep removed it.
      if (isNotFound(error)) return { deleted: false };
      throw explainSchedulerError(error, 'DeleteSchedule', this.region, `schedule "${groupName}/${name}"`);
    }
  }

  async listSchedules(groupName: string, namePrefix?: string): Promise<ScheduleListing[]> {
    const listings: ScheduleListing[] = [];
    try {
      for await (const page of paginateListSchedules({ client: this.client }, { GroupName: groupName, ...(namePrefix ? { NamePrefix: namePrefix } : {}) })) {
        for (const schedule of page.Schedules ?? []) {
          if (!schedule.Name) continue;
          // Some emulators ignore the prefix filter: apply it here too.
          if (namePrefix && !schedule.Name.startsWith(namePrefix)) continue;
          listings.push({
            name: schedule.Name,
            groupName: schedule.GroupName ?? groupName,
            arn: schedule.Arn,
            state: schedule.State,
            targetArn: schedule.Target?.Arn,
            creationDate: schedule.CreationDate,
          });
        }
      }
    } catch (error) {
      if (isNotFound(error)) return [];
      throw explainSchedulerError(error, 'ListSchedules', this.region, `schedule group "${groupName}"`);
    }
    return listings;
  }
}
