/**
 * Integration helpers: SDK clients and fixtures on the shared moto server, and the real built
 * CLI as a child process. Every test takes its own AWS region, so tests share one moto server
 * without resetting it and without seeing each other's resources.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CloudWatchLogsClient, CreateLogStreamCommand, DeleteLogGroupCommand, paginateDescribeLogGroups, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  CreateNetworkInterfaceCommand,
  AttachNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteFlowLogsCommand,
  DescribeFlowLogsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DeleteBucketCommand, DeleteObjectsCommand, GetBucketLocationCommand, ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteScheduleCommand, GetScheduleCommand, paginateListSchedules, SchedulerClient } from '@aws-sdk/client-scheduler';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, inject } from 'vitest';
import { scratchDir } from '../helpers/scratch.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ACCOUNT = '123456789012';

/** The moto endpoint; refuses anything that is not on this machine. */
export function endpoint(): string {
  const url = inject('motoEndpoint');
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`refusing to run integration tests against ${url}: only moto on 127.0.0.1`);
  return url;
}

/**
 * Tests run in parallel files against one moto server: each test uses its own AWS region
 * (resources in moto are per region, and the setup bucket's name carries the region), so no
 * test sees another's flow logs, buckets or log groups. Pick a region no other test uses.
 */
export interface Sdk {
  region: string;
  ec2: EC2Client;
  s3: S3Client;
  logs: CloudWatchLogsClient;
  scheduler: SchedulerClient;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export function sdk(region: string, credentials: Credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' }): Sdk {
  const config = { endpoint: endpoint(), region, credentials, maxAttempts: 1 };
  const aws = { region, ec2: new EC2Client(config), s3: new S3Client({ ...config, forcePathStyle: true }), logs: new CloudWatchLogsClient(config), scheduler: new SchedulerClient(config) };
  touched.set(`${credentials.accessKeyId} ${region}`, aws);
  return aws;
}

/** The regions (per account) a test has used, through sdk() or cliEnv(): emptied after each test. */
const touched = new Map<string, Sdk>();

/*
 * What a test made in moto — flow logs (its own and the foreign ones it planted), schedules, log
 * groups, buckets and their objects — is deleted when the test ends, in the regions it used (a
 * region belongs to one test file, so parallel files are not touched). moto itself stops when
 * the run ends.
 */
afterEach(async () => {
  const regions = [...touched.values()];
  touched.clear();
  for (const aws of regions) await removeEverything(aws);
});

async function removeEverything(aws: Sdk): Promise<void> {
  const flowLogIds = ((await aws.ec2.send(new DescribeFlowLogsCommand({}))).FlowLogs ?? []).map((flowLog) => flowLog.FlowLogId!);
  if (flowLogIds.length > 0) await aws.ec2.send(new DeleteFlowLogsCommand({ FlowLogIds: flowLogIds }));
  for await (const page of paginateListSchedules({ client: aws.scheduler }, {})) {
    for (const schedule of page.Schedules ?? []) await aws.scheduler.send(new DeleteScheduleCommand({ Name: schedule.Name, GroupName: schedule.GroupName }));
  }
  for await (const page of paginateDescribeLogGroups({ client: aws.logs }, {})) {
    for (const group of page.logGroups ?? []) await aws.logs.send(new DeleteLogGroupCommand({ logGroupName: group.logGroupName }));
  }
  for (const bucket of (await aws.s3.send(new ListBucketsCommand({}))).Buckets ?? []) {
    // (buckets are listed for the whole account: another file may delete one of its own meanwhile)
    const location = await aws.s3.send(new GetBucketLocationCommand({ Bucket: bucket.Name })).then(
      (answer) => answer.LocationConstraint || 'us-east-1',
      (error: Error) => {
        if (error.name === 'NoSuchBucket') return undefined;
        throw error;
      },
    );
    if (location !== aws.region) continue;
    for (;;) {
      const objects = (await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket.Name }))).Contents ?? [];
      if (objects.length === 0) break;
      await aws.s3.send(new DeleteObjectsCommand({ Bucket: bucket.Name, Delete: { Objects: objects.map((object) => ({ Key: object.Key! })) } }));
    }
    await aws.s3.send(new DeleteBucketCommand({ Bucket: bucket.Name }));
  }
}

/**
 * Credentials for another (empty) AWS account on the same moto server. IAM is global per account,
 * so a test that needs IAM of its own — no safety-net role, or a broken one — takes an account of
 * its own: moto's AssumeRole into a role ARN of another account switches accounts (the role need
 * not exist). Pick an account id no other test uses.
 */
