// `npm run bench`: how fast `flowdump analyze --json` reads flow logs, measured as a user runs it.
//
// For each data set (generated once by bench/generate.mjs and cached under .bench/) it spawns the
// built CLI as a child process, `node bin/flowdump analyze <file> --json`, several times and
// reports the median wall time (start-up included), records/s, uncompressed MB/s and the child's
// peak RSS; beside it, the time of a plain Node gunzip + line count of the same file. The first
// run's JSON is checked against the generator's ground truth: a fast wrong answer is a failure.
//
// Then two more: the 5 M-record file split into a folder of 500 gzip objects against the one file
// (alternating runs; the ratio is what to read on a shared machine), and `analyze s3://…` over 200
// objects on moto behind a 50 ms first-byte delay, one at a time and with the default read-ahead
// (bench/s3-latency.mjs; needs moto, as the integration tests do). Last, `athena-1m`: the Athena
// engine's SELECT (run in DuckDB, as test/athena runs it) against the local analyzer on a
// generated capture of 1 M records; every count must be equal.
//
// Options: --runs N (default 5, after one warm-up run), --only NAME[,NAME] (1m, 5m, 5m-long, 500-files, s3-latency, athena-1m),
//          --no-gunzip (skip the yardstick), --json (print the results as JSON too),
//          --cli PATH (another build's bin/flowdump, e.g. to measure main before a change)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, generateFlowLog } from './generate.mjs';
import { describeS3Latency, measureS3Latency } from './s3-latency.mjs';
import { splitFlowLog } from './split.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, '.bench');

const DATA_SETS = [
  { name: '1m', records: 1_000_000, recordsPerConnection: 5, about: '1 M records, ~200 k connections' },
  { name: '5m', records: 5_000_000, recordsPerConnection: 5, about: '5 M records, ~1 M connections' },
  { name: '5m-long', records: 5_000_000, recordsPerConnection: 50, about: '5 M records, ~100 k long-lived connections' },
];

/** The RSS target at ~1 M connections and the speed target the bench checks against (docs/performance.md). */
const TARGET_RECORDS_PER_SECOND = 1_500_000;
const TARGET_RSS_MB = 300;

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string' },
    'no-gunzip': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    cli: { type: 'string', default: join(root, 'bin', 'flowdump') },
  },
});
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive whole number, not "${args.runs}"`);
const wanted = args.only ? new Set(args.only.split(',')) : null;
const EXTRAS = ['500-files', 's3-latency', 'athena-1m'];
const sets = DATA_SETS.filter((set) => !wanted || wanted.has(set.name));
if (sets.length === 0 && !EXTRAS.some((name) => wanted?.has(name))) throw new Error(`--only names none of: ${[...DATA_SETS.map((set) => set.name), ...EXTRAS].join(', ')}`);

/** GNU time reports the child's peak RSS from the kernel; without it, a preload asks Node itself. */
const GNU_TIME = '/usr/bin/time';
const haveGnuTime = existsSync(GNU_TIME);

async function dataSet(set) {
  mkdirSync(cacheDir, { recursive: true });
  const base = join(cacheDir, `flows-${set.records}-${set.recordsPerConnection}-v${GENERATOR_VERSION}`);
  const file = `${base}.log.gz`;
  const truthFile = `${base}.truth.json`;
  if (!existsSync(file) || !existsSync(truthFile)) {
    process.stderr.write(`generating ${file} (${set.about}; once, then cached) … `);
    const started = performance.now();
    const truth = await generateFlowLog(`${file}.partial`, set);
    renameSync(`${file}.partial`, file);
    writeFileSync(truthFile, `${JSON.stringify(truth, null, 2)}\n`);
    process.stderr.write(`${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return { file, truth: JSON.parse(readFileSync(truthFile, 'utf8')) };
}

