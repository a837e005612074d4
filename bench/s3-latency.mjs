// S3 reads with a first-byte delay: `flowdump analyze s3://…` over many objects, as it waits on
// real S3 (tens of ms before each GET's first byte), one object at a time (--concurrency 1) and
// with the default read-ahead, in the same run.
//
// It starts moto (test/integration/moto_launcher.py) and, in front of it, a small HTTP proxy that
// holds every object GET for --delay ms before passing it on (listings are not delayed), seeds
// --objects gzip objects under one prefix and runs the built CLI against the proxy.
//
// Usage: node bench/s3-latency.mjs [--objects 200] [--delay 50] [--runs 3] [--cli bin/flowdump]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Starts moto on a free loopback port; resolves with its port and a stop function. */
async function startMoto() {
  const python = process.env.FLOWDUMP_TEST_PYTHON ?? 'python3';
  const child = spawn(python, [join(root, 'test', 'integration', 'moto_launcher.py'), '--host', '127.0.0.1', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr.resume();
  let out = '';
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /MOTO_READY (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`moto exited (${code}); is moto installed? (python3 -m pip install "moto[server]==5.2.1")`)));
  });
  return { port, stop: () => child.kill('SIGTERM') };
}

/** An HTTP proxy to `target` that delays the response of every object GET by `delayMs`. */
async function startDelayProxy(target, delayMs) {
  const state = { delay: delayMs };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://proxy');
    // path style: /bucket/key…; a listing is GET /bucket?list-type=2
    const objectGet = req.method === 'GET' && url.pathname.split('/').filter(Boolean).length >= 2;
    const forward = () => {
      const upstream = request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (error) => res.destroy(error));
      req.pipe(upstream);
    };
    if (objectGet && state.delay > 0) setTimeout(forward, state.delay);
    else forward();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: server.address().port, stop: () => server.close(), setDelay: (ms) => (state.delay = ms) };
}

function objectBody(i) {
  const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags';
  const lines = [header];
  for (let j = 0; j < 200; j++) {
    const port = 30000 + ((i * 200 + j) % 30000);
    lines.push(`2 123456789012 eni-0a1b2c3d 10.0.${i % 200}.${(j % 250) + 1} 10.1.0.10 ${port} 443 6 3 180 1777640400 1777640460 ACCEPT OK 2`);
    if (j % 5 !== 0) lines.push(`2 123456789012 eni-0a1b2c3d 10.1.0.10 10.0.${i % 200}.${(j % 250) + 1} 443 ${port} 6 3 180 1777640400 1777640460 ACCEPT OK 18`);
  }
  return gzipSync(`${lines.join('\n')}\n`);
}

function run(cli, args, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** Seeds the objects and measures; returns { serial, parallel } medians in seconds and the records read. */
export async function measureS3Latency({ objects = 200, delay = 50, runs = 3, cli = join(root, 'bin', 'flowdump'), concurrency = 16, log = (text) => process.stderr.write(text) } = {}) {
  const { S3Client, CreateBucketCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
  const moto = await startMoto();
  const proxy = await startDelayProxy(moto.port, delay);
  const home = mkdtempSync(join(tmpdir(), 'flowdump-bench-s3-'));
  try {
    const region = 'eu-west-1';
    const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
    const s3 = new S3Client({ region, endpoint: `http://127.0.0.1:${moto.port}`, forcePathStyle: true, credentials });
    const bucket = 'bench-flow-logs';
    await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: region } }));
    const prefix = `AWSLogs/123456789012/vpcflowlogs/${region}/2026/05/01/`;
    for (let i = 0; i < objects; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, objects - i) }, (_, k) =>
          s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}123456789012_vpcflowlogs_${region}_fl-0abc_20260501T1200Z_${String(i + k).padStart(4, '0')}.log.gz`, Body: objectBody(i + k) })),
        ),
      );
    }
    s3.destroy();
    const env = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_STATE_HOME: home,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${proxy.port}`,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: region,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      NO_COLOR: '1',
    };
    const source = `s3://${bucket}/${prefix}`;
    const times = { serial: [], parallel: [], serialNoDelay: [], parallelNoDelay: [] };
    let records;
    // alternate them, so all see the same load on a shared machine; without the delay, what is left is moto's and flowdump's own work
    for (let i = 0; i < runs; i++) {
      for (const [name, value, ms] of [
        ['serial', '1', delay],
        ['parallel', String(concurrency), delay],
        ['serialNoDelay', '1', 0],
        ['parallelNoDelay', String(concurrency), 0],
      ]) {
        proxy.setDelay(ms);
        const result = await run(cli, ['analyze', source, '--json', '--concurrency', value], env);
        if (result.code !== 0) throw new Error(`flowdump analyze ${source} --concurrency ${value} exited with ${result.code}:\n${result.stderr}`);
        const summary = JSON.parse(result.stdout);
        if (summary.sources.count !== objects) throw new Error(`read ${summary.sources.count} objects, expected ${objects}`);
        if (records !== undefined && JSON.stringify(summary.tcp) !== JSON.stringify(records.tcp)) throw new Error('the summary differs between --concurrency 1 and the default');
        records = summary;
        times[name].push(result.seconds);
        log('.');
      }
    }
    const m = Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
    // the waiting: what the delay added to each
    const waiting = { serial: m.serial - m.serialNoDelay, parallel: m.parallel - m.parallelNoDelay };
    return { objects, delay, concurrency, records: records.records.total, ...m, waiting, samples: times };
  } finally {
    proxy.stop();
    moto.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

export function describeS3Latency(r) {
  return (
    `${r.objects} S3 objects (${r.records.toLocaleString('en-US')} records), ${r.delay} ms before each GET's first byte: ` +
    `--concurrency 1 ${r.serial.toFixed(2)} s, --concurrency ${r.concurrency} ${r.parallel.toFixed(2)} s (${(r.parallel / r.serial).toFixed(2)} of the time); ` +
    `without the delay ${r.serialNoDelay.toFixed(2)} s and ${r.parallelNoDelay.toFixed(2)} s, so the waiting is ${r.waiting.serial.toFixed(2)} s one at a time and ${r.waiting.parallel.toFixed(2)} s read ahead (${(r.waiting.parallel / r.waiting.serial).toFixed(2)}); medians of ${r.samples.serial.length} runs each`
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { objects: { type: 'string', default: '200' }, delay: { type: 'string', default: '50' }, runs: { type: 'string', default: '3' }, cli: { type: 'string', default: join(root, 'bin', 'flowdump') }, concurrency: { type: 'string', default: '16' } } });
  const result = await measureS3Latency({ objects: Number(values.objects), delay: Number(values.delay), runs: Number(values.runs), cli: values.cli, concurrency: Number(values.concurrency) });
  process.stderr.write('\n');
  console.log(describeS3Latency(result));
}
