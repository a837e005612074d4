import { describe, expect, test } from 'vitest';
import { dataLocation, locationBelongsTo, locationFromFlowLog, parseDestination } from '../../src/capture/destination.js';
import { isCaptureId, newCaptureId } from '../../src/capture/ids.js';
import { settleReached } from '../../src/capture/lifecycle.js';
import { s3WindowEnd } from '../../src/capture/store.js';
import { resolveTarget } from '../../src/capture/targets.js';
import { mergeBucketPolicy, bucketPolicyStatements, runSetup } from '../../src/capture/setup.js';
import type { IamPort, RoleInfo } from '../../src/aws/iam.js';
import { FlowdumpError } from '../../src/errors.js';
import { FakeAws } from './fakes.js';

describe('destinations', () => {
  test('one prefix or log group per capture', () => {
    expect(dataLocation(parseDestination(undefined), 'fd-1', 'flowdump-1-eu-west-1')).toEqual({ type: 's3', bucket: 'flowdump-1-eu-west-1', prefix: 'flowdump/fd-1/' });
    expect(dataLocation(parseDestination('s3://my-bucket/net/captures/'), 'fd-1', 'x')).toEqual({ type: 's3', bucket: 'my-bucket', prefix: 'net/captures/fd-1/' });
    expect(dataLocation(parseDestination('logs:'), 'fd-1', 'x')).toEqual({ type: 'logs', logGroup: '/flowdump/fd-1' });
    expect(dataLocation(parseDestination('logs:/team/flows'), 'fd-1', 'x')).toEqual({ type: 'logs', logGroup: '/team/flows/fd-1' });
    expect(() => parseDestination('s3://bucket/AWSLogs/x')).toThrow(/AWSLogs is reserved/);
    expect(() => parseDestination('gs://bucket')).toThrow('--destination "gs://bucket" is not a destination; use s3://bucket[/prefix] or logs:/group');
  });

  test('ownership: a location belongs to a capture only when its prefix or group ends in the capture id', () => {
    expect(locationBelongsTo({ type: 's3', bucket: 'b', prefix: 'flowdump/fd-1/' }, 'fd-1')).toBe(true);
    expect(locationBelongsTo({ type: 's3', bucket: 'b', prefix: 'flowdump/fd-1-copy/' }, 'fd-1')).toBe(false);
    expect(locationBelongsTo({ type: 's3', bucket: 'b', prefix: 'flowdump/' }, 'fd-1')).toBe(false);
    expect(locationBelongsTo({ type: 'logs', logGroup: '/flowdump/fd-1' }, 'fd-1')).toBe(true);
    expect(locationBelongsTo({ type: 'logs', logGroup: '/flowdump' }, 'fd-1')).toBe(false);
    expect(locationFromFlowLog({ destinationType: 's3', destination: 'arn:aws:s3:::b/flowdump/fd-1/' })).toEqual({ type: 's3', bucket: 'b', prefix: 'flowdump/fd-1/' });
    expect(locationFromFlowLog({ destinationType: 'cloud-watch-logs', logGroupName: '/flowdump/fd-1' })).toEqual({ type: 'logs', logGroup: '/flowdump/fd-1' });
  });

  test('capture ids sort by time and fit a ClientToken', () => {
    const id = newCaptureId(new Date('2026-05-01T12:34:56.789Z'), () => 'beef');
    expect(id).toBe('fd-20260501-123456-beef');
    expect(isCaptureId(id)).toBe(true);
    expect(isCaptureId('fd-2026')).toBe(false);
  });
});

describe('settling', () => {
  const manifest = (type: 's3' | 'logs') => ({ stoppedAt: '2026-05-01T12:15:30Z', aggregationSeconds: 60, destination: type === 's3' ? { type, bucket: 'b', prefix: 'p/' } : { type, logGroup: '/g' } }) as never;
  test('S3: a file whose 5-minute window reaches the last aggregation window; Logs: an event that started in it', () => {
    expect(s3WindowEnd('p/AWSLogs/1/vpcflowlogs/r/2026/05/01/1_vpcflowlogs_r_fl-1_20260501T1210Z_ab.log.gz')).toBe(Date.parse('2026-05-01T12:15:00Z'));
    expect(s3WindowEnd('p/capture.json')).toBeUndefined();
    expect(settleReached(manifest('s3'), { objects: 1, bytes: 1, latestDataTime: Date.parse('2026-05-01T12:15:00Z') })).toBe(true);
    expect(settleReached(manifest('s3'), { objects: 1, bytes: 1, latestDataTime: Date.parse('2026-05-01T12:10:00Z') })).toBe(false);
    expect(settleReached(manifest('logs'), { objects: 1, bytes: 1, latestDataTime: Date.parse('2026-05-01T12:13:40Z') })).toBe(true);
    expect(settleReached(manifest('logs'), { objects: 1, bytes: 1, latestDataTime: undefined })).toBe(false);
  });
});

