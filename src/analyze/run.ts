import { Readable, pipeline } from 'node:stream';
import { createGunzip, gunzipSync, type ZlibOptions } from 'node:zlib';
import { FlowLineReader, type RecordSink, type RecordView } from '../format/line-reader.js';
import { defaultFormat, type LogFormat } from '../format/template.js';
import { ConnectionTable, type FoldOptions } from './fold.js';
import { WorkerLineInput, workerScript } from './parallel-read.js';
import { readError, type Source } from './sources.js';
import type { Summary } from './summary.js';

export interface ReadOptions {
  /** format until a header says otherwise (default: version 2) */
  format?: LogFormat;
  /** the format was given with --log-format (a differing header then warns) */
  explicitFormat?: boolean;
  /** stop reading, between chunks and between sources, once aborted (`show -c N`) */
  signal?: AbortSignal;
  /**
   * Awaited after each chunk of input has been parsed (every 4096 lines for line sources):
   * lets a streaming consumer write what it has and wait for a slow reader of its output,
   * so memory stays flat however large the input.
   */
  afterChunk?: () => Promise<void> | void;
  /** told the size of every piece of record text read (after decompression; Parquet is not counted): a capture's actual cost */
  onText?: (bytes: number) => void;
}

export interface AnalyzeOptions extends ReadOptions, FoldOptions {
  /**
   * Parse in a worker thread while this one keeps the connection table: true, false, or
   * (undefined) when the sources are local files of PARALLEL_MIN_BYTES or more. The summary
   * is the same either way.
   */
  parallel?: boolean;
}

/** Below this much input a second thread costs more to start than it saves. */
export const PARALLEL_MIN_BYTES = 8_000_000;

export interface AnalyzeResult {
  summary: Summary;
  /** the connection table, for follow-up questions (`show --connection`, reports) */
  table: ConnectionTable;
}

/** Reads every source into the handshake fold and returns the summary. */
export async function analyzeSources(listed: Iterable<Source> | AsyncIterable<Source>, options: AnalyzeOptions = {}): Promise<AnalyzeResult> {
  const table = new ConnectionTable(options);
  const onProblem = (problem: SourceProblem): void => table.addError(problem);
  const script = wantsParallel(listed, options) ? workerScript() : undefined;
  const sources = Array.isArray(listed) ? readWholeAhead(listed as Source[]) : listed;
  if (script) {
    const input = new WorkerLineInput(table, script, {
      format: options.format ?? defaultFormat(),
      explicit: options.explicitFormat ?? false,
      maxMalformedExamples: options.maxMalformedExamples,
    });
    try {
      await readSourcesInto(sources, input, table, options, onProblem);
    } catch (error) {
      await input.abort();
      throw error;
    }
    await input.finish();
  } else {
    await readSources(sources, table, options, onProblem);
  }
  return { summary: table.finish(), table };
}

/** Small sources (whole()) read this many ahead of the analyzer: at most 8 × 1 MiB in memory. */
const WHOLE_AHEAD = 8;

/**
 * The sources, with the next few small ones (Source.whole) already being read while the current
 * one is analyzed: a folder of many small objects then never waits for a file to be opened and
 * read. The order is kept.
 */
function* readWholeAhead(sources: readonly Source[]): Generator<Source> {
  const reading = new Map<number, Promise<Uint8Array>>();
  for (let i = 0; i < sources.length; i++) {
    for (let k = i; k < sources.length && k < i + WHOLE_AHEAD; k++) {
      const whole = sources[k].whole;
      if (whole === undefined || reading.has(k)) continue;
      const bytes = whole();
      bytes.catch(() => {}); // (its failure is reported when the source's turn comes)
      reading.set(k, bytes);
    }
    const bytes = reading.get(i);
    reading.delete(i);
    yield bytes === undefined ? sources[i] : { ...sources[i], whole: () => bytes };
  }
}

/**
 * A filter or focus runs on the parsed record, in the thread that parses: it cannot be sent to
 * a worker. A streaming consumer (afterChunk, signal) wants each chunk parsed before it goes on.
 */
