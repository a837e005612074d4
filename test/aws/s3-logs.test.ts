import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { GetBucketPolicyCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import { createLogsPort } from '../../src/aws/logs.js';
import { createS3Port } from '../../src/aws/s3.js';

const scope = { region: 'eu-west-1' };
const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
const s3Mock = mockClient(S3Client);
const logsMock = mockClient(CloudWatchLogsClient);
const s3 = createS3Port(new S3Client({ region: 'eu-west-1', credentials }), scope);
const logs = createLogsPort(new CloudWatchLogsClient({ region: 'eu-west-1', credentials }), scope);

function awsError(name: string, status: number) {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

beforeEach(() => {
  s3Mock.reset();
  logsMock.reset();
});

describe('S3Port', () => {
  test('listObjects follows continuation tokens and yields every object once', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'p/a.log.gz', Size: 10 }], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'p/b.log.gz', Size: 20 }], IsTruncated: false });
    const keys: string[] = [];
    for await (const object of s3.listObjects('b', 'p/')) keys.push(`${object.key}:${object.size}`);
    expect(keys).toEqual(['p/a.log.gz:10', 'p/b.log.gz:20']);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[1].args[0].input.ContinuationToken).toBe('t1');
  });

  test('listObjectsAfter asks from StartAfter, names the expected owner, and pages on; a missing bucket is no objects', async () => {
    const owned = createS3Port(new S3Client({ region: 'eu-west-1', credentials }), scope, '111122223333');
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({ Contents: [{ Key: 'p/2026/05/01/c.log.gz', Size: 10, LastModified: new Date(5) }], IsTruncated: true, NextContinuationToken: 't1' })
      .resolvesOnce({ Contents: [{ Key: 'p/2026/05/01/d.log.gz', Size: 20 }], IsTruncated: false })
      .rejectsOnce(awsError('NoSuchBucket', 404));
    const keys: string[] = [];
    for await (const object of owned.listObjectsAfter('b', 'p/', 'p/2026/05/01')) keys.push(`${object.key}:${object.size}`);
    expect(keys).toEqual(['p/2026/05/01/c.log.gz:10', 'p/2026/05/01/d.log.gz:20']);
    const calls = s3Mock.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(calls[0]).toMatchObject({ Bucket: 'b', Prefix: 'p/', StartAfter: 'p/2026/05/01', ExpectedBucketOwner: '111122223333' });
    expect(calls[1]).toMatchObject({ ContinuationToken: 't1', ExpectedBucketOwner: '111122223333' });
    const none: string[] = [];
    for await (const object of owned.listObjectsAfter('b', 'p/', undefined)) none.push(object.key);
    expect(none).toEqual([]);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[2].args[0].input.StartAfter).toBeUndefined();
  });

  test('no bucket policy is "none", not an error; a denied one names s3:GetBucketPolicy and the setup policy', async () => {
    s3Mock.on(GetBucketPolicyCommand).rejectsOnce(awsError('NoSuchBucketPolicy', 404)).rejectsOnce(awsError('AccessDenied', 403));
    expect(await s3.getBucketPolicy('b')).toBeUndefined();
    await expect(s3.getBucketPolicy('b')).rejects.toThrow('AWS denied s3:GetBucketPolicy on s3://b for the default credentials in eu-west-1: attach the policy in templates/iam/flowdump-setup.json (it grants s3:GetBucketPolicy) to your user or role');
  });

  test('a conditional write that loses the race says "exists"', async () => {
    s3Mock.on(PutObjectCommand).rejects(awsError('PreconditionFailed', 412));
    expect(await s3.putObject('b', 'k', '{}', 'application/json', { ifNoneMatch: true })).toBe('exists');
    await expect(s3.putObject('b', 'k', '{}', 'application/json')).rejects.toThrow(/s3:PutObject on s3:\/\/b\/k failed in eu-west-1: PreconditionFailed/);
  });
});

describe('LogsPort', () => {
  test('filterLogEvents pages through nextToken and passes the time window', async () => {
    logsMock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [{ logStreamName: 's', timestamp: 1, message: 'a' }], nextToken: 'n1' })
      .resolvesOnce({ events: [{ logStreamName: 's', timestamp: 2, message: 'b' }] });
    const messages: string[] = [];
    for await (const event of logs.filterLogEvents({ group: '/g', startTime: 100, endTime: 200 })) messages.push(event.message);
    expect(messages).toEqual(['a', 'b']);
    expect(logsMock.commandCalls(FilterLogEventsCommand)[0].args[0].input).toMatchObject({ logGroupName: '/g', startTime: 100, endTime: 200 });
    expect(logsMock.commandCalls(FilterLogEventsCommand)[1].args[0].input.nextToken).toBe('n1');
  });

  test('filterLogEvents hands out each event\'s id, so a reader that asks again can skip what it has', async () => {
    logsMock.on(FilterLogEventsCommand).resolvesOnce({ events: [{ logStreamName: 's', timestamp: 1, message: 'a', eventId: 'e1' }, { logStreamName: 's', timestamp: 2, message: 'b' }] });
    const events = [];
    for await (const event of logs.filterLogEvents({ group: '/g' })) events.push(event);
    expect(events.map((event) => event.id)).toEqual(['e1', undefined]);
  });
});
