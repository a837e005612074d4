/**
 * What IAM authorizes for one recorded AWS request (src/aws/record.ts): the actions, the resource
 * ARNs and the request context AWS evaluates, per the Service Authorization Reference
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/). Used with
 * @cloud-copilot/iam-simulate to prove the shipped policies allow every call flowdump makes —
 * resources and conditions included, which moto does not check.
 */
import { readFileSync } from 'node:fs';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { RecordedCall } from '../../src/aws/record.js';

export interface IamRequest {
  action: string;
  resource: string;
  /** the account that owns the resource */
  resourceAccount: string;
  context: Record<string, string | string[]>;
}

export interface Caller {
  account: string;
  partition: string;
  principal: string;
  /** the account that owns each bucket (default: the caller's) */
  bucketOwners?: Record<string, string>;
}

type Input = Record<string, unknown>;
const str = (value: unknown) => String(value ?? '');
const tagList = (tags: unknown): Record<string, string> => Object.fromEntries(((tags as { Key?: string; Value?: string }[] | undefined) ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));

function requestTags(tags: Record<string, string>): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:RequestTag/${key}`, value]));
  if (Object.keys(tags).length > 0) context['aws:TagKeys'] = Object.keys(tags);
  return context;
}

function resourceTags(tags: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(tags ?? {}).map(([key, value]) => [`aws:ResourceTag/${key}`, value]));
}

/** The IAM requests behind one SDK call. Throws for an operation it does not know: a new call must be mapped before it is proven. */
export function iamRequests(call: RecordedCall, caller: Caller): IamRequest[] {
  const { account, partition } = caller;
  const region = call.region;
  const input = call.input as Input;
  const own = (action: string, resource: string, context: Record<string, string | string[]> = {}): IamRequest => ({ action, resource, resourceAccount: account, context });
  const s3 = (action: string, bucket: string, key?: string): IamRequest => {
    const owner = caller.bucketOwners?.[bucket] ?? account;
    return { action, resource: `arn:${partition}:s3:::${bucket}${key === undefined ? '' : `/${key}`}`, resourceAccount: owner, context: { 's3:ResourceAccount': owner } };
  };
  const ec2 = (type: string, id: string) => `arn:${partition}:ec2:${region}:${account}:${type}/${id}`;
  const logGroup = (name: string) => `arn:${partition}:logs:${region}:${account}:log-group:${name}`;
  const role = (arn: string) => arn;
  const operation = `${call.service}:${call.operation}`;
  switch (operation) {
    case 'STS:GetCallerIdentity':
      return [own('sts:GetCallerIdentity', '*')];
    case 'EC2:DescribeFlowLogs':
    case 'EC2:DescribeInstances':
    case 'EC2:DescribeNetworkInterfaces':
    case 'EC2:DescribeSubnets':
    case 'EC2:DescribeVpcs':
      return [own(`ec2:${call.operation}`, '*')];
    case 'EC2:CreateFlowLogs': {
      const tags = Object.assign({}, ...((input.TagSpecifications as { Tags?: unknown }[] | undefined) ?? []).map((spec) => tagList(spec.Tags))) as Record<string, string>;
      const type = { NetworkInterface: 'network-interface', Subnet: 'subnet', VPC: 'vpc' }[str(input.ResourceType)] ?? str(input.ResourceType).toLowerCase();
      const out = [
        own('ec2:CreateFlowLogs', ec2('vpc-flow-log', 'fl-new'), requestTags(tags)),
        ...((input.ResourceIds as string[] | undefined) ?? []).map((id) => own('ec2:CreateFlowLogs', ec2(type, id))),
      ];
      // tag-on-create: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html
      if (Object.keys(tags).length > 0) out.push(own('ec2:CreateTags', ec2('vpc-flow-log', 'fl-new'), { 'ec2:CreateAction': 'CreateFlowLogs', ...requestTags(tags) }));
      // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-iam.html and flow-logs-iam-role.html
      if (input.LogDestinationType === 's3') out.push(own('logs:CreateLogDelivery', '*'));
      if (input.DeliverLogsPermissionArn) out.push(own('iam:PassRole', role(str(input.DeliverLogsPermissionArn)), { 'iam:PassedToService': 'vpc-flow-logs.amazonaws.com' }));
      return out;
    }
    case 'EC2:DeleteFlowLogs':
      return [
        ...((input.FlowLogIds as string[] | undefined) ?? []).map((id) => own('ec2:DeleteFlowLogs', ec2('vpc-flow-log', id), resourceTags(call.resourceTags?.[id]))),
        own('logs:DeleteLogDelivery', '*'),
      ];
    case 'S3:HeadBucket':
    case 'S3:ListObjectsV2':
      return [s3('s3:ListBucket', str(input.Bucket))];
    case 'S3:GetObject':
      return [s3('s3:GetObject', str(input.Bucket), str(input.Key))];
    case 'S3:PutObject':
      return [s3('s3:PutObject', str(input.Bucket), str(input.Key))];
    case 'S3:DeleteObjects':
      return ((input.Delete as { Objects?: { Key?: string }[] } | undefined)?.Objects ?? []).map((object) => s3('s3:DeleteObject', str(input.Bucket), str(object.Key)));
    case 'S3:CreateBucket':
      return [s3('s3:CreateBucket', str(input.Bucket))];
    case 'S3:GetBucketEncryption':
      return [s3('s3:GetEncryptionConfiguration', str(input.Bucket))];
    case 'S3:PutBucketEncryption':
      return [s3('s3:PutEncryptionConfiguration', str(input.Bucket))];
    case 'S3:GetPublicAccessBlock':
      return [s3('s3:GetBucketPublicAccessBlock', str(input.Bucket))];
    case 'S3:PutPublicAccessBlock':
      return [s3('s3:PutBucketPublicAccessBlock', str(input.Bucket))];
    case 'S3:GetBucketPolicy':
    case 'S3:PutBucketPolicy':
      return [s3(`s3:${call.operation}`, str(input.Bucket))];
    case 'S3:GetBucketLifecycleConfiguration':
      return [s3('s3:GetLifecycleConfiguration', str(input.Bucket))];
    case 'S3:PutBucketLifecycleConfiguration':
      return [s3('s3:PutLifecycleConfiguration', str(input.Bucket))];
    case 'CloudWatch:GetMetricData':
      return [own('cloudwatch:GetMetricData', '*')];
    case 'CloudWatchLogs:DescribeLogGroups':
      return [own('logs:DescribeLogGroups', '*')];
    case 'CloudWatchLogs:CreateLogGroup': {
      const tags = (input.tags as Record<string, string> | undefined) ?? {};
      const out = [own('logs:CreateLogGroup', logGroup(str(input.logGroupName)), requestTags(tags))];
      // creating with tags also needs TagResource: https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
      if (Object.keys(tags).length > 0) out.push(own('logs:TagResource', logGroup(str(input.logGroupName)), requestTags(tags)));
      return out;
    }
    case 'CloudWatchLogs:PutRetentionPolicy':
    case 'CloudWatchLogs:DescribeLogStreams':
    case 'CloudWatchLogs:FilterLogEvents':
      return [own(`logs:${call.operation}`, logGroup(str(input.logGroupName)))];
    case 'CloudWatchLogs:DeleteLogGroup':
      return [own('logs:DeleteLogGroup', logGroup(str(input.logGroupName)), resourceTags(call.resourceTags?.[str(input.logGroupName)]))];
    case 'CloudWatchLogs:ListTagsForResource':
      return [own('logs:ListTagsForResource', str(input.resourceArn).replace(/:\*$/, ''))];
    case 'CloudWatchLogs:CreateLogStream':
    case 'CloudWatchLogs:PutLogEvents':
    case 'CloudWatchLogs:DeleteLogStream':
      return [own(`logs:${call.operation}`, `${logGroup(str(input.logGroupName))}:log-stream:${str(input.logStreamName)}`)];
    case 'IAM:GetRole':
    case 'IAM:GetRolePolicy':
    case 'IAM:PutRolePolicy':
      return [own(`iam:${call.operation}`, `arn:${partition}:iam::${account}:role/${str(input.RoleName)}`)];
    case 'IAM:CreateRole': {
      const arn = `arn:${partition}:iam::${account}:role/${str(input.RoleName)}`;
      const tags = tagList(input.Tags);
      return [own('iam:CreateRole', arn, requestTags(tags)), ...(Object.keys(tags).length > 0 ? [own('iam:TagRole', arn, requestTags(tags))] : [])];
    }
    case 'Scheduler:ListSchedules':
      return [own('scheduler:ListSchedules', '*')];
    case 'Scheduler:GetScheduleGroup':
      return [own('scheduler:GetScheduleGroup', `arn:${partition}:scheduler:${region}:${account}:schedule-group/${str(input.Name)}`)];
    case 'Scheduler:CreateScheduleGroup': {
      const arn = `arn:${partition}:scheduler:${region}:${account}:schedule-group/${str(input.Name)}`;
      const tags = tagList(input.Tags);
      return [own('scheduler:CreateScheduleGroup', arn, requestTags(tags)), ...(Object.keys(tags).length > 0 ? [own('scheduler:TagResource', arn, requestTags(tags))] : [])];
    }
    case 'Scheduler:CreateSchedule': {
      const target = (input.Target as { RoleArn?: string } | undefined) ?? {};
      return [
        own('scheduler:CreateSchedule', `arn:${partition}:scheduler:${region}:${account}:schedule/${str(input.GroupName ?? 'default')}/${str(input.Name)}`),
        own('iam:PassRole', str(target.RoleArn), { 'iam:PassedToService': 'scheduler.amazonaws.com' }),
      ];
    }
    case 'Scheduler:GetSchedule':
    case 'Scheduler:DeleteSchedule':
      return [own(`scheduler:${call.operation}`, `arn:${partition}:scheduler:${region}:${account}:schedule/${str(input.GroupName ?? 'default')}/${str(input.Name)}`)];
    default:
      throw new Error(`no IAM mapping for ${operation}: add it to test/integration/iam-requests.ts (what IAM authorizes for it) before the policy proof can cover it`);
  }
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** One request against one identity policy, with IAM's global keys a real request always carries. */
export async function decide(policy: unknown, request: IamRequest, caller: Caller): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: caller.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.resourceAccount },
        contextVariables: { 'aws:PrincipalAccount': caller.account, 'aws:PrincipalArn': caller.principal, ...request.context },
      },
      identityPolicies: [{ name: 'flowdump', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`iam-simulate refused ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

export function readPolicy(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}
