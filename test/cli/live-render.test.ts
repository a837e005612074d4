import { describe, expect, test } from 'vitest';
import { createContext } from '../../src/cli/context.js';
import { cliReporter } from '../../src/cli/reporter.js';
import { renderLiveFailure, renderLiveStatus } from '../../src/cli/render/live.js';
import { paint } from '../../src/cli/io.js';
import type { CaptureEvent } from '../../src/capture/lifecycle.js';

const plain = paint(false);

function io(tty: boolean, columns = 200) {
  const out: string[] = [];
  const stream = { write: (text: string) => out.push(text), isTTY: tty, columns };
  return { out, ctx: createContext({ stdout: stream, stderr: stream, stdin: [] as never, env: { NO_COLOR: '1' } }) };
}

const status = (connections: number, unanswered: number, deliveries: number): CaptureEvent => ({
  type: 'live-status',
  id: 'fd-1',
  status: { records: connections * 2, deliveries, connections, refused: 0, unanswered, rejected: 0, headline: '' },
});
const failure: CaptureEvent = {
  type: 'live-failure',
  id: 'fd-1',
  failure: { class: 'unanswered', at: '2026-05-01T08:04:25Z', client: { address: '10.0.1.10', port: 40100 }, server: { address: '10.0.2.20', port: 5432 }, syns: 3, connections: 1 },
};
const progress: CaptureEvent = { type: 'progress', id: 'fd-1', timeLeftSeconds: 540, objects: 2, bytes: 2048, costSoFar: 0.00012 };

describe('the live view on the screen', () => {
  test('a newly failing peer reads like a tcpdump event', () => {
    expect(renderLiveFailure((failure as Extract<CaptureEvent, { type: 'live-failure' }>).failure, plain)).toBe('08:04:25  unanswered  10.0.1.10 → 10.0.2.20:5432  (3 SYNs so far, no reply)');
    expect(renderLiveFailure({ class: 'refused', at: '2026-05-01T08:04:26Z', client: { address: 'fd00::1', port: 1 }, server: { address: 'fd00::2', port: 80 }, syns: 1, connections: 4 }, plain)).toBe(
      '08:04:26  refused     fd00::1 → [fd00::2]:80  (1 SYN so far, refused with a reset, 4 connections)',
    );
    expect(renderLiveFailure({ class: 'rejected', at: null, server: { address: '10.0.2.9', port: 22 }, connections: 2 }, plain)).toBe(
      '--:--:--  rejected    → 10.0.2.9:22  (2 connections so far, rejected by a security group or network ACL)',
    );
    expect(renderLiveStatus({ records: 0, deliveries: 0, connections: 0, refused: 0, unanswered: 0, rejected: 0, headline: '' })).toBe('live: nothing delivered yet');
    expect(renderLiveStatus({ records: 1200, deliveries: 3, connections: 14, refused: 1, unanswered: 2, rejected: 0, headline: '' })).toBe(
      'live: 14 connections, 3 failing (2 unanswered, 1 refused) so far · 1,200 records in 3 deliveries',
    );
  });

  test('on a terminal: the running headline joins the progress line with the stop key, captured bytes and cost; a failure line stays and the live line comes back under it', () => {
    const { out, ctx } = io(true);
    const reporter = cliReporter(ctx);
    reporter.event(status(0, 0, 0));
    reporter.event(progress);
    reporter.event(status(14, 1, 2));
    reporter.event(failure);
    reporter.event({ type: 'stopping', id: 'fd-1', reason: 'time budget reached' });
    expect(out).toEqual([
      'live: nothing delivered yet · Ctrl-C stops now and summarizes',
      '\r\u001b[2K',
      '9m left · live: nothing delivered yet · Ctrl-C stops now and summarizes (2.0 KB captured, $0.00012 so far)',
      '\r\u001b[2K',
      '9m left · live: 14 connections, 1 failing (1 unanswered) so far · 28 records in 2 deliveries · Ctrl-C stops now and summarizes (2.0 KB captured, $0.00012 so far)',
      '\r\u001b[2K',
      '08:04:25  unanswered  10.0.1.10 → 10.0.2.20:5432  (3 SYNs so far, no reply)\n',
      '9m left · live: 14 connections, 1 failing (1 unanswered) so far · 28 records in 2 deliveries · Ctrl-C stops now and summarizes (2.0 KB captured, $0.00012 so far)',
      '\r\u001b[2K',
      'fd-1: stopping (time budget reached)\n',
    ]);
  });

  test('without a terminal: each failure line once, the headline when it changes (at most once a minute), no redraws', () => {
    let now = 0;
    const { out, ctx } = io(false);
    const reporter = cliReporter(ctx, { now: () => now });
    reporter.event({ type: 'live-note', id: 'fd-1', message: 'live verdicts are provisional' });
    reporter.event(status(0, 0, 0));
    now = 10_000;
    reporter.event(status(14, 1, 2));
    reporter.event(failure);
    now = 80_000;
    reporter.event(status(14, 1, 2));
    reporter.event(status(15, 1, 3));
    expect(out).toEqual([
      'fd-1: live verdicts are provisional\n',
      'live: nothing delivered yet\n',
      '08:04:25  unanswered  10.0.1.10 → 10.0.2.20:5432  (3 SYNs so far, no reply)\n',
      'live: 15 connections, 1 failing (1 unanswered) so far · 30 records in 3 deliveries\n',
    ]);
    expect(out.some((line) => line.includes('\r'))).toBe(false);
  });
});