describe('targets', () => {
  const where = { where: 'in eu-west-1' };
  test('an instance means all its interfaces, and says which', async () => {
    const aws = new FakeAws();
    const instance = aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 2);
    const target = await resolveTarget({ kind: 'instance', value: instance.id }, aws.ec2, where);
    expect(target.resourceType).toBe('NetworkInterface');
    expect(target.resourceIds).toEqual(instance.eniIds);
    expect(target.note).toBe(`instance i-0aaaaaaaaaaaaaaa1 (web-1) has 2 network interfaces: ${instance.eniIds[0]} (primary, 10.0.1.10), ${instance.eniIds[1]} (10.0.1.11); capturing all 2`);
  });

  test('names, IPs, subnets and VPCs resolve; not found and ambiguous list the candidates in one sentence', async () => {
    const aws = new FakeAws();
    aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1');
    aws.addInstance('i-0bbbbbbbbbbbbbbb2', 'worker');
    aws.addInstance('i-0ccccccccccccccc3', 'worker');
    expect((await resolveTarget({ kind: 'name', value: 'web-1' }, aws.ec2, where)).label).toBe('instance i-0aaaaaaaaaaaaaaa1 (web-1)');
    await expect(resolveTarget({ kind: 'name', value: 'worker' }, aws.ec2, where)).rejects.toThrow(
      '2 instances are named "worker" in eu-west-1: i-0bbbbbbbbbbbbbbb2 (running), i-0ccccccccccccccc3 (running); pick one with --instance',
    );
    await expect(resolveTarget({ kind: 'name', value: 'web' }, aws.ec2, where)).rejects.toThrow('no instance with Name tag "web" in eu-west-1; similar names: i-0aaaaaaaaaaaaaaa1 (web-1)');
    await expect(resolveTarget({ kind: 'instance', value: 'i-0dddddddddddddddd' }, aws.ec2, where)).rejects.toThrow(/^no instance "i-0dddddddddddddddd" in eu-west-1; instances there: i-0aaaaaaaaaaaaaaa1 \(web-1\), /);
    await expect(resolveTarget({ kind: 'instance', value: 'web-1' }, aws.ec2, where)).rejects.toThrow('--instance "web-1" is not an instance id (i-…); to pick by Name tag use --name');
    const ip = await resolveTarget({ kind: 'ip', value: '10.0.1.11' }, aws.ec2, where);
    expect(ip.resourceIds).toEqual([aws.enis[1].id]);
    await expect(resolveTarget({ kind: 'ip', value: '10.9.9.9' }, aws.ec2, where)).rejects.toThrow('no network interface has the private IP 10.9.9.9 in eu-west-1; check the address and --region');
    aws.enis.push({ ...aws.enis[0], id: 'eni-0fffffffffffffff0', vpcId: 'vpc-0other' });
    await expect(resolveTarget({ kind: 'ip', value: aws.enis[0].privateIps[0] }, aws.ec2, where)).rejects.toThrow(/^2 network interfaces have the private IP 10\.0\.1\.10 in eu-west-1 \(in different VPCs\): .*; pick one with --eni$/);
    const subnet = await resolveTarget({ kind: 'subnet', value: 'subnet-0aaaaaaaaaaaaaaa1' }, aws.ec2, where);
    expect(subnet).toMatchObject({ resourceType: 'Subnet', resourceIds: ['subnet-0aaaaaaaaaaaaaaa1'], label: 'subnet subnet-0aaaaaaaaaaaaaaa1 (app-a)' });
    const vpc = await resolveTarget({ kind: 'vpc', value: 'vpc-0aaaaaaaaaaaaaaa1' }, aws.ec2, where);
    expect(vpc).toMatchObject({ resourceType: 'VPC', label: 'VPC vpc-0aaaaaaaaaaaaaaa1 (prod)' });
    expect(vpc.enis.length).toBe(3);
  });
});

