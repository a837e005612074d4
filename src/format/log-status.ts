import type { RecordView } from './record-view.js';

/*
 * A record's log-status, the one rule every reader of records applies (docs/analyzer.md#log-status).
 * AWS writes OK, NODATA or SKIPDATA. The first byte decides: `N` is NODATA, `S` is SKIPDATA, and
 * anything else — OK, `-`, an empty value, any other text, lowercase included — is an OK record.
 * A format without the log-status field has no status to read: a record whose address and port
 * fields are all `-` is then NODATA.
 *
 * Twins of this rule: the scanner's fast path (plainRecord() in assembly/line-scanner.ts leaves a
 * record whose status starts with N or S to JavaScript; test/analyze/plain-records.test.ts) and
 * the Athena summary's SQL (src/athena/summary-sql.ts, `substr(log-status, 1, 1)`).
 */

export const LogStatus = { ok: 0, nodata: 1, skipdata: 2 } as const;
export type LogStatus = (typeof LogStatus)[keyof typeof LogStatus];

/** The status a log-status value's first byte says (-1: no value). */
export function logStatusOfCode(code: number): LogStatus {
  return code === 78 /* N */ ? LogStatus.nodata : code === 83 /* S */ ? LogStatus.skipdata : LogStatus.ok;
}

/** The status of a log-status value given as text. */
export function logStatusOf(text: string): LogStatus {
  return logStatusOfCode(text.length === 0 ? -1 : text.charCodeAt(0));
}

/**
 * A record's status: from its log-status field at `position`, or, when the format has none
 * (-1), NODATA when every field at `flowPositions` (addresses and ports) is absent or `-`.
 */
export function recordLogStatus(view: RecordView, position: number, flowPositions: readonly number[]): LogStatus {
  if (position >= 0) return logStatusOfCode(view.code(position));
  if (flowPositions.length > 0 && flowPositions.every((p) => view.missing(p))) return LogStatus.nodata;
  return LogStatus.ok;
}
