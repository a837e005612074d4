#!/usr/bin/env node
// Checks flowdump's bytes-per-record model (src/cost/record-size.ts) against real flow-log
// records: for every file under the given directories, the mean length of its OK records
// and of its NODATA/SKIPDATA records (newline included) next to the model's figure for the
// same fields. Not part of `npm test`: the public samples live outside the repository.
//
//   npm run build && node scripts/record-size-check.mjs ../shared/samples [--markdown] [--tolerance 15]
//
// Headerless files are read as the default format, except the long Elastic test formats,
// which are recognised by their token count (29 = all v5 fields, 39 = + ECS, 40 = + reject-reason),
// the way Elastic's own pipeline picks them. A file outside the tolerance fails the check
// unless EXPLAINED below names why (synthetic placeholder values, not a model error);
// exit status 1 when an unexplained file misses.
import { localSources } from '../dist/analyze/sources.js';
import { readSources } from '../dist/analyze/run.js';
import { estimateRecordBytes } from '../dist/cost/record-size.js';

const V5_ORDER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path'.split(' ');
const ECS = 'ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id'.split(' ');
const TGW_DEFAULT = 'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service'.split(' ');
const BY_TOKEN_COUNT = { 29: V5_ORDER, 36: TGW_DEFAULT, 39: [...V5_ORDER, ...ECS], 40: [...V5_ORDER, ...ECS, 'reject-reason'] };