describe('setup', () => {
  test('our statements are merged into a foreign policy by Sid; nothing else changes; a second merge is a no-op', () => {
    const ours = bucketPolicyStatements('flowdump-1-eu-west-1', '1', 'eu-west-1');
    const foreign = JSON.stringify({ Version: '2012-10-17', Id: 'team', Statement: [{ Sid: 'Audit', Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::1:root' }, Action: 's3:GetObject', Resource: '*' }] });
    const merged = mergeBucketPolicy(foreign, ours, 'b');
    expect(merged.status).toBe('updated');
    const document = JSON.parse(merged.policy);
    expect(document.Id).toBe('team');
    expect(document.Statement[0]).toEqual(JSON.parse(foreign).Statement[0]);
    expect(document.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['Audit', 'FlowdumpDenyInsecureTransport', 'FlowdumpAWSLogDeliveryWrite', 'FlowdumpAWSLogDeliveryAclCheck']);
    expect(mergeBucketPolicy(merged.policy, ours, 'b').status).toBe('existed');
    expect(() => mergeBucketPolicy('{not json', ours, 'b')).toThrow(/is not JSON flowdump can read; it was left unchanged/);
    const huge = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Big', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: Array.from({ length: 700 }, (_, i) => `arn:aws:s3:::b/prefix-${i}/*`) }] });
    expect(() => mergeBucketPolicy(huge, ours, 'b')).toThrow(/larger than S3's 20 KB limit; it was left unchanged/);
  });

  test('refuses a bucket that belongs to someone else and changes nothing', async () => {
    const aws = new FakeAws();
    aws.s3.bucketStatus = async () => 'foreign';
    await expect(
      runSetup({ s3: aws.s3, iam: {} as never }, { account: '1', region: 'eu-west-1', bucket: 'flowdump-1-eu-west-1', deliveryTrustTemplate: '{}', deliveryPolicy: '{}', lifecycleDays: 7, skipRole: true }),
    ).rejects.toThrow('bucket flowdump-1-eu-west-1 is not a bucket of account 1: S3 bucket names are global and another account holds this one (or a policy denies you); nothing was changed');
  });

  test('two setups at once: the role the other one made between our GetRole and CreateRole is used, not an error', async () => {
    const aws = new FakeAws();
    const roles = new Map<string, RoleInfo>();
    const policies = new Map<string, string>();
    let raced = false;
    const iam: IamPort = {
      getRole: async (name) => roles.get(name),
      createRole: async (name, trustPolicy) => {
        if (!raced) {
          // the other setup wins the race for the first role
          raced = true;
          roles.set(name, { name, arn: `arn:aws:iam::1:role/${name}`, trustPolicy });
          throw new FlowdumpError('aws-EntityAlreadyExists', `iam:CreateRole on ${name} failed in eu-west-1: EntityAlreadyExists: Role with name ${name} already exists.`, { exitCode: 3 });
        }
        const role = { name, arn: `arn:aws:iam::1:role/${name}`, trustPolicy };
        roles.set(name, role);
        return role;
      },
      getRolePolicy: async (role, name) => policies.get(`${role}/${name}`),
      putRolePolicy: async (role, name, document) => void policies.set(`${role}/${name}`, document),
    };
    const result = await runSetup(
      { s3: aws.s3, iam },
      {
        account: '1',
        region: 'eu-west-1',
        bucket: 'flowdump-1-eu-west-1',
        deliveryTrustTemplate: '{"Statement":[]}',
        deliveryPolicy: '{"Statement":[]}',
        lifecycleDays: 7,
        skipRole: false,
        safetyNetRole: { name: 'flowdump-safety-net', trustPolicy: '{"Statement":[]}', rolePolicy: '{"Statement":[]}' },
      },
    );
    expect(result.roleArn).toBe('arn:aws:iam::1:role/flowdump-flow-logs-delivery');
    expect(result.safetyNetRoleArn).toBe('arn:aws:iam::1:role/flowdump-safety-net');
    expect(result.steps.filter((step) => step.what.startsWith('role flowdump')).map((step) => [step.what.split(' ')[1], step.status])).toEqual([
      ['flowdump-flow-logs-delivery', 'existed'],
      ['flowdump-safety-net', 'made'],
    ]);
    expect([...roles.keys()].sort()).toEqual(['flowdump-flow-logs-delivery', 'flowdump-safety-net']);
  });
});
