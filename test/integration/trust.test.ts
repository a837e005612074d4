/**
 * flowdump touches only what it provably created (docs/security.md): forged flowdump tags on
 * flow logs that deliver somewhere else, capture ids that would escape the state folder, lifecycle
 * rules of others in the setup bucket, a bucket squatted under flowdump's name by another account,
 * and a role whose trust policy is not flowdump's. Each plays an attacker or a careless neighbour
 * against the real CLI on moto.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CreateLogGroupCommand, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateFlowLogsCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand, type LifecycleRule } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { scratchDir } from '../helpers/scratch.js';
import {
  ACCOUNT,
  bucketName,
  cliEnv,
  flowLogs,
  handshakeRecords,
  INTEGRATION_TIMEOUT,
  listKeys,
  makeFixture,
  otherAccount,
  runCli,
  sdk,
  seedLogEvents,
  seedS3FlowLogFile,
  windowStart,
} from './helpers.js';

const PAST = '2020-01-01T00:00:00Z';

describe('forged flowdump tags prove nothing', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('flow logs tagged like captures that deliver to somebody else\'s bucket — the id "vpc" on its prefix vpc/, a well-formed id on a prefix of that name, and a well-formed id into a foreign prefix of the setup bucket — survive sweep, stop --all and list, and nothing is written into those places (account 210987654371, ap-southeast-4)', async () => {
    const region = 'ap-southeast-4';
    const account = '210987654371';
    const other = await otherAccount(account);
    const aws = sdk(region, other.credentials);
    const fixture = await makeFixture(aws);
    const env = cliEnv({ region, extra: other.env });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const bucket = bucketName(region).replace(ACCOUNT, account);
    const audit = `corp-audit-logs-${region}`;
    await aws.s3.send(new CreateBucketCommand({ Bucket: audit, CreateBucketConfiguration: { LocationConstraint: region } }));
    const wellFormed = 'fd-20200101-000000-ab12';
    const forge = async (destination: string, captureId: string) =>
      (
        await aws.ec2.send(
          new CreateFlowLogsCommand({
            ResourceIds: [fixture.eniIds[0]],
            ResourceType: 'NetworkInterface',
            TrafficType: 'ALL',
            LogDestinationType: 's3',
            LogDestination: destination,
            TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: [{ Key: 'flowdump:capture-id', Value: captureId }, { Key: 'flowdump:expires-at', Value: PAST }] }],
          }),
        )
      ).FlowLogIds![0];
    const forged = [
      await forge(`arn:aws:s3:::${audit}/vpc/`, 'vpc'),
      await forge(`arn:aws:s3:::${audit}/${wellFormed}/`, wellFormed),
      await forge(`arn:aws:s3:::${bucket}/team/${wellFormed}/`, wellFormed),
    ];
    // the audit team's logs under both prefixes, and the neighbour's in the setup bucket
    const lines = handshakeRecords(fixture.eniIds[0], fixture.privateIp, 1_700_000_000);
    await seedS3FlowLogFile(aws, { bucket: audit, prefix: 'vpc/', flowLogId: forged[0], windowStart: windowStart(new Date()), lines });
    await seedS3FlowLogFile(aws, { bucket: audit, prefix: `${wellFormed}/`, flowLogId: forged[1], windowStart: windowStart(new Date()), lines });
    await seedS3FlowLogFile(aws, { bucket, prefix: `team/${wellFormed}/`, flowLogId: forged[2], windowStart: windowStart(new Date()), lines });
    const before = { audit: await listKeys(aws, audit), ours: await listKeys(aws, bucket) };
    expect(before.audit).toHaveLength(2);

    const swept = await runCli(['sweep', '--settle-timeout', '0s'], cliEnv({ region, offsetSeconds: 3600, extra: other.env }));
    expect(swept.code).toBe(0);
    const stopped = await runCli(['stop', '--all', '--settle-timeout', '0s'], env);
    expect(stopped.code).toBe(0);
    const listed = await runCli(['list', '--all'], env);
    expect(listed.code).toBe(0);
    const json = await runCli(['list', '--all', '--json'], env);

    // every forged flow log is still there, every object is as it was, nothing was written beside them
    expect((await flowLogs(aws)).map((f) => f.FlowLogId).sort()).toEqual([...forged].sort());
    expect(await listKeys(aws, audit)).toEqual(before.audit);
    expect(await listKeys(aws, bucket)).toEqual(before.ours);
    for (const output of [swept.stderr, stopped.stderr, listed.stderr]) {
      expect(output).toContain(`${forged[0]} carries flowdump tags but its flowdump:capture-id "vpc" is not a capture id: not a flowdump capture, left alone`);
      expect(output).toContain(`${forged[1]} carries flowdump tags but it delivers to s3://${audit}/${wellFormed}/, which is not where flowdump puts capture ${wellFormed}`);
      expect(output).toContain(`${forged[2]} carries flowdump tags but it delivers to s3://${bucket}/team/${wellFormed}/`);
    }
    expect(JSON.parse(json.stdout)).toMatchObject({ captures: [], notCaptures: expect.arrayContaining([expect.stringContaining(forged[1])]) });
  });

  test('a capture id from a tag never becomes a path: "../../../escaped" on a log group /x/../../../escaped writes nothing outside the state folder and the group is left alone (account 210987654372, ca-west-1)', async () => {
    const region = 'ca-west-1';
    const account = '210987654372';
    const other = await otherAccount(account);
    const aws = sdk(region, other.credentials);
    const fixture = await makeFixture(aws);
    const home = scratchDir('trust-home');
    const state = join(home, 'a', 'b', 'state');
    const group = '/x/../../../escaped';
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: group, tags: { 'flowdump:capture-id': '../../../escaped' } }));
    await seedLogEvents(aws, group, fixture.eniIds[0], handshakeRecords(fixture.eniIds[0], fixture.privateIp, 1_700_000_000), Date.now());
    const forged = (
      await aws.ec2.send(
        new CreateFlowLogsCommand({
          ResourceIds: [fixture.eniIds[0]],
          ResourceType: 'NetworkInterface',
          TrafficType: 'ALL',
          LogDestinationType: 'cloud-watch-logs',
          LogGroupName: group,
          DeliverLogsPermissionArn: `arn:aws:iam::${account}:role/anything`,
          TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: [{ Key: 'flowdump:capture-id', Value: '../../../escaped' }, { Key: 'flowdump:expires-at', Value: PAST }] }],
        }),
      )
    ).FlowLogIds![0];

    const swept = await runCli(['sweep', '--settle-timeout', '0s'], cliEnv({ region, stateDir: state, offsetSeconds: 3600, extra: other.env }));
    expect(swept.code).toBe(0);
    expect(swept.stderr).toContain(`${forged} carries flowdump tags but its flowdump:capture-id "../../../escaped" is not a capture id`);
    // nothing outside the state folder: the escape target of every join it could have made
    for (const escaped of [join(state, 'escaped'), join(state, '..', 'escaped'), join(home, 'a', 'escaped'), join(home, 'escaped'), join(home, 'a', 'b', 'escaped')]) expect(existsSync(escaped)).toBe(false);
    expect(filesUnder(home).filter((file) => !file.startsWith(`${state}/`))).toEqual([]);
    expect((await flowLogs(aws)).map((f) => f.FlowLogId)).toEqual([forged]);
    const streams = (await aws.logs.send(new DescribeLogStreamsCommand({ logGroupName: group }))).logStreams!.map((s) => s.logStreamName);
    expect(streams).toEqual([fixture.eniIds[0]]);
  });
});

describe('setup keeps what it did not write', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('lifecycle rules filtered by tag, by And and by size, with transitions and noncurrent-version actions come back exactly as they were, beside flowdump\'s own rule (mx-central-1)', async () => {
    const region = 'mx-central-1';
    const aws = sdk(region);
    const bucket = bucketName(region);
    await aws.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }));
    const theirs: LifecycleRule[] = [
      { ID: 'archive-by-tag', Status: 'Enabled', Filter: { Tag: { Key: 'class', Value: 'archive' } }, Expiration: { Days: 1 } },
      {
        ID: 'logs-to-glacier',
        Status: 'Enabled',
        Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'keep', Value: 'long' }] } },
        Transitions: [{ Days: 30, StorageClass: 'GLACIER' }],
      },
      { ID: 'big-objects', Status: 'Disabled', Filter: { ObjectSizeGreaterThan: 1048576 }, Transitions: [{ Days: 90, StorageClass: 'DEEP_ARCHIVE' }] },
      { ID: 'old-versions', Status: 'Enabled', Filter: { Prefix: 'data/' }, NoncurrentVersionExpiration: { NoncurrentDays: 30 } },
    ];
    await aws.s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: theirs } }));
    const before = (await aws.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules!;

    const env = cliEnv({ region });
    const setup = await runCli(['setup', '--s3-only'], env);
    expect(setup.code).toBe(0);
    const after = (await aws.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules!;
    expect(after.filter((rule) => rule.ID !== 'flowdump-expire-captures')).toEqual(before);
    expect(after.find((rule) => rule.ID === 'flowdump-expire-captures')).toMatchObject({ Filter: { Prefix: 'flowdump/' }, Status: 'Enabled', Expiration: { Days: 7 } });
    // a second setup changes nothing
    expect((await runCli(['setup', '--s3-only', '--json'], env)).stdout).toContain('"what": "lifecycle: expire flowdump/ after 7 days (the last cost guard)",\n      "status": "existed"');
    expect((await aws.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules).toEqual(after);
  });
});

describe('a bucket squatted under flowdump\'s name', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('another account made flowdump-<account>-<region> first: setup stops with one sentence and start creates no flow log into it (account 210987654399, ap-southeast-5)', async () => {
    const region = 'ap-southeast-5';
    const squatter = await otherAccount('210987654399');
    const theirs = sdk(region, squatter.credentials);
    const aws = sdk(region);
    const bucket = bucketName(region);
    await theirs.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }));
    const fixture = await makeFixture(aws);
    const env = cliEnv({ region });

    const setup = await runCli(['setup', '--s3-only'], env);
    expect(setup.code).toBe(3);
    expect(setup.stderr.trim()).toBe(
      `flowdump: bucket ${bucket} is not a bucket of account ${ACCOUNT}: S3 bucket names are global and another account holds this one (or a policy denies you); nothing was changed, and flowdump will not deliver flow logs there — capture into a bucket of yours with flowdump start --destination s3://<bucket>/<prefix>`,
    );
    expect(setup.stdout).not.toContain('existed');

    const start = await runCli(['start', '--eni', fixture.eniIds[0], '--for', '5m', '--yes', '--detach', '--no-safety-net'], env);
    expect(start.code).toBe(3);
    expect(start.stderr).toContain(`bucket ${bucket} is not a bucket of account ${ACCOUNT} (it belongs to another account, or a policy denies you): flowdump will not deliver your flow logs there; nothing was created`);
    const named = await runCli(['start', '--eni', fixture.eniIds[0], '--for', '5m', '--yes', '--detach', '--no-safety-net', '--destination', `s3://${bucket}/mine`], env);
    expect(named.code).toBe(3);
    expect(await flowLogs(aws)).toEqual([]);
    expect(await listKeys(theirs, bucket)).toEqual([]);
  });
});

/** Every file below `dir`, as full paths. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
