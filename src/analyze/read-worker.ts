/**
 * Worker thread of a parallel analysis (see parallel-read.ts): runs the line reader and the
 * per-record tally on the bytes the main thread sends, and sends back the facts of each TCP
 * record for the main thread's connection table. Parsing is most of the work, so this splits
 * it from the connection table, which runs beside it on the other core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FlowLineReader } from '../format/line-reader.js';
import type { ToWorker, WorkerSetup, FromWorker } from './parallel-read.js';
import { RecordTally, TCP_FACTS, type TcpFactsSink } from './record-tally.js';

const port = parentPort;
if (!port) throw new Error('read-worker.js runs as a worker thread only');
const setup = workerData as WorkerSetup;

/** Facts of the TCP records of the current message, written in place by the tally. */
let batch: Float64Array = new Float64Array(4096 * TCP_FACTS);
let count = 0;
let textKeys: [number, string][] = [];
const spare: Float64Array[] = [];

const collector: TcpFactsSink = {
  tcp(_facts, _at, textKey) {
    if (textKey !== undefined) textKeys.push([count, textKey]);
    count++;
    room(1);
    tally.factsAt = count * TCP_FACTS;
  },
  tcpBatch(facts, n, keys) {
    room(n);
    for (const [at, key] of keys) textKeys.push([count + at, key]);
    batch.set(facts.subarray(0, n * TCP_FACTS), count * TCP_FACTS);
    count += n;
    tally.factsAt = count * TCP_FACTS;
  },
};

/** Makes the batch hold `more` records more (and the one the tally writes next). */
function room(more: number): void {
  if ((count + more + 1) * TCP_FACTS <= batch.length) return;
  let length = batch.length * 2;
  while ((count + more + 1) * TCP_FACTS > length) length *= 2;
  const bigger = new Float64Array(length);
  bigger.set(batch);
  batch = bigger;
  tally.facts = batch;
}
const tally = new RecordTally(collector, { maxMalformedExamples: setup.maxMalformedExamples });
tally.facts = batch;
const reader = new FlowLineReader(tally, { format: setup.format, explicit: setup.explicit });

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  (port as NonNullable<typeof port>).postMessage(message, transfer);
}

/** Sends the facts gathered since the last call (the batch's buffer moves to the main thread, and `bytes` back). */
function sendFacts(release: boolean, bytes?: Uint8Array): void {
  const facts = batch;
  const length = facts.length; // read before the transfer empties it
  const transfer = [facts.buffer as ArrayBuffer];
  if (bytes) transfer.push(bytes.buffer as ArrayBuffer);
  post({ type: 'facts', facts, count, textKeys, release, bytes }, transfer);
  batch = spare.pop() ?? new Float64Array(length);
  count = 0;
  textKeys = [];
  tally.facts = batch;
  tally.factsAt = 0;
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
