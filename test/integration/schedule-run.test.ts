/**
 * `flowdump schedule run` end to end on moto: real captures, one per window, each with its safety
 * net, stopped at the window's end, settled, analyzed and cleaned; one combined report at the end.
 * Time runs 10× faster (FLOWDUMP_TEST_TIME_SCALE) for both the runner and its captures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, test } from 'vitest';
import { scratchDir } from '../helpers/scratch.js';
import {
  bucketName,
  cliEnv,
  collect,
  flowdumpFlowLogs,
  handshakeRecords,
  listKeys,
  makeFixture,
  runCli,
  safetyNetSchedules,
  sdk,
  seedS3FlowLogFile,
  spawnCli,
  waitFor,
  windowStart,
  INTEGRATION_TIMEOUT,
  LATE_MARGIN_MS,
} from './helpers.js';

describe('flowdump schedule run', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('a cron every minute, --for 1m --count 2: two real captures with their safety nets, two summaries in one report, nothing left running (il-central-1)', async () => {
    const region = 'il-central-1';
    const aws = sdk(region);
    const fixture = await makeFixture(aws);
    const env = cliEnv({ region, scale: 10 });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const bucket = bucketName(region);
    const out = scratchDir('flowdump-windows-');
    const eni = fixture.eniIds[0];

    const child = spawnCli(['schedule', 'run', eni, '--cron', '* * * * *', '--for', '1m', '--count', '2', '--tz', 'UTC', '--settle-timeout', '10m', '--max-cost', '5', '--out', out, '--json'], env);
    const done = collect(child);
    let exited = false;
    void done.then(() => (exited = true));

    // moto delivers nothing: as each window's flow log appears, deliver what AWS would have —
    // window 1 sees one refused and one unanswered connection, window 2 three more refused
    const seen: { id: string; flowLogId: string; hadNet: boolean }[] = [];
    while (seen.length < 2 && !exited) {
      for (const flowLog of await flowdumpFlowLogs(aws)) {
        const id = flowLog.Tags!.find((t) => t.Key === 'flowdump:capture-id')!.Value!;
        if (seen.some((s) => s.id === id)) continue;
        const expiresAt = new Date(flowLog.Tags!.find((t) => t.Key === 'flowdump:expires-at')!.Value!);
        const at = Math.floor(expiresAt.getTime() / 1000) - 50;
        const lines =
          seen.length === 0
            ? handshakeRecords(eni, fixture.privateIp, at)
            : [0, 1, 2, 3].flatMap((n) => [
                `5 ${eni} ingress 10.9.1.${n} 4100${n} ${fixture.privateIp} 5432 10.9.1.${n} ${fixture.privateIp} 6 2 1 60 ${at} ${at + 30} ACCEPT OK`,
                `5 ${eni} egress ${fixture.privateIp} 5432 10.9.1.${n} 4100${n} ${fixture.privateIp} 10.9.1.${n} 6 ${n === 0 ? 18 : 4} 1 40 ${at} ${at + 30} ACCEPT OK`,
              ]);
        await seedS3FlowLogFile(aws, { bucket, prefix: `flowdump/${id}/`, flowLogId: flowLog.FlowLogId!, windowStart: windowStart(new Date(expiresAt.getTime() + LATE_MARGIN_MS)), lines });
        // every window's capture has its safety net while it runs (armed right after its flow log is made)
        let hadNet = false;
        await waitFor(async () => exited || (hadNet = (await safetyNetSchedules(aws)).includes(`flowdump-${id}`)));
        seen.push({ id, flowLogId: flowLog.FlowLogId!, hadNet });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const result = await done;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(seen.map((s) => s.hadNet)).toEqual([true, true]);

    const report = JSON.parse(result.stdout);
    expect(report.schema).toBe('flowdump.schedule-report/v1');
    expect(report.windows).toMatchObject({ total: 2, done: 2, failed: 0, missed: 0, withFailures: 2 });
    expect(report.rows.map((row: { index: number; captureId: string; connections: number; established: number; refused: number; unanswered: number; failures: number }) => [row.index, row.captureId, row.connections, row.established, row.refused, row.unanswered, row.failures])).toEqual([
      [1, seen[0].id, 3, 1, 1, 1, 2],
      [2, seen[1].id, 4, 1, 3, 0, 3],
    ]);
    expect(Date.parse(report.rows[1].start) - Date.parse(report.rows[0].start)).toBe(60_000);
    expect(report.totals).toMatchObject({ connections: 7, failures: 5 });

    // nothing left running or scheduled; only each capture's manifest and summary remain
    expect(await flowdumpFlowLogs(aws)).toEqual([]);
    expect(await safetyNetSchedules(aws)).toEqual([]);
    for (const { id } of seen) {
      const manifest = JSON.parse(await (await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `flowdump/${id}/capture.json` }))).Body!.transformToString());
      // each window is a normal capture: its own safety net and its own cost cap
      expect(manifest).toMatchObject({ state: 'cleaned', maxCostUsd: 5, safetyNet: { armed: true, schedule: `flowdump/flowdump-${id}` } });
    }
    expect(await listKeys(aws, bucket)).toEqual(seen.flatMap((s) => [`flowdump/${s.id}/capture.json`, `flowdump/${s.id}/summary.json`, `flowdump/${s.id}/summary.txt`]).sort());

    // --out holds each window's summary and the combined report, which schedule report reads back
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(3);
    expect(files[0]).toBe('schedule-report.json');
    expect(files.slice(1).every((file) => /^window-\d{8}T\d{6}Z\.summary\.json$/.test(file))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, files[1]), 'utf8')).scheduleWindow).toMatchObject({ index: 1, captureId: seen[0].id });
    const again = await runCli(['schedule', 'report', out, '--tz', 'UTC', '--json'], env);
    expect(JSON.parse(again.stdout).rows.map((row: { failures: number }) => row.failures)).toEqual([2, 3]);
    expect(JSON.parse(readFileSync(join(out, 'schedule-report.json'), 'utf8')).totals).toEqual(report.totals);
  });
});
