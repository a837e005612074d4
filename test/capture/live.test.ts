import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { analyzeSources } from '../../src/analyze/run.js';
import type { Source } from '../../src/analyze/sources.js';
import { scaledClock } from '../../src/capture/clock.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { DeliveryFeed, type Delivery } from '../../src/capture/deliveries.js';
import { parseDestination } from '../../src/capture/destination.js';
import type { CaptureEvent } from '../../src/capture/lifecycle.js';
import { startCapture } from '../../src/capture/lifecycle.js';
import { captureFeedPlace, LiveFold, PROVISIONAL_NOTE, type LiveEvent } from '../../src/capture/live.js';
import { planCapture, type CapturePlan } from '../../src/capture/plan.js';
import { runCapture } from '../../src/capture/run.js';
import { resolveTarget } from '../../src/capture/targets.js';
import { findPreset } from '../../src/format/presets.js';
import { parseLogFormat } from '../../src/format/template.js';
import { FakeAws, fakeDeps } from './fakes.js';

const BUCKET = 'flowdump-111122223333-eu-west-1';
const START = '2026-05-01T12:00:00.000Z';
const T0 = Date.parse(START) / 1000;
const ENI = 'eni-0aaaaaaaa00000000000';
const HEADER = 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status';
const DAY_PATH = 'AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/';

/** records of one handshake-format file: an established connection, and a SYN to 10.0.2.20:5432 that nobody answers */
function established(at: number, clientPort = 40001): string[] {
  return [
    `5 ${ENI} egress 10.0.1.10 ${clientPort} 10.0.2.30 443 10.0.1.10 10.0.2.30 6 2 1 60 ${at} ${at + 30} ACCEPT OK`,
    `5 ${ENI} ingress 10.0.2.30 443 10.0.1.10 ${clientPort} 10.0.2.30 10.0.1.10 6 18 1 60 ${at} ${at + 30} ACCEPT OK`,
  ];
}
function unanswered(at: number, syns = 3): string[] {
  return [`5 ${ENI} egress 10.0.1.10 40100 10.0.2.20 5432 10.0.1.10 10.0.2.20 6 2 ${syns} ${60 * syns} ${at} ${at + 25} ACCEPT OK`];
}
/** the reply to the SYN above, in a later delivery */
function synAckFor(at: number): string[] {
  return [`5 ${ENI} ingress 10.0.2.20 5432 10.0.1.10 40100 10.0.2.20 10.0.1.10 6 18 1 60 ${at} ${at + 25} ACCEPT OK`];
}
const file = (lines: string[]) => `${HEADER}\n${lines.join('\n')}\n`;
const key = (prefix: string, stamp: string, tag = 'a') => `${prefix}${DAY_PATH}111122223333_vpcflowlogs_eu-west-1_fl-1_${stamp}_${tag}.log.gz`;

function textSource(name: string, text: string): Source {
  return {
    name,
    async *bytes() {
      yield gzipSync(text);
    },
  };
}
const delivery = (name: string, text: string): Delivery => ({ source: textSource(name, text), bytes: text.length });

