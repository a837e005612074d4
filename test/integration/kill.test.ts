/**
 * Invariant 1 — no flow log outlives its expiry by more than one sweep, whatever is killed when:
 * the real CLI is SIGKILLed right after creating the flow log, while settling and while
 * cleaning; one `sweep` after expiry leaves zero flowdump flow logs and zero captured objects,
 * and a summary for the capture. Also: SIGTERM stops cleanly, a second signal skips the
 * analysis but still deletes the flow log, and two sweeps at once do no harm.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { bucketName, cliEnv, collect, flowdumpFlowLogs, handshakeRecords, listKeys, makeFixture, runCli, safetyNetSchedules, sdk, seedS3FlowLogFile, spawnCli, waitFor, windowStart, type Sdk, INTEGRATION_TIMEOUT, LATE_MARGIN_MS } from './helpers.js';

async function readJson(aws: Sdk, bucket: string, key: string) {
  return JSON.parse(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString());
}

function tagsOf(flowLog: { Tags?: { Key?: string; Value?: string }[] }): Record<string, string> {
  return Object.fromEntries((flowLog.Tags ?? []).map((t) => [t.Key!, t.Value!]));
}

/** Seeds one delivered file per flow log whose window holds `at`. */
async function deliver(aws: Sdk, bucket: string, id: string, flowLogs: { FlowLogId?: string; ResourceId?: string }[], at: Date) {
  for (const flowLog of flowLogs) {
    await seedS3FlowLogFile(aws, { bucket, prefix: `flowdump/${id}/`, flowLogId: flowLog.FlowLogId!, windowStart: windowStart(at), lines: handshakeRecords(flowLog.ResourceId!, '10.0.1.4', Math.floor(at.getTime() / 1000) - 60) });
  }
}