export async function otherAccount(account: string): Promise<{ credentials: Credentials; env: Record<string, string> }> {
  const sts = new STSClient({ endpoint: endpoint(), region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/flowdump-tests`, RoleSessionName: 'flowdump-tests' }));
  const c = assumed.Credentials!;
  const credentials = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  return { credentials, env: { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_SESSION_TOKEN: credentials.sessionToken } };
}

/** Every schedule in the group `flowdump` of the region (the safety nets, and anything else put there). */
export async function safetyNetSchedules(aws: Sdk): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const page of paginateListSchedules({ client: aws.scheduler }, { GroupName: 'flowdump' })) for (const schedule of page.Schedules ?? []) names.push(schedule.Name!);
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return [];
    throw error;
  }
  return names.sort();
}

export async function getSchedule(aws: Sdk, name: string) {
  return aws.scheduler.send(new GetScheduleCommand({ GroupName: 'flowdump', Name: name }));
}

/** When a capture expiring at `expiresAt` has its safety net fire: expires-at + 2 minutes, rounded up to the minute (docs/schedules.md). */
export function safetyNetAt(expiresAt: Date): string {
  return `at(${new Date(Math.ceil((expiresAt.getTime() + 120_000) / 60_000) * 60_000).toISOString().slice(0, 19)})`;
}

export interface Fixture {
  vpcId: string;
  subnetId: string;
  instanceId: string;
  /** primary first */
  eniIds: string[];
  privateIp: string;
}

/** A VPC, a subnet and an instance named `name` with two network interfaces. */
export async function makeFixture(aws: Sdk, name = 'web-1', cidr = '10.0'): Promise<Fixture> {
  const vpc = await aws.ec2.send(new CreateVpcCommand({ CidrBlock: `${cidr}.0.0/16` }));
  const vpcId = vpc.Vpc!.VpcId!;
  const subnet = await aws.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `${cidr}.1.0/24` }));
  const subnetId = subnet.Subnet!.SubnetId!;
  const run = await aws.ec2.send(
    new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, SubnetId: subnetId, TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }] }] }),
  );
  const instance = run.Instances![0];
  const second = await aws.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId }));
  await aws.ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: second.NetworkInterface!.NetworkInterfaceId!, InstanceId: instance.InstanceId!, DeviceIndex: 1 }));
  return {
    vpcId,
    subnetId,
    instanceId: instance.InstanceId!,
    eniIds: [instance.NetworkInterfaces![0].NetworkInterfaceId!, second.NetworkInterface!.NetworkInterfaceId!],
    privateIp: instance.PrivateIpAddress!,
  };
}

export async function flowLogs(aws: Sdk) {
  return (await aws.ec2.send(new DescribeFlowLogsCommand({}))).FlowLogs ?? [];
}

export async function flowdumpFlowLogs(aws: Sdk) {
  return (await flowLogs(aws)).filter((flowLog) => (flowLog.Tags ?? []).some((tag) => tag.Key === 'flowdump:capture-id'));
}

export async function listKeys(aws: Sdk, bucket: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })).catch((error: Error) => {
      if (error.name === 'NoSuchBucket') return { Contents: [], NextContinuationToken: undefined };
      throw error;
    });
    for (const object of page.Contents ?? []) out.push(object.Key!);
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

export function bucketName(region: string): string {
  return `flowdump-${ACCOUNT}-${region}`;
}

export const HANDSHAKE_HEADER = 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status';

/**
 * Handshake-format records for one interface around `at` (unix seconds): one established
 * connection (SYN, SYN-ACK), one refused (SYN, RST) and one unanswered (SYN only).
 */
export function handshakeRecords(eni: string, local: string, at: number): string[] {
  const t = (offset: number) => `${at + offset} ${at + offset + 50}`;
  return [
    `5 ${eni} ingress 10.9.0.5 40001 ${local} 443 10.9.0.5 ${local} 6 2 1 60 ${t(0)} ACCEPT OK`,
    `5 ${eni} egress ${local} 443 10.9.0.5 40001 ${local} 10.9.0.5 6 18 1 60 ${t(0)} ACCEPT OK`,
    `5 ${eni} ingress 10.9.0.6 40002 ${local} 8080 10.9.0.6 ${local} 6 2 1 60 ${t(1)} ACCEPT OK`,
    `5 ${eni} egress ${local} 8080 10.9.0.6 40002 ${local} 10.9.0.6 6 4 1 40 ${t(1)} ACCEPT OK`,
    `5 ${eni} egress ${local} 40003 10.9.0.7 5432 ${local} 10.9.0.7 6 2 3 180 ${t(2)} ACCEPT OK`,
  ];
}

/** Puts one delivered flow-log file where VPC Flow Logs would: `<prefix>AWSLogs/<acct>/vpcflowlogs/<region>/yyyy/mm/dd/<file>.log.gz`. */
export async function seedS3FlowLogFile(aws: Sdk, options: { bucket: string; prefix: string; flowLogId: string; windowStart: Date; lines: string[] }): Promise<string> {
  const w = options.windowStart;
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${w.getUTCFullYear()}/${pad(w.getUTCMonth() + 1)}/${pad(w.getUTCDate())}`;
  const stamp = `${w.getUTCFullYear()}${pad(w.getUTCMonth() + 1)}${pad(w.getUTCDate())}T${pad(w.getUTCHours())}${pad(w.getUTCMinutes())}Z`;
  const key = `${options.prefix}AWSLogs/${ACCOUNT}/vpcflowlogs/${aws.region}/${day}/${ACCOUNT}_vpcflowlogs_${aws.region}_${options.flowLogId}_${stamp}_${Math.random().toString(16).slice(2, 10)}.log.gz`;
  await aws.s3.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: gzipSync(`${HANDSHAKE_HEADER}\n${options.lines.join('\n')}\n`) }));
  return key;
}

