/**
 * Invariant 5 — bad input ends in one clear sentence with an exit code, never a stack trace:
 * the real CLI with an unknown region, an unreachable endpoint, bad flags and a truncated
 * object in S3 (its summary covers what was read; the data is kept, so no work is lost).
 */
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { ACCOUNT, cliEnv, handshakeRecords, HANDSHAKE_HEADER, INTEGRATION_TIMEOUT, runCli, sdk } from './helpers.js';

function oneSentence(stderr: string) {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^flowdump: /);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('invariant 5: every bad input ends in one clear sentence', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('unknown region, unreachable endpoint, bad duration, bad destination, truncated S3 object (af-south-1)', async () => {
    const region = 'af-south-1';
    const badRegion = await runCli(['list', '--region', 'eu-wset-1'], cliEnv({ region }));
    expect(badRegion.code).toBe(2);
    oneSentence(badRegion.stderr);
    expect(badRegion.stderr).toContain('unknown AWS region "eu-wset-1" (from --region)');

    const unreachable = await runCli(['list'], { ...cliEnv({ region }), AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect(unreachable.code).toBe(3);
    oneSentence(unreachable.stderr);
    expect(unreachable.stderr).toContain('cannot reach http://127.0.0.1:9 for sts:GetCallerIdentity (ECONNREFUSED)');

    const badDuration = await runCli(['start', '--eni', 'eni-0123456789abcdef0', '--for', '15 minutes', '--yes'], cliEnv({ region }));
    expect(badDuration.code).toBe(2);
    oneSentence(badDuration.stderr);
    expect(badDuration.stderr).toContain('--for must be a duration like 90s, 15m, 2h or 1h30m, not "15 minutes"');

    const badDestination = await runCli(['start', '--eni', 'eni-0123456789abcdef0', '--destination', 'ftp://x', '--yes'], cliEnv({ region }));
    expect(badDestination.code).toBe(2);
    oneSentence(badDestination.stderr);

    const aws = sdk(region);
    const bucket = 'truncated-objects-af';
    await aws.s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }));
    const whole = gzipSync(`${HANDSHAKE_HEADER}\n${handshakeRecords('eni-00000000000000001', '10.0.0.1', 1_777_600_000).join('\n')}\n`);
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `AWSLogs/${ACCOUNT}/vpcflowlogs/${region}/2026/05/01/a.log.gz`, Body: whole }));
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `AWSLogs/${ACCOUNT}/vpcflowlogs/${region}/2026/05/01/b.log.gz`, Body: whole.subarray(0, whole.length - 12) }));
    const truncated = await runCli(['analyze', `s3://${bucket}/`], cliEnv({ region }));
    expect(truncated.code).toBe(4);
    expect(truncated.stdout).toContain(`INCOMPLETE: s3://${bucket}/AWSLogs/${ACCOUNT}/vpcflowlogs/${region}/2026/05/01/b.log.gz is a truncated gzip file`);
    expect(truncated.stderr).not.toMatch(/\n\s+at /);
  });
});
