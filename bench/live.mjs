// What the live view costs per delivery: a generated capture (bench/generate.mjs, handshake
// format) cut into deliveries as S3 would hand them out (one gzip file each), folded one by one
// into the live view's running table (read + the running summary after each), against reading
// them all at once as the final summary does. Also checks the two end on the same verdicts.
//
// Usage: node bench/live.mjs [records, default 1000000] [deliveries, default 12]
// (needs a build in dist/: npm run build)
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { GENERATOR_VERSION, generateFlowLog } from './generate.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const records = Number(process.argv[2] ?? 1_000_000);
const parts = Number(process.argv[3] ?? 12);
const cacheDir = join(root, '.bench');
mkdirSync(cacheDir, { recursive: true });
const file = join(cacheDir, `flows-${records}-5-v${GENERATOR_VERSION}.log.gz`);
if (!existsSync(file)) await generateFlowLog(file, { records, recordsPerConnection: 5 });

const { LiveFold } = await import(join(root, 'dist/capture/live.js'));
const { analyzeSources } = await import(join(root, 'dist/analyze/run.js'));
const { findPreset } = await import(join(root, 'dist/format/presets.js'));

const text = gunzipSync(readFileSync(file)).toString('utf8');
const [header, ...lines] = text.split('\n').filter(Boolean);
const per = Math.ceil(lines.length / parts);
const deliveries = [];
for (let i = 0; i < parts; i++) {
  const body = gzipSync(`${header}\n${lines.slice(i * per, (i + 1) * per).join('\n')}\n`);
  deliveries.push({ bytes: body.length, source: { name: `d${i}.log.gz`, size: body.length, async *bytes() { yield body; } } });
}

const manifest = { id: 'fd-20260501-120000-aaaa', format: { template: findPreset('handshake').template, bytesPerRecord: 0 } };
const fold = new LiveFold(manifest);
const times = [];
let last;
const t0 = performance.now();
for (const delivery of deliveries) {
  const t = performance.now();
  last = (await fold.add([delivery])).at(-1);
  times.push(performance.now() - t);
}
const liveTotal = performance.now() - t0;
const t1 = performance.now();
const { summary } = await analyzeSources(deliveries.map((d) => d.source), { parallel: false });
const once = performance.now() - t1;

const same = last.status.connections === summary.tcp.connections && last.status.unanswered === summary.tcp.unanswered && last.status.refused === summary.tcp.refused && last.status.rejected === summary.tcp.rejected;
console.log(`${lines.length.toLocaleString('en-US')} records in ${parts} deliveries of ~${per.toLocaleString('en-US')} records (${(deliveries[0].bytes / 1e6).toFixed(1)} MB gzip each)`);
console.log(`live view: ${liveTotal.toFixed(0)} ms in all; per delivery (read + running summary) first ${times[0].toFixed(0)} ms, last ${times.at(-1).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms`);
console.log(`read all at once (the final summary's read, one thread): ${once.toFixed(0)} ms`);
console.log(`same verdicts at the end: ${same ? 'yes' : 'NO'} (${summary.tcp.connections.toLocaleString('en-US')} connections)`);
if (!same) process.exitCode = 1;
