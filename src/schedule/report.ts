import type { Summary } from '../analyze/summary.js';
import type { WindowOutcome, WindowStatus } from './runner.js';

/**
 * The combined report of a recurring schedule: one row per capture window with its failures,
 * so the user sees *when* the intermittent problem happens. Pure: summaries in, report out;
 * src/cli renders it as text or JSON.
 */
export const SCHEDULE_REPORT_SCHEMA = 'flowdump.schedule-report/v1';

export interface ScheduleReportEntry {
  /** the planned window; without it (a loose summary file) the summary's own data window is used */
  window?: { index?: number; start: string; end: string };
  status: WindowStatus;
  captureId?: string;
  /** where the summary came from (a file name), for people */
  source?: string;
  summary?: Summary;
  error?: { code?: string; message: string };
}

export interface ScheduleReportRow {
  /** 1-based window number (the series' own numbering when known) */
  index: number;
  start: string | null;
  end: string | null;
  status: WindowStatus;
  captureId?: string;
  source?: string;
  /** false when the window's data had no tcp-flags: handshakes cannot be judged, counts are null */
  classified: boolean | null;
  connections: number | null;
  established: number | null;
  refused: number | null;
  unanswered: number | null;
  rejected: number | null;
  midstream: number | null;
  reset: number | null;
  /** refused + unanswered + rejected */
  failures: number | null;
  /** failures per connection, 0–1 */
  failureRate: number | null;
  /** the window's worst minute */
  peakMinute: { minute: string; failures: number } | null;
  headline?: string;
  error?: string;
}

export interface ScheduleReportTotals {
  connections: number;
  established: number;
  refused: number;
  unanswered: number;
  rejected: number;
  reset: number;
  failures: number;
}

export interface ScheduleReport {
  schema: typeof SCHEDULE_REPORT_SCHEMA;
  windows: { total: number; done: number; failed: number; missed: number; skipped: number; aborted: number; withFailures: number };
  totals: ScheduleReportTotals;
  /** row indexes (ScheduleReportRow.index) of the windows with the most failures, worst first (at most 3) */
  worst: number[];
  rows: ScheduleReportRow[];
}

function peakMinute(summary: Summary): ScheduleReportRow['peakMinute'] {
  let peak: ScheduleReportRow['peakMinute'] = null;
  for (const row of summary.timeline) {
    if (row.failures > 0 && (peak === null || row.failures > peak.failures)) peak = { minute: row.minute, failures: row.failures };
  }
  return peak;
}

function rowOf(entry: ScheduleReportEntry, position: number): ScheduleReportRow {
  const summary = entry.summary;
  const tcp = summary?.tcp;
  const classified = tcp ? tcp.classified : null;
  const count = (value: number | undefined) => (tcp && tcp.classified ? (value ?? 0) : null);
  // the failure classes (FAILURE_CLASSES in src/analyze/summary.ts)
  const failures = tcp && tcp.classified ? tcp.refused + tcp.unanswered + tcp.rejected : null;
  const connections = tcp ? tcp.connections : null;
  return {
    index: entry.window?.index ?? position,
    start: entry.window?.start ?? summary?.window.start ?? null,
    end: entry.window?.end ?? summary?.window.end ?? null,
    status: entry.status,
    ...(entry.captureId ? { captureId: entry.captureId } : {}),
    ...(entry.source ? { source: entry.source } : {}),
    classified,
    connections,
    established: count(tcp?.established),
    refused: count(tcp?.refused),
    unanswered: count(tcp?.unanswered),
    rejected: count(tcp?.rejected),
    midstream: count(tcp?.midstream),
    reset: count(tcp?.reset),
    failures,
    failureRate: failures !== null && connections ? failures / connections : failures === null ? null : 0,
    peakMinute: summary && tcp?.classified ? peakMinute(summary) : null,
    ...(summary ? { headline: summary.headline } : {}),
    ...(entry.error ? { error: entry.error.message } : {}),
  };
}

/** Rows in time order (windows without a time last, in the order given). */
export function buildScheduleReport(entries: ScheduleReportEntry[]): ScheduleReport {
  const rows = entries.map((entry, i) => rowOf(entry, i + 1));
  const ordered = rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => {
      const ta = a.row.start ? Date.parse(a.row.start) : Infinity;
      const tb = b.row.start ? Date.parse(b.row.start) : Infinity;
      return ta === tb ? a.i - b.i : ta - tb;
    })
    .map(({ row }) => row);
  // Loose files have no series numbering: number them in time order.
  if (entries.every((entry) => entry.window?.index === undefined)) ordered.forEach((row, i) => (row.index = i + 1));
  const totals: ScheduleReportTotals = { connections: 0, established: 0, refused: 0, unanswered: 0, rejected: 0, reset: 0, failures: 0 };
  for (const row of ordered) {
    totals.connections += row.connections ?? 0;
    totals.established += row.established ?? 0;
    totals.refused += row.refused ?? 0;
    totals.unanswered += row.unanswered ?? 0;
    totals.rejected += row.rejected ?? 0;
    totals.reset += row.reset ?? 0;
    totals.failures += row.failures ?? 0;
  }
  const count = (status: WindowStatus) => ordered.filter((row) => row.status === status).length;
  const withFailures = ordered.filter((row) => (row.failures ?? 0) > 0);
  const worst = [...withFailures]
    .sort((a, b) => (b.failures ?? 0) - (a.failures ?? 0) || (a.start ?? '').localeCompare(b.start ?? ''))
    .slice(0, 3)
    .map((row) => row.index);
  return {
    schema: SCHEDULE_REPORT_SCHEMA,
    windows: { total: ordered.length, done: count('done'), failed: count('failed'), missed: count('missed'), skipped: count('skipped'), aborted: count('aborted'), withFailures: withFailures.length },
    totals,
    worst,
    rows: ordered,
  };
}

/** The runner's outcomes as report entries. */
export function entriesOfOutcomes(outcomes: WindowOutcome[]): ScheduleReportEntry[] {
  return outcomes.map((outcome) => ({
    window: { index: outcome.window.index, start: outcome.window.start, end: outcome.window.end },
    status: outcome.status,
    ...(outcome.captureId ? { captureId: outcome.captureId } : {}),
    ...(outcome.summary ? { summary: outcome.summary } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
  }));
}