const args = process.argv.slice(2);
const markdown = args.includes('--markdown');
const tolIndex = args.indexOf('--tolerance');
const tolerance = tolIndex >= 0 ? Number(args[tolIndex + 1]) : 15;
const paths = args.filter((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--tolerance');
if (paths.length === 0) {
  console.error('usage: node scripts/record-size-check.mjs <dir-or-file>... [--markdown] [--tolerance PCT]');
  process.exit(2);
}

// Files whose values are placeholders or an interface kind the model does not assume.
const EXPLAINED = {
  'example-nat.log': 'NAT gateway interface: instance-id is "-" (the model assumes an instance id, 18 bytes more)',
  'custom-nat-gateway.log': 'NAT gateway interface: instance-id is "-" (the model assumes an instance id, 18 bytes more)',
  'sample1.log': 'pre-2018 8-hex interface id (eni-70594239); current ids have 17 hex digits',
  'sample2.log.gz': 'pre-2018 8-hex interface id (eni-70594239); current ids have 17 hex digits',
  'test_flowlogs_reader.V3_FILE.log': 'placeholder 8-hex instance/subnet/vpc ids',
  'test_flowlogs_reader.V6_FILE.log': 'placeholder values (00000000) in every transit gateway id field',
  'test-ecs-samples.log': 'made-up test data: NODATA rows still carry addresses and ECS values, ECS ids cut to 12 characters',
  'test-v8-samples.log': 'made-up test data: a NODATA row that carries addresses and ECS values',
  'test-tgw-samples.log': 'made-up test data: NODATA/SKIPDATA rows carry addresses, ids shortened (vpc-0abc1234)',
  'valid_vpc_flow_log_ecs.log': 'placeholder ECS values (container-1, abcdef…) instead of ARNs and 64-hex container ids',
};
const explanation = (source) => EXPLAINED[source.split('/').pop()];

const isIp6 = (text) => text.includes(':');
const files = new Map();
// An S3 layout (…/AWSLogs/…) is one capture: one row for all its files.
const group = (source) => source.replace(/\/AWSLogs\/.*$/, '/ (all files)');
const entry = (rawSource, fields) => {
  const source = group(rawSource);
  const key = `${source}\u0000${fields.join(' ')}`;
  let e = files.get(key);
  if (!e) {
    e = { source, fields, ok: { n: 0, sum: 0 }, nodata: { n: 0, sum: 0 }, ipv6: 0 };
    files.set(key, e);
  }
  return e;
};
const classify = (fields, tokens) => {
  const status = tokens[fields.indexOf('log-status')];
  if (status === 'NODATA' || status === 'SKIPDATA') return 'nodata';
  if (!fields.includes('log-status')) {
    // without log-status: all flow fields `-` means NODATA (docs/analyzer.md)
    const flow = ['srcaddr', 'dstaddr', 'srcport', 'dstport'].filter((f) => fields.includes(f));
    if (flow.length > 0 && flow.every((f) => tokens[fields.indexOf(f)] === '-')) return 'nodata';
  }
  return 'ok';
};
const add = (source, fields, tokens, length) => {
  const e = entry(source, fields);
  const kind = classify(fields, tokens);
  e[kind].n++;
  e[kind].sum += length + 1;
  if (['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr'].some((f) => fields.includes(f) && isIp6(tokens[fields.indexOf(f)] ?? ''))) e.ipv6++;
};

const skip = (source) => /\.parquet$/i.test(source); // Parquet rows have no text length
const sink = {
  record(view) {
    if (skip(view.source)) return;
    const text = view.lineText();
    add(view.source, [...view.format.fields], text.split(/\s+/), text.length);
  },
  malformed(where, reason) {
    // A headerless file in a long Elastic test format: read it again in that format.
    const found = /found (\d+)/.exec(reason);
    if (found && BY_TOKEN_COUNT[Number(found[1])]) reread.set(where.source, Number(found[1]));
  },
};
const reread = new Map();
const sources = await localSources(paths);
const onProblem = (problem) => console.error(`${problem.source}: ${problem.message}`);
await readSources(sources, sink, {}, onProblem);
for (const [name, count] of reread) {
  await readSources(sources.filter((source) => source.name === name), sink, { format: { fields: BY_TOKEN_COUNT[count], origin: 'template' }, explicitFormat: true }, onProblem);
}

const rows = [];
let failures = 0;
let explained = 0;
for (const e of [...files.values()].sort((a, b) => a.source.localeCompare(b.source))) {
  const family = e.ipv6 > (e.ok.n + e.nodata.n) / 2 ? 'ipv6' : 'ipv4';
  const ecsEmpty = false;
  const model = estimateRecordBytes(e.fields, { addressFamily: family, ecs: ecsEmpty ? 'empty' : 'filled' });
  const cell = (kind) => {
    const s = e[kind];
    if (s.n === 0) return { text: '–', error: undefined };
    const mean = s.sum / s.n;
    const predicted = model[kind];
    const error = (100 * (predicted - mean)) / mean;
    return { text: `${s.n} × ${mean.toFixed(1)} → ${predicted} (${error >= 0 ? '+' : ''}${error.toFixed(1)}%)`, error };
  };
  const ok = cell('ok');
  const nodata = cell('nodata');
  const outside = [ok.error, nodata.error].some((error) => error !== undefined && Math.abs(error) > tolerance);
  const why = outside ? explanation(e.source) : undefined;
  const miss = outside && !why;
  if (miss) failures++;
  if (why) explained++;
  rows.push({ file: e.source.replace(/^.*samples\//, ''), fields: e.fields.length, family, ok: ok.text, nodata: nodata.text, miss, why });
}

if (markdown) {
  console.log('| file | fields | addresses | OK records: n × measured → model | NODATA/SKIPDATA: n × measured → model | outside ±' + tolerance + '% because |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.file} | ${r.fields} | ${r.family} | ${r.ok} | ${r.nodata} | ${r.why ?? (r.miss ? '**unexplained**' : '')} |`);
} else {
  for (const r of rows) console.log(`${r.miss ? 'MISS' : r.why ? 'expl' : 'ok  '} ${r.file} [${r.fields} fields, ${r.family}]  OK: ${r.ok}  NODATA: ${r.nodata}${r.why ? `  (${r.why})` : ''}`);
}
console.log(`\n${rows.length - failures - explained} within ±${tolerance}%, ${explained} outside with a known cause, ${failures} outside unexplained`);
process.exitCode = failures > 0 ? 1 : 0;
