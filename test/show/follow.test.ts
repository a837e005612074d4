import { describe, expect, test } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { DeliveryFeed } from '../../src/capture/deliveries.js';
import type { CaptureManifest } from '../../src/capture/manifest.js';
import { compileExpression } from '../../src/filter/compile.js';
import { finishedWhen, followRecords, FOLLOW_SETTLE_MS } from '../../src/show/follow.js';
import { FakeAws } from '../capture/fakes.js';

const BUCKET = 'b';
const HEADER = 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status';
const T0 = Date.parse('2026-05-01T12:00:00Z') / 1000;
const key = (stamp: string) => `cap/AWSLogs/1/vpcflowlogs/r/2026/05/01/1_vpcflowlogs_r_fl-1_${stamp}_a.log.gz`;
const record = (at: number, port: number, flags = 2) => `5 eni-1 egress 10.0.1.10 ${port} 10.0.2.20 5432 10.0.1.10 10.0.2.20 6 ${flags} 1 60 ${at} ${at + 10} ACCEPT OK`;

function follow(aws: FakeAws, clock: FakeClock, finished: () => Promise<boolean>, options: { filter?: string; limit?: number; signal?: AbortSignal } = {}) {
  const lines: string[] = [];
  const problems: string[] = [];
  const feed = new DeliveryFeed({ type: 's3', bucket: BUCKET, prefix: 'cap/AWSLogs/' }, aws);
  const done = followRecords(feed, finished, clock, {
    filter: compileExpression(options.filter ?? ''),
    limit: options.limit,
    signal: options.signal,
    pollMs: 15_000,
    render: (r) => `${r.src}.${r.sport} > ${r.dst}.${r.dport}`,
    write: (shown) => void lines.push(...shown.map((line) => line.text)),
    onProblem: (problem) => problems.push(problem.message),
  });
  return { lines, problems, done };
}

describe('show --follow', () => {
  test('each delivered object\'s records once, as they arrive, filtered; ends once the capture is finished (after a last look)', async () => {
    const aws = new FakeAws();
    const clock = new FakeClock('2026-05-01T12:00:00Z');
    aws.putDataFile(BUCKET, key('20260501T1200Z'), `${HEADER}\n${record(T0, 40001)}\n${record(T0 + 1, 40002)}\n`);
    let checks = 0;
    const finished = async () => {
      checks++;
      if (checks === 2) aws.putDataFile(BUCKET, key('20260501T1205Z'), `${HEADER}\n${record(T0 + 300, 40003)}\n`);
      if (checks === 3) aws.putDataFile(BUCKET, key('20260501T1210Z'), `${HEADER}\n${record(T0 + 600, 40004)}\nnot a record\n`);
      return checks >= 3;
    };
    const run = follow(aws, clock, finished, { filter: 'not port 40002' });
    const result = await run.done;
    expect(run.lines).toEqual(['10.0.1.10.40001 > 10.0.2.20.5432', '10.0.1.10.40003 > 10.0.2.20.5432', '10.0.1.10.40004 > 10.0.2.20.5432']);
    expect(result).toMatchObject({ ended: 'finished', deliveries: 3, read: 4, printed: 3, malformed: { count: 1 } });
  });

  test('a truncated delivery is one sentence, said as it happens; the following goes on', async () => {
    const aws = new FakeAws();
    const clock = new FakeClock('2026-05-01T12:00:00Z');
    aws.putDataFile(BUCKET, key('20260501T1200Z'), `${HEADER}\n${record(T0, 40001)}\n`);
    const object = aws.objects.get(`${BUCKET}/${key('20260501T1200Z')}`)!;
    object.body = object.body.subarray(0, object.body.length - 6);
    let checks = 0;
    const finished = async () => {
      if (++checks === 2) aws.putDataFile(BUCKET, key('20260501T1205Z'), `${HEADER}\n${record(T0 + 300, 40003)}\n`);
      return checks >= 2;
    };
    const run = follow(aws, clock, finished);
    const result = await run.done;
    expect(run.problems).toHaveLength(1);
    expect(run.problems[0]).toMatch(/^s3:\/\/b\/cap\/AWSLogs\/.*T1200Z_a\.log\.gz is a truncated gzip file/);
    expect(run.lines).toContain('10.0.1.10.40003 > 10.0.2.20.5432');
    expect(result.ended).toBe('finished');
  });

  test('-c ends it after that many lines; Ctrl-C ends it between polls', async () => {
    const aws = new FakeAws();
    const clock = new FakeClock('2026-05-01T12:00:00Z');
    aws.putDataFile(BUCKET, key('20260501T1200Z'), `${HEADER}\n${record(T0, 40001)}\n${record(T0 + 1, 40002)}\n`);
    const counted = follow(aws, clock, async () => false, { limit: 1 });
    expect(await counted.done).toMatchObject({ ended: 'count', printed: 1 });
    const stop = new AbortController();
    const stopped = follow(aws, clock, async () => {
      stop.abort();
      return false;
    }, { signal: stop.signal });
    expect(await stopped.done).toMatchObject({ ended: 'interrupted' });
  });

  test('finished: the manifest says analyzed; or no flow log delivers there any more and the settle time has passed', async () => {
    const aws = new FakeAws();
    const clock = new FakeClock('2026-05-01T12:00:00Z');
    const place = { type: 's3' as const, bucket: BUCKET, prefix: 'cap/' };
    aws.flowLogs.set('fl-1', { id: 'fl-1', resourceId: 'eni-1', destinationType: 's3', destination: `arn:aws:s3:::${BUCKET}/cap/`, tags: {} });
    let state: CaptureManifest['state'] = 'active';
    const byManifest = finishedWhen(place, { ec2: aws.ec2, clock }, async () => ({ state }) as CaptureManifest);
    expect(await byManifest()).toBe(false);
    state = 'analyzed';
    expect(await byManifest()).toBe(true);

    const byFlowLog = finishedWhen(place, { ec2: aws.ec2, clock });
    expect(await byFlowLog()).toBe(false);
    aws.flowLogs.clear();
    expect(await byFlowLog()).toBe(false);
    clock.advance(FOLLOW_SETTLE_MS - 1);
    expect(await byFlowLog()).toBe(false);
    clock.advance(1);
    expect(await byFlowLog()).toBe(true);
    // a place no flow log ever delivered to while followed: what is there is all there is
    expect(await finishedWhen({ type: 'logs', group: '/old' }, { ec2: aws.ec2, clock })()).toBe(true);
  });
});
