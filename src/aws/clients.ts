import { partition } from '@aws-sdk/core/client';
import { UsageError } from '../errors.js';
import type { Ec2Port } from './ec2.js';
import type { AwsScope } from './errors.js';
import type { IamPort } from './iam.js';
import type { LogsPort } from './logs.js';
import type { MetricsPort } from './metrics.js';
import type { S3Port } from './s3.js';
import type { StsPort } from './sts.js';

/**
 * The one place real AWS clients are built (docs/architecture.md): once, in the entry point,
 * from --profile, --region, the SDK's default credential chain and AWS_ENDPOINT_URL.
 */
export interface AwsClientOptions {
  profile?: string;
  region?: string;
  /** the process environment (passed in: nothing here reads process.env) */
  env: Readonly<Record<string, string | undefined>>;
  /** attempts per call, retries included (default AWS_MAX_ATTEMPTS or 5) */
  maxAttempts?: number;
  /** the policy file the command needs, named in access-denied messages */
  policy?: string;
  /** tests: a request handler that answers instead of the network */
  requestHandler?: unknown;
  /** tests: fixed credentials instead of the default chain */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** The config every SDK client of this run shares: other ports (metrics, scheduler) build theirs from it. */
export interface SdkClientConfig {
  region: string;
  profile?: string;
  endpoint?: string;
  maxAttempts: number;
  /** adaptive = standard retries (throttling included) plus client-side rate limiting */
  retryMode: 'adaptive' | 'standard';
  requestHandler?: unknown;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface AwsContext {
  region: string;
  profile?: string;
  endpoint?: string;
  scope: AwsScope;
  config: SdkClientConfig;
  ec2: Ec2Port;
  /** S3 for reading anybody's data (analyze s3://…): calls name no bucket owner */
  s3: S3Port;
  /** S3 for flowdump's own buckets: every call names `account` as the expected bucket owner */
  ownedS3(account: string): S3Port;
  logs: LogsPort;
  sts: StsPort;
  iam: IamPort;
  /** CloudWatch metrics (GetMetricData): the cost estimate and the live cost guard */
  metrics: MetricsPort;
  /** readies an SDK client built elsewhere from `config` (the scheduler's) like these: the test-only call recorder */
  instrument(client: unknown): void;
}

/** Resolves the region (flag → AWS_REGION → AWS_DEFAULT_REGION → the profile's config) and checks it is one AWS knows. */
export async function resolveRegion(options: Pick<AwsClientOptions, 'profile' | 'region' | 'env'>): Promise<string> {
  let region = options.region ?? options.env.AWS_REGION ?? options.env.AWS_DEFAULT_REGION;
  let from = options.region ? '--region' : options.env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION';
  if (!region) {
    // the SDK reads ~/.aws/config for the profile (AWS_PROFILE or --profile)
    try {
      const { STSClient } = await import('@aws-sdk/client-sts');
      region = await new STSClient({ profile: options.profile }).config.region();
      from = `profile "${options.profile ?? options.env.AWS_PROFILE ?? 'default'}"`;
    } catch {
      region = undefined;
    }
  }
  if (!region) {
    throw new UsageError(
      `no AWS region given; pass --region (e.g. --region eu-west-1), set AWS_REGION, or set region in your AWS profile${options.profile ? ` "${options.profile}"` : ''}`,
      { code: 'no-region' },
    );
  }
  checkRegion(region, from);
  return region;
}

/** An unknown region is an error, never a silent default. */
export function checkRegion(region: string, from = '--region'): void {
  const known = partition(region) as { description?: string; name?: string };
  if (known.description !== undefined && !/global/.test(region)) return;
  throw new UsageError(`unknown AWS region "${region}" (from ${from}); use a region code like us-east-1 or eu-west-1`, { code: 'unknown-region', details: { region } });
}

export function sdkClientConfig(region: string, options: AwsClientOptions): SdkClientConfig {
  const endpoint = options.env.AWS_ENDPOINT_URL || undefined;
  const attempts = options.maxAttempts ?? (Number(options.env.AWS_MAX_ATTEMPTS) || 5);
  return {
    region,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: attempts,
    retryMode: 'adaptive',
    ...(options.requestHandler ? { requestHandler: options.requestHandler } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
}

/**
 * Builds every port of this run. The SDK clients are imported here, not at the top: commands
 * that never call AWS (analyze of local files, --help) start without loading them.
 */
export async function createAwsContext(options: AwsClientOptions): Promise<AwsContext> {
  const region = await resolveRegion(options);
  const [{ CloudWatchClient }, { CloudWatchLogsClient }, { EC2Client }, { IAMClient }, { S3Client }, { STSClient }, { CloudWatchMetrics }, { createEc2Port }, { createIamPort }, { createLogsPort }, { createS3Port }, { createStsPort }, { recordCalls }] = await Promise.all([
    import('@aws-sdk/client-cloudwatch'),
    import('@aws-sdk/client-cloudwatch-logs'),
    import('@aws-sdk/client-ec2'),
    import('@aws-sdk/client-iam'),
    import('@aws-sdk/client-s3'),
    import('@aws-sdk/client-sts'),
    import('./metrics.js'),
    import('./ec2.js'),
    import('./iam.js'),
    import('./logs.js'),
    import('./s3.js'),
    import('./sts.js'),
    import('./record.js'),
  ]);
  const config = sdkClientConfig(region, options);
  const scope: AwsScope = { region, profile: options.profile ?? options.env.AWS_PROFILE, endpoint: config.endpoint, policy: options.policy };
  const base = config as never;
  // test-only: FLOWDUMP_TEST_RECORD_AWS=<file> records every request (src/aws/record.ts)
  const instrument = <T>(client: T): T => {
    recordCalls(client, options.env.FLOWDUMP_TEST_RECORD_AWS || undefined, options.policy);
    return client;
  };
  // custom endpoints (moto, LocalStack, MinIO) do not serve virtual-hosted bucket names
  const s3Client = instrument(new S3Client({ ...config, forcePathStyle: config.endpoint !== undefined } as never));
  return {
    region,
    profile: scope.profile,
    endpoint: config.endpoint,
    scope,
    config,
    ec2: createEc2Port(instrument(new EC2Client(base)), scope),
    s3: createS3Port(s3Client, scope),
    ownedS3: (account) => createS3Port(s3Client, scope, account),
    logs: createLogsPort(instrument(new CloudWatchLogsClient(base)), scope),
    sts: createStsPort(instrument(new STSClient(base)), scope),
    iam: createIamPort(instrument(new IAMClient(base)), scope),
    metrics: new CloudWatchMetrics(instrument(new CloudWatchClient(base)), scope),
    instrument,
  };
}