async function sweepAfterExpiry(region: string, offsetSeconds: number) {
  const result = await runCli(['sweep', '--json'], cliEnv({ region, offsetSeconds }));
  expect(result.stderr).not.toContain('flowdump:');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

async function expectOnlySummaryLeft(aws: Sdk, bucket: string, id: string) {
  expect(await flowdumpFlowLogs(aws)).toEqual([]);
  // the capture's safety net went with its flow log
  expect(await safetyNetSchedules(aws)).toEqual([]);
  expect(await listKeys(aws, bucket, `flowdump/${id}/AWSLogs/`)).toEqual([]);
  expect(await listKeys(aws, bucket)).toEqual([`flowdump/${id}/capture.json`, `flowdump/${id}/summary.json`, `flowdump/${id}/summary.txt`]);
  expect(await readJson(aws, bucket, `flowdump/${id}/capture.json`)).toMatchObject({ id, state: 'cleaned' });
}

describe('invariant 1: killed at any moment, one sweep after expiry tears everything down', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('SIGKILL right after the flow log is created (ap-northeast-1)', async () => {
    const region = 'ap-northeast-1';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    expect((await runCli(['setup'], cliEnv({ region }))).code).toBe(0);
    const bucket = bucketName(region);
    const child = spawnCli(['start', '--instance', fixture.instanceId, '--for', '5m', '--yes'], cliEnv({ region, holdAt: 'created' }));
    const done = collect(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // killed once the capture is made (flow logs and manifest), not in between
    await waitFor(async () => stderr.includes('holding at created'));
    const flowLogs = await flowdumpFlowLogs(aws);
    expect(flowLogs).toHaveLength(2);
    child.kill('SIGKILL');
    await done;
    const id = tagsOf(flowLogs[0])['flowdump:capture-id'];
    // the flow logs outlive the process, tagged with their expiry — and so does their server-side teardown
    expect(await flowdumpFlowLogs(aws)).toHaveLength(2);
    expect(await safetyNetSchedules(aws)).toEqual([`flowdump-${id}`]);
    expect((await readJson(aws, bucket, `flowdump/${id}/capture.json`)).state).toBe('active');
    // the flow log kept delivering until the sweep (an hour later) deleted it
    await deliver(aws, bucket, id, flowLogs, new Date());
    await deliver(aws, bucket, id, flowLogs, new Date(Date.now() + 3600_000 + LATE_MARGIN_MS));
    const swept = await sweepAfterExpiry(region, 3600);
    expect(swept.finished).toEqual([expect.objectContaining({ id, state: 'cleaned' })]);
    await expectOnlySummaryLeft(aws, bucket, id);
    const summary = await readJson(aws, bucket, `flowdump/${id}/summary.json`);
    expect(summary.records.total).toBe(20);
    expect(summary.capture.settleComplete).toBe(true);
    // and a second sweep finds nothing to do
    expect((await sweepAfterExpiry(region, 3600)).finished).toEqual([]);
  });

  test('SIGKILL while settling (ap-northeast-2)', async () => {
    const region = 'ap-northeast-2';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    expect((await runCli(['setup'], cliEnv({ region }))).code).toBe(0);
    const bucket = bucketName(region);
    const child = spawnCli(['start', '--eni', fixture.eniIds[0], '--for', '1m', '--yes'], cliEnv({ region, scale: 30, holdAt: 'settling' }));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const flowLogs = await waitFor(async () => ((await flowdumpFlowLogs(aws)).length === 1 ? flowdumpFlowLogs(aws) : undefined));
    const id = tagsOf(flowLogs[0])['flowdump:capture-id'];
    await deliver(aws, bucket, id, flowLogs, new Date(Date.now() - 600_000));
    await waitFor(async () => stderr.includes('holding at settling'));
    // stopped: the flow log is gone, the manifest says settling, the data is still there
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect((await readJson(aws, bucket, `flowdump/${id}/capture.json`)).state).toBe('settling');
    child.kill('SIGKILL');
    expect(await listKeys(aws, bucket, `flowdump/${id}/AWSLogs/`)).toHaveLength(1);
    await sweepAfterExpiry(region, 7200);
    await expectOnlySummaryLeft(aws, bucket, id);
    const summary = await readJson(aws, bucket, `flowdump/${id}/summary.json`);
    expect(summary.tcp.connections).toBe(3);
    expect(summary.warnings[0]).toMatch(/^data may be incomplete/);
  });

  test('SIGKILL while cleaning: the summary was already written (invariant 4), the sweep finishes the cleaning (ap-northeast-3)', async () => {
    const region = 'ap-northeast-3';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    expect((await runCli(['setup'], cliEnv({ region }))).code).toBe(0);
    const bucket = bucketName(region);
    const child = spawnCli(['start', '--eni', fixture.eniIds[0], '--for', '1m', '--yes'], cliEnv({ region, scale: 30, holdAt: 'cleaning' }));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const flowLogs = await waitFor(async () => ((await flowdumpFlowLogs(aws)).length === 1 ? flowdumpFlowLogs(aws) : undefined));
    const id = tagsOf(flowLogs[0])['flowdump:capture-id'];
    const expires = new Date(tagsOf(flowLogs[0])['flowdump:expires-at']);
    await deliver(aws, bucket, id, flowLogs, new Date(expires.getTime() + LATE_MARGIN_MS));
    await waitFor(async () => stderr.includes('holding at cleaning'));
    expect(await listKeys(aws, bucket, `flowdump/${id}/`)).toEqual(expect.arrayContaining([`flowdump/${id}/summary.json`, `flowdump/${id}/summary.txt`]));
    expect(await listKeys(aws, bucket, `flowdump/${id}/AWSLogs/`)).toHaveLength(1);
    child.kill('SIGKILL');
    await sweepAfterExpiry(region, 7200);
    await expectOnlySummaryLeft(aws, bucket, id);
  });
});

describe('signals', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('SIGTERM stops cleanly; a second one skips the analysis but the flow log is still deleted, and a sweep finishes later (ap-southeast-1)', async () => {
    const region = 'ap-southeast-1';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    expect((await runCli(['setup'], cliEnv({ region }))).code).toBe(0);
    const bucket = bucketName(region);

    const first = spawnCli(['start', '--eni', fixture.eniIds[0], '--for', '30m', '--yes'], cliEnv({ region }));
    const firstDone = collect(first);
    const flowLogs = await waitFor(async () => ((await flowdumpFlowLogs(aws)).length === 1 ? flowdumpFlowLogs(aws) : undefined));
    const id = tagsOf(flowLogs[0])['flowdump:capture-id'];
    await deliver(aws, bucket, id, flowLogs, new Date(Date.now() + LATE_MARGIN_MS));
    first.kill('SIGTERM');
    const result = await firstDone;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`SIGTERM: stopping capture ${id}`);
    expect(result.stdout).toContain('VERDICT');
    await expectOnlySummaryLeft(aws, bucket, id);

    const second = spawnCli(['start', '--eni', fixture.eniIds[1], '--for', '30m', '--yes', '--settle-timeout', '1h'], cliEnv({ region }));
    let stderr = '';
    second.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const secondDone = collect(second);
    const more = await waitFor(async () => ((await flowdumpFlowLogs(aws)).length === 1 ? flowdumpFlowLogs(aws) : undefined));
    const id2 = tagsOf(more[0])['flowdump:capture-id'];
    await deliver(aws, bucket, id2, more, new Date(Date.now() - 900_000));
    second.kill('SIGTERM');
    await waitFor(async () => stderr.includes('waiting for late deliveries') || stderr.includes('verified gone'));
    second.kill('SIGTERM');
    const skipped = await secondDone;
    expect(skipped.code).toBe(130);
    expect(skipped.stderr).toContain('skipping the analysis');
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect(await listKeys(aws, bucket, `flowdump/${id2}/AWSLogs/`)).toHaveLength(1);
    // the stopped capture is finished by the next sweep (no expiry needed: it was stopped)
    const swept = await runCli(['sweep', '--settle-timeout', '0s', '--json'], cliEnv({ region }));
    expect(JSON.parse(swept.stdout).finished).toEqual([expect.objectContaining({ id: id2, state: 'cleaned' })]);
    expect(await listKeys(aws, bucket, `flowdump/${id2}/AWSLogs/`)).toEqual([]);
  });

  test('two sweeps at once do no harm: both exit 0, one summary, everything cleaned (ap-southeast-2)', async () => {
    const region = 'ap-southeast-2';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    expect((await runCli(['setup'], cliEnv({ region }))).code).toBe(0);
    const bucket = bucketName(region);
    const ids: string[] = [];
    for (const eni of fixture.eniIds) {
      const started = await runCli(['start', '--eni', eni, '--for', '5m', '--yes', '--detach'], cliEnv({ region }));
      ids.push(started.stdout.split('\n')[0]);
    }
    const flowLogs = await flowdumpFlowLogs(aws);
    for (const id of ids) {
      const mine = flowLogs.filter((f) => tagsOf(f)['flowdump:capture-id'] === id);
      await deliver(aws, bucket, id, mine, new Date(Date.now() + 3600_000 + LATE_MARGIN_MS));
    }
    const [a, b] = await Promise.all([runCli(['sweep', '--json'], cliEnv({ region, offsetSeconds: 3600 })), runCli(['sweep', '--json'], cliEnv({ region, offsetSeconds: 3600 }))]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect([...JSON.parse(a.stdout).failed, ...JSON.parse(b.stdout).failed]).toEqual([]);
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    for (const id of ids) {
      expect(await listKeys(aws, bucket, `flowdump/${id}/`)).toEqual([`flowdump/${id}/capture.json`, `flowdump/${id}/summary.json`, `flowdump/${id}/summary.txt`]);
      expect((await readJson(aws, bucket, `flowdump/${id}/summary.json`)).tcp.connections).toBe(3);
    }
  });

  test('sweep --watch finishes what expires while it runs and stops cleanly on SIGINT (eu-south-1)', async () => {
    const region = 'eu-south-1';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    expect((await runCli(['setup'], cliEnv({ region }))).code).toBe(0);
    const bucket = bucketName(region);
    const started = await runCli(['start', '--eni', fixture.eniIds[0], '--for', '2m', '--yes', '--detach'], cliEnv({ region }));
    const id = started.stdout.split('\n')[0];
    await deliver(aws, bucket, id, await flowdumpFlowLogs(aws), new Date(Date.now() + 3600_000 + LATE_MARGIN_MS));
    // an hour ahead, a minute of flowdump's time passes every second: the first round finds it expired
    const watcher = spawnCli(['sweep', '--watch'], cliEnv({ region, offsetSeconds: 3600, scale: 60 }));
    let stderr = '';
    watcher.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = collect(watcher);
    await waitFor(async () => /sweep: 1 capture\(s\) finished/.test(stderr));
    await waitFor(async () => (stderr.match(/^sweep: /gm) ?? []).length >= 2);
    watcher.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(0);
    await expectOnlySummaryLeft(aws, bucket, id);
  });
});