function wantsParallel(sources: Iterable<Source> | AsyncIterable<Source>, options: AnalyzeOptions): boolean {
  if (options.filter || options.focus || options.afterChunk || options.signal || options.parallel === false) return false;
  if (options.parallel === true) return true;
  // sources read ahead from S3 say their size when their list was known up front
  if (!Array.isArray(sources)) return ((sources as { totalBytes?: number }).totalBytes ?? 0) >= PARALLEL_MIN_BYTES;
  let bytes = 0;
  for (const source of sources as Source[]) bytes += source.size ?? 0;
  return bytes >= PARALLEL_MIN_BYTES;
}

/** Where readSource() puts what it reads: the line reader, or its stand-in for a worker thread. */
export interface LineInput {
  startSource(name: string): void;
  /** `fromZlib`: the chunk is an output chunk of gunzip() (the worker stand-in may then take it without a copy) */
  push(chunk: Uint8Array, fromZlib?: boolean): void | Promise<void>;
  pushLine(line: string): void | Promise<void>;
  endSource(): void | Promise<void>;
  /** Records of the current source so far, for a source that could not be read to its end. */
  recordsRead(): number | Promise<number>;
}

export interface SourceProblem {
  source: string;
  code: string;
  message: string;
}

/**
 * Streams every source through one line reader into `sink`. A source that cannot be
 * read to its end (truncated gzip, unreadable) is reported through `onProblem` with
 * how far it got; the other sources are still read, so no work is lost.
 */
export async function readSources(
  sources: Iterable<Source> | AsyncIterable<Source>,
  sink: RecordSink & { sources?: number },
  options: ReadOptions,
  onProblem: (problem: SourceProblem) => void,
): Promise<void> {
  const reader = new FlowLineReader(sink, { format: options.format ?? defaultFormat(), explicit: options.explicitFormat });
  const input: LineInput = {
    startSource: (name) => reader.startSource(name),
    push: (chunk) => reader.push(chunk),
    pushLine: (line) => reader.pushLine(line),
    endSource: () => reader.endSource(),
    recordsRead: () => reader.recordsInSource,
  };
  await readSourcesInto(sources, input, sink, options, onProblem);
}

async function readSourcesInto(
  sources: Iterable<Source> | AsyncIterable<Source>,
  input: LineInput,
  sink: { sources?: number },
  options: ReadOptions,
  onProblem: (problem: SourceProblem) => void,
): Promise<void> {
  for await (const source of sources) {
    if (options.signal?.aborted) return;
    if (sink.sources !== undefined) sink.sources++;
    input.startSource(source.name);
    try {
      await readSource(source, input, options);
      if (options.signal?.aborted) return; // a partial last line of an abandoned source is not a record
      await input.endSource();
    } catch (error) {
      onProblem(describeReadFailure(source, error, await input.recordsRead()));
    }
  }
}

