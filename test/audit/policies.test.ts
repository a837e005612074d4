/**
 * Runs after the other tests (vitest project "iam-audit"): it starts a moto server of its own and
 * keeps the machine busy for a minute, which timing-sensitive tests should not share.
 *
 * Every command works under the one policy in templates/iam/ its user attaches — proven twice:
 *  1. on a moto server of its own with IAM enforcement on: one IAM user per shipped policy
 *     (flowdump-*.json, read from the folder, so a new policy is covered), each command run with
 *     that user's keys. moto checks the actions (and S3 ARNs); see moto_launcher.py --iam.
 *  2. every AWS request those commands made (recorded by FLOWDUMP_TEST_RECORD_AWS) evaluated with
 *     a real IAM evaluator (@cloud-copilot/iam-simulate) against the same policy: resources and
 *     conditions (capture tags, s3:ResourceAccount, iam:PassedToService) included.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { EC2Client } from '@aws-sdk/client-ec2';
import { AttachUserPolicyCommand, CreateAccessKeyCommand, CreatePolicyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { SUMMARY_COLUMNS } from '../../src/athena/summary-sql.js';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RecordedCall } from '../../src/aws/record.js';
import { removeScratchDirs, scratchDir } from '../helpers/scratch.js';
import { decide, iamRequests, readPolicy, type Caller } from '../integration/iam-requests.js';
import { startOwnMoto, type OwnMoto } from '../integration/iam-moto.js';
import { ACCOUNT, collect, flowdumpFlowLogs, handshakeRecords, makeFixture, ROOT, seedLogEvents, seedS3FlowLogFile, windowStart, INTEGRATION_TIMEOUT, type CliResult, type Credentials, type Fixture, type Sdk } from '../integration/helpers.js';

// (this project has no test/setup-env.ts: every client here names this file's moto and its keys)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const REGION = 'eu-west-1';
const BUCKET = `flowdump-${ACCOUNT}-${REGION}`;
const TEMPLATES = join(ROOT, 'templates', 'iam');
/** the policies a user attaches (README, templates/iam/README.md): every flowdump-*.json */
const USER_POLICIES = readdirSync(TEMPLATES).filter((file) => /^flowdump-.*\.json$/.test(file)).sort();

let moto: OwnMoto;
let admin: Sdk;
let fixture: Fixture;
/** a capture stopped under the S3 policy: its summary stays for analyze */
let stoppedId: string | undefined;
const keys = new Map<string, Credentials>();
const recordings = scratchDir('flowdump-iam-calls-');
const recording = (policy: string) => join(recordings, `${policy.replace(/\.json$/, '')}.jsonl`);

function sdkAt(credentials: Credentials): Sdk {
  const config = { endpoint: moto.endpoint, region: REGION, credentials, maxAttempts: 1 };
  return { region: REGION, ec2: new EC2Client(config), s3: new S3Client({ ...config, forcePathStyle: true }), logs: new CloudWatchLogsClient(config), scheduler: new SchedulerClient(config) };
}

