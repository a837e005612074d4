/**
 * Invariant 2 — flowdump never modifies or deletes a flow log, object or log group it did not
 * create: foreign ones sit next to flowdump's own (same interface, same bucket, a look-alike
 * prefix, a look-alike log group, even a forged capture tag) through start, stop and sweep.
 */
import { CreateLogGroupCommand, DescribeLogGroupsCommand, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateFlowLogsCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { bucketName, cliEnv, flowLogs, handshakeRecords, listKeys, makeFixture, runCli, sdk, seedLogEvents, seedS3FlowLogFile, windowStart, INTEGRATION_TIMEOUT } from './helpers.js';

describe('invariant 2: never touches what it did not create', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('foreign flow logs, objects and log groups survive start, stop and sweep (ca-central-1)', async () => {
    const region = 'ca-central-1';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    const env = cliEnv({ region });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const bucket = bucketName(region);
    await aws.s3.send(new CreateBucketCommand({ Bucket: 'audit-flow-logs-ca', CreateBucketConfiguration: { LocationConstraint: region } }));
    const foreignId = 'fd-20200101-000000-ffff';
    // someone else's flow logs on the same interface: one untagged into a look-alike prefix of our bucket, one with a forged capture tag elsewhere
    const untagged = await aws.ec2.send(
      new CreateFlowLogsCommand({ ResourceIds: [fixture.eniIds[0]], ResourceType: 'NetworkInterface', TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: `arn:aws:s3:::${bucket}/flowdump/${foreignId}/` }),
    );
    const forged = await aws.ec2.send(
      new CreateFlowLogsCommand({
        ResourceIds: [fixture.eniIds[0]],
        ResourceType: 'NetworkInterface',
        TrafficType: 'REJECT',
        LogDestinationType: 's3',
        LogDestination: 'arn:aws:s3:::audit-flow-logs-ca/vpc/',
        TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: [{ Key: 'flowdump:capture-id', Value: foreignId }, { Key: 'flowdump:expires-at', Value: '2020-01-01T00:00:00Z' }] }],
      }),
    );
    const foreignFlowLogs = [...untagged.FlowLogIds!, ...forged.FlowLogIds!].sort();
    // someone else's objects: outside flowdump/, under a look-alike capture prefix (no manifest), in another bucket
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'team-notes/readme.txt', Body: 'keep me' }));
    const lookalike = await seedS3FlowLogFile(aws, { bucket, prefix: `flowdump/${foreignId}/`, flowLogId: untagged.FlowLogIds![0], windowStart: windowStart(new Date()), lines: handshakeRecords(fixture.eniIds[0], '10.0.1.4', 1_700_000_000) });
    await aws.s3.send(new PutObjectCommand({ Bucket: 'audit-flow-logs-ca', Key: 'vpc/AWSLogs/x.log.gz', Body: 'keep me' }));
    // someone else's log group under /flowdump/, named like a capture, untagged, with data
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: `/flowdump/${foreignId}` }));
    await seedLogEvents(aws, `/flowdump/${foreignId}`, 'eni-0000000000000000f', ['2 123456789012 eni-0000000000000000f - - - - - - - 1 2 - NODATA'], Date.now());

    const before = { keys: await listKeys(aws, bucket), audit: await listKeys(aws, 'audit-flow-logs-ca') };
    const started = await runCli(['start', '--instance', fixture.instanceId, '--for', '5m', '--yes', '--detach'], env);
    expect(started.code).toBe(0);
    const logsCapture = await runCli(['start', '--eni', fixture.eniIds[1], '--for', '5m', '--yes', '--detach', '--destination', 'logs:/flowdump'], env);
    expect(logsCapture.code).toBe(0);
    const stopped = await runCli(['stop', started.stdout.split('\n')[0], '--settle-timeout', '0s'], env);
    expect(stopped.code).toBe(0);
    const swept = await runCli(['sweep', '--settle-timeout', '0s'], cliEnv({ region, offsetSeconds: 3600 }));
    expect(swept.code).toBe(0);
    const all = await runCli(['stop', '--all', '--settle-timeout', '0s'], env);
    expect(all.code).toBe(0);

    // flowdump's own flow logs are gone; the foreign ones are untouched
    expect((await flowLogs(aws)).map((f) => f.FlowLogId).sort()).toEqual(foreignFlowLogs);
    const keys = await listKeys(aws, bucket);
    for (const key of before.keys) expect(keys).toContain(key);
    expect(keys).toContain(lookalike);
    expect(await listKeys(aws, 'audit-flow-logs-ca')).toEqual(before.audit);
    const groups = (await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/flowdump/' }))).logGroups!.map((g) => g.logGroupName);
    expect(groups).toContain(`/flowdump/${foreignId}`);
    const streams = (await aws.logs.send(new DescribeLogStreamsCommand({ logGroupName: `/flowdump/${foreignId}` }))).logStreams!.map((s) => s.logStreamName);
    expect(streams).toEqual(['eni-0000000000000000f']);
  });
});
