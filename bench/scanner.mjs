// The worker thread's work alone, on the first 300 MB of a bench file (gunzipped first, outside
// the timing): the scanner's readRecords() alone (lines it leaves to JavaScript skipped), and the
// line reader + per-record tally (the connection table left out). Fastest CPU time of N runs, the
// figure least moved by a busy machine:
//   node bench/scanner.mjs [root] [file] [runs]
// (root: a checkout with a build in dist/, default this one; file: default the 5m bench file)
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const root = pathToFileURL(resolve(process.argv[2] ?? '.')).href;
const file = process.argv[3] ?? '.bench/flows-5000000-5-v4.log.gz';
const runs = Number(process.argv[4] ?? 7);
const { FlowLineReader } = await import(`${root}/dist/format/line-reader.js`);
const { RecordTally, TCP_FACTS } = await import(`${root}/dist/analyze/record-tally.js`);
// the tally writes its facts through a FactWriter (src/analyze/fact-writer.ts); older builds called a sink
const { FactWriter } = await import(`${root}/dist/analyze/fact-writer.js`).catch(() => ({}));
const discard = () => (FactWriter ? new FactWriter(new Float64Array(4096 * TCP_FACTS), () => undefined, { capacity: 4096 }) : { tcp() {}, tcpBatch() {} });
const { PS_REASON, PS_LINE_END } = await import(`${root}/dist/format/line-scanner.js`);
const { defaultFormat } = await import(`${root}/dist/format/template.js`);

const data = gunzipSync(readFileSync(file)).subarray(0, 300_000_000);
const CHUNK = 1 << 18;
const cpu = (since) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
};
const readerOver = (bytes) => {
  const reader = new FlowLineReader(new RecordTally(discard(), {}), { format: defaultFormat(), explicit: false });
  reader.startSource(file);
  for (let at = 0; at < bytes.length; at += CHUNK) reader.push(bytes.subarray(at, Math.min(bytes.length, at + CHUNK)));
  return reader;
};

let tally = Infinity;
for (let run = 0; run < runs; run++) {
  const since = process.cpuUsage();
  readerOver(data);
  tally = Math.min(tally, cpu(since));
}

// a reader that has seen the format and the interfaces (so that its scanner tallies plain records)
const scanner = readerOver(data.subarray(0, 50_000_000)).scanner;
let scan = Infinity;
for (let run = 0; run < runs; run++) {
  const { plainStatus, bytes } = scanner.views();
  const since = process.cpuUsage();
  for (let at = 0; at + CHUNK <= data.length; at += CHUNK) {
    bytes.set(data.subarray(at, at + CHUNK), scanner.inputAt);
    let pos = scanner.inputAt;
    const end = pos + CHUNK;
    for (;;) {
      const next = scanner.readRecords(pos, end);
      const reason = plainStatus[PS_REASON];
      if (reason === 0) break; // the chunk's end (its cut line is not read: the same for every build)
      pos = reason === 1 ? plainStatus[PS_LINE_END] + 1 : next;
      scanner.clearRows();
    }
    scanner.clearRows();
  }
  scan = Math.min(scan, cpu(since));
}
console.log(`${(data.length / 1e6).toFixed(0)} MB, fastest of ${runs}: reader + tally ${tally.toFixed(0)} ms CPU; the scanner alone ${scan.toFixed(0)} ms CPU`);
