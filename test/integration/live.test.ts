/**
 * The live view of a foreground capture, and `show --follow`, against moto. moto delivers nothing:
 * the tests put delivered files and log events in place while the capture runs, as AWS would.
 * Account 210987654360 (its own setup bucket, roles and flow logs), region eu-west-1.
 */
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import {
  cliEnv,
  collect,
  flowdumpFlowLogs,
  makeFixture,
  otherAccount,
  runCli,
  sdk,
  seedLogEvents,
  seedS3FlowLogFile,
  spawnCli,
  stateDir,
  waitFor,
  windowStart,
  HANDSHAKE_HEADER,
  INTEGRATION_TIMEOUT,
  LATE_MARGIN_MS,
  type Sdk,
} from './helpers.js';

const ACCOUNT = '210987654360';
const REGION = 'eu-west-1';
const BUCKET = `flowdump-${ACCOUNT}-${REGION}`;
/** records carry fixed times and interface: two captures of the same records have the same summary */
const AT = Date.parse('2026-05-01T08:04:00Z') / 1000;
const ENI = 'eni-0feedfacefeedface';
const rec = (src: string, sport: number, dst: string, dport: number, flags: number, packets: number, offset: number) =>
  `5 ${ENI} egress ${src} ${sport} ${dst} ${dport} ${src} ${dst} 6 ${flags} ${packets} ${packets * 60} ${AT + offset} ${AT + offset + 25} ACCEPT OK`;
const healthy = [rec('10.0.1.10', 40001, '10.0.2.30', 443, 2, 1, 0), rec('10.0.2.30', 443, '10.0.1.10', 40001, 18, 1, 0)];
const failing = [rec('10.0.1.10', 40100, '10.0.2.20', 5432, 2, 3, 25)];
const lastWindow = [rec('10.0.1.10', 40002, '10.0.2.30', 443, 2, 1, 60), rec('10.0.2.30', 443, '10.0.1.10', 40002, 18, 1, 60)];
const LIVE_LINE = '08:04:50  unanswered  10.0.1.10 → 10.0.2.20:5432  (3 SYNs so far, no reply)';

async function account(): Promise<{ aws: Sdk; env: (extra?: Parameters<typeof cliEnv>[0]) => NodeJS.ProcessEnv }> {
  const other = await otherAccount(ACCOUNT);
  const aws = sdk(REGION, other.credentials);
  const state = stateDir();
  const env = (options: Partial<Parameters<typeof cliEnv>[0]> = {}) => ({ ...cliEnv({ region: REGION, stateDir: state, ...options }), ...other.env });
  return { aws, env };
}

async function putFile(aws: Sdk, prefix: string, flowLogId: string, window: Date, text: string): Promise<void> {
  await seedS3FlowLogFile(aws, { bucket: BUCKET, prefix, flowLogId, windowStart: window, lines: [] }).then(async (key) => {
    await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: gzipSync(text) }));
  });
}

/** A foreground capture of one interface whose data the test delivers while it runs. */
async function capture(aws: Sdk, env: NodeJS.ProcessEnv, eni: string, live: boolean) {
  // --keep: --follow takes its last look once the summary is written, and the data is still there
  // --no-explain: the Why section states when it read the configuration, which differs between two runs
  const child = spawnCli(['start', '--eni', eni, '--for', '10m', '--yes', '--keep', '--no-explain', ...(live ? [] : ['--no-live'])], env);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = collect(child);
  const flowLog = await waitFor(async () => (await flowdumpFlowLogs(aws)).find((f) => f.ResourceId === eni));
  const id = flowLog.Tags!.find((t) => t.Key === 'flowdump:capture-id')!.Value!;
  const expiresAt = new Date(flowLog.Tags!.find((t) => t.Key === 'flowdump:expires-at')!.Value!);
  const prefix = `flowdump/${id}/`;
  const early = windowStart(new Date(expiresAt.getTime() - 10 * 60_000));
  // the first delivery: a healthy connection and a line that is no record
  await putFile(aws, prefix, flowLog.FlowLogId!, early, `${HANDSHAKE_HEADER}\n${healthy.join('\n')}\nthis is not a flow-log record\n`);
  if (live) await waitFor(async () => stderr.includes('1 malformed line skipped; the capture goes on'));
  // mid-capture: a SYN nobody answers
  await putFile(aws, prefix, flowLog.FlowLogId!, new Date(early.getTime() + 300_000), `${HANDSHAKE_HEADER}\n${failing.join('\n')}\n`);
  if (live) await waitFor(async () => stderr.includes(LIVE_LINE));
  // the last window, so the settle ends at once
  await putFile(aws, prefix, flowLog.FlowLogId!, windowStart(new Date(expiresAt.getTime() + LATE_MARGIN_MS)), `${HANDSHAKE_HEADER}\n${lastWindow.join('\n')}\n`);
  return { id, result: await done, flowLogId: flowLog.FlowLogId! };
}

