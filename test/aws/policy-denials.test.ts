/**
 * What the shipped policies must refuse, evaluated with a real IAM evaluator
 * (@cloud-copilot/iam-simulate): flowdump's own credentials cannot delete or create flow logs that
 * are not flowdump's, nor write into a bucket of another account. (What they must allow is proven
 * from the recorded calls of every command: test/audit/policies.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { decide, iamRequests, readPolicy, type Caller } from '../integration/iam-requests.js';
import type { RecordedCall } from '../../src/aws/record.js';

const TEMPLATES = join(import.meta.dirname, '..', '..', 'templates', 'iam');
const ACCOUNT = '123456789012';
const caller: Caller = { account: ACCOUNT, partition: 'aws', principal: `arn:aws:iam::${ACCOUNT}:user/oncall`, bucketOwners: { [`flowdump-${ACCOUNT}-eu-west-1`]: '999988887777' } };
const ID = 'fd-20260101-000000-0123456789abcdef';
const call = (service: string, operation: string, input: Record<string, unknown>, resourceTags?: RecordedCall['resourceTags']): RecordedCall => ({ argv: [], service, operation, region: 'eu-west-1', input, ...(resourceTags ? { resourceTags } : {}) });
/** the one IAM request of `action` behind a call */
const only = (recorded: RecordedCall, action: string) => iamRequests(recorded, caller).filter((request) => request.action === action);

/** Every policy a user attaches that may delete or create flow logs, and the safety-net role's. */
const capturePolicies = readdirSync(TEMPLATES).filter((file) => /^flowdump-capture-.*\.json$/.test(file));
const tagged = (tags: Record<string, string>) => [{ ResourceType: 'vpc-flow-log', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }];
const ourTags = { 'flowdump:capture-id': ID, 'flowdump:expires-at': '2026-01-01T00:15:00Z', 'flowdump:created-by': 'oncall@laptop', Name: `flowdump ${ID}` };

describe.each(capturePolicies)('%s refuses', (file) => {
  const policy = readPolicy(join(TEMPLATES, file));

  test('DeleteFlowLogs of an untagged flow log, or one whose capture-id is not shaped like an id', async () => {
    for (const tags of [{}, { 'flowdump:capture-id': 'vpc' }, { 'flowdump:capture-id': '' }, { 'flowdump:capture-id': 'fd-audit' }, { 'flowdump:capture-id': 'fd-20260101-000000-' }, { Team: 'audit' }]) {
      const [request] = only(call('EC2', 'DeleteFlowLogs', { FlowLogIds: ['fl-audit'] }, { 'fl-audit': tags }), 'ec2:DeleteFlowLogs');
      expect(await decide(policy, request, caller), JSON.stringify(tags)).toBe('ImplicitlyDenied');
    }
    const [ours] = only(call('EC2', 'DeleteFlowLogs', { FlowLogIds: ['fl-ours'] }, { 'fl-ours': ourTags }), 'ec2:DeleteFlowLogs');
    expect(await decide(policy, ours, caller)).toBe('Allowed');
  });

  test('CreateFlowLogs without the capture tag, with a capture-id not shaped like an id, or with a tag key not ours', async () => {
    const create = (tags: Record<string, string>) => only(call('EC2', 'CreateFlowLogs', { ResourceType: 'NetworkInterface', ResourceIds: ['eni-1'], LogDestinationType: 's3', TagSpecifications: tagged(tags) }), 'ec2:CreateFlowLogs')[0];
    expect(await decide(policy, create({ Name: 'audit' }), caller)).toBe('ImplicitlyDenied');
    expect(await decide(policy, create({}), caller)).toBe('ImplicitlyDenied');
    expect(await decide(policy, create({ ...ourTags, 'flowdump:capture-id': 'vpc' }), caller)).toBe('ImplicitlyDenied');
    expect(await decide(policy, create({ ...ourTags, 'flowdump:capture-id': 'fd-x' }), caller)).toBe('ImplicitlyDenied');
    expect(await decide(policy, create({ ...ourTags, Team: 'audit' }), caller)).toBe('ImplicitlyDenied');
    expect(await decide(policy, create(ourTags), caller)).toBe('Allowed');
  });

  test('CreateTags on a flow log outside CreateFlowLogs (re-tagging someone else\'s flow log as ours)', async () => {
    const retag = { action: 'ec2:CreateTags', resource: `arn:aws:ec2:eu-west-1:${ACCOUNT}:vpc-flow-log/fl-audit`, resourceAccount: ACCOUNT, context: { 'aws:RequestTag/flowdump:capture-id': ID, 'aws:TagKeys': ['flowdump:capture-id'] } };
    expect(await decide(policy, retag, caller)).toBe('ImplicitlyDenied');
  });

  test('PutObject, GetObject, DeleteObject and ListBucket on a flowdump-named bucket of another account', async () => {
    const bucket = `flowdump-${ACCOUNT}-eu-west-1`;
    for (const [operation, action, input] of [
      ['PutObject', 's3:PutObject', { Bucket: bucket, Key: `flowdump/${ID}/capture.json` }],
      ['GetObject', 's3:GetObject', { Bucket: bucket, Key: `flowdump/${ID}/capture.json` }],
      ['DeleteObjects', 's3:DeleteObject', { Bucket: bucket, Delete: { Objects: [{ Key: `flowdump/${ID}/x.log.gz` }] } }],
      ['ListObjectsV2', 's3:ListBucket', { Bucket: bucket, Prefix: 'flowdump/' }],
    ] as const) {
      const [request] = only(call('S3', operation, input), action);
      expect(request.context['s3:ResourceAccount']).toBe('999988887777');
      expect(await decide(policy, request, caller), operation).toBe('ImplicitlyDenied');
      expect(await decide(policy, { ...request, resourceAccount: ACCOUNT, context: { 's3:ResourceAccount': ACCOUNT } }, caller), `${operation} in our own account`).toBe('Allowed');
    }
  });

  test('writing objects outside flowdump/ of its bucket', async () => {
    const request = { action: 's3:PutObject', resource: `arn:aws:s3:::flowdump-${ACCOUNT}-eu-west-1/AWSLogs/x`, resourceAccount: ACCOUNT, context: { 's3:ResourceAccount': ACCOUNT } };
    expect(await decide(policy, request, caller)).toBe('ImplicitlyDenied');
  });
});