/** Runs `node <args>` once; returns wall seconds, peak RSS in MB (10^6 bytes, as the target is stated), exit code and stdout. */
function runNode(nodeArgs, env = {}) {
  const rssFile = join(tmpdir(), `flowdump-bench-rss-${process.pid}`);
  rmSync(rssFile, { force: true });
  const command = haveGnuTime ? GNU_TIME : process.execPath;
  const argv = haveGnuTime
    ? ['-f', '%M %U %S', '-o', rssFile, process.execPath, ...nodeArgs]
    : ['--import', join(root, 'bench', 'peak-rss.mjs'), ...nodeArgs];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, argv, {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env, FLOWDUMP_BENCH_RSS_FILE: rssFile, NO_COLOR: '1' },
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const [rssKiB, user, system] = readFileSync(rssFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      rmSync(rssFile, { force: true });
      resolve({ seconds, cpu: user + system, rssMB: (rssKiB * 1024) / 1e6, code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** One warm-up run (page cache, JIT of nothing: every run is a new process), then `runs` timed ones. */
async function measure(label, nodeArgs, check) {
  const samples = [];
  for (let i = 0; i <= runs; i++) {
    const run = await runNode(nodeArgs);
    if (run.code !== 0) throw new Error(`${label} exited with ${run.code}:\n${run.stderr}`);
    if (i === 0) check?.(run);
    else samples.push(run);
    process.stderr.write('.');
  }
  const seconds = samples.map((run) => run.seconds);
  const rss = samples.map((run) => run.rssMB);
  return { median: median(seconds), min: Math.min(...seconds), max: Math.max(...seconds), cpu: median(samples.map((run) => run.cpu)), rssMB: median(rss), rssMax: Math.max(...rss) };
}

/** The analyzer's answer must be the generator's truth: every record counted, every connection classified right. */
function checkAgainstTruth(set, truth) {
  return (run) => {
    const summary = JSON.parse(run.stdout);
    const problems = [];
    for (const [key, value] of Object.entries(truth.records)) if (summary.records[key] !== value) problems.push(`records.${key} ${summary.records[key]} ≠ ${value}`);
    for (const [key, value] of Object.entries(truth.tcp)) if (summary.tcp[key] !== value) problems.push(`tcp.${key} ${summary.tcp[key]} ≠ ${value}`);
    if (problems.length > 0) throw new Error(`flowdump analyze gave a wrong answer on ${set.name}: ${problems.join(', ')}`);
  };
}

// This machine may be shared: the load average says how much else ran beside the bench.
const loadBefore = loadavg()[0];
const results = [];
for (const set of sets) {
  const { file, truth } = await dataSet(set);
  process.stderr.write(`${set.name}: analyze `);
  const analyze = await measure(`flowdump analyze ${file}`, [args.cli, 'analyze', file, '--json'], checkAgainstTruth(set, truth));
  let gunzip = null;
  if (!args['no-gunzip']) {
    process.stderr.write(' gunzip ');
    gunzip = await measure('gunzip', [join('bench', 'gunzip-lines.mjs'), file], (run) => {
      const lines = Number(run.stdout.trim());
      if (lines !== truth.records.total + 1) throw new Error(`gunzip counted ${lines} lines, expected ${truth.records.total + 1}`);
    });
  }
  process.stderr.write('\n');
  const mb = truth.bytes / 1e6;
  results.push({
    name: set.name,
    records: truth.records.total,
    connections: truth.tcp.connections,
    uncompressedMB: mb,
    analyze,
    recordsPerSecond: truth.records.total / analyze.median,
    mbPerSecond: mb / analyze.median,
    gunzip,
  });
}

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const lines = [
  `Machine: ${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'}), ${fmt(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version}; ${runs} runs each, median (min–max); peak RSS by ${haveGnuTime ? 'GNU time (%M)' : 'process.resourceUsage().maxRSS'}; load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`,
  '',
  '| data | records | TCP connections | uncompressed | `analyze --json` | records/s | MB/s | CPU (user+sys) | peak RSS | gunzip + line count | its CPU |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const r of results) {
  const g = r.gunzip ? `${r.gunzip.median.toFixed(2)} s (${r.gunzip.min.toFixed(2)}–${r.gunzip.max.toFixed(2)}) | ${r.gunzip.cpu.toFixed(2)} s` : '– | –';
  lines.push(
    `| ${r.name} | ${fmt(r.records)} | ${fmt(r.connections)} | ${fmt(r.uncompressedMB)} MB | ${r.analyze.median.toFixed(2)} s (${r.analyze.min.toFixed(2)}–${r.analyze.max.toFixed(2)}) | ${fmt(r.recordsPerSecond)} | ${fmt(r.mbPerSecond)} | ${r.analyze.cpu.toFixed(2)} s | ${fmt(r.analyze.rssMB)} MB | ${g} |`,
  );
}
lines.push('');
for (const r of results) {
  const speed = r.recordsPerSecond >= TARGET_RECORDS_PER_SECOND ? 'meets' : 'misses';
  const rss = r.analyze.rssMax < TARGET_RSS_MB ? 'under' : 'over';
  lines.push(`${r.name} (${fmt(r.connections)} connections): ${speed} the ${fmt(TARGET_RECORDS_PER_SECOND)} records/s target; peak RSS ${rss} ${TARGET_RSS_MB} MB (largest of the runs ${fmt(r.analyze.rssMax)} MB)`);
}
if (results.length > 0) console.log(lines.join('\n'));

const extras = {};
if (!wanted || wanted.has('500-files')) {
  // the same 5 M records as one file and as a folder of 500 objects, runs alternating
  const set = DATA_SETS.find((candidate) => candidate.name === '5m');
  const { file, truth } = await dataSet(set);
  const folder = `${file.replace(/\.log\.gz$/, '')}-500`;
  if (!existsSync(folder)) {
    process.stderr.write(`splitting ${file} into 500 objects (once, then cached) … `);
    await splitFlowLog(file, `${folder}.partial`, 500, truth.records.total);
    renameSync(`${folder}.partial`, folder);
    process.stderr.write('done\n');
  }
  process.stderr.write('500-files: ');
  const one = [];
  const many = [];
  for (let i = 0; i <= runs; i++) {
    const a = await runNode([args.cli, 'analyze', file, '--json']);
    const b = await runNode([args.cli, 'analyze', folder, '--json']);
    if (a.code !== 0 || b.code !== 0) throw new Error(`analyze exited with ${a.code}/${b.code}: ${a.stderr}${b.stderr}`);
    if (i === 0) {
      const [x, y] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
      if (JSON.stringify(x.tcp) !== JSON.stringify(y.tcp) || x.records.total !== y.records.total) throw new Error('the folder of 500 objects gave another summary than the one file');
      continue;
    }
    one.push(a.seconds);
    many.push(b.seconds);
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  extras.files = { one: median(one), many: median(many), ratio: median(many.map((value, i) => value / one[i])) };
  console.log(`\n500 gzip objects vs one file (5 M records): one file ${extras.files.one.toFixed(2)} s, folder ${extras.files.many.toFixed(2)} s (medians of ${runs}); folder/file ${extras.files.ratio.toFixed(2)}× (median of the per-run ratios)`);
}
if (!wanted || wanted.has('s3-latency')) {
  process.stderr.write('s3-latency: ');
  const s3 = await measureS3Latency({ objects: 200, delay: 50, runs: Math.max(1, Math.min(runs, 3)), cli: args.cli });
  process.stderr.write('\n');
  extras.s3 = s3;
  console.log(`\nS3 (moto behind a delaying proxy): ${describeS3Latency(s3)}`);
}
if (!wanted || wanted.has('athena-1m')) {
  process.stderr.write('athena-1m: the local analyzer and the Athena SELECT (in DuckDB) on 1 M generated records …\n');
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const run = await runNode([vitest, 'run', 'test/athena/generated-capture.test.ts'], { FLOWDUMP_ATHENA_RECORDS: '1000000' });
  const line = `${run.stdout}\n${run.stderr}`.split('\n').find((text) => /^\d+ records, \d+ connections/.test(text.trim()));
  if (run.code !== 0) throw new Error(`the engines disagree on 1 M records (test/athena/generated-capture.test.ts exited with ${run.code}):\n${run.stdout.slice(-4000)}`);
  extras.athena = { equal: true, detail: line?.trim() };
  console.log(`\nLocal vs Athena SQL (DuckDB), 1 M generated records: the same summary. ${line?.trim() ?? ''}`);
}
if (args.json) console.log(JSON.stringify({ results, ...extras }, null, 2));