describe('the live view', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('a failure delivered mid-capture is one live line before the teardown; a malformed delivery is one sentence; the summary is the same as without the live view; --follow prints each record once and ends with the capture (account 210987654360)', async () => {
    const { aws, env } = await account();
    const fixture = await makeFixture(aws, 'live-1', '10.60');
    expect((await runCli(['setup'], env())).code).toBe(0);
    const scaled = env({ region: REGION, scale: 20 });

    // --follow on the capture started next (by id, once it exists)
    const withLive = capture(aws, scaled, fixture.eniIds[0], true);
    const id = await waitFor(async () => (await flowdumpFlowLogs(aws)).find((f) => f.ResourceId === fixture.eniIds[0])?.Tags?.find((t) => t.Key === 'flowdump:capture-id')?.Value);
    const follow = collect(spawnCli(['show', '--follow', id, '-n'], scaled));
    const followJson = collect(spawnCli(['show', '--follow', id, 'port', '5432', '--json'], scaled));
    const live = await withLive;
    const without = await capture(aws, scaled, fixture.eniIds[1], false);

    expect(live.result.code).toBe(0);
    expect(without.result.code).toBe(0);
    const stderr = live.result.stderr;
    expect(stderr.split('\n').filter((line) => line === LIVE_LINE)).toHaveLength(1);
    expect(stderr.indexOf(LIVE_LINE)).toBeLessThan(stderr.indexOf(`${live.id}: stopping`));
    expect(stderr).toContain('live verdicts are provisional');
    expect(stderr.split('\n').filter((line) => line.includes('malformed line skipped; the capture goes on'))).toHaveLength(1);
    expect(without.result.stderr).not.toMatch(/live verdicts|live: |unanswered  /);
    // the summary (before the capture's own facts: id, times) is the same with and without the live view
    // (the malformed line's example names its object, whose key holds the capture id)
    const summaryOf = (stdout: string) => stdout.split('\nCapture ')[0].replace(/s3:\/\/\S+\.log\.gz/g, '<object>');
    expect(summaryOf(live.result.stdout)).toContain('unanswered');
    expect(summaryOf(live.result.stdout)).toBe(summaryOf(without.result.stdout));

    // --follow: every record of every delivery once, in delivery order; it ended by itself once the capture was finished
    const followed = await follow;
    expect(followed.code).toBe(0);
    const lines = followed.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines.filter((line) => line.includes('10.0.1.10.40100 > 10.0.2.20.5432'))).toHaveLength(1);
    expect(lines[0]).toContain('10.0.1.10.40001 > 10.0.2.30.443');
    expect(lines[4]).toContain('10.0.2.30.443 > 10.0.1.10.40002');
    expect(followed.stderr).toContain('1 malformed line skipped');
    const json = (await followJson).stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(json).toHaveLength(1);
    expect(json[0].flowdump).toMatchObject({ src: '10.0.1.10', dport: 5432, flags: 'S' });
  });

  test('--follow of a CloudWatch Logs capture: events as they are delivered, each once; a capture that is finished is one sentence (account 210987654360)', async () => {
    const { aws, env } = await account();
    const fixture = await makeFixture(aws, 'live-2', '10.61');
    expect((await runCli(['setup'], env())).code).toBe(0);
    const started = await runCli(['start', '--eni', fixture.eniIds[0], '--for', '30m', '--yes', '--detach', '--destination', 'logs:/flowdump'], env());
    expect(started.code).toBe(0);
    const id = started.stdout.split('\n')[0];
    const group = `/flowdump/${id}`;
    const stream = `${fixture.eniIds[0]}-all`;
    const follow = spawnCli(['show', '--follow', `logs:${group}`], env({ region: REGION, scale: 60 }));
    const followed = collect(follow);
    let stdout = '';
    follow.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const now = Date.now();
    await seedLogEvents(aws, group, stream, healthy, now - 60_000);
    await waitFor(async () => stdout.includes('10.0.2.30.443 > 10.0.1.10.40001'));
    await seedLogEvents(aws, group, stream, failing, now);
    await waitFor(async () => stdout.includes('10.0.1.10.40100 > 10.0.2.20.5432'));
    // the stop deletes the flow log; once it has been gone for the settle time, --follow ends by itself
    expect((await runCli(['stop', id, '--settle-timeout', '0s', '--keep'], env())).code).toBe(0);
    const result = await followed;
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n')).toHaveLength(3);
    const finished = await runCli(['show', '--follow', id], env());
    expect(finished.code).toBe(2);
    expect(finished.stderr).toContain(`capture ${id} is finished (analyzed): there is nothing more to follow; flowdump show ${id} prints its records`);
  });
});