async function readSource(source: Source, reader: LineInput, options: ReadOptions): Promise<void> {
  const { signal, afterChunk, onText } = options;
  if (source.lines) {
    let count = 0;
    for await (const line of source.lines()) {
      // a line source (CloudWatch Logs events) has no newlines: count one per line, as in a file
      onText?.(Buffer.byteLength(line) + 1);
      await reader.pushLine(line);
      if (++count % 4096 === 0) {
        if (afterChunk) await afterChunk();
        if (signal?.aborted) return;
      }
    }
    return;
  }
  if (source.whole) {
    // a small source in one piece: no stream to build around it
    const bytes = await source.whole();
    if (bytes.length === 0) return;
    if (isParquet(source.name, bytes)) {
      await readParquet([bytes], reader);
      if (afterChunk) await afterChunk();
      return;
    }
    const gzipped = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
    await pushChunks(gzipped ? gunzipWhole(bytes) : [bytes], gzipped, reader, options);
    return;
  }
  const iterator = source.bytes()[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const head = first.value;
  const rest: AsyncIterable<Uint8Array> = {
    async *[Symbol.asyncIterator]() {
      let finished = false;
      try {
        yield head;
        for (;;) {
          const next = await iterator.next();
          if (next.done) {
            finished = true;
            return;
          }
          yield next.value;
        }
      } finally {
        // a reader that stops early (show -c) closes the file or stream underneath
        if (!finished) await iterator.return?.();
      }
    },
  };
  if (isParquet(source.name, head)) {
    await readParquet(rest, reader);
    if (afterChunk) await afterChunk();
    return;
  }
  const gzipped = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  await pushChunks(gzipped ? gunzip(rest) : rest, gzipped, reader, options);
}

/** Hands a source's (decompressed) chunks to the reader. */
async function pushChunks(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, gzipped: boolean, reader: LineInput, options: ReadOptions): Promise<void> {
  const { signal, afterChunk, onText } = options;
  // The reader takes bytes: decoding to strings first cost as much as the whole analysis.
  for await (const chunk of chunks) {
    onText?.(chunk.length);
    await reader.push(chunk, gzipped);
    if (afterChunk) await afterChunk();
    // leaving the loop closes the file (and the gunzip stream) behind it
    if (signal?.aborted) return;
  }
}

function isParquet(name: string, head: Uint8Array): boolean {
  // "PAR1" magic
  return /\.parquet$/i.test(name) || (head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31);
}

/**
 * Decompresses in zlib's thread pool, so parsing on the main thread overlaps with it. zlib may
 * run up to four 256 KB chunks ahead of the reader (the default, 16 KB, stopped it after every
 * chunk until the reader took it: ~4 % of the time of a 5 M-record file in parallel mode).
 */
async function* gunzip(input: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  const inflater = createGunzip({ chunkSize: 1 << 18, readableHighWaterMark: 1 << 20 } as ZlibOptions); // (stream options pass through; @types/node lists zlib's own)
  pipeline(Readable.from(input, { objectMode: false }), inflater, () => {
    /* errors surface through the iteration below */
  });
  yield* inflater;
}

/**
 * gunzip() of bytes already in memory: written to zlib at once, without the stream that feeds it
 * (building and running that stream cost an eighth to a fifth of a small object's gunzip:
 * docs/performance.md, "Many small objects").
 */
function gunzipWhole(bytes: Uint8Array): AsyncIterable<Buffer> {
  const inflater = createGunzip({ chunkSize: 1 << 18, readableHighWaterMark: 1 << 20 } as ZlibOptions);
  inflater.end(bytes);
  return inflater;
}

/**
 * Parquet, as S3 delivers it with FileFormat=parquet: columns named like the fields
 * with `_` for `-`, pages compressed with gzip. Rows are fed to the reader as text
 * under a synthetic header, so they pass the same validation as text records.
 */
async function readParquet(bytes: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, reader: LineInput): Promise<void> {
  const parts: Uint8Array[] = [];
  for await (const part of bytes) parts.push(part);
  const buffer = Buffer.concat(parts);
  const file = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
  // loaded here, not at the top: only Parquet input needs it
  const { parquetReadObjects } = await import('hyparquet');
  const rows = (await parquetReadObjects({
    file,
    compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) },
  })) as Record<string, unknown>[];
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  await reader.pushLine(columns.map((column) => column.replace(/_/g, '-')).join(' '));
  for (const row of rows) {
    await reader.pushLine(columns.map((column) => parquetValue(row[column])).join(' '));
  }
}

function parquetValue(value: unknown): string {
  // pandas-written files store missing values as the string 'None'
  if (value === null || value === undefined || value === 'None' || value === '') return '-';
  return String(value);
}

function describeReadFailure(source: Source, error: unknown, records: number): SourceProblem {
  const code = (error as { code?: string })?.code;
  const message = (error as Error)?.message ?? String(error);
  const read = `${records} record${records === 1 ? '' : 's'} read before it`;
  if (code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(message)) {
    return { source: source.name, code: 'truncated-gzip', message: `${source.name} is a truncated gzip file (it ends mid-stream; ${read} are counted); download it again` };
  }
  if (code === 'Z_DATA_ERROR' || /incorrect header check|invalid .* (distance|code|block)/i.test(message)) {
    return { source: source.name, code: 'corrupt-gzip', message: `${source.name} is not valid gzip data (${read} are counted): ${message}` };
  }
  if (/parquet/i.test(message)) {
    return { source: source.name, code: 'bad-parquet', message: `${source.name} could not be read as Parquet: ${message}` };
  }
  const wrapped = readError(source, error);
  return { source: source.name, code: wrapped.code, message: `${wrapped.message} (${read})` };
}

/** A sink that forwards each record to a callback as a plain object (for `show`, conformance). */
export function recordCallbackSink(
  onRecord: (view: RecordView) => void,
  onMalformed: (where: { source: string; line: number }, reason: string, text: string) => void = () => {},
  onWarning: (message: string) => void = () => {},
): RecordSink {
  return { record: onRecord, malformed: onMalformed, warning: onWarning };
}
