import { isDeepStrictEqual } from 'node:util';
import type { IamPort } from '../aws/iam.js';
import type { LifecycleConfiguration, LifecycleRule, S3Port } from '../aws/s3.js';
import { FlowdumpError, ExitCode } from '../errors.js';
import { DEFAULT_S3_BASE, DELIVERY_ROLE_NAME } from './destination.js';

/**
 * `flowdump setup`: the capture bucket and the CloudWatch Logs delivery role. Idempotent; never
 * overwrites a bucket policy it did not write: our statements are merged in by Sid, or setup
 * refuses and says why.
 */
export interface SetupStep {
  what: string;
  status: 'made' | 'existed' | 'updated';
  note?: string;
}

export interface SetupOptions {
  account: string;
  /** the caller's partition (aws, aws-cn, aws-us-gov), from its ARN; default aws */
  partition?: string;
  region: string;
  bucket: string;
  /** templates/iam/delivery-role-trust.json and delivery-role-policy.json, as text */
  deliveryTrustTemplate: string;
  deliveryPolicy: string;
  lifecycleDays: number;
  /** skip the IAM roles (CloudWatch Logs delivery, safety net): S3-only users without IAM rights */
  skipRole: boolean;
  /**
   * The safety-net role EventBridge Scheduler assumes to delete a forgotten flow log
   * (src/schedule/safety-net.ts renders its documents from templates/iam/safety-net-role-*.json).
   */
  safetyNetRole?: { name: string; trustPolicy: string; rolePolicy: string };
}

export interface SetupResult {
  bucket: string;
  roleArn?: string;
  safetyNetRoleArn?: string;
  steps: SetupStep[];
}

interface PolicyStatement {
  Sid?: string;
  [key: string]: unknown;
}

interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement[];
}

export const LIFECYCLE_RULE_ID = 'flowdump-expire-captures';
/** S3's limit: https://docs.aws.amazon.com/AmazonS3/latest/userguide/BucketRestrictions.html */
const MAX_POLICY_BYTES = 20 * 1024;

/**
 * The statements flowdump needs in its bucket policy: TLS only, and what VPC Flow Logs' delivery
 * service needs to write (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html).
 */
export function bucketPolicyStatements(bucket: string, account: string, region: string, partition = 'aws'): PolicyStatement[] {
  const sourceConditions = { StringEquals: { 'aws:SourceAccount': account }, ArnLike: { 'aws:SourceArn': `arn:${partition}:logs:${region}:${account}:*` } };
  return [
    {
      Sid: 'FlowdumpDenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: [`arn:${partition}:s3:::${bucket}`, `arn:${partition}:s3:::${bucket}/*`],
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'FlowdumpAWSLogDeliveryWrite',
      Effect: 'Allow',
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: `arn:${partition}:s3:::${bucket}/${DEFAULT_S3_BASE}/*`,
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': account }, ArnLike: sourceConditions.ArnLike },
    },
    {
      Sid: 'FlowdumpAWSLogDeliveryAclCheck',
      Effect: 'Allow',
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Action: ['s3:GetBucketAcl', 's3:ListBucket'],
      Resource: `arn:${partition}:s3:::${bucket}`,
      Condition: sourceConditions,
    },
  ];
}

