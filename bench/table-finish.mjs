// Replays the TCP facts of one flow log into fresh connection tables and times the table and
// finish() apart: node --max-old-space-size=8000 bench/table-finish.mjs [root] [file] [runs]
// (root: a checkout with a build in dist/, default this one; file: default the 5m bench file)
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
const root = pathToFileURL(resolve(process.argv[2] ?? '.')).href;
const file = process.argv[3] ?? '.bench/flows-5000000-5-v4.log.gz';
const runs = Number(process.argv[4] ?? 5);
const { FlowLineReader } = await import(root + '/dist/format/line-reader.js');
const tallyModule = await import(root + '/dist/analyze/record-tally.js');
const { RecordTally } = tallyModule;
// builds before src/layout.ts exported TCP_FACTS from the tally
const TCP_FACTS = tallyModule.TCP_FACTS ?? (await import(root + '/dist/layout.js')).TCP_FACTS;
const { ConnectionTable } = await import(root + '/dist/analyze/fold.js');
const { defaultFormat } = await import(root + '/dist/format/template.js');
const data = gunzipSync(readFileSync(file));
const batches = [];
// the tally writes its facts through a FactWriter (src/analyze/fact-writer.ts); older builds called a sink
const { FactWriter } = await import(root + '/dist/analyze/fact-writer.js').catch(() => ({}));
const sink = FactWriter
  ? new FactWriter(new Float64Array(4096 * TCP_FACTS), (f, c, keys) => void batches.push([f.slice(0, c * TCP_FACTS), c, keys.slice()]))
  : {
      tcp(facts, at, key) { batches.push([facts.slice(at, at + TCP_FACTS), 1, key === undefined ? [] : [[0, key]]]); },
      tcpBatch(f, c, keys) { batches.push([f.slice(0, c * TCP_FACTS), c, keys.slice()]); },
    };
const tally = new RecordTally(sink, {});
const reader = new FlowLineReader(tally, { format: defaultFormat(), explicit: false });
reader.startSource('x');
let t = performance.now();
for (let o = 0; o < data.length; o += 1 << 18) {
  reader.push(data.subarray(o, Math.min(data.length, o + (1 << 18))));
  sink.flush?.(); // one batch per chunk, as the parsing thread sends them
}
reader.endSource();
sink.flush?.();
console.log('reader+tally', (performance.now() - t).toFixed(0), 'ms', batches.length, 'batches');
let minTable = Infinity;
let minFinish = Infinity;
let minFinishCpu = Infinity;
for (let run = 0; run < runs; run++) {
  const table = new ConnectionTable({});
  t = performance.now();
  for (const [f, c, keys] of batches) table.tcpBatch(f, c, keys);
  const t2 = performance.now();
  const cpu = process.cpuUsage();
  table.finish();
  const t3 = performance.now();
  const { user, system } = process.cpuUsage(cpu);
  minTable = Math.min(minTable, t2 - t);
  minFinish = Math.min(minFinish, t3 - t2);
  minFinishCpu = Math.min(minFinishCpu, (user + system) / 1000);
  console.log('table', (t2 - t).toFixed(0), 'ms; finish', (t3 - t2).toFixed(0), 'ms,', ((user + system) / 1000).toFixed(0), 'ms CPU (all threads)', table.connectionCount);
}
console.log(`min: table ${minTable.toFixed(0)} ms; finish ${minFinish.toFixed(0)} ms, ${minFinishCpu.toFixed(0)} ms CPU`);
