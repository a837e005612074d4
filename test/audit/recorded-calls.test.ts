/**
 * Runs after every other test (vitest project "iam-audit", vitest.config.ts): every AWS request the
 * CLI made in this run's integration tests (recorded to test-artifacts/aws-calls.jsonl, see
 * test/integration/global-setup.ts) is evaluated with a real IAM evaluator against the policy the
 * README tells that command's user to attach. A new call that a policy lacks fails here, whichever
 * test made it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import type { RecordedCall } from '../../src/aws/record.js';
import { decide, iamRequests, readPolicy } from '../integration/iam-requests.js';

const ROOT = join(import.meta.dirname, '..', '..');
const RECORDING = join(ROOT, 'test-artifacts', 'aws-calls.jsonl');
const DEFAULT_ACCOUNT = '123456789012';

/**
 * The policy a call is held to: the one its command names (errors.ts names it in access-denied
 * messages), except that `list`, `stop` and `sweep` — which name the S3 policy — finish CloudWatch
 * Logs captures too, and an account with those needs flowdump-capture-logs.json (templates/iam/README.md).
 */
function policyFor(call: RecordedCall): string | undefined {
  if (call.policy === 'flowdump-capture-s3.json' && call.service === 'CloudWatchLogs' && call.operation !== 'DescribeLogGroups') return 'flowdump-capture-logs.json';
  return call.policy;
}

test('every AWS request of this run\'s integration tests is Allowed by the policy its command\'s user attaches', async () => {
  expect(existsSync(RECORDING), `${RECORDING} is missing: run the integration tests in the same run (npm test)`).toBe(true);
  // the CLI's commands (each names its policy); port tests that build an AWS context themselves name none
  const calls = readFileSync(RECORDING, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RecordedCall)
    .filter((call) => call.policy !== undefined);
  expect(calls.length, 'the integration tests recorded no AWS request of a command').toBeGreaterThan(0);
  const policies = new Map<string, unknown>();
  const seen = new Set<string>();
  const denied: string[] = [];
  for (const call of calls) {
    const file = policyFor(call);
    if (!policies.has(file!)) policies.set(file!, readPolicy(join(ROOT, 'templates', 'iam', file!)));
    const account = call.account ?? DEFAULT_ACCOUNT;
    const bucket = typeof call.input.Bucket === 'string' ? call.input.Bucket : undefined;
    // with ExpectedBucketOwner S3 only answers for a bucket of that owner
    const owner = typeof call.input.ExpectedBucketOwner === 'string' ? call.input.ExpectedBucketOwner : account;
    const caller = { account, partition: 'aws', principal: `arn:aws:iam::${account}:user/flowdump`, ...(bucket ? { bucketOwners: { [bucket]: owner } } : {}) };
    for (const request of iamRequests(call, caller)) {
      const key = `${file} ${request.action} ${request.resource} ${JSON.stringify(request.context)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const decision = await decide(policies.get(file!), request, caller);
      if (decision !== 'Allowed') denied.push(`flowdump ${call.argv.slice(0, 2).join(' ')} (${file}): ${request.action} on ${request.resource} ${JSON.stringify(request.context)} → ${decision}`);
    }
  }
  expect(denied).toEqual([]);
}, 300_000);
