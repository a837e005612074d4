/**
 * The real CLI against moto: setup, start in the foreground, --detach, list, stop, targets and
 * the errors a user meets first. AWS state is asserted after every step.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetBucketEncryptionCommand, GetBucketLifecycleConfigurationCommand, GetBucketPolicyCommand, GetObjectCommand, GetPublicAccessBlockCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { RunInstancesCommand } from '@aws-sdk/client-ec2';
import { describe, expect, test } from 'vitest';
import { bucketName, cliEnv, collect, endpoint, flowdumpFlowLogs, handshakeRecords, listKeys, makeFixture, runCli, safetyNetSchedules, sdk, seedS3FlowLogFile, spawnCli, stateDir, waitFor, windowStart, INTEGRATION_TIMEOUT, LATE_MARGIN_MS } from './helpers.js';

describe('flowdump setup', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('makes the bucket (BPA, SSE-S3, TLS-only + delivery policy, 7-day lifecycle) the delivery and safety-net roles; a second run changes nothing; an existing policy is merged, not overwritten (eu-west-2)', async () => {
    const region = 'eu-west-2';
    const aws = sdk(region);
    const env = cliEnv({ region });
    const bucket = bucketName(region);
    const first = await runCli(['setup'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/made\s+bucket s3:\/\/flowdump-123456789012-eu-west-2/);
    const block = await aws.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }));
    expect(block.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const encryption = await aws.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }));
    expect(encryption.ServerSideEncryptionConfiguration?.Rules?.[0].ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    const policy = JSON.parse((await aws.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!);
    const bySid = Object.fromEntries(policy.Statement.map((s: { Sid: string }) => [s.Sid, s]));
    expect(bySid.FlowdumpDenyInsecureTransport).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    expect(bySid.FlowdumpAWSLogDeliveryWrite).toMatchObject({
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Action: 's3:PutObject',
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': '123456789012' }, ArnLike: { 'aws:SourceArn': `arn:aws:logs:${region}:123456789012:*` } },
    });
    expect(bySid.FlowdumpAWSLogDeliveryAclCheck.Action).toEqual(['s3:GetBucketAcl', 's3:ListBucket']);
    const lifecycle = await aws.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }));
    expect(lifecycle.Rules).toEqual([expect.objectContaining({ ID: 'flowdump-expire-captures', Status: 'Enabled', Expiration: expect.objectContaining({ Days: 7 }) })]);
    const iam = new IAMClient({ endpoint: endpoint(), region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const role = await iam.send(new GetRoleCommand({ RoleName: 'flowdump-flow-logs-delivery' }));
    const trust = JSON.parse(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!));
    expect(trust.Statement[0]).toMatchObject({ Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } });
    // the safety net's role: EventBridge Scheduler may delete only flow logs flowdump tagged
    const net = await iam.send(new GetRoleCommand({ RoleName: 'flowdump-safety-net' }));
    expect(JSON.parse(decodeURIComponent(net.Role!.AssumeRolePolicyDocument!)).Statement[0].Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    const netPolicy = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: 'flowdump-safety-net', PolicyName: 'flowdump-safety-net' }))).PolicyDocument!));
    expect(netPolicy.Statement[0]).toMatchObject({ Action: 'ec2:DeleteFlowLogs', Condition: { StringLike: { 'aws:ResourceTag/flowdump:capture-id': 'fd-????????-??????-?*' } } });

    const second = await runCli(['setup'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toMatch(/\bmade\b|updated/);

    // someone else's statement in the policy: kept; ours merged back in by Sid
    await aws.s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'AuditRead', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }] }),
      }),
    );
    const third = await runCli(['setup', '--json'], env);
    expect(third.code).toBe(0);
    expect(JSON.parse(third.stdout).steps.find((s: { what: string }) => s.what.startsWith('bucket policy')).status).toBe('updated');
    const merged = JSON.parse((await aws.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!);
    expect(merged.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['AuditRead', 'FlowdumpDenyInsecureTransport', 'FlowdumpAWSLogDeliveryWrite', 'FlowdumpAWSLogDeliveryAclCheck']);
  });
});

describe('flowdump start', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('Done when: start --instance <id> --for 2m --yes makes exactly one tagged flow log per ENI with the preset format; at the end only the summary remains (eu-west-3)', async () => {
    const region = 'eu-west-3';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    const state = stateDir();
    const env = cliEnv({ region, scale: 20, stateDir: state });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const bucket = bucketName(region);
    const child = spawnCli(['start', '--instance', fixture.instanceId, '--for', '2m', '--yes'], env);
    const done = collect(child);
    const flowLogs = await waitFor(async () => {
      const found = await flowdumpFlowLogs(aws);
      return found.length === 2 ? found : undefined;
    });
    expect(flowLogs.map((f) => f.ResourceId).sort()).toEqual([...fixture.eniIds].sort());
    const template = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'templates', 'log-formats.json'), 'utf8')).presets.handshake.format;
    const id = flowLogs[0].Tags!.find((t) => t.Key === 'flowdump:capture-id')!.Value!;
    for (const flowLog of flowLogs) {
      expect(flowLog.LogFormat).toBe(template);
      expect(flowLog.MaxAggregationInterval).toBe(60);
      expect(flowLog.TrafficType).toBe('ALL');
      expect(flowLog.LogDestination).toBe(`arn:aws:s3:::${bucket}/flowdump/${id}/`);
      const tags = Object.fromEntries(flowLog.Tags!.map((t) => [t.Key, t.Value]));
      expect(Object.keys(tags).sort()).toEqual(['Name', 'flowdump:capture-id', 'flowdump:created-by', 'flowdump:expires-at']);
      expect(tags['flowdump:expires-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    const expiresAt = new Date(Object.fromEntries(flowLogs[0].Tags!.map((t) => [t.Key, t.Value]))['flowdump:expires-at']!);
    // moto delivers nothing: deliver what AWS would have, up to the window of the stop
    for (const [i, eni] of fixture.eniIds.entries()) {
      const flowLogId = flowLogs.find((f) => f.ResourceId === eni)!.FlowLogId!;
      await seedS3FlowLogFile(aws, { bucket, prefix: `flowdump/${id}/`, flowLogId, windowStart: windowStart(new Date(expiresAt.getTime() + LATE_MARGIN_MS)), lines: handshakeRecords(eni, i === 0 ? fixture.privateIp : '10.0.1.99', Math.floor(expiresAt.getTime() / 1000) - 90) });
    }
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('VERDICT');
    expect(result.stderr).toContain(`capture ${id} cleaned; left behind: the summary only`);
    expect(result.stderr).toContain(`safety net: EventBridge Scheduler schedule flowdump/flowdump-${id} deletes the flow log at`);
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect(await safetyNetSchedules(aws)).toEqual([]);
    expect(await listKeys(aws, bucket)).toEqual([`flowdump/${id}/capture.json`, `flowdump/${id}/summary.json`, `flowdump/${id}/summary.txt`]);
    const summary = JSON.parse(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `flowdump/${id}/summary.json` }))).Body!.transformToString());
    expect(summary.records.total).toBe(10);
    expect(summary.tcp).toMatchObject({ connections: 6, established: 2, refused: 2, unanswered: 2 });
    expect(summary.capture).toMatchObject({ id, settleComplete: true });
    const manifest = JSON.parse(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `flowdump/${id}/capture.json` }))).Body!.transformToString());
    expect(manifest).toMatchObject({ id, state: 'cleaned', target: { kind: 'instance', enis: fixture.eniIds }, format: { preset: 'handshake' } });
    expect(existsSync(join(state, 'flowdump', 'captures', id, 'summary.json'))).toBe(true);
  });

  test('--detach returns with the id; list shows it running; stop ends it and cleans up (eu-central-1)', async () => {
    const region = 'eu-central-1';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    const env = cliEnv({ region });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const started = await runCli(['start', '--eni', fixture.eniIds[1], '--for', '30m', '--yes', '--detach'], env);
    expect(started.code).toBe(0);
    const id = started.stdout.split('\n')[0];
    expect(id).toMatch(/^fd-\d{8}-\d{6}-[0-9a-f]{16}$/);
    expect(started.stdout).toContain(`flowdump stop ${id}`);
    expect((await flowdumpFlowLogs(aws)).map((f) => f.ResourceId)).toEqual([fixture.eniIds[1]]);

    const listed = await runCli(['list', '--json'], env);
    const rows = JSON.parse(listed.stdout).captures;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id, state: 'active', target: `interface ${fixture.eniIds[1]}`, objects: 0, bytes: 0 });
    expect(rows[0].timeLeftSeconds).toBeGreaterThan(25 * 60);

    const stopped = await runCli(['stop', id, '--settle-timeout', '0s'], env);
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toContain('flow log(s) deleted and verified gone');
    expect(stopped.stderr).toContain('data may be incomplete');
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect(JSON.parse((await runCli(['list', '--all', '--json'], env)).stdout).captures[0]).toMatchObject({ id, state: 'cleaned' });
    expect(JSON.parse((await runCli(['list', '--json'], env)).stdout).captures).toEqual([]);
  });

  test('targets: --name, --ip, ambiguous and unknown ones in one sentence; no target, no bucket, no --yes; --dry-run makes nothing (eu-north-1)', async () => {
    const region = 'eu-north-1';
    const aws = sdk(region);
    const fixture = await makeFixture(aws, 'api');
    await aws.ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 2, MaxCount: 2, SubnetId: fixture.subnetId, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'worker' }] }] }));
    const env = cliEnv({ region });

    const noTarget = await runCli(['start', '--for', '5m', '--yes'], env);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toBe('flowdump: no target: pass --instance <id>, --eni, --subnet, --vpc, --ip or --name (or run flowdump in a terminal for the wizard)\n');

    const noBucket = await runCli(['start', '--name', 'api', '--for', '5m', '--yes'], env);
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toContain(`bucket ${bucketName(region)} does not exist in this account; run flowdump setup first`);
    expect(await flowdumpFlowLogs(aws)).toEqual([]);

    const ambiguous = await runCli(['start', '--name', 'worker', '--for', '5m', '--yes'], env);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(/^flowdump: 2 instances are named "worker" in eu-north-1: i-[0-9a-f]+ \(running\), i-[0-9a-f]+ \(running\); pick one with --instance\n$/);

    const unknown = await runCli(['start', '--name', 'ap', '--for', '5m', '--yes'], env);
    expect(unknown.stderr).toContain(`no instance with Name tag "ap" in eu-north-1; similar names: ${fixture.instanceId} (api)`);

    const badEni = await runCli(['start', '--eni', 'eni-0123456789abcdef0', '--for', '5m', '--yes'], env);
    expect(badEni.stderr).toBe('flowdump: no network interface "eni-0123456789abcdef0" in eu-north-1; check the id and --region\n');

    const tooLong = await runCli(['start', '--ip', fixture.privateIp, '--for', '25h', '--yes'], env);
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('--for 25h is longer than 24h; add --force');

    expect((await runCli(['setup'], env)).code).toBe(0);
    const noYes = await runCli(['start', '--ip', fixture.privateIp, '--for', '5m'], env);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('add --yes');

    const dry = await runCli(['start', '--ip', fixture.privateIp, '--for', '5m', '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`interface ${fixture.eniIds[0]} (${fixture.privateIp})`);
    expect(dry.stdout).toContain('DryRun: EC2 says you may create this flow log; nothing was created.');
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect(await listKeys(aws, bucketName(region))).toEqual([]);
  });
});
