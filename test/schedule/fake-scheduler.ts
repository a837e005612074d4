import type { ScheduleDetails, ScheduleListing, ScheduleRequest, SchedulerPort } from '../../src/aws/scheduler.js';

/**
 * An in-memory EventBridge Scheduler with the semantics the safety net relies on: a schedule
 * needs its group, a taken name is a conflict (`created: false`), deleting a missing schedule
 * is `deleted: false`. `failNext` injects one failure into a named call.
 */
export class FakeScheduler implements SchedulerPort {
  readonly groups = new Map<string, Record<string, string>>();
  readonly schedules = new Map<string, { request: ScheduleRequest; creationDate: Date }>();
  groupCreations = 0;
  private failures = new Map<string, unknown>();

  constructor(
    readonly region: string,
    private readonly now: () => Date = () => new Date('2026-05-01T12:00:00Z'),
  ) {}

  failNext(call: 'createSchedule' | 'deleteSchedule' | 'ensureScheduleGroup' | 'getSchedule', error: unknown): void {
    this.failures.set(call, error);
  }

  private maybeFail(call: string): void {
    const error = this.failures.get(call);
    if (error !== undefined) {
      this.failures.delete(call);
      throw error;
    }
  }

  private key(group: string, name: string): string {
    return `${group}/${name}`;
  }

  async ensureScheduleGroup(name: string, tags: Record<string, string> = {}): Promise<{ created: boolean }> {
    this.maybeFail('ensureScheduleGroup');
    if (this.groups.has(name)) return { created: false };
    this.groups.set(name, tags);
    this.groupCreations += 1;
    return { created: true };
  }

  async createSchedule(request: ScheduleRequest): Promise<{ arn?: string; created: boolean }> {
    this.maybeFail('createSchedule');
    if (!this.groups.has(request.GroupName)) throw new Error(`ResourceNotFoundException: Schedule group ${request.GroupName} does not exist.`);
    const key = this.key(request.GroupName, request.Name);
    if (this.schedules.has(key)) return { created: false };
    this.schedules.set(key, { request: structuredClone(request), creationDate: this.now() });
    return { arn: this.arn(request.GroupName, request.Name), created: true };
  }

  private arn(group: string, name: string): string {
    return `arn:aws:scheduler:${this.region}:123456789012:schedule/${group}/${name}`;
  }

  async getSchedule(name: string, groupName: string): Promise<ScheduleDetails | undefined> {
    this.maybeFail('getSchedule');
    const entry = this.schedules.get(this.key(groupName, name));
    if (!entry) return undefined;
    const { request } = entry;
    return {
      name,
      groupName,
      arn: this.arn(groupName, name),
      state: request.State,
      scheduleExpression: request.ScheduleExpression,
      scheduleExpressionTimezone: request.ScheduleExpressionTimezone,
      actionAfterCompletion: request.ActionAfterCompletion,
      target: { arn: request.Target.Arn, roleArn: request.Target.RoleArn, input: request.Target.Input },
      creationDate: entry.creationDate,
    };
  }

  async deleteSchedule(name: string, groupName: string): Promise<{ deleted: boolean }> {
    this.maybeFail('deleteSchedule');
    return { deleted: this.schedules.delete(this.key(groupName, name)) };
  }

  async listSchedules(groupName: string, namePrefix?: string): Promise<ScheduleListing[]> {
    return [...this.schedules.values()]
      .filter(({ request }) => request.GroupName === groupName && (!namePrefix || request.Name.startsWith(namePrefix)))
      .map(({ request, creationDate }) => ({
        name: request.Name,
        groupName: request.GroupName,
        arn: this.arn(request.GroupName, request.Name),
        state: request.State,
        targetArn: request.Target.Arn,
        creationDate,
      }));
  }
}
