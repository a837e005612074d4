/**
 * The Athena summary SELECT in DuckDB over files loaded the way Athena's text table reads them
 * (scripts/athena-duckdb.mjs, shared with the conformance run), with the SQL and its decoding
 * from src/.
 */
import { join } from 'node:path';
import { athenaColumns } from '../../src/athena/columns.js';
import { summaryFromAnswer, type AnswerRow, type EngineSummary } from '../../src/athena/summary-rows.js';
import { summarySql } from '../../src/athena/summary-sql.js';
import { textFields } from '../../src/athena/run.js';
import type { Summary } from '../../src/analyze/summary.js';
// @ts-expect-error: a plain .mjs module, shared with scripts/conformance.mjs
import * as shared from '../../scripts/athena-duckdb.mjs';

const ENGINE = {
  athenaColumns,
  summarySql,
  summaryFromAnswer,
  textFields,
  shims: join(import.meta.dirname, '..', 'fixtures', 'athena', 'duckdb-shims.sql'),
};

export interface DuckdbRun {
  summary: EngineSummary;
  sql: string;
  rows: AnswerRow[];
  fields: string[];
  /** the first line was a header: the first line of every file was skipped */
  header: boolean;
}

/** `fields`: for headerless files (default: version 2), as `--log-format` gives them. */
export async function duckdbSummary(files: readonly string[], options: { fields?: readonly string[]; sql?: (sql: string) => string } = {}): Promise<DuckdbRun> {
  return shared.duckdbSummary(files, ENGINE, options) as Promise<DuckdbRun>;
}

/** What both engines must agree on: everything but the malformed lines and the gap windows, which Athena cannot know. */
export type Comparable = Pick<Summary, 'headline' | 'tcp' | 'window' | 'interfaces' | 'udp' | 'icmp' | 'natHops' | 'timeline' | 'peers' | 'peersTotal' | 'failures' | 'failuresTotal'> & {
  records: Omit<Summary['records'], 'malformed'> & { malformed: undefined };
};

export function comparable(summary: Summary): Comparable {
  return shared.comparable(summary);
}
