import { beforeAll, describe, expect, it } from 'vitest';
import type { Summary } from '../../src/analyze/summary.js';
import { renderScheduleReportText } from '../../src/cli/render/schedule-text.js';
import { paint } from '../../src/cli/io.js';
import { buildScheduleReport, entriesOfOutcomes, SCHEDULE_REPORT_SCHEMA } from '../../src/schedule/report.js';
import type { WindowOutcome } from '../../src/schedule/runner.js';
import { windowSummaries } from './summaries.js';

let summaries: Summary[];

beforeAll(async () => {
  summaries = await windowSummaries();
});

const win = (index: number, start: string, end: string) => ({ index, start, end, startLocal: start, endLocal: end });

function outcomes(): WindowOutcome[] {
  return [
    { window: win(1, '2026-05-04T09:00:00.000Z', '2026-05-04T09:05:00.000Z'), status: 'done', captureId: 'fd-1', summary: summaries[0] },
    { window: win(2, '2026-05-04T09:30:00.000Z', '2026-05-04T09:35:00.000Z'), status: 'done', captureId: 'fd-2', summary: summaries[1] },
    { window: win(3, '2026-05-04T10:00:00.000Z', '2026-05-04T10:05:00.000Z'), status: 'done', captureId: 'fd-3', summary: summaries[2] },
    { window: win(4, '2026-05-04T10:30:00.000Z', '2026-05-04T10:35:00.000Z'), status: 'failed', error: { code: 'access-denied', message: 'not allowed to call ec2:CreateFlowLogs in eu-west-1' } },
    { window: win(5, '2026-05-04T11:00:00.000Z', '2026-05-04T11:05:00.000Z'), status: 'missed', error: { code: 'missed', message: 'woke up too late' } },
  ];
}

describe('buildScheduleReport', () => {
  it('one row per window with its failures, totals, and the worst windows first', () => {
    const report = buildScheduleReport(entriesOfOutcomes(outcomes()));
    expect(report.schema).toBe(SCHEDULE_REPORT_SCHEMA);
    expect(report.windows).toEqual({ total: 5, done: 3, failed: 1, missed: 1, skipped: 0, aborted: 0, withFailures: 2 });
    expect(report.totals).toEqual({ connections: 14, established: 7, refused: 2, unanswered: 3, rejected: 2, reset: 1, failures: 7 });
    expect(report.worst).toEqual([2, 3]);
    expect(report.rows.map((r) => [r.index, r.status, r.connections, r.failures])).toEqual([
      [1, 'done', 3, 0],
      [2, 'done', 8, 5],
      [3, 'done', 3, 2],
      [4, 'failed', null, null],
      [5, 'missed', null, null],
    ]);
    expect(report.rows[1]).toMatchObject({ refused: 2, unanswered: 3, rejected: 0, reset: 1, failureRate: 5 / 8, peakMinute: { minute: '2026-05-04T09:32:00Z', failures: 3 }, captureId: 'fd-2' });
    expect(report.rows[3].error).toBe('not allowed to call ec2:CreateFlowLogs in eu-west-1');
    expect(report.rows[0].peakMinute).toBeNull();
  });

  it('loose summaries are ordered by their data window and numbered in time order', () => {
    const report = buildScheduleReport([
      { status: 'done', source: 'c.json', summary: summaries[2] },
      { status: 'done', source: 'a.json', summary: summaries[0] },
      { status: 'done', source: 'b.json', summary: summaries[1] },
    ]);
    expect(report.rows.map((r) => [r.index, r.source, r.start])).toEqual([
      [1, 'a.json', '2026-05-04T09:00:10Z'],
      [2, 'b.json', '2026-05-04T09:30:10Z'],
      [3, 'c.json', '2026-05-04T10:00:10Z'],
    ]);
    expect(report.worst).toEqual([2, 3]);
  });

  it('a window whose data cannot be judged (no tcp-flags) has no counts instead of zeros', () => {
    const unjudged: Summary = { ...summaries[0], tcp: { ...summaries[0].tcp, classified: false, reason: 'no tcp-flags field' } };
    const [row] = buildScheduleReport([{ status: 'done', summary: unjudged }]).rows;
    expect(row).toMatchObject({ classified: false, connections: 3, refused: null, failures: null, failureRate: null });
  });

  it('renders a table a person can scan for when the problem happens', () => {
    const text = renderScheduleReportText(buildScheduleReport(entriesOfOutcomes(outcomes())), { paint: paint(false), tz: 'Europe/Berlin' });
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'Schedule report: 5 windows (3 done, 1 failed, 1 missed) — 7 failed handshakes in 2 of 5 windows; worst: #2 Mon 2026-05-04 11:30 +02:00 (5), #3 Mon 2026-05-04 12:00 +02:00 (2)',
    );
    const row2 = lines.find((line) => line.trimStart().startsWith('2  Mon 2026-05-04 11:30'));
    expect(row2).toMatch(/done\s+8\s+3\s+2\s+3\s+0\s+1\s+5\s+█{10}\s+11:32 \(3\)$/);
    expect(lines.find((line) => line.trimStart().startsWith('3  '))).toMatch(/2\s+█{4}\s+12:01 \(2\)$/);
    expect(text).toContain('Totals: 14 connections, 7 failures (2 refused, 3 unanswered, 2 rejected), 1 reset.');
    expect(text).toContain('  #4 failed: not allowed to call ec2:CreateFlowLogs in eu-west-1');
  });
});
