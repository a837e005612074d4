/**
 * The server-side safety net on moto, through the real CLI: start arms an EventBridge Scheduler
 * schedule that deletes the capture's flow logs after its expiry, stop removes it, a schedule that
 * cannot be made rolls the flow log back, setup --s3-only (no role) is refused, --no-safety-net is
 * said out loud, sweep removes orphan nets (and nothing else), list shows each capture's net.
 * AWS state (flow logs, schedules, objects) is asserted after every step.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { CreateRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { describe, expect, test } from 'vitest';
import {
  ACCOUNT,
  bucketName,
  cliEnv,
  endpoint,
  flowdumpFlowLogs,
  getSchedule,
  listKeys,
  makeFixture,
  otherAccount,
  runCli,
  safetyNetAt,
  safetyNetSchedules,
  sdk,
  INTEGRATION_TIMEOUT,
} from './helpers.js';

function tagsOf(flowLog: { Tags?: { Key?: string; Value?: string }[] }): Record<string, string> {
  return Object.fromEntries((flowLog.Tags ?? []).map((tag) => [tag.Key!, tag.Value!]));
}

async function manifestOf(aws: ReturnType<typeof sdk>, bucket: string, id: string) {
  return JSON.parse(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `flowdump/${id}/capture.json` }))).Body!.transformToString());
}

describe('the safety net on moto', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('start arms a one-time schedule: group flowdump, at(expires-at + 2m) UTC, the DeleteFlowLogs universal target with exactly the flow-log ids, the role, DELETE, OFF; list shows it; stop removes it (ap-south-2)', async () => {
    const region = 'ap-south-2';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    const env = cliEnv({ region });
    expect((await runCli(['setup'], env)).code).toBe(0);

    const started = await runCli(['start', '--instance', fixture.instanceId, '--for', '30m', '--yes', '--detach'], env);
    expect(started.code).toBe(0);
    const id = started.stdout.split('\n')[0];
    expect(started.stdout).toMatch(new RegExp(`safety net: EventBridge Scheduler schedule flowdump/flowdump-${id} deletes the flow log at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\dZ if nothing has by then`));
    const flowLogs = await flowdumpFlowLogs(aws);
    expect(flowLogs).toHaveLength(2);
    const expiresAt = new Date(tagsOf(flowLogs[0])['flowdump:expires-at']);

    expect(await safetyNetSchedules(aws)).toEqual([`flowdump-${id}`]);
    const schedule = await getSchedule(aws, `flowdump-${id}`);
    expect(schedule.GroupName).toBe('flowdump');
    expect(schedule.ScheduleExpression).toBe(safetyNetAt(expiresAt));
    expect(schedule.ScheduleExpressionTimezone).toBe('UTC');
    expect(schedule.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    expect(schedule.ActionAfterCompletion).toBe('DELETE');
    expect(schedule.State).toBe('ENABLED');
    expect(schedule.Target?.Arn).toBe('arn:aws:scheduler:::aws-sdk:ec2:deleteFlowLogs');
    expect(schedule.Target?.RoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/flowdump-safety-net`);
    expect(JSON.parse(schedule.Target!.Input!)).toEqual({ FlowLogIds: expect.arrayContaining(flowLogs.map((f) => f.FlowLogId)) });
    expect(JSON.parse(schedule.Target!.Input!).FlowLogIds).toHaveLength(2);
    expect(schedule.Target?.RetryPolicy).toEqual({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 });
    const fireAt = `${safetyNetAt(expiresAt).slice(3, -1)}.000Z`;
    expect(await manifestOf(aws, bucketName(region), id)).toMatchObject({ safetyNet: { armed: true, schedule: `flowdump/flowdump-${id}`, fireAt } });

    const listed = await runCli(['list', '--json'], env);
    expect(JSON.parse(listed.stdout).captures).toEqual([expect.objectContaining({ id, state: 'active', safetyNet: { status: 'armed', name: `flowdump/flowdump-${id}`, fireAt } })]);
    const table = await runCli(['list'], env);
    expect(table.stdout).toMatch(/SAFETY NET/);
    expect(table.stdout).toContain(`armed, fires ${fireAt.slice(11, 16)}Z`);

    const stopped = await runCli(['stop', id, '--settle-timeout', '0s'], env);
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain(`${id}: safety net removed; nothing is left scheduled`);
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect(await safetyNetSchedules(aws)).toEqual([]);
    expect(await listKeys(aws, bucketName(region))).toEqual([`flowdump/${id}/capture.json`, `flowdump/${id}/summary.json`, `flowdump/${id}/summary.txt`]);
  });

  test('after setup --s3-only there is no safety-net role: start refuses in one sentence and makes nothing; --no-safety-net runs and says there is no server-side teardown, in the output, the manifest and list (account 210987654321, eu-central-2)', async () => {
    const region = 'eu-central-2';
    const account = '210987654321';
    const other = await otherAccount(account);
    const aws = sdk(region, other.credentials);
    const fixture = await makeFixture(aws);
    const env = cliEnv({ region, extra: other.env });
    expect((await runCli(['setup', '--s3-only'], env)).code).toBe(0);

    const refused = await runCli(['start', '--eni', fixture.eniIds[0], '--for', '10m', '--yes'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `flowdump: the safety-net role flowdump-safety-net does not exist in account ${account}; run flowdump setup once, or pass --no-safety-net to capture without a server-side teardown\n`,
    );
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect(await listKeys(aws, bucketName(region).replace(ACCOUNT, account))).toEqual([]);

    const bare = await runCli(['start', '--eni', fixture.eniIds[0], '--for', '10m', '--yes', '--detach', '--no-safety-net'], env);
    expect(bare.code).toBe(0);
    const id = bare.stdout.split('\n')[0];
    expect(bare.stderr).toContain('safety net   none (--no-safety-net): if this machine stops first, nothing deletes the flow log until flowdump sweep runs');
    expect(bare.stdout).toContain('no safety net (--no-safety-net): nothing server-side deletes the flow log');
    expect(await flowdumpFlowLogs(aws)).toHaveLength(1);
    expect(await safetyNetSchedules(aws)).toEqual([]);
    const manifest = await manifestOf(aws, bucketName(region).replace(ACCOUNT, account), id);
    expect(manifest.safetyNet).toMatchObject({ armed: false, note: expect.stringContaining('no server-side teardown') });
    const listed = JSON.parse((await runCli(['list', '--json'], env)).stdout).captures;
    expect(listed).toEqual([expect.objectContaining({ id, safetyNet: { status: 'none' } })]);

    const stopped = await runCli(['stop', id, '--settle-timeout', '0s'], env);
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).not.toContain('safety net');
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
  });

  test('a CreateSchedule that fails (a role EventBridge Scheduler cannot assume) rolls the new flow log back and explains why; nothing is left (account 210987654322, ap-southeast-3)', async () => {
    const region = 'ap-southeast-3';
    const account = '210987654322';
    const other = await otherAccount(account);
    const aws = sdk(region, other.credentials);
    const fixture = await makeFixture(aws);
    const env = cliEnv({ region, extra: other.env });
    expect((await runCli(['setup', '--s3-only'], env)).code).toBe(0);
    // a role of the right name that trusts EC2, not EventBridge Scheduler: AWS (and the patched moto) refuse CreateSchedule
    const iam = new IAMClient({ endpoint: endpoint(), region, credentials: other.credentials });
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'flowdump-safety-net',
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
      }),
    );

    const failed = await runCli(['start', '--instance', fixture.instanceId, '--for', '10m', '--yes'], env);
    expect(failed.code).toBe(3);
    const lastLine = failed.stderr.trim().split('\n').pop();
    expect(lastLine).toMatch(
      /^flowdump: the teardown safety net could not be armed \(EventBridge Scheduler cannot assume the safety-net role for schedule "flowdump\/flowdump-fd-[0-9-a-f]+" in ap-southeast-3: the role must exist and trust scheduler\.amazonaws\.com as templates\/iam\/safety-net-role-trust\.json says; run flowdump setup .*\); the flow log was rolled back \(the 2 flow log\(s\) already made were deleted\), so nothing is running — fix that and start again$/,
    );
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect(await safetyNetSchedules(aws)).toEqual([]);
    expect(await listKeys(aws, bucketName(region).replace(ACCOUNT, account))).toEqual([]);

    // and setup refuses that role, says what differs, and attaches nothing to it
    const setup = await runCli(['setup'], env);
    expect(setup.code).toBe(2);
    expect(setup.stderr).toContain('role flowdump-safety-net exists but its trust policy differs from templates/iam/safety-net-role-trust.json (Statement[0].Principal.Service is "ec2.amazonaws.com", the template has "scheduler.amazonaws.com"');
    expect(setup.stderr).toContain('nothing was attached to it');
    await expect(iam.send(new GetRolePolicyCommand({ RoleName: 'flowdump-safety-net', PolicyName: 'flowdump-safety-net' }))).rejects.toThrow();
  });

  test('sweep removes safety nets whose capture is gone — not young ones, not a live capture\'s, not schedules it did not name — and two sweeps at once agree (ap-east-1)', async () => {
    const region = 'ap-east-1';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    const env = cliEnv({ region });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const live = await runCli(['start', '--eni', fixture.eniIds[0], '--for', '2h', '--yes', '--detach'], env);
    expect(live.code).toBe(0);
    const liveId = live.stdout.split('\n')[0];

    // a net whose capture no longer exists (its process died after deleting the flow log), and a
    // schedule someone else keeps in the same group
    const orphan = 'flowdump-fd-20260101-000000-dead';
    for (const name of [orphan, 'nightly-report']) {
      await aws.scheduler.send(
        new CreateScheduleCommand({
          GroupName: 'flowdump',
          Name: name,
          ScheduleExpression: 'at(2030-01-01T00:00:00)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: { Arn: 'arn:aws:scheduler:::aws-sdk:ec2:deleteFlowLogs', RoleArn: `arn:aws:iam::${ACCOUNT}:role/flowdump-safety-net`, Input: '{"FlowLogIds":["fl-0123456789abcdef0"]}' },
        }),
      );
    }
    expect(await safetyNetSchedules(aws)).toEqual([`flowdump-${liveId}`, orphan, 'nightly-report'].sort());

    // just made: its capture may be starting this very moment, so it stays
    const early = await runCli(['sweep', '--json'], env);
    expect(early.code).toBe(0);
    expect(JSON.parse(early.stdout).safetyNets.removed).toEqual([]);
    expect(await safetyNetSchedules(aws)).toHaveLength(3);

    // an hour later (the live capture runs two): two sweeps at once remove the orphan, once
    const later = cliEnv({ region, offsetSeconds: 3600 });
    const [a, b] = await Promise.all([runCli(['sweep', '--json'], later), runCli(['sweep', '--json'], later)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const removed = [...JSON.parse(a.stdout).safetyNets.removed, ...JSON.parse(b.stdout).safetyNets.removed];
    expect(removed).toEqual([{ name: orphan, captureId: 'fd-20260101-000000-dead' }]);
    expect(await safetyNetSchedules(aws)).toEqual([`flowdump-${liveId}`, 'nightly-report'].sort());
    expect(await flowdumpFlowLogs(aws)).toHaveLength(1);
    const text = await runCli(['sweep'], cliEnv({ region, offsetSeconds: 3600 }));
    expect(text.stderr).toContain('sweep: 0 capture(s) finished, 1 still running, 0 failed\n');

    // three hours later the capture has expired: sweep finishes it and its net goes with it
    const expired = await runCli(['sweep', '--settle-timeout', '0s', '--json'], cliEnv({ region, offsetSeconds: 3 * 3600 }));
    expect(expired.code).toBe(0);
    expect(JSON.parse(expired.stdout).finished).toEqual([expect.objectContaining({ id: liveId, state: 'cleaned' })]);
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect(await safetyNetSchedules(aws)).toEqual(['nightly-report']);
  });
});
