import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LogFormat } from '../format/template.js';
import { packageRoot } from '../paths.js';
import type { ConnectionTable } from './fold.js';
import type { TallyState } from './record-tally.js';
import type { LineInput } from './run.js';

/*
 * Parallel analysis: a worker thread parses (line reader + per-record tally, read-worker.ts)
 * while the main thread reads and gunzips the sources (zlib works in libuv's thread pool) and
 * keeps the connection table. Both halves run exactly the code of a single-threaded analysis,
 * in the same order, so the summary is the same; see docs/performance.md for what it gains.
 */

/** Set-up of the worker thread (its workerData). */
export interface WorkerSetup {
  format: LogFormat;
  explicit: boolean;
  maxMalformedExamples?: number;
}

export type ToWorker =
  | { type: 'source'; name: string }
  /** bytes of the source; `spare`: a facts buffer the main thread is done with, for reuse */
  | { type: 'chunk'; bytes: Uint8Array; spare?: Float64Array }
  | { type: 'lines'; lines: string[] }
  /** the source ends; `complete` false when it could not be read to its end */
  | { type: 'end'; complete: boolean }
  | { type: 'finish' };

export type FromWorker =
  /**
   * facts of `count` TCP records (TCP_FACTS numbers each); `release` answers a chunk or lines
   * message, and `bytes` gives back the chunk's memory for the next chunk
   */
  | { type: 'facts'; facts: Float64Array; count: number; textKeys: [number, string][]; release: boolean; bytes?: Uint8Array }
  | { type: 'ended'; records: number }
  | { type: 'done'; tally: TallyState };

/**
 * Chunks sent and not yet parsed (≈ 16 × 256 KB): enough to keep the worker busy while this
 * thread waits for its turn on a busy machine (4 cost ~20 % in wall time on a loaded 2-CPU
 * machine; 32 gained nothing more), little memory.
 */
const MAX_IN_FLIGHT = 16;
/** Lines (CloudWatch events, Parquet rows) are sent in batches of this many. */
const LINES_PER_MESSAGE = 2000;

