/**
 * How captures show their cost: the plan (start, --dry-run, the wizard's confirmation) with the
 * same estimate `flowdump estimate` prints, the cap and its promise, the warning when the cap is
 * likely to end a capture early, the summary's capture facts (estimate beside actual, why it
 * stopped) and the list's columns.
 */
import { describe, expect, test } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { captureEstimateOf } from '../../src/capture/cost.js';
import { parseDestination } from '../../src/capture/destination.js';
import { planCapture, type CapturePlanOptions } from '../../src/capture/plan.js';
import { resolveTarget } from '../../src/capture/targets.js';
import { capWarning, suggestCap } from '../../src/cli/commands/start.js';
import { paint } from '../../src/cli/io.js';
import { renderCaptureFacts, renderCaptureList, renderPlan } from '../../src/cli/render/capture.js';
import { estimateCost } from '../../src/cost/estimate.js';
import { loadPriceTable } from '../../src/cost/pricing.js';
import { statedRecordRate } from '../../src/cost/record-rate.js';
import { estimateRecordBytes } from '../../src/cost/record-size.js';
import { findPreset } from '../../src/format/presets.js';
import { FakeAws } from '../capture/fakes.js';

const plain = paint(false);
const preset = findPreset('handshake');

async function options(extra: Partial<CapturePlanOptions> = {}): Promise<CapturePlanOptions> {
  const aws = new FakeAws();
  aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
  const target = await resolveTarget({ kind: 'instance', value: 'i-0aaaaaaaaaaaaaaa1' }, aws.ec2, { where: 'here' });
  return {
    id: 'fd-20260501-120000-aaaa',
    target,
    format: { preset, bytesPerRecord: preset.bytesPerRecord },
    destination: parseDestination(undefined),
    defaultBucket: 'flowdump-1-us-east-1',
    fileFormat: 'text',
    traffic: 'ALL',
    durationSeconds: 900,
    now: new FakeClock('2026-05-01T12:00:00Z').now(),
    account: '1',
    region: 'us-east-1',
    createdBy: 'test',
    keep: false,
    ...extra,
  };
}

/** The estimate of 2,000 records/min for 15 minutes to S3 in us-east-1 (the docs' example). */
function estimate() {
  return estimateCost({
    rate: statedRecordRate(2000),
    durationMinutes: 15,
    recordSize: estimateRecordBytes(preset.format.fields),
    formatName: 'handshake',
    destination: 's3',
    region: 'us-east-1',
    prices: loadPriceTable(),
  });
}

describe('the plan', () => {
  test('shows the estimate as flowdump estimate does (range, per hour if left running, what it assumes) and the cap', async () => {
    const full = estimate();
    const plan = planCapture(await options({ estimate: captureEstimateOf(full), maxCostUsd: 0.5 }));
    const text = renderPlan(plan, plain);
    expect(text).toContain('  estimate     $0.00098 for 15m · $0.0039 per hour if left running\n');
    expect(text).toContain('               30,000 records, 3.9 MB of record text · flowdump price table');
    for (const assumption of full.assumptions) expect(text).toContain(`               - ${assumption}\n`);
    expect(text).toContain('  cost cap     $0.50 (--max-cost): checked every minute, stopped before the projection crosses it; a burst can carry it past by about one S3 batch (5 minutes of records)\n');
  });

  test('without an estimate says why and that the capture goes on', async () => {
    const plan = planCapture(await options({ estimateError: 'no metric shows how busy instance i-0aaaaaaaaaaaaaaa1 (web-1) is' }));
    const text = renderPlan(plan, plain);
    expect(text).toContain('  estimate     no estimate: no metric shows how busy instance i-0aaaaaaaaaaaaaaa1 (web-1) is\n');
    expect(text).toContain('the capture goes on without one');
    expect(text).not.toContain('cost cap');
  });

  test('warns when the cap will likely end the capture early, and suggests a cap above the range', async () => {
    const full = captureEstimateOf(estimate());
    expect(capWarning(planCapture(await options({ estimate: full, maxCostUsd: 1 })))).toBeUndefined();
    expect(capWarning(planCapture(await options({ estimate: { ...full, low: 0.0001 }, maxCostUsd: 0.0005 })))).toBe(
      'the high end of the estimate ($0.00098) is above --max-cost $0.0005: until the first data arrives (~10 min for S3, ~5 for CloudWatch Logs) the guard projects at that rate, and it stops the capture if real deliveries get there',
    );
    // a stated rate has no range: its low end is its high end
    expect(capWarning(planCapture(await options({ estimate: full, maxCostUsd: 0.0005 })))).toBe('even the low end of the estimate ($0.00098) reaches --max-cost $0.0005: the guard will stop this capture before its time is up');
    expect(suggestCap(full)).toBe('0.1');
    expect(suggestCap({ high: 3 })).toBe('10');
    expect(suggestCap({ high: 4000 })).toBe('8000');
    expect(suggestCap(undefined)).toBe('');
  });
});

describe('the capture facts under a summary', () => {
  test('estimate beside actual, what was delivered, and the cap that stopped it', () => {
    const text = renderCaptureFacts(
      {
        id: 'fd-1',
        target: 'instance i-1 (web-1)',
        region: 'us-east-1',
        createdAt: '2026-05-01T12:00:00.000Z',
        estimateUsd: { low: 0.001, high: 0.4 },
        actualUsd: 0.48,
        maxCostUsd: 0.5,
        delivered: { objects: 4, bytes: 200_000, uncompressedBytes: 2_000_000, measuredBy: 'the record text the analysis read (decompressed)' },
        costGuard: { at: '2026-05-01T12:18:00.000Z', maxCostUsd: 0.5, reason: 'stopping before --max-cost $0.50: …', spentUsd: 0.12, deliveredBytes: 1, projectedUsd: 0.49, projectedUsdAtEnd: 1.5, rateSource: 'observed' },
      },
      plain,
    );
    expect(text).toContain('Cost             estimated $0.001 – $0.40 · actual $0.48, above the estimate · cap $0.50\n');
    expect(text).toContain('                 1.9 MB of record text (the record text the analysis read (decompressed)) in 4 object(s), 195 KB stored\n');
    expect(text).toContain('Stopped early    by --max-cost $0.50 at 12:18 UTC: stopping before --max-cost $0.50: …\n');
    expect(text).toContain('                 $0.12 delivered at the stop, $0.49 projected once the data in flight lands; $1.50 had it run to the end\n');
  });

  test('list: cost so far beside the estimate and the cap', () => {
    const text = renderCaptureList([{ id: 'fd-1', state: 'active', target: 'instance i-1', timeLeftSeconds: 600, objects: 2, bytes: 4096, costUsd: 0.0021, estimateUsd: { low: 0.001, high: 0.4 }, maxCostUsd: 0.5 }]);
    expect(text).toMatch(/COST\s+ESTIMATE\s+CAP\s+SAFETY NET\n/);
    expect(text).toMatch(/fd-1\s+active\s+instance i-1\s+10m\s+4\.0 KB \(2\)\s+\$0\.0021\s+\$0\.001 – \$0\.40\s+\$0\.50\s+-\n/);
  });
});