describe('the delivery feed', () => {
  test('S3: every object once, in delivery order; after the first poll it lists from the newest day folder on (StartAfter)', async () => {
    const aws = new FakeAws();
    const feed = new DeliveryFeed({ type: 's3', bucket: BUCKET, prefix: 'flowdump/x/AWSLogs/' }, aws);
    aws.putDataFile(BUCKET, key('flowdump/x/', '20260501T1200Z'), file(established(T0)));
    aws.putDataFile(BUCKET, 'flowdump/x/capture.json', '{}');
    const first = await feed.next();
    expect(first.map((d) => d.source.name)).toEqual([`s3://${BUCKET}/${key('flowdump/x/', '20260501T1200Z')}`]);
    expect(await feed.next()).toEqual([]);
    aws.putDataFile(BUCKET, key('flowdump/x/', '20260501T1205Z'), file(established(T0 + 300)));
    const second = await feed.next();
    expect(second.map((d) => d.source.name)).toEqual([`s3://${BUCKET}/${key('flowdump/x/', '20260501T1205Z')}`]);
    const lists = aws.log.filter((line) => line.startsWith('s3:ListObjectsV2'));
    expect(lists[0]).toBe('s3:ListObjectsV2 flowdump/x/AWSLogs/ after -');
    expect(lists[1]).toBe('s3:ListObjectsV2 flowdump/x/AWSLogs/ after flowdump/x/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01');
    // every tenth poll lists the whole prefix: a file in a folder the shortcut skips is still found, once
    aws.putDataFile(BUCKET, 'flowdump/x/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/04/30/late_fl-1_20260430T2300Z_a.log.gz', file(established(T0)));
    const found: string[] = [];
    for (let poll = 4; poll <= 12; poll++) found.push(...(await feed.next()).map((d) => d.source.name));
    expect(found).toEqual([`s3://${BUCKET}/flowdump/x/AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/04/30/late_fl-1_20260430T2300Z_a.log.gz`]);
    const after = aws.log.filter((line) => line.startsWith('s3:ListObjectsV2')).map((line) => line.split(' after ')[1]);
    expect(after.map((start) => start === '-')).toEqual([true, ...Array(9).fill(false), true, false]);
  });

  test('S3: a file of the first hour of a day lists the day before too (a late file of 23:55 lands there)', async () => {
    const aws = new FakeAws();
    const feed = new DeliveryFeed({ type: 's3', bucket: BUCKET, prefix: 'p/' }, aws);
    aws.putDataFile(BUCKET, 'p/AWSLogs/1/vpcflowlogs/r/2026/05/02/1_vpcflowlogs_r_fl-1_20260502T0000Z_a.log.gz', file(established(T0)));
    await feed.next();
    expect(feed.startAfter()).toBe('p/AWSLogs/1/vpcflowlogs/r/2026/05/01');
    aws.putDataFile(BUCKET, 'p/AWSLogs/1/vpcflowlogs/r/2026/05/01/1_vpcflowlogs_r_fl-1_20260501T2355Z_a.log.gz', file(established(T0)));
    expect((await feed.next()).map((d) => d.source.name)).toEqual([`s3://${BUCKET}/p/AWSLogs/1/vpcflowlogs/r/2026/05/01/1_vpcflowlogs_r_fl-1_20260501T2355Z_a.log.gz`]);
  });

  test('CloudWatch Logs: each event once, from a little before the newest one seen; flowdump\'s own streams are not data', async () => {
    const aws = new FakeAws();
    await aws.logs.createLogGroup('/flowdump/x', {});
    await aws.logs.createLogStream('/flowdump/x', 'eni-1-all');
    await aws.logs.createLogStream('/flowdump/x', 'flowdump-manifest');
    await aws.logs.putLogEvents('/flowdump/x', 'flowdump-manifest', [{ timestamp: T0 * 1000, message: '{"id":"x"}' }]);
    await aws.logs.putLogEvents('/flowdump/x', 'eni-1-all', [{ timestamp: T0 * 1000, message: 'line 1' }]);
    const seen: string[] = [];
    const asks: (number | undefined)[] = [];
    const logs = { ...aws.logs, filterLogEvents: (options: { group: string; startTime?: number }) => (asks.push(options.startTime), aws.logs.filterLogEvents(options)) };
    const feed = new DeliveryFeed({ type: 'logs', group: '/flowdump/x' }, { s3: aws.s3, logs }, { sinceMs: T0 * 1000 - 60_000, lookbackMs: 120_000 });
    const read = async () => {
      for (const d of await feed.next()) for await (const line of d.source.lines!()) seen.push(`${d.source.name} ${line}`);
    };
    await read();
    // an event stamped before the newest one (late ingestion), and a new one
    await aws.logs.putLogEvents('/flowdump/x', 'eni-1-all', [{ timestamp: T0 * 1000 - 30_000, message: 'line 0 (late)' }, { timestamp: T0 * 1000 + 60_000, message: 'line 2' }]);
    await read();
    await read();
    expect(seen).toEqual(['logs:/flowdump/x/eni-1-all line 1', 'logs:/flowdump/x/eni-1-all line 0 (late)', 'logs:/flowdump/x/eni-1-all line 2']);
    expect(asks).toEqual([T0 * 1000 - 60_000, T0 * 1000 - 60_000, T0 * 1000 + 60_000 - 120_000]);
  });
});