/** Merges our statements into an existing policy by Sid (pure). Throws when it cannot. */
export function mergeBucketPolicy(existing: string | undefined, ours: PolicyStatement[], bucket: string): { policy: string; status: SetupStep['status'] } {
  if (existing === undefined) return { policy: JSON.stringify({ Version: '2012-10-17', Statement: ours }), status: 'made' };
  const unreadable = () =>
    new FlowdumpError('policy-unreadable', `the bucket policy of ${bucket} is not JSON flowdump can read; it was left unchanged — add the statements of flowdump setup --print-policy to it by hand`, { exitCode: ExitCode.usage });
  let parsed: unknown;
  try {
    parsed = JSON.parse(existing);
  } catch {
    throw unreadable();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw unreadable();
  const given = (parsed as { Statement?: unknown }).Statement;
  // a policy may hold one statement as an object, or (being edited) none at all
  const document: PolicyDocument = { ...(parsed as PolicyDocument), Statement: given === undefined ? [] : ((Array.isArray(given) ? given : [given]) as PolicyStatement[]) };
  const statements = [...document.Statement];
  let changed = false;
  for (const statement of ours) {
    const at = statements.findIndex((candidate) => candidate !== null && typeof candidate === 'object' && candidate.Sid === statement.Sid);
    if (at === -1) {
      statements.push(statement);
      changed = true;
    } else if (!isDeepStrictEqual(statements[at], statement)) {
      statements[at] = statement;
      changed = true;
    }
  }
  const policy = JSON.stringify({ ...document, Statement: statements });
  if (Buffer.byteLength(policy) > MAX_POLICY_BYTES) {
    throw new FlowdumpError('policy-too-large', `adding flowdump's statements would make the bucket policy of ${bucket} larger than S3's 20 KB limit; it was left unchanged — use a bucket of its own for flowdump`, { exitCode: ExitCode.usage });
  }
  return { policy, status: changed ? 'updated' : 'existed' };
}

/** flowdump's one lifecycle rule: expire everything under `flowdump/` after `days` days. */
export function ourLifecycleRule(days: number): LifecycleRule {
  return { ID: LIFECYCLE_RULE_ID, Filter: { Prefix: `${DEFAULT_S3_BASE}/` }, Status: 'Enabled', Expiration: { Days: days } };
}

/**
 * Adds or replaces flowdump's own rule (by its ID) and keeps every other rule exactly as S3
 * returned it, in its place (pure).
 */
export function mergeLifecycleRule(current: LifecycleConfiguration, ours: LifecycleRule): { configuration: LifecycleConfiguration; status: SetupStep['status'] } {
  const at = current.rules.findIndex((rule) => rule.ID === ours.ID);
  if (at !== -1 && isDeepStrictEqual(current.rules[at], ours)) return { configuration: current, status: 'existed' };
  const rules = at === -1 ? [...current.rules, ours] : current.rules.map((rule, index) => (index === at ? ours : rule));
  return { configuration: { ...current, rules }, status: at === -1 ? 'made' : 'updated' };
}

export async function runSetup(deps: { s3: S3Port; iam: IamPort }, options: SetupOptions): Promise<SetupResult> {
  const { s3, iam } = deps;
  const { bucket } = options;
  const steps: SetupStep[] = [];
  const status = await s3.bucketStatus(bucket);
  const foreign = () =>
    new FlowdumpError(
      'bucket-foreign',
      `bucket ${bucket} is not a bucket of account ${options.account}: S3 bucket names are global and another account holds this one (or a policy denies you); nothing was changed, and flowdump will not deliver flow logs there — capture into a bucket of yours with flowdump start --destination s3://<bucket>/<prefix>`,
      { exitCode: ExitCode.awsAccess },
    );
  if (status === 'foreign') throw foreign();
  if (status === 'missing') {
    try {
      await s3.createBucket(bucket, options.region);
    } catch (error) {
      // taken by another account between our look and the create
      if (error instanceof FlowdumpError && error.code === 'aws-BucketAlreadyExists') throw foreign();
      throw error;
    }
    steps.push({ what: `bucket s3://${bucket}`, status: 'made' });
  } else {
    steps.push({ what: `bucket s3://${bucket}`, status: 'existed' });
  }

  const block = await s3.getPublicAccessBlock(bucket);
  if (!block?.blockAll) await s3.putPublicAccessBlock(bucket);
  steps.push({ what: 'Block Public Access (all four settings)', status: block?.blockAll ? 'existed' : block ? 'updated' : 'made' });

  const encryption = await s3.getDefaultEncryption(bucket);
  if (!encryption) await s3.putDefaultEncryptionS3(bucket);
  steps.push({ what: 'default encryption', status: encryption ? 'existed' : 'made', note: encryption ? encryption : 'SSE-S3, AES256' });

  const existingPolicy = await s3.getBucketPolicy(bucket);
  const mergedPolicy = mergeBucketPolicy(existingPolicy, bucketPolicyStatements(bucket, options.account, options.region, options.partition), bucket);
  if (mergedPolicy.status !== 'existed') await s3.putBucketPolicy(bucket, mergedPolicy.policy);
  steps.push({
    what: 'bucket policy: TLS only + flow-log delivery',
    status: mergedPolicy.status,
    note: existingPolicy && mergedPolicy.status === 'updated' ? 'merged into the existing policy by Sid; its other statements are unchanged' : undefined,
  });

  const lifecycle = await s3.getLifecycleConfiguration(bucket);
  const merged = mergeLifecycleRule(lifecycle, ourLifecycleRule(options.lifecycleDays));
  if (merged.status !== 'existed') await s3.putLifecycleConfiguration(bucket, merged.configuration);
  steps.push({ what: `lifecycle: expire ${DEFAULT_S3_BASE}/ after ${options.lifecycleDays} days (the last cost guard)`, status: merged.status });

  let roleArn: string | undefined;
  let safetyNetRoleArn: string | undefined;
  if (!options.skipRole) {
    const trust = fillDeliveryTemplate(options.deliveryTrustTemplate, options);
    roleArn = await ensureRole(iam, steps, {
      name: DELIVERY_ROLE_NAME,
      purpose: 'CloudWatch Logs delivery',
      trustPolicy: trust,
      trustFile: 'templates/iam/delivery-role-trust.json',
      policyName: 'flowdump-delivery',
      policy: fillDeliveryTemplate(options.deliveryPolicy, options),
      description: 'VPC Flow Logs delivery to CloudWatch Logs for flowdump captures',
    });
    if (options.safetyNetRole) {
      safetyNetRoleArn = await ensureRole(iam, steps, {
        name: options.safetyNetRole.name,
        purpose: 'safety net: EventBridge Scheduler deletes a forgotten flow log',
        trustPolicy: options.safetyNetRole.trustPolicy,
        trustFile: 'templates/iam/safety-net-role-trust.json',
        policyName: 'flowdump-safety-net',
        policy: options.safetyNetRole.rolePolicy,
        description: 'EventBridge Scheduler deletes flow logs flowdump tagged, if a capture outlives its expiry',
      });
    }
  }
  return { bucket, roleArn, safetyNetRoleArn, steps };
}

/** The delivery role's documents carry ${AccountId}, ${Partition} (and once carried ${Region}). */
export function fillDeliveryTemplate(template: string, options: Pick<SetupOptions, 'account' | 'region' | 'partition'>): string {
  return template.replaceAll('${AccountId}', options.account).replaceAll('${Partition}', options.partition ?? 'aws').replaceAll('${Region}', options.region);
}

/** The first place two trust policies differ, said briefly; undefined when they are the same. */
export function trustDifference(actual: string | undefined, expected: string): string | undefined {
  if (actual === undefined) return 'it could not be read';
  let have: unknown;
  try {
    have = JSON.parse(actual);
  } catch {
    return 'it is not JSON';
  }
  return firstDifference(withoutSids(have), withoutSids(JSON.parse(expected)), '');
}

/** A statement's Sid is a label: it grants nothing, so two trusts that differ only there are the same. */
function withoutSids(document: unknown): unknown {
  const statements = (document as { Statement?: unknown } | null)?.Statement;
  if (!Array.isArray(statements)) return document;
  return { ...(document as object), Statement: statements.map((statement) => (statement && typeof statement === 'object' ? Object.fromEntries(Object.entries(statement).filter(([key]) => key !== 'Sid')) : statement)) };
}

function firstDifference(have: unknown, want: unknown, path: string): string | undefined {
  if (isDeepStrictEqual(have, want)) return undefined;
  const brief = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 160));
  const bothObjects = have !== null && want !== null && typeof have === 'object' && typeof want === 'object' && Array.isArray(have) === Array.isArray(want);
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(want as object), ...Object.keys(have as object)])];
    for (const key of keys) {
      const step = Array.isArray(want) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
      const found = firstDifference((have as Record<string, unknown>)[key], (want as Record<string, unknown>)[key], step);
      if (found) return found;
    }
  }
  return `${path || 'the document'} is ${brief(have)}, the template has ${brief(want)}`;
}

