import { readdirSync, readFileSync } from 'node:fs';
import { AwsAccessError, FlowdumpError, ExitCode } from '../errors.js';
import { templatePath } from '../paths.js';

/**
 * Maps AWS SDK errors to one sentence: what was denied or failed, for whom,
 * and how to fix it. Every adapter call goes through `callAws`, so no SDK error reaches the CLI raw.
 */

/** Who and where the calls run as: shown in messages. */
export interface AwsScope {
  region: string;
  profile?: string;
  endpoint?: string;
  /** the policy file the current command needs (named first when it grants the denied action) */
  policy?: string;
}

export interface AwsCall {
  /** the IAM action, e.g. `ec2:CreateFlowLogs` (not the API name: HeadBucket is s3:ListBucket) */
  action: string;
  /** the resource it was about, for the message */
  resource?: string;
  /** a way to do without this call, added to an access-denied message ("or estimate offline: …") */
  alternative?: string;
}

/** The user policies shipped under templates/iam/, smallest first. */
export const USER_POLICIES = ['flowdump-analyze.json', 'flowdump-capture-s3.json', 'flowdump-capture-logs.json', 'flowdump-setup.json', 'flowdump-athena.json'] as const;

const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnauthorizedAccess',
  'Forbidden',
  'AuthorizationError',
  'AllAccessDisabled',
]);
const EXPIRED = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired', 'RequestExpired', 'InvalidGrantException']);
const BAD_CREDENTIALS = new Set(['InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'AuthFailure', 'InvalidAccessKeyId', 'InvalidToken']);
const THROTTLED = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
]);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'TimeoutError', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The AWS error code of an SDK error (`name` for modeled errors, `Code` for EC2's query errors). */
export function awsErrorCode(error: unknown): string | undefined {
  const e = error as { name?: string; Code?: string; code?: string } | undefined;
  if (!e) return undefined;
  if (e.Code) return e.Code;
  if (e.code && typeof e.code === 'string') return e.code;
  return e.name;
}

/** HTTP status of an SDK error, when it had a response. */
export function awsHttpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

/** Runs one SDK call and maps whatever it throws to a FlowdumpError (src/errors.ts). */
export async function callAws<T>(scope: AwsScope, call: AwsCall, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapAwsError(error, scope, call);
  }
}

function who(scope: AwsScope): string {
  return `${scope.profile ? `profile "${scope.profile}"` : 'the default credentials'} in ${scope.region}`;
}

/** One error sentence for an SDK failure; a FlowdumpError passes through unchanged. */
export function mapAwsError(error: unknown, scope: AwsScope, call: AwsCall): FlowdumpError {
  if (error instanceof FlowdumpError) return error;
  const code = awsErrorCode(error) ?? 'Unknown';
  const message = ((error as Error)?.message ?? String(error)).split('\n')[0];
  const on = call.resource ? ` on ${call.resource}` : '';
  const details = { awsCode: code, action: call.action, ...(call.resource ? { resource: call.resource } : {}), requestId: (error as { $metadata?: { requestId?: string } })?.$metadata?.requestId };
  const profileFlag = scope.profile ? ` --profile ${scope.profile}` : '';

  if (DENIED.has(code) || (awsHttpStatus(error) === 403 && !EXPIRED.has(code) && !BAD_CREDENTIALS.has(code))) {
    const policy = policyFileFor(call.action, scope.policy);
    const fix = policy
      ? `attach the policy in templates/iam/${policy} (it grants ${call.action}) to your user or role`
      : `grant ${call.action} to your user or role`;
    const instead = call.alternative ? `, or ${call.alternative}` : '';
    return new AwsAccessError('access-denied', `AWS denied ${call.action}${on} for ${who(scope)}: ${fix}${instead}`, { cause: error, details: { ...details, policy } });
  }
  if (EXPIRED.has(code) || (code === 'CredentialsProviderError' && /expired|refresh/i.test(message))) {
    return new AwsAccessError(
      'credentials-expired',
      `the AWS credentials of ${scope.profile ? `profile "${scope.profile}"` : 'this session'} have expired; run: aws sso login${profileFlag} (or refresh your access keys), then try again`,
      { cause: error, details },
    );
  }
  if (code === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return new AwsAccessError(
      'credentials-missing',
      `no AWS credentials found for ${who(scope)}; run: aws configure${profileFlag} or aws sso login${profileFlag}, or pass --profile <name>`,
      { cause: error, details },
    );
  }
  if (BAD_CREDENTIALS.has(code)) {
    return new AwsAccessError('credentials-invalid', `AWS rejected the credentials of ${who(scope)} (${code}) calling ${call.action}; check the access key, or run: aws sso login${profileFlag}`, {
      cause: error,
      details,
    });
  }
  if (THROTTLED.has(code) || (error as { $retryable?: { throttling?: boolean } })?.$retryable?.throttling) {
    const attempts = (error as { $metadata?: { attempts?: number } })?.$metadata?.attempts;
    return new AwsAccessError(
      'throttled',
      `AWS kept throttling ${call.action}${on} after ${attempts ?? 'several'} attempt${attempts === 1 ? '' : 's'} (${code}); wait a minute and run the command again — nothing was lost`,
      { cause: error, details: { ...details, attempts } },
    );
  }
  const network = (error as { code?: string })?.code ?? code;
  if (UNREACHABLE.has(network) || UNREACHABLE.has(code)) {
    const where = scope.endpoint ?? `AWS in ${scope.region}`;
    return new AwsAccessError('unreachable', `cannot reach ${where} for ${call.action} (${network}); check the network, --region and AWS_ENDPOINT_URL`, { cause: error, details });
  }
  return new FlowdumpError(`aws-${code}`, `${call.action}${on} failed in ${scope.region}: ${code}: ${message}`, {
    exitCode: ExitCode.awsAccess,
    cause: error,
    details,
  });
}

interface PolicyDocument {
  Statement: { Effect: string; Action: string | string[] }[];
}

let policyActions: Map<string, string[]> | undefined;

/** The actions each shipped user policy allows, read once from templates/iam/. */
export function loadPolicyActions(): Map<string, string[]> {
  if (policyActions) return policyActions;
  const map = new Map<string, string[]>();
  const files = new Set(readdirSync(templatePath('iam')));
  for (const file of USER_POLICIES) {
    if (!files.has(file)) continue;
    const document = JSON.parse(readFileSync(templatePath('iam', file), 'utf8')) as PolicyDocument;
    const actions: string[] = [];
    for (const statement of document.Statement) {
      if (statement.Effect !== 'Allow') continue;
      actions.push(...(Array.isArray(statement.Action) ? statement.Action : [statement.Action]));
    }
    map.set(file, actions);
  }
  policyActions = map;
  return map;
}

function grants(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return regex.test(action);
}

/** The policy file that grants `action`: the preferred one if it does, else the smallest that does. */
export function policyFileFor(action: string, preferred?: string): string | undefined {
  const map = loadPolicyActions();
  if (preferred && (map.get(preferred) ?? []).some((pattern) => grants(pattern, action))) return preferred;
  for (const [file, actions] of map) if (actions.some((pattern) => grants(pattern, action))) return file;
  return undefined;
}
