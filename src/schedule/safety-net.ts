import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ScheduleListing, ScheduleRequest, SchedulerPort } from '../aws/scheduler.js';
import { ExitCode, FlowdumpError } from '../errors.js';
import { templatePath } from '../paths.js';

/**
 * The server-side safety net: for every capture, a one-time EventBridge Scheduler schedule that
 * calls ec2:DeleteFlowLogs on the capture's flow logs shortly after its expires-at. It fires only
 * if nothing else stopped the capture first (foreground timer, `flowdump stop`, `flowdump sweep`),
 * so a capture never depends on the machine that started it. docs/schedules.md explains the why.
 */

/** Schedule group holding every safety net; created on first use, never re-created. */
export const SAFETY_NET_GROUP = 'flowdump';
/** Schedule name = prefix + capture id. */
export const SAFETY_NET_PREFIX = 'flowdump-';
/** The role `flowdump setup` creates; the schedule runs as this role. */
export const SAFETY_NET_ROLE_NAME = 'flowdump-safety-net';
/**
 * Grace after expires-at before the net fires. The normal path deletes the flow log at expires-at;
 * the net is for when nothing did. Two minutes lets a foreground stop that is a few seconds late
 * win the race (so the net almost never fires on a healthy run), and EventBridge Scheduler fires
 * only with 60-second precision anyway, so we also round up to the next whole minute:
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 * Worst case a forgotten flow log runs ≈ 3 minutes past its expiry.
 */
export const SAFETY_NET_GRACE_MS = 2 * 60_000;
/**
 * Retry for as long as Scheduler allows (185 attempts, 24 hours): DeleteFlowLogs is idempotent
 * (a second call reports the id as Unsuccessful, not an error), so retrying is never harmful.
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html
 */
export const SAFETY_NET_RETRY_POLICY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } as const;
/** A sweep leaves schedules younger than this alone: their capture may be starting right now. */
export const ORPHAN_MIN_AGE_MS = 10 * 60_000;

/**
 * What the safety net needs to know about a capture. The capture lifecycle has a richer type;
 * this is the minimal shape (to be reconciled with src/capture at merge).
 */
export interface CaptureRef {
  id: string;
  flowLogIds: string[];
  /** ISO-8601 UTC, the `flowdump:expires-at` tag */
  expiresAt: string | Date;
  region: string;
}

export interface SafetyNetPlanOptions {
  /** ARN of the safety-net role (see safetyNetRoleArn) */
  roleArn: string;
  /** now, from the injected clock: the net never fires earlier than one minute from now */
  now: Date;
  graceMs?: number;
}

export interface SafetyNetPlan {
  name: string;
  groupName: string;
  region: string;
  /** when the schedule fires, ISO-8601 UTC, whole minute */
  fireAt: string;
  request: ScheduleRequest;
}

/** Schedule names: 1–64 of [0-9a-zA-Z-_.] (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html). */
const SCHEDULE_NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;
const FLOW_LOG_ID = /^fl-[0-9a-zA-Z]+$/;
/** DeleteFlowLogs takes at most 1000 ids (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteFlowLogs.html). */
const MAX_FLOW_LOG_IDS = 1000;

export function safetyNetName(captureId: string): string {
  return `${SAFETY_NET_PREFIX}${captureId}`;
}

/** The capture id a safety-net schedule belongs to, or undefined for a schedule that is not ours. */
export function captureIdOfSchedule(name: string): string | undefined {
  return name.startsWith(SAFETY_NET_PREFIX) && name.length > SAFETY_NET_PREFIX.length ? name.slice(SAFETY_NET_PREFIX.length) : undefined;
}

