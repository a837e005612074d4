import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { createAwsContext } from '../../src/aws/clients.js';
import { mapAwsError, policyFileFor } from '../../src/aws/errors.js';
import { AwsAccessError } from '../../src/errors.js';

const scope = { region: 'us-east-1', profile: 'ops' };

describe('mapAwsError', () => {
  test('AccessDenied: one sentence with the action, who, and the policy file', () => {
    const error = mapAwsError(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }), scope, { action: 's3:PutBucketPolicy', resource: 's3://flowdump-1-us-east-1' });
    expect(error).toBeInstanceOf(AwsAccessError);
    expect(error.message).toBe(
      'AWS denied s3:PutBucketPolicy on s3://flowdump-1-us-east-1 for profile "ops" in us-east-1: attach the policy in templates/iam/flowdump-setup.json (it grants s3:PutBucketPolicy) to your user or role',
    );
  });

  test('the command\'s own policy is named first when it grants the action', () => {
    expect(policyFileFor('ec2:DescribeFlowLogs')).toBe('flowdump-analyze.json');
    expect(policyFileFor('ec2:DescribeFlowLogs', 'flowdump-capture-logs.json')).toBe('flowdump-capture-logs.json');
    // both capture policies pass a role (the delivery role, the safety-net role): the command's own is named
    expect(policyFileFor('iam:PassRole', 'flowdump-capture-logs.json')).toBe('flowdump-capture-logs.json');
    expect(policyFileFor('scheduler:CreateSchedule')).toBe('flowdump-capture-s3.json');
  });

  test('missing credentials say how to configure them', () => {
    const error = mapAwsError(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), scope, { action: 'sts:GetCallerIdentity' });
    expect(error.code).toBe('credentials-missing');
    expect(error.message).toContain('aws sso login --profile ops');
  });

  test('an SSO session that expired says to log in again', () => {
    const error = mapAwsError(Object.assign(new Error('The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login'), { name: 'CredentialsProviderError' }), scope, {
      action: 'ec2:DescribeInstances',
    });
    expect(error.code).toBe('credentials-expired');
    expect(error.message).toMatch(/^the AWS credentials of profile "ops" have expired; run: aws sso login --profile ops/);
  });

  test('an unmapped AWS error still reads as one line with the action', () => {
    const error = mapAwsError(Object.assign(new Error('Bucket policy too large\nmore'), { name: 'LogDestinationPermissionIssueException' }), scope, { action: 'ec2:CreateFlowLogs' });
    expect(error.message).toBe('ec2:CreateFlowLogs failed in us-east-1: LogDestinationPermissionIssueException: Bucket policy too large');
    expect(error.exitCode).toBe(3);
  });
});

type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown };

function policy(file: string): Statement[] {
  return (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'templates', 'iam', file), 'utf8')) as { Statement: Statement[] }).Statement;
}

const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);

describe('the shipped IAM policies', () => {
  test('grant every action the AWS adapters call', () => {
    const dir = join(import.meta.dirname, '..', '..', 'src', 'aws');
    const actions = new Set<string>();
    for (const file of readdirSync(dir)) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const match of text.matchAll(/action: '([a-z0-9]+:[A-Za-z]+)'/g)) actions.add(match[1]);
      // the Scheduler adapter names its calls where it explains their errors
      for (const match of text.matchAll(/explainSchedulerError\(error, '([A-Za-z]+)'/g)) actions.add(`scheduler:${match[1]}`);
    }
    expect(actions.size).toBeGreaterThan(25);
    expect([...actions].filter((action) => action.startsWith('scheduler:')).sort()).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:CreateScheduleGroup',
      'scheduler:DeleteSchedule',
      'scheduler:GetSchedule',
      'scheduler:GetScheduleGroup',
      'scheduler:ListSchedules',
    ]);
    const ungranted = [...actions].filter((action) => policyFileFor(action) === undefined);
    expect(ungranted).toEqual([]);
  });

  test('start, list, stop and sweep arm and remove safety nets: both capture policies hold every statement of the safety-net caller policy, for any account', () => {
    const caller = policy('safety-net-caller-policy.json');
    for (const file of ['flowdump-capture-s3.json', 'flowdump-capture-logs.json']) {
      const statements = policy(file);
      for (const wanted of caller) {
        const resources = list(wanted.Resource).map((resource) =>
          // the shipped user policies name every partition (arn:*:…), so they work as shipped in aws, aws-cn and aws-us-gov
          resource.replaceAll('{{Partition}}', '*').replaceAll('{{AccountId}}', '*').replaceAll('{{RoleName}}', 'flowdump-safety-net').replaceAll('{{GroupName}}', 'flowdump'),
        );
        for (const action of list(wanted.Action)) {
          const granting = statements.filter(
            (statement) => statement.Effect === 'Allow' && list(statement.Action).includes(action) && resources.every((resource) => list(statement.Resource).includes(resource)),
          );
          expect(granting.length, `${file} grants ${action} on ${resources.join(', ')}`).toBeGreaterThan(0);
          // passing the role stays limited to EventBridge Scheduler
          if (action === 'iam:PassRole') expect(granting.every((statement) => JSON.stringify(statement.Condition ?? {}).includes('scheduler.amazonaws.com'))).toBe(true);
        }
      }
    }
  });
});

/** An HTTP handler that answers EC2 with throttling errors first: the SDK's own retry runs. */
function throttlingHandler(failures: number) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    handle: async () => {
      calls++;
      const ok = calls > failures;
      const body = ok
        ? '<DescribeFlowLogsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><flowLogSet><item><flowLogId>fl-1</flowLogId><resourceId>eni-1</resourceId></item></flowLogSet></DescribeFlowLogsResponse>'
        : '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r-1</RequestID></Response>';
      return { response: { statusCode: ok ? 200 : 503, headers: { 'content-type': 'text/xml' }, body: Readable.from([Buffer.from(body)]) } };
    },
  };
}

describe('throttling', () => {
  test('is retried by the SDK (adaptive mode) and the call succeeds', async () => {
    const handler = throttlingHandler(2);
    const aws = await createAwsContext({ region: 'us-east-1', env: {}, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 3, requestHandler: handler });
    const flowLogs = await aws.ec2.describeFlowLogs({});
    expect(flowLogs.map((flowLog) => flowLog.id)).toEqual(['fl-1']);
    expect(handler.calls).toBe(3);
    expect(aws.config.retryMode).toBe('adaptive');
  });

  test('that outlives the retries says so in one sentence', async () => {
    const handler = throttlingHandler(100);
    const aws = await createAwsContext({ region: 'us-east-1', env: {}, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 2, requestHandler: handler });
    const error = (await aws.ec2.describeFlowLogs({}).catch((e: unknown) => e)) as AwsAccessError;
    expect(handler.calls).toBe(2);
    expect(error.code).toBe('throttled');
    expect(error.message).toBe('AWS kept throttling ec2:DescribeFlowLogs after 2 attempts (RequestLimitExceeded); wait a minute and run the command again — nothing was lost');
  });
});