/** The built CLI as the user holding `policy`, on this file's moto, with every AWS request recorded. */
async function as(policy: string, args: string[], options: { offsetSeconds?: number; scale?: number; recordTo?: string } = {}): Promise<CliResult> {
  const credentials = keys.get(policy);
  if (!credentials) throw new Error(`no user holds ${policy}`);
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(moto.endpoint)) throw new Error(`refusing to run flowdump against ${moto.endpoint}: only moto on 127.0.0.1`);
  // nothing from this process's environment: no profile, no real credentials, only this moto
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: state,
    XDG_STATE_HOME: state,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_REGION: REGION,
    AWS_MAX_ATTEMPTS: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    NO_COLOR: '1',
    FLOWDUMP_TEST_RECORD_AWS: options.recordTo ?? recording(policy),
    ...(options.offsetSeconds ? { FLOWDUMP_TEST_TIME_OFFSET: String(options.offsetSeconds) } : {}),
    ...(options.scale ? { FLOWDUMP_TEST_TIME_SCALE: String(options.scale) } : {}),
  };
  return collect(spawn(process.execPath, [join(ROOT, 'bin', 'flowdump'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

const state = scratchDir('flowdump-iam-state-');

function ok(result: CliResult, what: string): void {
  expect(result.stderr, `${what}: ${result.stderr}`).not.toMatch(/AWS denied|AccessDenied|not authorized/i);
  expect(result.code, `${what} exited ${result.code}: ${result.stderr}`).toBe(0);
}

beforeAll(async () => {
  moto = await startOwnMoto();
  const root = sdkAt({ accessKeyId: 'testing', secretAccessKey: 'testing' });
  const iam = new IAMClient({ endpoint: moto.endpoint, region: REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
  // one user per shipped policy, holding exactly that document; and an administrator for the test's own setup
  for (const file of USER_POLICIES) {
    const user = file.replace(/\.json$/, '');
    await iam.send(new CreateUserCommand({ UserName: user }));
    await iam.send(new PutUserPolicyCommand({ UserName: user, PolicyName: user, PolicyDocument: readFileSync(join(TEMPLATES, file), 'utf8') }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: user }))).AccessKey!;
    keys.set(file, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });
  }
  await iam.send(new CreateUserCommand({ UserName: 'test-admin' }));
  const everything = await iam.send(new CreatePolicyCommand({ PolicyName: 'test-admin', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) }));
  await iam.send(new AttachUserPolicyCommand({ UserName: 'test-admin', PolicyArn: everything.Policy!.Arn! }));
  const adminKey = (await iam.send(new CreateAccessKeyCommand({ UserName: 'test-admin' }))).AccessKey!;
  fixture = await makeFixture(root);
  await moto.enforceIam();
  admin = sdkAt({ accessKeyId: adminKey.AccessKeyId!, secretAccessKey: adminKey.SecretAccessKey! });
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  removeScratchDirs();
});

describe('every command under its own policy, on moto with IAM enforcement', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('enforcement is on: a user without the policy for a call is refused, and flowdump names the policy that grants it', async () => {
    // (recorded apart: these calls are meant to be refused)
    const refused = await as('flowdump-analyze.json', ['setup', '--s3-only'], { recordTo: join(recordings, 'refused.jsonl') });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/AWS denied s3:CreateBucket/);
    expect(refused.stderr).toContain('flowdump-setup.json');
    expect((await admin.s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    expect(await flowdumpFlowLogs(admin)).toEqual([]);
  });

  test('setup under flowdump-setup.json', async () => {
    const result = await as('flowdump-setup.json', ['setup']);
    ok(result, 'setup');
    expect(result.stdout).toMatch(/made\s+bucket s3:\/\/flowdump-/);
  });

  test('estimate, start (foreground and --detach), list, stop, sweep and schedule run under flowdump-capture-s3.json', async () => {
    const policy = 'flowdump-capture-s3.json';
    // the packet metrics the estimate reads (moto publishes none; it fails on the gzip body the SDK would send)
    const cloudWatch = new CloudWatchClient({ endpoint: moto.endpoint, region: REGION, credentials: await admin.ec2.config.credentials(), maxAttempts: 1, disableRequestCompression: true });
    const now = Date.now();
    const packets = [1, 2, 3, 4, 5, 6].flatMap((i) =>
      ['NetworkPacketsIn', 'NetworkPacketsOut'].map((MetricName) => ({ MetricName, Dimensions: [{ Name: 'InstanceId', Value: fixture.instanceId }], Timestamp: new Date(now - i * 300_000), Value: 1000, Unit: 'Count' as const })),
    );
    await cloudWatch.send(new PutMetricDataCommand({ Namespace: 'AWS/EC2', MetricData: packets }));
    ok(await as(policy, ['estimate', '--instance', fixture.instanceId, '--for', '15m', '--json']), 'estimate');

    const foreground = await as(policy, ['start', '--eni', fixture.eniIds[0], '--for', '1m', '--yes', '--settle-timeout', '0s'], { scale: 20 });
    ok(foreground, 'start (foreground)');
    expect(foreground.stderr).toMatch(/cleaned; left behind: the summary only/);

    const detached = await as(policy, ['start', '--eni', fixture.eniIds[0], '--for', '30m', '--yes', '--detach']);
    ok(detached, 'start --detach');
    const id = detached.stdout.split('\n')[0];
    const listed = await as(policy, ['list', '--json']);
    ok(listed, 'list');
    expect(JSON.parse(listed.stdout).captures.map((c: { id: string }) => c.id)).toEqual([id]);
    // some data, so stop summarizes and deletes it
    const [flowLog] = await flowdumpFlowLogs(admin);
    await seedS3FlowLogFile(admin, { bucket: BUCKET, prefix: `flowdump/${id}/`, flowLogId: flowLog.FlowLogId!, windowStart: windowStart(new Date()), lines: handshakeRecords(fixture.eniIds[0], fixture.privateIp, Math.floor(Date.now() / 1000) - 60) });
    ok(await as(policy, ['stop', id, '--settle-timeout', '0s']), 'stop');
    stoppedId = id;
    expect(await flowdumpFlowLogs(admin)).toEqual([]);

    const forgotten = await as(policy, ['start', '--eni', fixture.eniIds[0], '--for', '5m', '--yes', '--detach']);
    ok(forgotten, 'start --detach (to sweep)');
    const swept = await as(policy, ['sweep', '--json', '--settle-timeout', '0s'], { offsetSeconds: 3600 });
    ok(swept, 'sweep');
    expect(JSON.parse(swept.stdout).finished).toEqual([expect.objectContaining({ id: forgotten.stdout.split('\n')[0] })]);
    expect(await flowdumpFlowLogs(admin)).toEqual([]);

    const out = scratchDir('flowdump-iam-windows-');
    ok(await as(policy, ['schedule', 'run', fixture.eniIds[0], '--cron', '* * * * *', '--for', '1m', '--count', '1', '--tz', 'UTC', '--settle-timeout', '0s', '--out', out, '--json'], { scale: 10 }), 'schedule run');
    expect(await flowdumpFlowLogs(admin)).toEqual([]);
  });

  test('start --destination logs:, list, stop and sweep under flowdump-capture-logs.json', async () => {
    const policy = 'flowdump-capture-logs.json';
    const started = await as(policy, ['start', '--eni', fixture.eniIds[1], '--for', '30m', '--yes', '--detach', '--destination', 'logs:']);
    ok(started, 'start --destination logs:');
    const id = started.stdout.split('\n')[0];
    ok(await as(policy, ['list', '--json']), 'list');
    ok(await as(policy, ['stop', id, '--settle-timeout', '0s']), 'stop');
    stoppedId = id;
    expect(await flowdumpFlowLogs(admin)).toEqual([]);

    const forgotten = await as(policy, ['start', '--eni', fixture.eniIds[1], '--for', '5m', '--yes', '--detach', '--destination', 'logs:']);
    ok(forgotten, 'start --destination logs: (to sweep)');
    const group = `/flowdump/${forgotten.stdout.split('\n')[0]}`;
    const late = Date.now() + 3600_000;
    await seedLogEvents(admin, group, `${fixture.eniIds[1]}-all`, handshakeRecords(fixture.eniIds[1], fixture.privateIp, Math.floor(late / 1000) - 60), late - 60_000);
    const swept = await as(policy, ['sweep', '--json', '--settle-timeout', '0s'], { offsetSeconds: 3600 });
    ok(swept, 'sweep');
    expect(JSON.parse(swept.stdout).finished).toEqual(expect.arrayContaining([expect.objectContaining({ id: forgotten.stdout.split('\n')[0], state: 'cleaned' })]));
    expect(await flowdumpFlowLogs(admin)).toEqual([]);
  });

  test('analyze of S3 and CloudWatch Logs data under flowdump-analyze.json', async () => {
    const policy = 'flowdump-analyze.json';
    const at = Math.floor(Date.now() / 1000) - 600;
    await seedS3FlowLogFile(admin, { bucket: BUCKET, prefix: 'flowdump/fd-20260101-000000-0123456789abcdef/', flowLogId: 'fl-0123456789abcdef0', windowStart: windowStart(new Date(at * 1000)), lines: handshakeRecords(fixture.eniIds[0], fixture.privateIp, at) });
    const s3 = await as(policy, ['analyze', `s3://${BUCKET}/flowdump/fd-20260101-000000-0123456789abcdef/`, '--json']);
    ok(s3, 'analyze s3://');
    expect(JSON.parse(s3.stdout).tcp).toMatchObject({ connections: 3 });
    await admin.logs.send(new CreateLogGroupCommand({ logGroupName: '/flowdump/seeded' }));
    // no flow log delivers to this group, so its records are read in the default format
    const eni = fixture.eniIds[0];
    const lines = [`2 ${ACCOUNT} ${eni} 10.9.0.5 ${fixture.privateIp} 40001 443 6 1 60 ${at} ${at + 50} ACCEPT OK`, `2 ${ACCOUNT} ${eni} 10.9.0.6 ${fixture.privateIp} 40002 22 6 1 60 ${at} ${at + 50} REJECT OK`];
    await seedLogEvents(admin, '/flowdump/seeded', `${eni}-all`, lines, at * 1000);
    const logs = await as(policy, ['analyze', 'logs:/flowdump/seeded', '--json']);
    ok(logs, 'analyze logs:');
    expect(JSON.parse(logs.stdout).records.total).toBe(2);
    // a capture by its id, found through its flow-log tags and manifest (stop deleted its data: no records left)
    expect(stoppedId).toBeDefined();
    const byId = await as(policy, ['analyze', stoppedId!, '--json']);
    ok(byId, 'analyze <capture-id>');
    expect(JSON.parse(byId.stdout).records.total).toBe(0);
  });
});

describe('the Athena engine under its own policy', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('analyze s3://… and analyze <capture-id> --engine athena under flowdump-athena.json (moto runs no SQL: each statement\'s answer is queued)', async () => {
    const policy = 'flowdump-athena.json';
    const at = Math.floor(Date.now() / 1000) - 600;
    const prefix = 'flowdump/fd-20260101-000000-00000000000a7e4a/';
    await seedS3FlowLogFile(admin, { bucket: BUCKET, prefix, flowLogId: 'fl-0123456789abcdef1', windowStart: windowStart(new Date(at * 1000)), lines: handshakeRecords(fixture.eniIds[0], fixture.privateIp, at) });
    const queue = async () => {
      // CREATE DATABASE, CREATE EXTERNAL TABLE, then the SELECT: its header row only (no records to summarize)
      const results = [[], [], [[...SUMMARY_COLUMNS]]].map((rows) => ({ rows: rows.map((row) => ({ Data: row.map((cell) => ({ VarCharValue: cell })) })), column_info: [] }));
      const answer = await fetch(`${moto.endpoint}/moto-api/static/athena/query-results`, { method: 'POST', body: JSON.stringify({ account_id: ACCOUNT, region: REGION, results }), headers: { 'content-type': 'application/json' } });
      expect(answer.status).toBe(201);
    };
    await queue();
    const s3 = await as(policy, ['analyze', `s3://${BUCKET}/${prefix}`, '--engine', 'athena', '--json']);
    ok(s3, 'analyze s3:// --engine athena');
    expect(JSON.parse(s3.stdout).engine).toMatchObject({ engine: 'athena' });
    expect(stoppedId).toBeDefined();
    await queue();
    const byId = await as(policy, ['analyze', stoppedId!, '--engine', 'athena', '--json']);
    expect(byId.stderr).not.toMatch(/AWS denied/);
  });
});

describe('every recorded request, evaluated with a real IAM evaluator against the policy its user held', () => {
  const caller = (policy: string): Caller => ({ account: ACCOUNT, partition: 'aws', principal: `arn:aws:iam::${ACCOUNT}:user/${policy.replace(/\.json$/, '')}` });

  test.each(USER_POLICIES)('%s: every call its commands made is Allowed (resources and conditions included)', async (policy) => {
    const file = recording(policy);
    // a new policy in templates/iam/ needs a command above that runs under it
    expect(existsSync(file), `no command ran under ${policy}`).toBe(true);
    const calls = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as RecordedCall);
    const document = readPolicy(join(TEMPLATES, policy));
    const denied: string[] = [];
    const seen = new Set<string>();
    for (const call of calls) {
      for (const request of iamRequests(call, caller(policy))) {
        const key = `${request.action} ${request.resource} ${JSON.stringify(request.context)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const decision = await decide(document, request, caller(policy));
        if (decision !== 'Allowed') denied.push(`${call.argv.slice(0, 2).join(' ')}: ${request.action} on ${request.resource} ${JSON.stringify(request.context)} → ${decision}`);
      }
    }
    expect(denied).toEqual([]);
    expect(seen.size).toBeGreaterThan(0);
  });
});
