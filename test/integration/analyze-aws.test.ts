/**
 * CloudWatch Logs captures, and `analyze` of AWS data: an S3 prefix in all four key layouts,
 * a log group (paginated FilterLogEvents, --since/--until, the flow log's own format), and a
 * capture id (its data while it is there, its stored summary after).
 */
import { gzipSync } from 'node:zlib';
import { CreateLogGroupCommand, DescribeLogGroupsCommand, DescribeLogStreamsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateFlowLogsCommand } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { ACCOUNT, cliEnv, flowdumpFlowLogs, flowLogs, handshakeRecords, HANDSHAKE_HEADER, keptCaptureWithData, listKeys, makeFixture, runCli, sdk, seedLogEvents, INTEGRATION_TIMEOUT, LATE_MARGIN_MS } from './helpers.js';

describe('CloudWatch Logs captures', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('start --destination logs:/flowdump: a tagged group with 1-day retention and the delivery role; sweep summarizes and deletes the data streams (sa-east-1)', async () => {
    const region = 'sa-east-1';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    const env = cliEnv({ region });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const started = await runCli(['start', '--instance', fixture.instanceId, '--for', '10m', '--yes', '--detach', '--destination', 'logs:/flowdump'], env);
    expect(started.stderr).not.toContain('flowdump:');
    const id = started.stdout.split('\n')[0];
    const group = `/flowdump/${id}`;
    const [info] = (await aws.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }))).logGroups!;
    expect(info.retentionInDays).toBe(1);
    expect((await aws.logs.send(new ListTagsForResourceCommand({ resourceArn: info.logGroupArn! }))).tags).toMatchObject({ 'flowdump:capture-id': id });
    const created = await flowdumpFlowLogs(aws);
    expect(created).toHaveLength(2);
    for (const flowLog of created) {
      expect(flowLog).toMatchObject({ LogDestinationType: 'cloud-watch-logs', LogGroupName: group, DeliverLogsPermissionArn: `arn:aws:iam::${ACCOUNT}:role/flowdump-flow-logs-delivery` });
    }
    // CloudWatch Logs delivery: one stream per interface, no header line, timestamp = record start
    const late = Date.now() + 3600_000 + LATE_MARGIN_MS;
    for (const [i, eni] of fixture.eniIds.entries()) await seedLogEvents(aws, group, `${eni}-all`, handshakeRecords(eni, `10.0.1.${4 + i}`, Math.floor(late / 1000) - 60), late - 60_000);
    const swept = await runCli(['sweep', '--json'], cliEnv({ region, offsetSeconds: 3600 }));
    expect(swept.code).toBe(0);
    expect(JSON.parse(swept.stdout).finished).toEqual([expect.objectContaining({ id, state: 'cleaned' })]);
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    const streams = (await aws.logs.send(new DescribeLogStreamsCommand({ logGroupName: group }))).logStreams!.map((s) => s.logStreamName).sort();
    expect(streams).toEqual(['flowdump-manifest', 'flowdump-summary']);
    const shown = await runCli(['analyze', id, '--json'], env);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).tcp).toMatchObject({ connections: 6, established: 2, refused: 2, unanswered: 2 });
  });
});