interface RoleSpec {
  name: string;
  purpose: string;
  trustPolicy: string;
  trustFile: string;
  policyName: string;
  policy: string;
  description: string;
}

/**
 * A role and its inline policy: made when missing. An existing role is used only when it trusts
 * exactly whom flowdump's template trusts: its trust is never changed, and a role that trusts
 * someone else is refused (with what differs) rather than given flowdump's permissions.
 */
async function ensureRole(iam: IamPort, steps: SetupStep[], spec: RoleSpec): Promise<string> {
  let arn: string;
  const role = await iam.getRole(spec.name);
  if (role) {
    arn = role.arn;
    const difference = trustDifference(role.trustPolicy, spec.trustPolicy);
    if (difference) {
      throw new FlowdumpError(
        'role-trust-differs',
        `role ${spec.name} exists but its trust policy differs from ${spec.trustFile} (${difference}); nothing was attached to it — make its trust policy match the template (aws iam update-assume-role-policy --role-name ${spec.name} --policy-document file://…) or delete the role, then run flowdump setup again`,
        { exitCode: ExitCode.usage },
      );
    }
    steps.push({ what: `role ${spec.name} (${spec.purpose})`, status: 'existed' });
  } else {
    try {
      arn = (await iam.createRole(spec.name, spec.trustPolicy, spec.description, { 'flowdump:created-by': 'flowdump setup' })).arn;
      steps.push({ what: `role ${spec.name} (${spec.purpose})`, status: 'made' });
    } catch (error) {
      // another setup (a colleague, a CI job) made it between our GetRole and CreateRole: use theirs
      const made = error instanceof FlowdumpError && error.code === 'aws-EntityAlreadyExists' ? await iam.getRole(spec.name) : undefined;
      if (!made) throw error;
      arn = made.arn;
      steps.push({ what: `role ${spec.name} (${spec.purpose})`, status: 'existed' });
    }
  }
  const current = await iam.getRolePolicy(spec.name, spec.policyName);
  const same = current !== undefined && isDeepStrictEqual(JSON.parse(current), JSON.parse(spec.policy));
  if (!same) await iam.putRolePolicy(spec.name, spec.policyName, spec.policy);
  steps.push({ what: `role policy ${spec.policyName}`, status: current === undefined ? 'made' : same ? 'existed' : 'updated' });
  return arn;
}
