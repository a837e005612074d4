import { readSources, type ReadOptions, type SourceProblem } from '../analyze/run.js';
import type { Source } from '../analyze/sources.js';
import type { Problem } from '../analyze/summary.js';
import type { RecordPredicate } from '../filter/compile.js';
import type { RecordSink, RecordView } from '../format/line-reader.js';
import { describeRecord, type ShownRecord } from './describe.js';
import { ReorderBuffer } from './reorder.js';

/** Default reorder window: one 5-minute S3 file slot + the 10-minute maximum aggregation interval. */
export const DEFAULT_WINDOW_SECONDS = 15 * 60;
/** Default bound on records held for reordering (a few hundred MB at most), so output starts early on any input. */
export const DEFAULT_MAX_BUFFERED = 500_000;

export interface ShowOptions extends ReadOptions {
  /** only matching records are shown */
  filter?: RecordPredicate;
  /** hold records until one this many seconds newer is read (Infinity: exact sort) */
  windowSeconds?: number;
  /** hold at most this many records (Infinity: exact sort) */
  maxBuffered?: number;
  /** stop after this many lines (`-c N`); reading stops too */
  limit?: number;
  /** fill in `ShownRecord.connection` (the analyze id of TCP records) */
  withConnection?: boolean;
  /** the output text of one matching record (without a timestamp); `late` when it will be printed out of time order */
  render(shown: ShownRecord, view: RecordView, late: boolean): string;
  /** receives released lines in time order; awaited after every chunk of input, so a slow reader slows the reading */
  write(lines: ShownLine[]): Promise<void> | void;
}

export interface ShownLine {
  /** Unix seconds, null when the record has none */
  start: number | null;
  text: string;
}

export interface ShowResult {
  /** well-formed records read */
  read: number;
  matched: number;
  printed: number;
  /** records printed out of time order (they arrived beyond the reorder window) */
  late: number;
  /** reading stopped at the `-c` limit */
  stoppedEarly: boolean;
  malformed: { count: number; examples: Problem[] };
  /** sources that could not be read to their end */
  problems: SourceProblem[];
  warnings: string[];
}

/**
 * `flowdump show`: streams records from the sources through the filter into time
 * order (within the reorder window) and out, as they are read.
 */
export async function showRecords(sources: Iterable<Source> | AsyncIterable<Source>, options: ShowOptions): Promise<ShowResult> {
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const result: ShowResult = { read: 0, matched: 0, printed: 0, late: 0, stoppedEarly: false, malformed: { count: 0, examples: [] }, problems: [], warnings: [] };
  let pending: ShownLine[] = [];

  const buffer = new ReorderBuffer<ShownLine>(options.windowSeconds ?? DEFAULT_WINDOW_SECONDS, options.maxBuffered ?? DEFAULT_MAX_BUFFERED, (line) => {
    if (result.printed >= limit) return;
    pending.push(line);
    result.printed++;
    if (result.printed >= limit) {
      result.stoppedEarly = true;
      controller.abort();
    }
  });

  const { filter, render } = options;
  const withConnection = options.withConnection ?? true;
  const sink: RecordSink = {
    record(view) {
      result.read++;
      if (result.stoppedEarly) return;
      if (filter && !filter(view)) return;
      result.matched++;
      const shown = describeRecord(view, withConnection);
      const start = shown.start ?? Number.NaN;
      const late = buffer.isLate(start, shown.rank);
      buffer.push(start, shown.rank, { start: shown.start, text: render(shown, view, late) });
    },
    malformed(where, reason) {
      result.malformed.count++;
      if (result.malformed.examples.length < 10) result.malformed.examples.push({ source: where.source, line: where.line, message: reason });
    },
    warning(message) {
      if (!result.warnings.includes(message) && result.warnings.length < 50) result.warnings.push(message);
    },
  };

  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const lines = pending;
    pending = [];
    await options.write(lines);
  };

  await readSources(sources, sink, { ...options, signal: controller.signal, afterChunk: flush }, (problem) => result.problems.push(problem));
  if (!controller.signal.aborted) buffer.flush();
  await flush();
  result.late = buffer.late;
  return result;
}