/**
 * `setup`, then a detached capture of the fixture's first interface that keeps its data
 * (`--keep`), with one delivered file of handshakeRecords() in its S3 prefix.
 */
export async function keptCaptureWithData(region: string): Promise<{ aws: Sdk; env: NodeJS.ProcessEnv; id: string; bucket: string; key: string; eni: string }> {
  const aws = sdk(region);
  const fixture = await makeFixture(aws);
  const env = cliEnv({ region });
  const setup = await runCli(['setup'], env);
  if (setup.code !== 0) throw new Error(`setup exited with ${setup.code}: ${setup.stderr}`);
  const eni = fixture.eniIds[0];
  const started = await runCli(['start', '--eni', eni, '--for', '5m', '--yes', '--detach', '--keep'], env);
  const id = started.stdout.split('\n')[0];
  const [flowLog] = await flowdumpFlowLogs(aws);
  const bucket = bucketName(region);
  const key = await seedS3FlowLogFile(aws, { bucket, prefix: `flowdump/${id}/`, flowLogId: flowLog.FlowLogId!, windowStart: windowStart(new Date()), lines: handshakeRecords(eni, '10.0.1.4', Math.floor(Date.now() / 1000)) });
  return { aws, env, id, bucket, key, eni };
}

/** Puts flow-log events into a log stream (one stream per interface, as CloudWatch Logs delivery does). */
export async function seedLogEvents(aws: Sdk, group: string, stream: string, lines: string[], timestampMs: number): Promise<void> {
  await aws.logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })).catch(() => undefined);
  await aws.logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: lines.map((message) => ({ timestamp: timestampMs, message })) }));
}

/**
 * Late data is seeded this far past the moment flowdump is expected to stop the flow log, so a
 * slow machine (the stop lands later than planned) still finds the last window delivered and
 * never sits out the settle timeout.
 */
export const LATE_MARGIN_MS = 10 * 60_000;

/** The window start (5-minute boundary) of the S3 file that holds records ending at `time`. */
export function windowStart(time: Date): Date {
  return new Date(Math.floor(time.getTime() / 300_000) * 300_000);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliEnv {
  region: string;
  /** shifts flowdump's clock (test hook FLOWDUMP_TEST_TIME_OFFSET, seconds) */
  offsetSeconds?: number;
  /** runs flowdump's clock N× faster (test hook FLOWDUMP_TEST_TIME_SCALE) */
  scale?: number;
  /** stop the process at a phase (test hook FLOWDUMP_TEST_HOLD_AT) */
  holdAt?: 'created' | 'settling' | 'cleaning';
  stateDir?: string;
  extra?: Record<string, string>;
}

export function stateDir(): string {
  return scratchDir('flowdump-state-');
}

export function cliEnv(options: CliEnv): NodeJS.ProcessEnv {
  const url = endpoint();
  return {
    PATH: process.env.PATH,
    HOME: options.stateDir ?? stateDir(),
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: options.region,
    AWS_MAX_ATTEMPTS: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    XDG_STATE_HOME: options.stateDir ?? stateDir(),
    NO_COLOR: '1',
    // every AWS request the CLI makes, recorded when the run asks for it (src/aws/record.ts)
    ...(process.env.FLOWDUMP_TEST_RECORD_AWS ? { FLOWDUMP_TEST_RECORD_AWS: process.env.FLOWDUMP_TEST_RECORD_AWS } : {}),
    ...(options.offsetSeconds ? { FLOWDUMP_TEST_TIME_OFFSET: String(options.offsetSeconds) } : {}),
    ...(options.scale ? { FLOWDUMP_TEST_TIME_SCALE: String(options.scale) } : {}),
    ...(options.holdAt ? { FLOWDUMP_TEST_HOLD_AT: options.holdAt } : {}),
    ...options.extra,
  };
}

/** Starts the real built CLI (`bin/flowdump`). Refuses unless it points at moto on 127.0.0.1. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(env.AWS_ENDPOINT_URL ?? '')) throw new Error('refusing to run flowdump without AWS_ENDPOINT_URL on 127.0.0.1');
  // what the CLI makes in its region and account is removed after the test, as sdk()'s
  if (env.AWS_REGION && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    sdk(env.AWS_REGION, { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN });
  }
  return spawn(process.execPath, [join(ROOT, 'bin', 'flowdump'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const child = spawnCli(args, env);
  return collect(child);
}

export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Polls `check` until it returns a value (not a time threshold: a test fails by its own timeout). */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, everyMs = 100): Promise<T> {
  for (;;) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * A hang guard, not a speed check: a test that waits on child processes and moto may take a
 * while on a loaded 2-core machine; it fails by its assertions, and only hangs hit this.
 */
export const INTEGRATION_TIMEOUT = 240_000;