describe('flowdump analyze of AWS data', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('s3://bucket/prefix reads all four key layouts; logs:/group uses the flow log\'s format and --since/--until; show reads it too (me-south-1)', async () => {
    const region = 'me-south-1';
    const aws = sdk(region);
    const env = cliEnv({ region });
    const bucket = 'someone-elses-flow-logs-me';
    await aws.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }));
    // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html: default, Hive, per-hour, Hive + per-hour
    const layouts = [
      `vpc/AWSLogs/${ACCOUNT}/vpcflowlogs/${region}/2026/05/01/`,
      `vpc/AWSLogs/aws-account-id=${ACCOUNT}/aws-service=vpcflowlogs/aws-region=${region}/year=2026/month=05/day=01/`,
      `vpc/AWSLogs/${ACCOUNT}/vpcflowlogs/${region}/2026/05/01/13/`,
      `vpc/AWSLogs/aws-account-id=${ACCOUNT}/aws-service=vpcflowlogs/aws-region=${region}/year=2026/month=05/day=01/hour=14/`,
    ];
    for (const [i, prefix] of layouts.entries()) {
      const lines = handshakeRecords(`eni-0000000000000000${i}`, `10.0.0.${10 + i}`, 1_777_600_000 + i * 3600);
      await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${ACCOUNT}_vpcflowlogs_${region}_fl-0000000${i}_20260501T120${i}Z_abc.log.gz`, Body: gzipSync(`${HANDSHAKE_HEADER}\n${lines.join('\n')}\n`) }));
    }
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'vpc/notes.md', Body: '# not flow logs' }));
    const s3 = await runCli(['analyze', `s3://${bucket}/vpc/`, '--json'], env);
    expect(s3.stderr).toBe('');
    const summary = JSON.parse(s3.stdout);
    expect(summary.sources.count).toBe(4);
    expect(summary.records.total).toBe(20);
    expect(summary.tcp).toMatchObject({ connections: 12, established: 4, refused: 4, unanswered: 4 });
    expect(summary.interfaces.count).toBe(4);

    const empty = await runCli(['analyze', `s3://${bucket}/nothing/`], env);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe(`flowdump: no flow-log objects (*.log.gz, *.log.parquet) under s3://${bucket}/nothing/; check the prefix (it should contain AWSLogs/)\n`);

    // a foreign CloudWatch Logs flow log with its own format: events have no header, the format comes from DescribeFlowLogs
    const fixture = await makeFixture(aws);
    const group = '/vpc/prod-flow-logs';
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await aws.ec2.send(
      new CreateFlowLogsCommand({
        ResourceIds: [fixture.eniIds[0]],
        ResourceType: 'NetworkInterface',
        TrafficType: 'ALL',
        LogGroupName: group,
        DeliverLogsPermissionArn: `arn:aws:iam::${ACCOUNT}:role/someone`,
        LogFormat: '${version} ${interface-id} ${flow-direction} ${srcaddr} ${srcport} ${dstaddr} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${tcp-flags} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}',
      }),
    );
    // CloudWatch Logs refuses events older than 14 days: recent times
    const hour = 3600_000;
    const early = Math.floor(Date.now() / hour) * hour - 5 * hour;
    const later = early + 2 * hour;
    await seedLogEvents(aws, group, `${fixture.eniIds[0]}-all`, handshakeRecords(fixture.eniIds[0], '10.0.1.4', early / 1000), early);
    await seedLogEvents(aws, group, `${fixture.eniIds[0]}-all`, handshakeRecords(fixture.eniIds[0], '10.0.1.4', later / 1000).slice(0, 2), later);
    const whole = JSON.parse((await runCli(['analyze', `logs:${group}`, '--json'], env)).stdout);
    expect(whole.records.total).toBe(7);
    expect(whole.records.malformed).toBe(0);
    const windowed = JSON.parse((await runCli(['analyze', `logs:${group}`, '--since', new Date(early + hour).toISOString(), '--until', new Date(later + hour).toISOString(), '--json'], env)).stdout);
    expect(windowed.records.total).toBe(2);
    expect(windowed.tcp).toMatchObject({ connections: 1, established: 1 });
    // show reads the same group the same way, tcpdump style
    const shown = await runCli(['show', `logs:${group}`, '--region', region], env);
    expect(shown.stderr).toBe('');
    const lines = shown.stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/ IP 10\.9\.0\.5\.40001 > 10\.0\.1\.4\.443: Flags \[S\], 1 packet, 60 bytes, ACCEPT, eni-[0-9a-f]+ ingress$/);
    expect((await flowLogs(aws)).length).toBe(1);
  });

  test('analyze <capture-id> reads the data of a kept capture (me-central-1)', async () => {
    const { aws, env, id, bucket } = await keptCaptureWithData('me-central-1');
    const running = JSON.parse((await runCli(['analyze', id, '--json'], env)).stdout);
    expect(running.records.total).toBe(5);
    const stopped = await runCli(['stop', id, '--settle-timeout', '0s'], env);
    expect(stopped.stderr).toContain('data kept at s3://');
    expect(await listKeys(aws, bucket, `flowdump/${id}/AWSLogs/`)).toHaveLength(1);
    // kept data is still there (and costs storage): list shows it
    expect(JSON.parse((await runCli(['list', '--json'], env)).stdout).captures).toEqual([expect.objectContaining({ id, state: 'kept', objects: 1 })]);
  });
});
