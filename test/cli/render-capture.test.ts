/**
 * What a user reads about a capture's safety net: the plan before the confirmation, the line when
 * it starts (and start --detach), and list's SAFETY NET column.
 */
import { describe, expect, test } from 'vitest';
import { parseDestination } from '../../src/capture/destination.js';
import { NO_SAFETY_NET_NOTE } from '../../src/capture/lifecycle.js';
import { planCapture } from '../../src/capture/plan.js';
import { resolveTarget } from '../../src/capture/targets.js';
import { paint } from '../../src/cli/io.js';
import { describeEvent, describeSafetyNet, renderCaptureList, renderPlan } from '../../src/cli/render/capture.js';
import { findPreset } from '../../src/format/presets.js';
import { FakeAws } from '../capture/fakes.js';

async function plan() {
  const aws = new FakeAws();
  aws.addInstance('i-0aaaaaaaaaaaaaaa1', 'web-1', 1);
  const preset = findPreset('handshake');
  return planCapture({
    id: 'fd-20260501-120000-5afe',
    target: await resolveTarget({ kind: 'instance', value: 'i-0aaaaaaaaaaaaaaa1' }, aws.ec2, { where: 'in eu-west-1' }),
    format: { preset, bytesPerRecord: preset.bytesPerRecord },
    destination: parseDestination(undefined),
    defaultBucket: 'flowdump-111122223333-eu-west-1',
    fileFormat: 'text',
    traffic: 'ALL',
    durationSeconds: 15 * 60 + 20,
    now: new Date('2026-05-01T12:00:00Z'),
    account: '111122223333',
    region: 'eu-west-1',
    createdBy: 'test',
    keep: false,
  });
}

describe('the safety net, as the user reads it', () => {
  test('the plan says when the server-side teardown fires, or plainly that there is none', async () => {
    const p = paint(false);
    const withNet = renderPlan(await plan(), p);
    expect(withNet).toContain('  duration     15m20s · expires 2026-05-01T12:15:20Z\n');
    expect(withNet).toContain('  safety net   EventBridge Scheduler deletes the flow log at 2026-05-01 12:18Z if nothing has by then (flowdump/flowdump-fd-20260501-120000-5afe)\n');
    const without = renderPlan(await plan(), p, { safetyNet: false });
    expect(without).toContain('  safety net   none (--no-safety-net): if this machine stops first, nothing deletes the flow log until flowdump sweep runs\n');
  });

  test('the created line and start --detach name the schedule and its time, or say there is none', () => {
    const armed = { id: 'fd-1', safetyNet: { armed: true as const, schedule: 'flowdump/flowdump-fd-1', fireAt: '2026-05-01T12:18:00.000Z' } };
    expect(describeSafetyNet(armed)).toBe('safety net: EventBridge Scheduler schedule flowdump/flowdump-fd-1 deletes the flow log at 2026-05-01 12:18Z if nothing has by then');
    expect(describeSafetyNet({ id: 'fd-1', safetyNet: { armed: false, note: NO_SAFETY_NET_NOTE } })).toBe(
      'no safety net (--no-safety-net): nothing server-side deletes the flow log; if no flowdump stop or sweep runs, it keeps running',
    );
    expect(describeSafetyNet({ id: 'fd-1' })).toBe('safety net: unknown (a capture from before safety nets, or rebuilt from its tags)');
    expect(describeEvent({ type: 'disarmed', id: 'fd-1' })).toBe('fd-1: safety net removed; nothing is left scheduled');
  });

  test('list has a SAFETY NET column: armed with its time, missing, none, unknown, or - once the flow log is gone', () => {
    const row = (id: string, safetyNet?: Parameters<typeof renderCaptureList>[0][number]['safetyNet']) => ({ id, state: safetyNet ? 'active' : 'cleaned', target: 'interface eni-1', ...(safetyNet ? { safetyNet } : {}) });
    const text = renderCaptureList([
      row('fd-a', { status: 'armed', name: 'flowdump/flowdump-fd-a', fireAt: '2026-05-01T12:18:00.000Z' }),
      row('fd-b', { status: 'missing', name: 'flowdump/flowdump-fd-b' }),
      row('fd-c', { status: 'none' }),
      row('fd-d', { status: 'unknown' }),
      row('fd-e'),
    ]);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/SAFETY NET$/);
    expect(lines.slice(1).map((line) => line.trimEnd().split(/\s{2,}/).pop())).toEqual(['armed, fires 12:18Z', 'missing', 'none', 'unknown', '-']);
  });
});