export function safetyNetRoleArn(accountId: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${accountId}:role/${SAFETY_NET_ROLE_NAME}`;
}

/** `arn:aws:iam::…` → `aws` (`aws-cn`, `aws-us-gov`): the universal target lives in the same partition. */
function partitionOf(roleArn: string): string {
  const match = /^arn:([a-z-]+):iam::\d{12}:role\/.+$/.exec(roleArn);
  if (!match) {
    throw new FlowdumpError('safety-net-role-arn', `"${roleArn}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); run flowdump setup to create the safety-net role`, {
      exitCode: ExitCode.usage,
    });
  }
  return match[1];
}

/** The universal target that calls ec2:DeleteFlowLogs (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html). */
export function deleteFlowLogsTarget(partition = 'aws'): string {
  return `arn:${partition}:scheduler:::aws-sdk:ec2:deleteFlowLogs`;
}

/** 2026-05-01T12:30:00Z → at(2026-05-01T12:30:00), read with ScheduleExpressionTimezone UTC. */
export function atExpression(instant: Date): string {
  return `at(${instant.toISOString().slice(0, 19)})`;
}

function toDate(value: string | Date, what: string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new FlowdumpError('safety-net-expiry', `capture ${what} has no valid expires-at ("${String(value)}"), so its safety net cannot be timed`, { exitCode: ExitCode.bug });
  }
  return date;
}

function ceilToMinute(ms: number): number {
  return Math.ceil(ms / 60_000) * 60_000;
}

/**
 * When the net of a capture expiring at `expiresAt` fires: expires-at + grace, rounded up to the
 * minute — never in the past: a capture armed late (clock skew, slow start) still gets a net, a minute out.
 */
export function safetyNetFireTime(expiresAt: Date, now: Date, graceMs = SAFETY_NET_GRACE_MS): Date {
  return new Date(ceilToMinute(Math.max(expiresAt.getTime() + graceMs, now.getTime() + 60_000)));
}

/**
 * Decides the safety-net schedule of one capture: the exact CreateSchedule request, as data.
 * Pure; throws FlowdumpError for a capture that cannot have a net (bad id, no flow logs).
 */
export function planSafetyNet(capture: CaptureRef, options: SafetyNetPlanOptions): SafetyNetPlan {
  const name = safetyNetName(capture.id);
  if (!SCHEDULE_NAME.test(name)) {
    throw new FlowdumpError(
      'safety-net-name',
      `capture id "${capture.id}" cannot name a safety-net schedule: "${name}" must be 1–64 letters, digits, '-', '_' or '.'`,
      { exitCode: ExitCode.bug },
    );
  }
  if (capture.flowLogIds.length === 0) {
    throw new FlowdumpError('safety-net-empty', `capture ${capture.id} has no flow log ids, so there is nothing for its safety net to delete`, { exitCode: ExitCode.bug });
  }
  if (capture.flowLogIds.length > MAX_FLOW_LOG_IDS) {
    throw new FlowdumpError('safety-net-too-many', `capture ${capture.id} has ${capture.flowLogIds.length} flow logs; one DeleteFlowLogs call takes at most ${MAX_FLOW_LOG_IDS}`, {
      exitCode: ExitCode.bug,
    });
  }
  const badId = capture.flowLogIds.find((id) => !FLOW_LOG_ID.test(id));
  if (badId !== undefined) {
    throw new FlowdumpError('safety-net-flow-log-id', `capture ${capture.id} lists "${badId}", which is not a flow log id (fl-…)`, { exitCode: ExitCode.bug });
  }
  const partition = partitionOf(options.roleArn);
  const fireAt = safetyNetFireTime(toDate(capture.expiresAt, capture.id), options.now, options.graceMs);
  const flowLogIds = [...capture.flowLogIds];
  const input = JSON.stringify({ FlowLogIds: flowLogIds });
  // Deterministic per request: a retried arm is idempotent, a re-arm at another time is not swallowed.
  const clientToken = `fd-${createHash('sha256').update(`${name}\n${fireAt.toISOString()}\n${input}`).digest('hex').slice(0, 40)}`;
  return {
    name,
    groupName: SAFETY_NET_GROUP,
    region: capture.region,
    fireAt: fireAt.toISOString(),
    request: {
      Name: name,
      GroupName: SAFETY_NET_GROUP,
      ScheduleExpression: atExpression(fireAt),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      // One-time schedule: delete itself after its single invocation
      // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html).
      ActionAfterCompletion: 'DELETE',
      State: 'ENABLED',
      Description: `flowdump safety net: deletes flow log${flowLogIds.length === 1 ? '' : 's'} ${flowLogIds.join(', ')} of capture ${capture.id} if still running at ${fireAt.toISOString()}`.slice(0, 512),
      ClientToken: clientToken,
      Target: {
        Arn: deleteFlowLogsTarget(partition),
        RoleArn: options.roleArn,
        Input: input,
        RetryPolicy: { ...SAFETY_NET_RETRY_POLICY },
      },
    },
  };
}