describe('the running fold', () => {
  const manifest = { id: 'fd-20260501-120000-aaaa', format: { template: findPreset('handshake').template, bytesPerRecord: 0 } };

  test('a newly failing server peer is one line (time, class, client → server, SYNs so far), said once; the status counts so far', async () => {
    const fold = new LiveFold(manifest);
    const first = await fold.add([delivery('s3://b/1.log.gz', file([...established(T0), ...unanswered(T0 + 5)]))]);
    const failures = first.filter((e) => e.type === 'live-failure');
    expect(failures).toEqual([
      {
        type: 'live-failure',
        id: manifest.id,
        failure: { class: 'unanswered', at: '2026-05-01T12:00:30Z', client: { address: '10.0.1.10', port: 40100 }, server: { address: '10.0.2.20', port: 5432 }, syns: 3, connections: 1 },
      },
    ]);
    expect(first.at(-1)).toMatchObject({ type: 'live-status', status: { connections: 2, unanswered: 1, deliveries: 1 } });
    // the same peer failing again is no new line; the count grows
    const second = await fold.add([delivery('s3://b/2.log.gz', file(unanswered(T0 + 65)))]);
    expect(second.filter((e) => e.type === 'live-failure')).toEqual([]);
    expect(second.at(-1)).toMatchObject({ type: 'live-status', status: { connections: 2, unanswered: 1, deliveries: 2, records: 4 } });
    expect(await fold.add([])).toEqual([]);
  });

  test('folding deliveries one by one ends where reading them all at once does (a reply in a later delivery turns the verdict)', async () => {
    const texts = [file([...established(T0), ...unanswered(T0 + 5)]), file([...synAckFor(T0 + 6), ...established(T0 + 60, 40002)]), file(unanswered(T0 + 120, 1))];
    const fold = new LiveFold(manifest);
    let last: LiveEvent | undefined;
    for (const [i, text] of texts.entries()) last = (await fold.add([delivery(`s3://b/${i}.log.gz`, text)])).at(-1);
    const format = parseLogFormat(manifest.format.template, 'flow-log', 'test');
    const { summary } = await analyzeSources(texts.map((text, i) => textSource(`s3://b/${i}.log.gz`, text)), { format });
    expect(last).toMatchObject({ type: 'live-status', status: { connections: summary.tcp.connections, unanswered: summary.tcp.unanswered, records: summary.records.total, headline: summary.headline } });
    expect(summary.tcp).toMatchObject({ connections: 3, established: 3 });
  });

  test('a truncated delivery is one sentence and the fold goes on with the next one', async () => {
    const fold = new LiveFold(manifest);
    const whole = gzipSync(file(established(T0)));
    const truncated: Delivery = {
      bytes: 10,
      source: {
        name: 's3://b/cut.log.gz',
        async *bytes() {
          yield whole.subarray(0, whole.length - 12);
        },
      },
    };
    const events = await fold.add([truncated, delivery('s3://b/next.log.gz', file(unanswered(T0)))]);
    const problems = events.filter((e) => e.type === 'live-problem').map((e) => (e as { message: string }).message);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^s3:\/\/b\/cut\.log\.gz is a truncated gzip file .*; the capture goes on/);
    // what was read before the cut counts, and the next delivery is read whole
    expect(events.filter((e) => e.type === 'live-failure').map((e) => (e as { failure: { server: { port: number } } }).failure.server.port)).toContain(5432);
  });

  test('malformed lines in a delivery: one sentence naming it', async () => {
    const fold = new LiveFold(manifest);
    const events = await fold.add([delivery('s3://b/odd.log.gz', `${HEADER}\n${established(T0)[0]}\nthis is no record\n`)]);
    expect(events.filter((e) => e.type === 'live-problem')).toEqual([{ type: 'live-problem', id: manifest.id, message: 's3://b/odd.log.gz: 1 malformed line skipped; the capture goes on' }]);
  });
});

async function plan(aws: FakeAws, clock: { now(): Date }, id: string, destination?: string): Promise<CapturePlan> {
  const target = await resolveTarget({ kind: 'instance', value: aws.instances[0].id }, aws.ec2, { where: 'in eu-west-1' });
  const preset = findPreset('handshake');
  return planCapture({
    id,
    target,
    format: { preset, bytesPerRecord: preset.bytesPerRecord },
    destination: parseDestination(destination),
    defaultBucket: BUCKET,
    fileFormat: 'text',
    traffic: 'ALL',
    durationSeconds: 10 * 60,
    now: clock.now(),
    account: '111122223333',
    region: 'eu-west-1',
    createdBy: 'arn:aws:iam::111122223333:user/oncall',
    keep: false,
  });
}

/** A 10-minute foreground capture whose data arrives in two files, the second (with the failure) 6 minutes in. */
async function foreground(id: string, live: boolean) {
  const aws = new FakeAws();
  aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
  // real time, 600 times faster: the live view and the capture's loop run side by side as they do
  // in a terminal (a fake clock that jumps on every sleep would let the loop race past the reads)
  const clock = scaledClock(Date.parse(START) - Date.now(), 600);
  const deps = fakeDeps(aws, new FakeClock(START), { clock });
  const manifest = await startCapture(await plan(aws, clock, id), deps);
  const prefix = `flowdump/${id}/`;
  aws.putDataFile(BUCKET, key(prefix, '20260501T1200Z'), file(established(T0)));
  const events: CaptureEvent[] = [];
  let seeded = false;
  deps.reporter.event = (event) => {
    events.push(event);
    if (!seeded && event.type === 'progress' && event.timeLeftSeconds <= 4 * 60) {
      seeded = true;
      aws.putDataFile(BUCKET, key(prefix, '20260501T1205Z'), file([...established(T0 + 300, 40009), ...unanswered(T0 + 305)]));
      // the last window, for the settle
      aws.putDataFile(BUCKET, key(prefix, '20260501T1210Z', 'z'), file(established(T0 + 600, 40010)));
    }
  };
  const result = await runCapture(manifest, deps, { settleTimeoutMs: 60_000, stopSignal: new AbortController().signal, skipSignal: new AbortController().signal, ...(live ? { live: { pollMs: 15_000 } } : {}) });
  return { result, events, manifest, aws };
}