/** The worker script beside this module; from src/ (tests) the built one in dist/. */
export function workerScript(): URL | undefined {
  const sibling = new URL('./read-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  const built = new URL('dist/analyze/read-worker.js', `file://${packageRoot()}`);
  return existsSync(fileURLToPath(built)) ? built : undefined;
}

/**
 * The line reader's stand-in on the main thread: sends what it is given to the worker and
 * applies the facts that come back to `table`, in order.
 */
export class WorkerLineInput implements LineInput {
  private readonly worker: Worker;
  private inFlight = 0;
  private wakeUp: (() => void) | undefined;
  private lines: string[] = [];
  private readonly pending: { resolve: (message: FromWorker) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;
  private closing = false;
  private readonly spare: Float64Array[] = [];
  /** chunk buffers back from the worker: reused, so memory stays flat instead of waiting for GC */
  private readonly spareBytes: ArrayBuffer[] = [];

  constructor(
    private readonly table: ConnectionTable,
    script: URL,
    setup: WorkerSetup,
  ) {
    // The worker allocates little: a small young generation keeps its memory (RSS) down.
    this.worker = new Worker(script, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    this.worker.on('message', (message: FromWorker) => this.receive(message));
    this.worker.on('error', (error: Error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`the parsing thread stopped unexpectedly (exit code ${code})`));
    });
  }

  startSource(name: string): void {
    this.send({ type: 'source', name });
  }

  async push(chunk: Uint8Array, fromZlib = false): Promise<void> {
    await this.slot();
    const spare = this.spare.pop();
    if (fromZlib && ownsWholeBuffer(chunk)) {
      // a full output chunk of zlib is the whole of an ArrayBuffer that zlib replaces as soon as
      // it is full (lib/zlib.js processCallback): it can move to the worker as it is, without a copy
      const memory = chunk.buffer as ArrayBuffer;
      this.send({ type: 'chunk', bytes: chunk, spare }, spare ? [memory, spare.buffer as ArrayBuffer] : [memory]);
      return;
    }
    // a copy the worker can own: the chunk shares its memory with other chunks (zlib, fs)
    let memory = this.spareBytes.pop();
    if (memory === undefined || memory.byteLength < chunk.length) memory = new ArrayBuffer(Math.max(chunk.length, 1 << 18));
    const bytes = new Uint8Array(memory, 0, chunk.length);
    bytes.set(chunk);
    this.send({ type: 'chunk', bytes, spare }, spare ? [memory, spare.buffer as ArrayBuffer] : [memory]);
  }

  async pushLine(line: string): Promise<void> {
    this.lines.push(line);
    if (this.lines.length >= LINES_PER_MESSAGE) await this.flushLines();
  }

  async endSource(): Promise<void> {
    // No waiting for the worker's answer: waiting emptied the pipeline at every source, a cost
    // per file that made a folder of many small objects much slower than one file. The answer
    // still comes, in order; only a source that fails (recordsRead) needs its count.
    await this.flushLines();
    this.send({ type: 'end', complete: true });
    this.pending.push({ resolve: () => {}, reject: () => {} });
  }

  async recordsRead(): Promise<number> {
    return this.end(false);
  }

  /** Ends the worker and hands its tally to the table. */
  async finish(): Promise<void> {
    try {
      this.send({ type: 'finish' });
      const done = await this.next();
      if (done.type !== 'done') throw new Error(`parsing thread answered ${done.type} to finish`);
      this.table.adoptTally(done.tally);
    } finally {
      await this.abort();
    }
  }

  /** Stops the worker (after finish(), or after a failure elsewhere). */
  async abort(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private async end(complete: boolean): Promise<number> {
    await this.flushLines();
    this.send({ type: 'end', complete });
    const ended = await this.next();
    if (ended.type !== 'ended') throw new Error(`parsing thread answered ${ended.type} to end`);
    return ended.records;
  }

  private async flushLines(): Promise<void> {
    if (this.lines.length === 0) return;
    await this.slot();
    const lines = this.lines;
    this.lines = [];
    this.send({ type: 'lines', lines });
  }

  private send(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(message, transfer);
  }

  /** Waits until fewer than MAX_IN_FLIGHT chunks are with the worker (so memory stays flat). */
  private async slot(): Promise<void> {
    while (this.inFlight >= MAX_IN_FLIGHT) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wakeUp = resolve));
    }
    if (this.failure) throw this.failure;
    this.inFlight++;
  }

  private next(): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  /**
   * Messages from the worker are applied one per turn of the event loop, not as they arrive:
   * between two, this thread hands zlib's finished work back and gives it the next piece. A
   * port delivers every queued message in one go, and while this thread applied a dozen batches
   * of facts (~1 ms each) zlib stood still and the worker ran out of input (~12 % of the time of
   * a 5 M-record file).
   */
  private receive(message: FromWorker): void {
    this.queue.push(message);
    if (this.queue.length === 1) setImmediate(this.drain);
  }
  private readonly queue: FromWorker[] = [];
  private readonly drain = (): void => {
    const message = this.queue.shift();
    if (message === undefined || this.failure) return;
    // (no message arrives while this runs: one is queued behind it only on a later turn)
    try {
      this.handle(message);
    } catch (error) {
      // the table's failure (more connections than it can keep): the analysis fails with it
      this.fail(error as Error);
      return;
    }
    if (this.queue.length > 0) setImmediate(this.drain);
  };

  private handle(message: FromWorker): void {
    if (message.type !== 'facts') {
      this.pending.shift()?.resolve(message);
      return;
    }
    const { facts, count, textKeys } = message;
    this.table.tcpBatch(facts, count, textKeys);
    if (this.spare.length < MAX_IN_FLIGHT) this.spare.push(facts);
    if (message.bytes && this.spareBytes.length < MAX_IN_FLIGHT) this.spareBytes.push(message.bytes.buffer as ArrayBuffer);
    if (message.release) {
      this.inFlight--;
      const wakeUp = this.wakeUp;
      this.wakeUp = undefined;
      wakeUp?.();
    }
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }
}

/** Whether the chunk is the whole of an ordinary ArrayBuffer (a Buffer from Node's shared pool never is). */
function ownsWholeBuffer(chunk: Uint8Array): boolean {
  const buffer = chunk.buffer;
  return buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength && chunk.byteLength >= 1 << 16;
}