export interface SafetyNetDeps {
  /** the Scheduler port for a region: a net lives in its flow log's region */
  schedulerFor(region: string): SchedulerPort;
  roleArn: string;
  clock: { now(): Date };
  graceMs?: number;
}

export interface ArmSafetyNetResult {
  name: string;
  groupName: string;
  region: string;
  fireAt: string;
  arn?: string;
  /** false when a previous (retried) attempt had already armed it */
  created: boolean;
}

function flowLogIdsOfInput(input: string | undefined): string[] | undefined {
  if (!input) return undefined;
  try {
    const parsed = JSON.parse(input) as { FlowLogIds?: unknown };
    return Array.isArray(parsed.FlowLogIds) ? parsed.FlowLogIds.map(String) : undefined;
  } catch {
    return undefined;
  }
}

function sameIds(a: string[], b: string[]): boolean {
  return a.length === b.length && [...a].sort().join(',') === [...b].sort().join(',');
}

/**
 * Arms the capture's safety net. Idempotent: arming twice (a retried start) leaves one schedule.
 * Throws (with one sentence) when it cannot: the caller then rolls its new flow log back.
 */
export async function armSafetyNet(deps: SafetyNetDeps, capture: CaptureRef): Promise<ArmSafetyNetResult> {
  const plan = planSafetyNet(capture, { roleArn: deps.roleArn, now: deps.clock.now(), graceMs: deps.graceMs });
  const scheduler = deps.schedulerFor(capture.region);
  await scheduler.ensureScheduleGroup(SAFETY_NET_GROUP, { 'flowdump:created-by': 'flowdump' });
  for (let attempt = 0; attempt < 2; attempt++) {
    const created = await scheduler.createSchedule(plan.request);
    if (created.created) return { name: plan.name, groupName: plan.groupName, region: capture.region, fireAt: plan.fireAt, arn: created.arn, created: true };
    // The name is taken. It is ours if it deletes the same flow logs (a retried start); anything else is not safe to keep.
    const existing = await scheduler.getSchedule(plan.name, plan.groupName);
    if (existing === undefined) continue; // it fired or was deleted in between: create it again
    const ids = flowLogIdsOfInput(existing.target.input);
    if (ids !== undefined && sameIds(ids, capture.flowLogIds)) {
      return { name: plan.name, groupName: plan.groupName, region: capture.region, fireAt: plan.fireAt, arn: existing.arn, created: false };
    }
    throw new FlowdumpError(
      'safety-net-conflict',
      `a schedule "${plan.groupName}/${plan.name}" already exists in ${capture.region} for other flow logs (${ids?.join(', ') ?? 'unknown input'}), so capture ${capture.id} cannot get its safety net; delete it with: aws scheduler delete-schedule --group-name ${plan.groupName} --name ${plan.name} --region ${capture.region}`,
      { exitCode: ExitCode.awsAccess, details: { schedule: plan.name, existingFlowLogIds: ids } },
    );
  }
  throw new FlowdumpError('safety-net-vanished', `the safety-net schedule "${plan.name}" in ${capture.region} kept disappearing while it was being created; run the command again`, {
    exitCode: ExitCode.awsAccess,
  });
}

