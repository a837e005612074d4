import { writeFile } from 'node:fs/promises';
import { collectConnectionRecords, type ConnectionRecord } from '../analyze/connection-records.js';
import type { ReadOptions } from '../analyze/run.js';
import type { Source } from '../analyze/sources.js';
import type { Summary } from '../analyze/summary.js';
import { InputError } from '../errors.js';
import type { ReportContext } from './context.js';
import { DEFAULT_REPORT_LIMITS, ladderConnectionIds, renderHtmlReport, type ReportLimits } from './html.js';

export interface HtmlReportInput {
  summary: Summary;
  /**
   * The sources the summary was made from, read a second time for the ladder diagrams
   * of the worst connections. They must be re-readable (files, directories, S3 objects,
   * log streams; stdin only through `bufferedSource`). `null`: no ladders, and
   * `context.laddersUnavailable` says why.
   */
  sources: Iterable<Source> | AsyncIterable<Source> | null;
  /** the format options the first pass used */
  readOptions?: ReadOptions;
  context?: ReportContext;
  limits?: Partial<ReportLimits>;
}

export interface HtmlReportResult {
  html: string;
  /** ladder diagrams drawn */
  ladders: number;
}

/** The second pass for the ladders, then the page. The caller decides where the bytes go. */
export async function buildHtmlReport(input: HtmlReportInput): Promise<HtmlReportResult> {
  const ids = ladderConnectionIds(input.summary, input.limits);
  let connectionRecords: Map<string, ConnectionRecord[]> | undefined;
  if (input.sources) {
    // a few times the arrows drawn: records seen on two interfaces merge into one arrow
    const perConnection = 4 * (input.limits?.eventsPerLadder ?? DEFAULT_REPORT_LIMITS.eventsPerLadder);
    connectionRecords = ids.size > 0 ? await collectConnectionRecords(input.sources, ids, input.readOptions, perConnection) : new Map();
  }
  const html = renderHtmlReport({ summary: input.summary, connectionRecords, context: input.context, limits: input.limits });
  return { html, ladders: connectionRecords ? ids.size : 0 };
}

/**
 * Writes the report to `path`. This is the seam for the capture lifecycle: after a
 * capture's summary is written, call it with the capture's (re-readable) sources and
 * `context.capture` filled in, e.g. `<summary dir>/report.html`.
 */
export async function writeHtmlReport(path: string, input: HtmlReportInput): Promise<HtmlReportResult & { path: string }> {
  const result = await buildHtmlReport(input);
  try {
    await writeFile(path, result.html, 'utf8');
  } catch (error) {
    const code = (error as { code?: string })?.code;
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error)?.message ?? String(error);
    throw new InputError('report-not-written', `cannot write the HTML report to ${path}: ${why}; pick a path in a writable folder`, { cause: error });
  }
  return { ...result, path };
}
