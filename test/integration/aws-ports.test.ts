/**
 * The AWS adapters against moto over HTTP: the calls flowdump makes work on a real API
 * implementation, including the two moto bugs the launcher fixes.
 */
import { CreateBucketCommand, GetObjectCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { createAwsContext } from '../../src/aws/clients.js';
import { systemClock } from '../../src/capture/clock.js';
import { loadPriceTable } from '../../src/cost/pricing.js';
import { parseDestination } from '../../src/capture/destination.js';
import { startCapture } from '../../src/capture/lifecycle.js';
import { planCapture } from '../../src/capture/plan.js';
import { resolveTarget } from '../../src/capture/targets.js';
import { findPreset } from '../../src/format/presets.js';
import { flowLogs, makeFixture, sdk, INTEGRATION_TIMEOUT } from './helpers.js';

describe('AWS adapters on moto', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('CreateFlowLogs to an S3 folder ARN, tags on create, described back by tag (region us-west-1)', async () => {
    const region = 'us-west-1';
    const raw = sdk(region);
    const fixture = await makeFixture(raw);
    await raw.s3.send(new CreateBucketCommand({ Bucket: 'ports-bucket-us-west-1', CreateBucketConfiguration: { LocationConstraint: region } }));
    const aws = await createAwsContext({ region, env: process.env, maxAttempts: 1 });
    const created = await aws.ec2.createFlowLogs({
      resourceType: 'NetworkInterface',
      resourceIds: fixture.eniIds,
      trafficType: 'ALL',
      destination: { type: 's3', arn: 'arn:aws:s3:::ports-bucket-us-west-1/flowdump/fd-20260101-000000-abcd/', fileFormat: 'plain-text' },
      logFormat: '${version} ${srcaddr}',
      maxAggregationInterval: 60,
      tags: { 'flowdump:capture-id': 'fd-20260101-000000-abcd' },
      clientToken: 'fd-20260101-000000-abcd',
    });
    expect(created.unsuccessful).toEqual([]);
    expect(created.flowLogIds).toHaveLength(2);
    const all = await flowLogs(raw);
    expect(all.map((flowLog) => flowLog.ResourceId).sort()).toEqual([...fixture.eniIds].sort());
    expect(all.every((flowLog) => flowLog.LogDestination === 'arn:aws:s3:::ports-bucket-us-west-1/flowdump/fd-20260101-000000-abcd/' && flowLog.MaxAggregationInterval === 60)).toBe(true);
    const tagged = await aws.ec2.describeFlowLogs({ tagKey: 'flowdump:capture-id' });
    expect(tagged.map((flowLog) => flowLog.tags['flowdump:capture-id'])).toEqual(['fd-20260101-000000-abcd', 'fd-20260101-000000-abcd']);
    const deleted = await aws.ec2.deleteFlowLogs(created.flowLogIds);
    expect(deleted.unsuccessful).toEqual([]);
    expect(await flowLogs(raw)).toEqual([]);
  });

  test('a TLS-only bucket policy does not block object calls on moto; conditional writes work (region us-west-2)', async () => {
    const region = 'us-west-2';
    const raw = sdk(region);
    const bucket = 'ports-tls-us-west-2';
    await raw.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }));
    await raw.s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Sid: 'TLS', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
        }),
      }),
    );
    const aws = await createAwsContext({ region, env: process.env, maxAttempts: 1 });
    expect(await aws.s3.putObject(bucket, 'flowdump/x/lock.json', '{}', 'application/json', { ifNoneMatch: true })).toBe('written');
    expect(await aws.s3.putObject(bucket, 'flowdump/x/lock.json', '{}', 'application/json', { ifNoneMatch: true })).toBe('exists');
    expect(await (await raw.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'flowdump/x/lock.json' }))).Body!.transformToString()).toBe('{}');
    expect(await aws.s3.listFolders(bucket, 'flowdump/')).toEqual(['flowdump/x/']);
  });
});

describe('invariant 3 on moto: concurrent and retried starts of one capture', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('two starts of the same plan at once, then a retry: one flow log per interface, all succeed (us-east-2)', async () => {
    const region = 'us-east-2';
    const raw = sdk(region);
    const fixture = await makeFixture(raw);
    const aws = await createAwsContext({ region, env: process.env, maxAttempts: 1 });
    await aws.s3.createBucket('flowdump-123456789012-us-east-2', region);
    const target = await resolveTarget({ kind: 'instance', value: fixture.instanceId }, aws.ec2, { where: `in ${region}` });
    const preset = findPreset('handshake');
    const plan = planCapture({
      id: 'fd-20260501-120000-3333',
      target,
      format: { preset, bytesPerRecord: preset.bytesPerRecord },
      destination: parseDestination(undefined),
      defaultBucket: 'flowdump-123456789012-us-east-2',
      fileFormat: 'text',
      traffic: 'ALL',
      durationSeconds: 300,
      now: new Date(),
      account: '123456789012',
      region,
      createdBy: 'test',
      keep: false,
    });
    const deps = {
      ...aws,
      s3: aws.ownedS3('123456789012'),
      places: { account: '123456789012', defaultBucket: 'flowdump-123456789012-us-east-2', recorded: [] },
      clock: systemClock,
      reporter: { event: () => undefined },
      prices: loadPriceTable(),
      renderText: () => '',
      owner: 'test:1',
    };
    const [a, b] = await Promise.all([startCapture(plan, deps), startCapture(plan, deps)]);
    const retried = await startCapture(plan, deps);
    const all = await flowLogs(raw);
    expect(all.map((flowLog) => flowLog.ResourceId).sort()).toEqual([...fixture.eniIds].sort());
    expect(a.flowLogIds.sort()).toEqual(all.map((flowLog) => flowLog.FlowLogId).sort());
    expect(b.flowLogIds.sort()).toEqual(a.flowLogIds);
    expect(retried.flowLogIds.sort()).toEqual(a.flowLogIds);
  });
});