export interface DisarmSafetyNetResult {
  name: string;
  /** false when it was already gone (it fired, or a sweep removed it): not an error */
  deleted: boolean;
}

/**
 * Removes the capture's safety net after a normal stop. If this fails the capture is still safe:
 * the net would only call DeleteFlowLogs on a flow log that no longer exists (harmless), then
 * delete itself; so a caller may report a failure here as a warning.
 */
export async function disarmSafetyNet(deps: Pick<SafetyNetDeps, 'schedulerFor'>, capture: Pick<CaptureRef, 'id' | 'region'>): Promise<DisarmSafetyNetResult> {
  const name = safetyNetName(capture.id);
  const result = await deps.schedulerFor(capture.region).deleteSchedule(name, SAFETY_NET_GROUP);
  return { name, deleted: result.deleted };
}

/** The seam `start`/`stop` take (`deps.safetyNet?`): arm after CreateFlowLogs, disarm after a normal stop. */
export interface SafetyNet {
  arm(capture: CaptureRef): Promise<ArmSafetyNetResult>;
  disarm(capture: Pick<CaptureRef, 'id' | 'region'>): Promise<DisarmSafetyNetResult>;
}

export function createSafetyNet(deps: SafetyNetDeps): SafetyNet {
  return { arm: (capture) => armSafetyNet(deps, capture), disarm: (capture) => disarmSafetyNet(deps, capture) };
}

export interface OrphanScheduleDecision {
  schedule: ScheduleListing;
  captureId?: string;
  reason: string;
}

export interface OrphanSchedulePlan {
  /** safety nets whose capture is gone: a sweep deletes these */
  remove: OrphanScheduleDecision[];
  /** safety nets of live captures, or too young to judge */
  keep: OrphanScheduleDecision[];
  /** schedules in the group that flowdump did not name: never touched */
  foreign: OrphanScheduleDecision[];
}

export interface SelectOrphanOptions {
  now: Date;
  /** schedules younger than this are kept (their capture may be starting now); default 10 minutes */
  minAgeMs?: number;
}

/**
 * Which safety-net schedules a sweep may delete: those whose capture no longer has a flow log.
 * Pure. `liveCaptureIds` must come from the same region as `schedules`. A schedule created in the
 * last few minutes is kept even without a live capture: its start may have listed flow logs before
 * this sweep could see them.
 */
export function selectOrphanSchedules(schedules: ScheduleListing[], liveCaptureIds: Iterable<string>, options: SelectOrphanOptions): OrphanSchedulePlan {
  const live = new Set(liveCaptureIds);
  const minAgeMs = options.minAgeMs ?? ORPHAN_MIN_AGE_MS;
  const plan: OrphanSchedulePlan = { remove: [], keep: [], foreign: [] };
  for (const schedule of schedules) {
    const captureId = schedule.groupName === SAFETY_NET_GROUP ? captureIdOfSchedule(schedule.name) : undefined;
    if (captureId === undefined) {
      plan.foreign.push({ schedule, reason: 'not a flowdump safety net' });
    } else if (live.has(captureId)) {
      plan.keep.push({ schedule, captureId, reason: 'its capture is still running' });
    } else if (schedule.creationDate === undefined || options.now.getTime() - schedule.creationDate.getTime() < minAgeMs) {
      plan.keep.push({ schedule, captureId, reason: 'created moments ago: its capture may be starting' });
    } else {
      plan.remove.push({ schedule, captureId, reason: 'its capture has no flow log any more' });
    }
  }
  return plan;
}

export interface SweepSafetyNetsResult {
  /** orphans deleted by this sweep (one already gone — another sweep, or it fired — is not counted) */
  removed: OrphanScheduleDecision[];
  /** nets of live captures, or too young to judge */
  kept: OrphanScheduleDecision[];
  failed: { name: string; message: string }[];
}

