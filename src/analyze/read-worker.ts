/**
 * Worker thread of a parallel analysis (see parallel-read.ts): runs the line reader and the
 * per-record tally on the bytes the main thread sends, and sends back the facts of each TCP
 * record for the main thread's connection table. Parsing is most of the work, so this splits
 * it from the connection table, which runs beside it on the other core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FlowLineReader } from '../format/line-reader.js';
import type { ToWorker, WorkerSetup, FromWorker } from './parallel-read.js';
import { FactWriter } from './fact-writer.js';
import { TCP_FACTS } from '../layout.js';
import { RecordTally } from './record-tally.js';

const port = parentPort;
if (!port) throw new Error('read-worker.js runs as a worker thread only');
const setup = workerData as WorkerSetup;

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(message, transfer);
}

/** batches the main thread is done with (they come back with the chunks), for the next messages */
const spare: Float64Array[] = [];
/** whether the current message answers a chunk or lines message, and the chunk's memory to give back */
let release = false;
let chunkBytes: Uint8Array | undefined;

/**
 * The facts of the TCP records of the current message: the tally writes them through this
 * growing batch, and a flush sends them to the main thread (the batch's memory moves there, and
 * comes back later as a spare).
 */
const facts = new FactWriter(new Float64Array(4096 * TCP_FACTS), (rows, count, textKeys) => {
  const length = rows.length; // read before the transfer empties it
  const transfer = [rows.buffer as ArrayBuffer];
  if (chunkBytes) transfer.push(chunkBytes.buffer as ArrayBuffer);
  post({ type: 'facts', facts: rows, count, textKeys, release, bytes: chunkBytes }, transfer);
  return spare.pop() ?? new Float64Array(length);
});
const tally = new RecordTally(facts, { maxMalformedExamples: setup.maxMalformedExamples });
const reader = new FlowLineReader(tally, { format: setup.format, explicit: setup.explicit });

/** Sends the facts gathered since the last call (the batch's memory moves to the main thread, and `bytes` back). */
function sendFacts(answers: boolean, bytes?: Uint8Array): void {
  release = answers;
  chunkBytes = bytes;
  facts.flush();
  chunkBytes = undefined;
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'source':
      reader.startSource(message.name);
      break;
    case 'chunk':
      if (message.spare) spare.push(message.spare);
      reader.push(message.bytes); // the reader keeps no reference to it (it copies a line's unfinished tail)
      sendFacts(true, message.bytes);
      break;
    case 'lines':
      for (const line of message.lines) reader.pushLine(line);
      sendFacts(true);
      break;
    case 'end':
      // a source that could not be read to its end keeps its unfinished last line unread, as in readSources()
      if (message.complete) reader.endSource();
      sendFacts(false);
      post({ type: 'ended', records: reader.recordsInSource });
      break;
    case 'finish':
      post({ type: 'done', tally: tally.exportState() });
      break;
  }
});
