import { describe, expect, test } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { parseDestination } from '../../src/capture/destination.js';
import { finishCapture, startCapture } from '../../src/capture/lifecycle.js';
import { planCapture } from '../../src/capture/plan.js';
import { resolveTarget } from '../../src/capture/targets.js';
import type { Explanation } from '../../src/explain/model.js';
import { findPreset } from '../../src/format/presets.js';
import { FakeAws, fakeDeps } from './fakes.js';

const BUCKET = 'flowdump-111122223333-eu-west-1';
const HEADER = 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status';

/** A capture with one rejected SYN to 10.0.1.10:5432, finished with `explain` as given. */
async function finishWith(explain: ((summary: import('../../src/analyze/summary.js').Summary) => Promise<Explanation[]>) | undefined) {
  const aws = new FakeAws();
  aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'db-1', 1);
  const clock = new FakeClock('2026-05-01T12:00:00.000Z');
  const texts: string[] = [];
  const deps = fakeDeps(aws, clock, {
    ...(explain ? { explain } : {}),
    renderText: (summary) => (texts.push(`${summary.headline} | ${(summary.explanations ?? []).map((e) => `${e.peer} ${e.verdict}`).join(', ')}`), 'text\n'),
  });
  const target = await resolveTarget({ kind: 'instance', value: 'i-0aaaaaaaaaaaaaaa1' }, aws.ec2, { where: 'in eu-west-1' });
  const preset = findPreset('handshake');
  const plan = planCapture({
    id: 'fd-20260501-120000-bbbb',
    target,
    format: { preset, bytesPerRecord: preset.bytesPerRecord },
    destination: parseDestination(undefined),
    defaultBucket: BUCKET,
    fileFormat: 'text',
    traffic: 'ALL',
    durationSeconds: 15 * 60,
    now: clock.now(),
    account: '111122223333',
    region: 'eu-west-1',
    createdBy: 'arn:aws:iam::111122223333:user/oncall',
    keep: false,
  });
  const manifest = await startCapture(plan, deps);
  const at = Date.parse('2026-05-01T12:00:00Z') / 1000;
  const eni = plan.resourceIds[0];
  const prefix = plan.location.type === 's3' ? plan.location.prefix : '';
  aws.putDataFile(
    BUCKET,
    `${prefix}AWSLogs/111122223333/vpcflowlogs/eu-west-1/2026/05/01/111122223333_vpcflowlogs_eu-west-1_${manifest.flowLogIds[0]}_20260501T1200Z_abcd1234.log.gz`,
    `${HEADER}\n5 ${eni} ingress 10.9.0.5 40001 10.0.1.10 5432 10.9.0.5 10.0.1.10 6 2 1 60 ${at} ${at + 30} REJECT OK\n`,
  );
  clock.set('2026-05-01T12:15:00Z');
  const result = await finishCapture(manifest, deps, { settleTimeoutMs: 0, waitForSettle: false, reason: 'test', pollMs: 30_000 });
  return { result, texts, events: deps.events, aws };
}

describe("a capture's summary and the explanation seam", () => {
  test('the explanations are in the summary before it is rendered and stored', async () => {
    const seen: number[] = [];
    const { result, texts } = await finishWith(async (summary) => {
      seen.push(summary.tcp.rejected);
      return [{ peer: '10.0.1.10:5432', class: 'rejected', clients: ['10.9.0.5'], verdict: 'security-group', resource: 'sg-db', direction: 'inbound', detail: 'no rule', readAt: '2026-05-01T12:15:00Z' }];
    });
    expect(seen).toEqual([1]);
    expect(result.manifest.state).toBe('cleaned');
    expect(result.summary?.explanations).toEqual([expect.objectContaining({ peer: '10.0.1.10:5432', verdict: 'security-group', resource: 'sg-db' })]);
    expect(texts).toEqual([expect.stringContaining('| 10.0.1.10:5432 security-group')]);
  });

  test('an explanation that fails is a warning: the summary is still written and the data cleaned', async () => {
    const { result, events } = await finishWith(async () => {
      throw new Error('EC2 is unreachable');
    });
    expect(result.manifest.state).toBe('cleaned');
    expect(result.summary?.explanations).toBeUndefined();
    expect(events).toContainEqual(expect.objectContaining({ type: 'warning', message: expect.stringContaining('could not explain the failures of capture fd-20260501-120000-bbbb (EC2 is unreachable)') }));
  });

  test('without the seam (--no-explain) the summary has no explanations key', async () => {
    const { result } = await finishWith(undefined);
    expect(result.summary?.tcp.rejected).toBe(1);
    expect(result.summary && 'explanations' in result.summary).toBe(false);
  });
});