describe('flowdump-capture-logs.json refuses', () => {
  const policy = readPolicy(join(TEMPLATES, 'flowdump-capture-logs.json'));

  test('DeleteLogGroup of a log group not tagged with an id, even under /flowdump/; any group outside /flowdump/', async () => {
    const remove = (name: string, tags: Record<string, string>) => only(call('CloudWatchLogs', 'DeleteLogGroup', { logGroupName: name }, { [name]: tags }), 'logs:DeleteLogGroup')[0];
    expect(await decide(policy, remove('/flowdump/team', {}), caller)).toBe('ImplicitlyDenied');
    expect(await decide(policy, remove('/flowdump/team', { 'flowdump:capture-id': 'team' }), caller)).toBe('ImplicitlyDenied');
    expect(await decide(policy, remove('/aws/lambda/prod', { 'flowdump:capture-id': ID }), caller)).toBe('ImplicitlyDenied');
    expect(await decide(policy, remove(`/flowdump/${ID}`, { 'flowdump:capture-id': ID }), caller)).toBe('Allowed');
  });

  test('passing the delivery role to anything but VPC Flow Logs, or passing another role', async () => {
    const pass = (role: string, service: string) => ({ action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/${role}`, resourceAccount: ACCOUNT, context: { 'iam:PassedToService': service } });
    expect(await decide(policy, pass('flowdump-flow-logs-delivery', 'lambda.amazonaws.com'), caller)).toBe('ImplicitlyDenied');
    expect(await decide(policy, pass('admin', 'vpc-flow-logs.amazonaws.com'), caller)).toBe('ImplicitlyDenied');
    expect(await decide(policy, pass('flowdump-flow-logs-delivery', 'vpc-flow-logs.amazonaws.com'), caller)).toBe('Allowed');
  });
});

describe('the roles setup makes', () => {
  const fill = (file: string) =>
    JSON.parse(
      readFileSync(join(TEMPLATES, file), 'utf8')
        .replaceAll('{{Partition}}', 'aws')
        .replaceAll('{{AccountId}}', ACCOUNT)
        .replaceAll('{{GroupName}}', 'flowdump')
        .replaceAll('${Partition}', 'aws')
        .replaceAll('${AccountId}', ACCOUNT),
    ) as unknown;
  const role: Caller = { account: ACCOUNT, partition: 'aws', principal: `arn:aws:iam::${ACCOUNT}:role/flowdump-safety-net` };

  test('the safety net deletes only flow logs whose capture-id is shaped like an id, in its own account', async () => {
    const policy = fill('safety-net-role-policy.json');
    const remove = (tags: Record<string, string>, account = ACCOUNT) => ({ action: 'ec2:DeleteFlowLogs', resource: `arn:aws:ec2:eu-west-1:${account}:vpc-flow-log/fl-1`, resourceAccount: account, context: Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) });
    expect(await decide(policy, remove({}), role)).toBe('ImplicitlyDenied');
    expect(await decide(policy, remove({ 'flowdump:capture-id': 'vpc' }), role)).toBe('ImplicitlyDenied');
    expect(await decide(policy, remove({ 'flowdump:capture-id': ID }), role)).toBe('Allowed');
  });

  test('the delivery role writes only into /flowdump/ log groups', async () => {
    const policy = fill('delivery-role-policy.json');
    const put = (group: string) => ({ action: 'logs:PutLogEvents', resource: `arn:aws:logs:eu-west-1:${ACCOUNT}:log-group:${group}:log-stream:eni-1-all`, resourceAccount: ACCOUNT, context: {} });
    const deliverer: Caller = { ...role, principal: `arn:aws:iam::${ACCOUNT}:role/flowdump-flow-logs-delivery` };
    expect(await decide(policy, put('/aws/lambda/prod'), deliverer)).toBe('ImplicitlyDenied');
    expect(await decide(policy, put(`/flowdump/${ID}`), deliverer)).toBe('Allowed');
  });

  /** May `service`, acting for `sourceArn` of `sourceAccount`, assume the role whose trust is `trust`? */
  async function assume(trust: unknown, service: string, sourceAccount: string, sourceArn: string): Promise<string> {
    const result = await runSimulation(
      {
        request: { principal: service, action: 'sts:AssumeRole', resource: { resource: `arn:aws:iam::${ACCOUNT}:role/flowdump`, accountId: ACCOUNT }, contextVariables: { 'aws:SourceAccount': sourceAccount, 'aws:SourceArn': sourceArn } },
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: trust,
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }

  test('only EventBridge Scheduler acting for the schedule group flowdump of this account (any region) assumes the safety-net role', async () => {
    const trust = fill('safety-net-role-trust.json');
    expect(await assume(trust, 'scheduler.amazonaws.com', ACCOUNT, `arn:aws:scheduler:ap-south-1:${ACCOUNT}:schedule-group/flowdump`)).toBe('Allowed');
    expect(await assume(trust, 'scheduler.amazonaws.com', ACCOUNT, `arn:aws:scheduler:ap-south-1:${ACCOUNT}:schedule-group/default`)).toBe('ImplicitlyDenied');
    expect(await assume(trust, 'scheduler.amazonaws.com', '999988887777', 'arn:aws:scheduler:ap-south-1:999988887777:schedule-group/flowdump')).toBe('ImplicitlyDenied');
    expect(await assume(trust, 'events.amazonaws.com', ACCOUNT, `arn:aws:scheduler:ap-south-1:${ACCOUNT}:schedule-group/flowdump`)).toBe('ImplicitlyDenied');
  });

  test('only VPC Flow Logs acting for a flow log of this account (any region) assumes the delivery role', async () => {
    const trust = fill('delivery-role-trust.json');
    expect(await assume(trust, 'vpc-flow-logs.amazonaws.com', ACCOUNT, `arn:aws:ec2:sa-east-1:${ACCOUNT}:vpc-flow-log/fl-1`)).toBe('Allowed');
    expect(await assume(trust, 'vpc-flow-logs.amazonaws.com', '999988887777', 'arn:aws:ec2:sa-east-1:999988887777:vpc-flow-log/fl-1')).toBe('ImplicitlyDenied');
    expect(await assume(trust, 'vpc-flow-logs.amazonaws.com', ACCOUNT, `arn:aws:ec2:sa-east-1:${ACCOUNT}:instance/i-1`)).toBe('ImplicitlyDenied');
  });
});