/**
 * The sweep's part for schedules: deletes the safety nets whose capture has no flow log any more
 * (a capture stopped by a process that died before disarming, or one whose net could not be
 * deleted). `liveCaptureIds` must be read BEFORE this lists the schedules: a capture started in
 * between then has a schedule younger than `minAgeMs`, which is kept. Idempotent, and safe to run
 * from two sweeps at once (deleting a schedule that is already gone is not an error).
 */
export async function sweepSafetyNets(scheduler: SchedulerPort, liveCaptureIds: Iterable<string>, options: SelectOrphanOptions): Promise<SweepSafetyNetsResult> {
  const schedules = await scheduler.listSchedules(SAFETY_NET_GROUP, SAFETY_NET_PREFIX);
  const plan = selectOrphanSchedules(schedules, liveCaptureIds, options);
  const result: SweepSafetyNetsResult = { removed: [], kept: plan.keep, failed: [] };
  for (const decision of plan.remove) {
    try {
      const { deleted } = await scheduler.deleteSchedule(decision.schedule.name, decision.schedule.groupName);
      if (deleted) result.removed.push(decision);
    } catch (error) {
      result.failed.push({ name: decision.schedule.name, message: (error as Error)?.message ?? String(error) });
    }
  }
  return result;
}

export interface SafetyNetStatus {
  status: 'armed' | 'missing';
  name: string;
  /** when it would fire, if armed with the default grace (ListSchedules does not return the expression) */
  fireAt?: string;
  state?: string;
}

/** For `flowdump list`: is this capture's safety net there? Pure, from one ListSchedules of the group. */
export function safetyNetStatus(capture: Pick<CaptureRef, 'id' | 'expiresAt'>, schedules: ScheduleListing[], graceMs = SAFETY_NET_GRACE_MS): SafetyNetStatus {
  const name = safetyNetName(capture.id);
  const schedule = schedules.find((candidate) => candidate.name === name && candidate.groupName === SAFETY_NET_GROUP);
  if (!schedule) return { status: 'missing', name };
  const expires = new Date(capture.expiresAt);
  const fireAt = Number.isNaN(expires.getTime()) ? undefined : new Date(ceilToMinute(expires.getTime() + graceMs)).toISOString();
  return { status: 'armed', name, fireAt, state: schedule.state };
}

export interface SafetyNetPolicies {
  roleName: string;
  trustPolicy: unknown;
  rolePolicy: unknown;
  callerPolicy: unknown;
}

/**
 * The IAM documents of the safety net, from templates/iam/, for `flowdump setup` (which creates
 * the role) and for people who want to read or paste them.
 */
export function renderSafetyNetPolicies(values: { accountId: string; partition?: string }): SafetyNetPolicies {
  if (!/^\d{12}$/.test(values.accountId)) {
    throw new FlowdumpError('account-id', `"${values.accountId}" is not a 12-digit AWS account id`, { exitCode: ExitCode.usage });
  }
  const render = (file: string): unknown => {
    const text = readFileSync(templatePath('iam', file), 'utf8')
      .replaceAll('{{AccountId}}', values.accountId)
      .replaceAll('{{Partition}}', values.partition ?? 'aws')
      .replaceAll('{{RoleName}}', SAFETY_NET_ROLE_NAME)
      .replaceAll('{{GroupName}}', SAFETY_NET_GROUP);
    const leftover = /\{\{[A-Za-z]+\}\}/.exec(text);
    if (leftover) throw new FlowdumpError('template', `templates/iam/${file} has an unknown placeholder ${leftover[0]}`, { exitCode: ExitCode.bug });
    return JSON.parse(text) as unknown;
  };
  return {
    roleName: SAFETY_NET_ROLE_NAME,
    trustPolicy: render('safety-net-role-trust.json'),
    rolePolicy: render('safety-net-role-policy.json'),
    callerPolicy: render('safety-net-caller-policy.json'),
  };
}