describe('the foreground run with the live view', () => {
  test('a failure delivered mid-capture is a live line before the teardown; the final summary is the same without the live view', async () => {
    const withLive = await foreground('fd-20260501-120000-aaaa', true);
    const without = await foreground('fd-20260501-120000-aaaa', false);
    const types = withLive.events.map((e) => e.type);
    const failure = types.indexOf('live-failure');
    expect(failure).toBeGreaterThan(-1);
    expect(failure).toBeLessThan(types.indexOf('stopping'));
    expect(withLive.events.filter((e) => e.type === 'live-note')).toEqual([{ type: 'live-note', id: withLive.manifest.id, message: PROVISIONAL_NOTE }]);
    // nothing of the live view after the stop
    expect(types.slice(types.indexOf('stopping')).some((type) => type.startsWith('live-'))).toBe(false);
    expect(without.events.some((e) => e.type.startsWith('live-'))).toBe(false);
    expect(withLive.result.summary!.tcp.unanswered).toBe(1);
    expect(JSON.stringify(withLive.result.summary)).toBe(JSON.stringify(without.result.summary));
    expect(withLive.result.summaryText).toBe(without.result.summaryText);
    expect(withLive.result.manifest.state).toBe('cleaned');
  });

  test('each delivered object is folded into the live view once', async () => {
    const run = await foreground('fd-20260501-120000-bbbb', true);
    // three objects, each folded once: 2 + 3 + 2 records, no object counted twice
    const status = run.events.filter((e) => e.type === 'live-status').at(-1) as Extract<LiveEvent, { type: 'live-status' }>;
    expect(status.status.deliveries).toBe(3);
    expect(status.status.records).toBe(2 + 3 + 2);
  });

  test('a live read stuck in flight never holds up the stop; a failing poll is said once and the capture goes on', async () => {
    for (const fault of ['hang', 'throw'] as const) {
      const aws = new FakeAws();
      aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
      const clock = new FakeClock(START);
      const deps = fakeDeps(aws, clock);
      const id = 'fd-20260501-120000-cccc';
      const manifest = await startCapture(await plan(aws, clock, id), deps);
      aws.putDataFile(BUCKET, key(`flowdump/${id}/`, '20260501T1210Z'), file(established(T0 + 600)));
      aws.s3.listObjectsAfter = () => ({
        [Symbol.asyncIterator]: () => ({
          next: () => (fault === 'hang' ? new Promise<never>(() => undefined) : Promise.reject(new Error('SlowDown: Please reduce your request rate'))),
        }),
      });
      const result = await runCapture(manifest, deps, { settleTimeoutMs: 60_000, stopSignal: new AbortController().signal, skipSignal: new AbortController().signal, live: {} });
      expect(result.manifest.state).toBe('cleaned');
      expect(result.summary!.tcp.connections).toBe(1);
      const problems = deps.events.filter((e) => e.type === 'live-problem');
      expect(problems).toEqual(fault === 'hang' ? [] : [{ type: 'live-problem', id, message: 'could not read new deliveries for the live view (SlowDown: Please reduce your request rate); trying again' }]);
    }
  });

  test('the live view reads only the capture\'s own place', () => {
    const places = { account: '111122223333', defaultBucket: BUCKET, recorded: [] };
    expect(captureFeedPlace({ id: 'fd-20260501-120000-aaaa', destination: { type: 's3', bucket: BUCKET, prefix: 'flowdump/fd-20260501-120000-aaaa/' } }, places)).toEqual({
      type: 's3',
      bucket: BUCKET,
      prefix: 'flowdump/fd-20260501-120000-aaaa/AWSLogs/',
    });
    expect(() => captureFeedPlace({ id: 'fd-20260501-120000-aaaa', destination: { type: 's3', bucket: 'someone-else', prefix: 'flowdump/fd-20260501-120000-aaaa/' } }, places)).toThrow(/not where flowdump puts capture/);
  });
});
