#!/usr/bin/env node
// Conformance run: the built analyzer (dist/) against the public samples and their peers'
// expected output, as listed in <samples>/CONFORMANCE.md.
//
//   npm run conformance -- <samples-dir> [--summary-file <file>]
//
// (b) every row of the handshake-verdict table; (a)/(c) our typed records against the
// expected parse of obsrvbl flowlogs-reader, Elastic beats and integrations, and the
// OpenTelemetry collector, after the normalisations CONFORMANCE.md lists; (athena) the Athena
// summary SELECT, run in DuckDB over each sample loaded as Athena's text table reads it, against
// the local analyzer's summary of the same sample. Prints one line per
// check, writes {"passed","failed","checks"} to --summary-file (.ci/run adds it to its count)
// and exits 1 when a check fails. Where a peer deliberately differs from flowdump's rules (docs/analyzer.md) the check
// passes and names the difference; docs/conformance.md lists them.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { flagNames } from '../dist/analyze/classify.js';
import { analyzeSources, readSources, recordCallbackSink } from '../dist/analyze/run.js';
import { localSources } from '../dist/analyze/sources.js';
import { parseLogFormat } from '../dist/format/template.js';
import { athenaColumns } from '../dist/athena/columns.js';
import { textFields } from '../dist/athena/run.js';
import { summaryFromAnswer } from '../dist/athena/summary-rows.js';
import { summarySql } from '../dist/athena/summary-sql.js';
import { comparable, duckdbSummary, fileLines } from './athena-duckdb.mjs';


// ---------------------------------------------------------------------------------------------
// arguments

function parseArgs(argv) {
  const options = { samples: undefined, summaryFile: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--summary-file') options.summaryFile = argv[++i];
    else if (arg.startsWith('--summary-file=')) options.summaryFile = arg.slice('--summary-file='.length);
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run conformance -- <samples-dir> [--summary-file <file>]');
      process.exit(0);
    } else if (!options.samples) options.samples = arg;
    else {
      console.error(`conformance: unexpected argument "${arg}"; usage: npm run conformance -- <samples-dir> [--summary-file <file>]`);
      process.exit(2);
    }
  }
  if (!options.samples) {
    console.error('conformance: give the samples directory, e.g. npm run conformance -- ../shared/samples');
    process.exit(2);
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const SAMPLES = resolve(options.samples);
const sample = (...parts) => join(SAMPLES, ...parts);

// ---------------------------------------------------------------------------------------------
// formats named in CONFORMANCE.md / the samples README

const V2 = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const FORMATS_BY_TOKENS = {
  14: V2,
  6: 'instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr',
  17: 'version interface-id account-id vpc-id subnet-id instance-id srcaddr dstaddr srcport dstport protocol tcp-flags type pkt-srcaddr pkt-dstaddr action log-status',
  21: 'version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status',
  29: `${V2} vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path`,
  36: 'version resource-type account-id tgw-id tgw-attachment-id tgw-src-vpc-account-id tgw-dst-vpc-account-id tgw-src-vpc-id tgw-dst-vpc-id tgw-src-subnet-id tgw-dst-subnet-id tgw-src-eni tgw-dst-eni tgw-src-az-id tgw-dst-az-id tgw-pair-attachment-id srcaddr dstaddr srcport dstport protocol packets bytes start end log-status type packets-lost-no-route packets-lost-blackhole packets-lost-mtu-exceeded packets-lost-ttl-expired tcp-flags region flow-direction pkt-src-aws-service pkt-dst-aws-service',
};
const ECS = 'ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id';
FORMATS_BY_TOKENS[39] = `${FORMATS_BY_TOKENS[29]} ${ECS}`;
FORMATS_BY_TOKENS[40] = `${FORMATS_BY_TOKENS[39]} reject-reason`;

const IANA = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'ipv6-icmp' };

// ---------------------------------------------------------------------------------------------
// running our analyzer

/** Our typed records of some files: RecordView.toRecord() through a sink, plus malformed lines. */
async function readRecords(paths, format) {
  const records = [];
  const malformed = [];
  const warnings = [];
  const problems = [];
  const sink = recordCallbackSink(
    (view) => records.push({ record: view.toRecord(), text: view.lineText(), line: view.line, source: view.source }),
    (where, reason, text) => malformed.push({ ...where, reason, text }),
    (message) => warnings.push(message),
  );
  await readSources(await localSources(paths), sink, format ? { format: parseLogFormat(format, 'template'), explicitFormat: true } : {}, (p) => problems.push(p));
  return { records, malformed, warnings, problems };
}

/** Our summary and every connection's verdict. */
async function analyze(paths, format) {
  const { summary, table } = await analyzeSources(await localSources(paths), format ? { format: parseLogFormat(format, 'template'), explicitFormat: true } : {});
  const connections = [];
  for (let i = 0; i < table.connectionCount; i++) connections.push(table.connection(i));
  return { summary, connections };
}

// ---------------------------------------------------------------------------------------------
// checks

const checks = [];
/** samples a check cannot apply to, with why: printed, listed in the summary file, not counted */
const skipped = [];

/** A check collects differences; `deliberate` ones are documented (docs/conformance.md), not failures. */
class Diff {
  constructor() {
    this.diffs = [];
    this.deliberate = new Set();
    this.compared = 0;
  }
  equal(what, ours, expected) {
    this.compared++;
    if (!sameValue(ours, expected)) this.diffs.push(`${what}: ours ${show(ours)}, expected ${show(expected)}`);
  }
  true(what, condition) {
    if (!condition) this.diffs.push(what);
  }
}

async function check(name, body) {
  const diff = new Diff();
  try {
    await body(diff);
  } catch (error) {
    diff.diffs.push(`could not run: ${error?.code === 'ENOENT' ? `missing file ${error.path}` : (error?.message ?? String(error))}`);
  }
  const passed = diff.diffs.length === 0;
  const deliberate = [...diff.deliberate];
  checks.push({ name, passed, compared: diff.compared, differences: diff.diffs, deliberate });
  const note = ` [${diff.compared} values compared]${deliberate.length > 0 ? ` (documented difference: ${deliberate.join('; ')})` : ''}`;
  console.log(passed ? `PASS  ${name}${note}` : `FAIL  ${name}: ${diff.diffs.slice(0, 8).join('; ')}${diff.diffs.length > 8 ? `; … ${diff.diffs.length - 8} more` : ''}`);
}

function sameValue(a, b) {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return a === b;
}

function show(value) {
  return value === undefined ? '(absent)' : JSON.stringify(value);
}

const endpoint = (e) => (e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`);
const pair = (c) => [endpoint(c.client), endpoint(c.server)].sort().join(' ↔ ');
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const isoSeconds = (text) => Date.parse(/Z$|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`) / 1000;

// ---------------------------------------------------------------------------------------------
// (b) handshake verdicts: every row of the CONFORMANCE.md table

async function handshakeChecks() {
  await check('(b) awsdocs/example-tcp-flag.log: 3 established (:43418, :43638 closed; :43416 open), client 52.213.180.42', async (d) => {
    const { summary, connections } = await analyze([sample('awsdocs-amazon-vpc-user-guide', 'example-tcp-flag.log')]);
    d.equal('records.total', summary.records.total, 8);
    d.equal('records.malformed', summary.records.malformed, 0);
    d.equal('connections', summary.tcp.connections, 3);
    d.equal('established', summary.tcp.established, 3);
    d.equal('closed', summary.tcp.closed, 2);
    const byPort = Object.fromEntries(connections.map((c) => [c.client.port, c]));
    for (const [port, closed] of [[43416, false], [43418, true], [43638, true]]) {
      const c = byPort[port];
      d.true(`no connection from client port ${port}`, c !== undefined);
      if (!c) continue;
      d.equal(`:${port} class`, c.class, 'established');
      d.equal(`:${port} closed`, c.closed, closed);
      d.equal(`:${port} client`, c.client.address, '52.213.180.42');
    }
  });

  await check('(b) awsdocs/example-tgw.log: 1 connection 10.20.33.164:39812 ↔ 10.40.2.236:80 across 3 ENIs, established + closed, 1 malformed, 2 hops', async (d) => {
    const { summary, connections } = await analyze([sample('awsdocs-amazon-vpc-user-guide', 'example-tgw.log')]);
    d.equal('records.tcp', summary.records.tcp, 4);
    d.equal('records.malformed', summary.records.malformed, 1);
    d.equal('records.total (malformed included)', summary.records.total, 5);
    d.equal('connections', connections.map(pair), ['10.20.33.164:39812 ↔ 10.40.2.236:80']);
    d.equal('class', connections[0]?.class, 'established');
    d.equal('closed', connections[0]?.closed, true);
    d.equal('natHops.records', summary.natHops.records, 2);
    d.equal('interfaces', summary.interfaces.count, 3);
  });

  await check('(b) awsdocs/example-traffic-path.log: SYN-ACK row first; 1 connection, established + closed, client 10.0.0.71', async (d) => {
    const { connections } = await analyze([sample('awsdocs-amazon-vpc-user-guide', 'example-traffic-path.log')]);
    d.equal('connections', connections.map(pair), ['10.0.0.71:34210 ↔ 52.95.128.179:80']);
    d.equal('class', connections[0]?.class, 'established');
    d.equal('closed', connections[0]?.closed, true);
    d.equal('client', connections[0] && endpoint(connections[0].client), '10.0.0.71:34210');
  });

  await check('(b) elastic-beats/tcp-flag-sequence.log: :43416 unanswered, :43638 established + closed', async (d) => {
    const { summary, connections } = await analyze([sample('elastic-beats', 'tcp-flag-sequence.log')]);
    d.equal('connections', summary.tcp.connections, 2);
    const byPort = Object.fromEntries(connections.map((c) => [c.client.port, c]));
    d.equal(':43416 class', byPort[43416]?.class, 'unanswered');
    d.equal(':43638 class', byPort[43638]?.class, 'established');
    d.equal(':43638 closed', byPort[43638]?.closed, true);
  });

  await check('(b) elastic-integrations/test-tcp-flag-sequence.log (--log-format 21 fields): 1 unanswered, 1 nodata, 1 skipdata', async (d) => {
    const { summary } = await analyze([sample('elastic-integrations', 'test-tcp-flag-sequence.log')], FORMATS_BY_TOKENS[21]);
    d.equal('connections', summary.tcp.connections, 1);
    d.equal('unanswered', summary.tcp.unanswered, 1);
    d.equal('nodata', summary.records.nodata, 1);
    d.equal('skipdata', summary.records.skipdata, 1);
    d.equal('skipdata windows reported', summary.gaps.skipdata.length, 1);
  });

  await check('(b) ocsf-examples/markdown-v1.1.0/vpcflowlog.raw (CSV): 1 rejected (REJECT with SYN)', async (d) => {
    const { summary } = await analyze([sample('ocsf-examples', 'markdown-v1.1.0', 'vpcflowlog.raw')]);
    d.equal('records.malformed', summary.records.malformed, 0);
    d.equal('connections', summary.tcp.connections, 1);
    d.equal('rejected', summary.tcp.rejected, 1);
    d.equal('classified', summary.tcp.classified, true);
  });

  await check('(b) awsdocs/example-accepted-rejected.log: no tcp-flags; TCP REJECT → rejected, ACCEPT → midstream', async (d) => {
    const { summary } = await analyze([sample('awsdocs-amazon-vpc-user-guide', 'example-accepted-rejected.log')]);
    d.equal('classified', summary.tcp.classified, false);
    d.equal('connections', summary.tcp.connections, 2);
    d.equal('rejected', summary.tcp.rejected, 1);
    d.equal('midstream', summary.tcp.midstream, 1);
  });

  await check('(b) elastic-beats/accept-reject-traffic.log: TCP REJECT → rejected, ACCEPT → midstream, ICMP tallied', async (d) => {
    const { summary } = await analyze([sample('elastic-beats', 'accept-reject-traffic.log')]);
    d.equal('classified', summary.tcp.classified, false);
    d.equal('rejected', summary.tcp.rejected, 1);
    d.equal('midstream', summary.tcp.midstream, 1);
    d.equal('records.icmp', summary.records.icmp, 2);
    d.equal('icmp rejected', summary.icmp.rejected, 1);
  });

  await check('(b) opensearch-catalog/raw.log: 362 TCP records, all connections midstream, 8 UDP, 1 ICMP, 404 NODATA, no handshake information', async (d) => {
    const path = sample('opensearch-catalog', 'raw.log');
    const { summary } = await analyze([path]);
    d.equal('records.total', summary.records.total, 775);
    d.equal('records.tcp', summary.records.tcp, 362);
    d.equal('records.udp', summary.records.udp, 8);
    d.equal('records.icmp', summary.records.icmp, 1);
    d.equal('records.nodata', summary.records.nodata, 404);
    d.equal('classified', summary.tcp.classified, false);
    d.true(`reason does not say tcp-flags are missing: ${show(summary.tcp.reason)}`, /no tcp-flags field/.test(summary.tcp.reason ?? ''));
    d.equal('midstream = connections', summary.tcp.midstream, summary.tcp.connections);
    // count the unordered 5-tuples independently, from the typed records (CONFORMANCE.md: "about 236")
    const { records } = await readRecords([path]);
    const tuples = new Set();
    for (const { record: r } of records) {
      if (r.protocol !== 6 || r['log-status'] !== 'OK') continue;
      const a = `${r.srcaddr} ${r.srcport}`;
      const b = `${r.dstaddr} ${r.dstport}`;
      tuples.add(a < b ? `${a} ${b}` : `${b} ${a}`);
    }
    d.equal('connections = distinct unordered 5-tuples', summary.tcp.connections, tuples.size);
    d.true(`connections ${summary.tcp.connections} is not "about 236"`, Math.abs(summary.tcp.connections - 236) <= 5);
  });

  await check('(b) grafana/aws-flow-logs-10.3.11.57-142.250.185.91.log: 1 connection 142.250.185.91:443 ↔ 10.3.11.57:44160 (pkt-addr), midstream, 31 NAT hops', async (d) => {
    const { summary, connections } = await analyze([sample('grafana-vpc-flow-logs-analyzer', 'aws-flow-logs-10.3.11.57-142.250.185.91.log')]);
    d.equal('connections', connections.map(pair), ['10.3.11.57:44160 ↔ 142.250.185.91:443']);
    d.equal('class', connections[0]?.class, 'midstream');
    d.equal('natHops.records', summary.natHops.records, 31);
    d.equal('peer (server side)', summary.peers.map((p) => p.peer), ['142.250.185.91:443']);
  });
}

// ---------------------------------------------------------------------------------------------
// (a) obsrvbl flowlogs-reader: typed dicts, keys with `_`, `-` absent, start/end UTC datetimes

function toFlowlogsReader(record) {
  const out = {};
  for (const [key, value] of Object.entries(record)) out[key.replace(/-/g, '_')] = value;
  return out;
}

function compareFlowlogsReader(d, label, ours, expected) {
  const theirs = { ...expected };
  for (const key of ['start', 'end']) if (typeof theirs[key] === 'string') theirs[key] = isoSeconds(theirs[key]);
  const mine = toFlowlogsReader(ours);
  const keys = new Set([...Object.keys(mine), ...Object.keys(theirs)]);
  for (const key of [...keys].sort()) d.equal(`${label} ${key}`, mine[key], theirs[key]);
}

async function flowlogsReaderChecks() {
  const dir = sample('obsrvbl-flowlogs-reader');
  let expected;
  try {
    expected = readJson(join(dir, 'test_flowlogs_reader.expected.json'));
  } catch (error) {
    await check('(a) obsrvbl-flowlogs-reader expected.json', () => {
      throw error;
    });
    return;
  }
  const cases = [
    ['V2_RECORDS[0]', 'test_flowlogs_reader.V2_RECORDS.log', { first: true, malformed: 0 }],
    ['V3_FILE', 'test_flowlogs_reader.V3_FILE.log', { malformed: 0 }],
    ['V4_FILE', 'test_flowlogs_reader.V4_FILE.log', { malformed: 0 }],
    ['V5_FILE', 'test_flowlogs_reader.V5_FILE.log', { malformed: 1 }],
    ['V6_FILE', 'test_flowlogs_reader.V6_FILE.log', { malformed: 0 }],
    ['flows.parquet', 'flows.parquet', { malformed: 0 }],
  ];
  for (const [key, file, { first, malformed }] of cases) {
    await check(`(a) obsrvbl-flowlogs-reader ${key} (${file})`, async (d) => {
      const { records, malformed: bad, problems } = await readRecords([join(dir, file)]);
      d.equal('read problems', problems.map((p) => p.message), []);
      d.equal('malformed lines', bad.length, malformed);
      const want = expected[key].expected;
      const ours = first ? records.slice(0, want.length) : records;
      d.equal('records', ours.length, want.length);
      want.forEach((row, i) => ours[i] && compareFlowlogsReader(d, `#${i + 1}`, ours[i].record, row));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// (a) Elastic: beats (flat keys) and integrations (nested), paired by event.original

/** our field → [Elastic key, how to read it] */
const ELASTIC = {
  version: ['aws.vpcflow.version', 'int'],
  'account-id': ['aws.vpcflow.account_id'],
  'interface-id': ['aws.vpcflow.interface_id'],
  srcaddr: ['source.address'],
  dstaddr: ['destination.address'],
  srcport: ['source.port', 'int'],
  dstport: ['destination.port', 'int'],
  protocol: ['network.iana_number', 'int'],
  packets: ['source.packets', 'int'],
  bytes: ['source.bytes', 'int'],
  start: ['event.start', 'time'],
  end: ['event.end', 'time'],
  action: ['aws.vpcflow.action'],
  'log-status': ['aws.vpcflow.log_status'],
  'vpc-id': ['aws.vpcflow.vpc_id'],
  'subnet-id': ['aws.vpcflow.subnet_id'],
  'instance-id': ['aws.vpcflow.instance_id'],
  'tcp-flags': ['aws.vpcflow.tcp_flags', 'int'],
  type: ['aws.vpcflow.type'],
  'pkt-srcaddr': ['aws.vpcflow.pkt_srcaddr'],
  'pkt-dstaddr': ['aws.vpcflow.pkt_dstaddr'],
  region: ['cloud.region'],
  'az-id': ['cloud.availability_zone'],
  'sublocation-type': ['aws.vpcflow.sublocation.type'],
  'sublocation-id': ['aws.vpcflow.sublocation.id'],
  'pkt-src-aws-service': ['aws.vpcflow.pkt_src_service'],
  'pkt-dst-aws-service': ['aws.vpcflow.pkt_dst_service'],
  'flow-direction': ['network.direction'],
  'traffic-path': ['aws.vpcflow.traffic_path', 'int'],
  'reject-reason': ['event.reason'],
  'ecs-cluster-arn': ['orchestrator.cluster.id'],
  'ecs-cluster-name': ['orchestrator.cluster.name'],
  'ecs-container-instance-arn': ['orchestrator.resource.name'],
  'ecs-container-instance-id': ['orchestrator.resource.id'],
  'ecs-service-name': ['service.name'],
  'ecs-container-id': ['aws.vpcflow.ecs_container_id'],
  'ecs-second-container-id': ['aws.vpcflow.ecs_second_container_id'],
  'ecs-task-definition-arn': ['aws.vpcflow.ecs_task_definition_arn'],
  'ecs-task-arn': ['aws.vpcflow.ecs_task_arn'],
  'ecs-task-id': ['aws.vpcflow.ecs_task_id'],
  'resource-type': ['aws.vpcflow.resource_type'],
};
for (const name of ['tgw-id', 'tgw-attachment-id', 'tgw-src-vpc-account-id', 'tgw-dst-vpc-account-id', 'tgw-src-vpc-id', 'tgw-dst-vpc-id', 'tgw-src-subnet-id', 'tgw-dst-subnet-id', 'tgw-src-eni', 'tgw-dst-eni', 'tgw-src-az-id', 'tgw-dst-az-id', 'tgw-pair-attachment-id']) {
  ELASTIC[name] = [`aws.vpcflow.${name.replace(/-/g, '_')}`];
}
for (const name of ['packets-lost-no-route', 'packets-lost-blackhole', 'packets-lost-mtu-exceeded', 'packets-lost-ttl-expired']) {
  ELASTIC[name] = [`aws.vpcflow.${name.replace(/-/g, '_')}`, 'int'];
}

/** `-` means "no value" (docs/analyzer.md). Elastic keeps a literal `-` in these (docs/conformance.md). */
const ELASTIC_KEEPS_DASH = new Set(['region', 'az-id']);

function flatten(object, prefix = '', out = {}) {
  for (const [key, value] of Object.entries(object)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      if (Object.keys(value).length > 0) flatten(value, path, out);
    } else out[path] = value;
  }
  return out;
}

function elasticValue(value, kind) {
  if (value === undefined) return undefined;
  if (kind === 'int') return typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : value;
  if (kind === 'time') return isoSeconds(String(value));
  return value;
}

function compareElastic(d, label, ours, format, event) {
  for (const field of format) {
    const mapping = ELASTIC[field];
    if (!mapping) continue; // a field Elastic does not emit
    const [key, kind] = mapping;
    const mine = ours.record[field];
    const theirs = elasticValue(event[key], kind);
    if (theirs === '-' && mine === undefined && ELASTIC_KEEPS_DASH.has(field)) {
      d.deliberate.add(`Elastic keeps "-" in ${key}; flowdump reads "-" as no value`);
      continue;
    }
    d.equal(`${label} ${field} (${key})`, mine, theirs);
  }
  // normalised cross-checks: transport name ↔ IANA number, tcp_flags_array as a set
  if (event['network.transport'] !== undefined && typeof ours.record.protocol === 'number' && IANA[ours.record.protocol]) {
    d.equal(`${label} network.transport`, IANA[ours.record.protocol], event['network.transport']);
  }
  if (Array.isArray(event['aws.vpcflow.tcp_flags_array'])) {
    d.equal(`${label} tcp_flags_array (as a set)`, flagNames(Number(ours.record['tcp-flags'] ?? 0)).sort(), [...event['aws.vpcflow.tcp_flags_array']].sort());
  }
}

/** Pairs each expected event with our record (or malformed line) of the same text. */
function compareElasticFile(d, events, read, formatOf) {
  const byText = new Map();
  for (const entry of read.records) {
    const list = byText.get(entry.text) ?? [];
    list.push(entry);
    byText.set(entry.text, list);
  }
  const badTexts = new Set(read.malformed.map((m) => m.text.trim()));
  d.equal('events vs our records + malformed lines', read.records.length + read.malformed.length, events.length);
  events.forEach((event, i) => {
    const original = event['event.original'];
    const label = `event ${i + 1}`;
    const parsedByPeer = Object.keys(event).some((key) => key.startsWith('aws.vpcflow.'));
    if (!parsedByPeer) {
      d.true(`${label}: the peer parsed nothing from ${show(original)}, but we did not count it malformed`, badTexts.has(original.trim()));
      return;
    }
    const ours = byText.get(original)?.shift();
    if (!ours) {
      d.diffs.push(`${label}: no record of ours for ${show(original)}${badTexts.has(original.trim()) ? ' (we counted it malformed)' : ''}`);
      return;
    }
    compareElastic(d, label, ours, formatOf(ours), event);
  });
}

async function elasticChecks() {
  const beats = sample('elastic-beats');
  for (const file of ['accept-reject-traffic.log', 'bad.log', 'custom-nat-gateway.log', 'custom-transit-gateway.log', 'ipv6.log', 'no-data-skip-data.log', 'tcp-flag-sequence-skip-data.log', 'tcp-flag-sequence.log']) {
    await check(`(a) elastic-beats ${file}`, async (d) => {
      const events = readJson(join(beats, `${file}-expected.json`));
      const read = await readRecords([join(beats, file)]);
      d.equal('read problems', read.problems.map((p) => p.message), []);
      compareElasticFile(d, events, read, (entry) => formatOfRecord(entry));
    });
  }

  const integrations = sample('elastic-integrations');
  for (const file of ['test-ecs-samples.log', 'test-extra-samples.log', 'test-tcp-flag-sequence.log', 'test-tgw-samples.log', 'test-v5-all-fields.log', 'test-v8-samples.log', 'test-with-message-field.log']) {
    await check(`(a) elastic-integrations ${file}`, async (d) => {
      const path = join(integrations, file);
      const events = readJson(`${path}-expected.json`).expected.map((event) => flatten(event));
      // Elastic picks the format by token count; so does this check (all lines of a file have one count)
      const counts = new Set(
        readFileSync(path, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => (line.trim().startsWith('{') ? JSON.parse(line).message : line).trim().split(/\s+/).length),
      );
      d.true(`lines have different token counts: ${[...counts].join(', ')}`, counts.size === 1);
      const format = FORMATS_BY_TOKENS[[...counts][0]];
      d.true(`no known format has ${[...counts][0]} fields`, format !== undefined);
      if (!format) return;
      const read = await readRecords([path], format);
      d.equal('read problems', read.problems.map((p) => p.message), []);
      const fields = format.split(' ');
      compareElasticFile(d, events, read, () => fields);
    });
  }
}

/** The fields of the format a record was read with (its keys plus the `-` ones are not kept, so re-read the header). */
const headerCache = new Map();
function formatOfRecord(entry) {
  if (!headerCache.has(entry.source)) {
    const lines = readFileSync(entry.source, 'utf8').split('\n');
    headerCache.set(entry.source, lines);
  }
  const lines = headerCache.get(entry.source);
  for (let i = entry.line - 2; i >= 0; i--) {
    const tokens = lines[i].trim().split(/\s+/);
    if (tokens.length > 1 && tokens.every((token) => /^[a-z][a-z0-9-]*$/.test(token))) return tokens;
  }
  return V2.split(' ');
}

// ---------------------------------------------------------------------------------------------
// (a) OpenTelemetry collector: pdata YAML (resourceLogs[].scopeLogs[].logRecords[].attributes)

/** Reads the pdata YAML the collector's tests expect: enough of YAML for that one shape. */
function readPdataYaml(text) {
  const out = [];
  let resource = {};
  let record = null;
  let mode = 'resource';
  let recordIndent = -1;
  let pendingKey = null;
  for (const raw of text.split('\n')) {
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/^- resource:$/.test(line)) {
      resource = {};
      mode = 'resource';
      record = null;
      continue;
    }
    if (line === 'logRecords:' || line === '- logRecords:') {
      mode = 'records';
      recordIndent = -1;
      continue;
    }
    if (line === 'scope:' || line === '- scope:') {
      mode = 'scope';
      continue;
    }
    if (mode === 'records' && line === '- attributes:' && (recordIndent === -1 || indent === recordIndent)) {
      recordIndent = indent;
      record = { attributes: {}, resource };
      out.push(record);
      continue;
    }
    let match = /^- key: (.+)$/.exec(line);
    if (match) {
      pendingKey = unquote(match[1]);
      continue;
    }
    match = /^(stringValue|intValue): (.+)$/.exec(line);
    if (match && pendingKey !== null) {
      const value = match[1] === 'intValue' ? Number(unquote(match[2])) : unquote(match[2]);
      if (mode === 'resource') resource[pendingKey] = value;
      else if (mode === 'records' && record) record.attributes[pendingKey] = value;
      pendingKey = null;
      continue;
    }
    match = /^timeUnixNano: (.+)$/.exec(line);
    if (match && record && mode === 'records') record.timeUnixNano = unquote(match[1]);
  }
  return out;
}

function unquote(text) {
  return /^".*"$/.test(text) ? JSON.parse(text) : text;
}

/** our field → OTel attribute (or resource attribute with `resource:`) and how to read ours for it */
const OTEL = {
  version: ['aws.vpc.flow.log.version'],
  'account-id': ['resource:cloud.account.id'],
  'interface-id': ['network.interface.name'],
  srcaddr: ['source.address'],
  dstaddr: ['destination.address'],
  srcport: ['source.port'],
  dstport: ['destination.port'],
  protocol: ['network.protocol.name', (v) => IANA[v] ?? String(v)],
  packets: ['aws.vpc.flow.packets'],
  bytes: ['aws.vpc.flow.bytes'],
  start: ['aws.vpc.flow.start'],
  end: ['timeUnixNano', (v) => `${v}000000000`],
  action: ['aws.vpc.flow.action'],
  'log-status': ['aws.vpc.flow.status'],
  'tcp-flags': ['network.tcp.flags', (v) => String(v)],
  type: ['network.type', (v) => String(v).toLowerCase()],
  'flow-direction': ['network.io.direction', (v) => ({ ingress: 'receive', egress: 'transmit' })[v] ?? v],
  region: ['resource:cloud.region'],
  'ecs-cluster-arn': ['aws.ecs.cluster.arn'],
  'ecs-cluster-name': ['aws.ecs.cluster.name'],
  'ecs-container-instance-arn': ['aws.ecs.container.instance.arn'],
  'ecs-container-instance-id': ['aws.ecs.container.instance.id'],
  'ecs-container-id': ['aws.ecs.container.id'],
  'ecs-second-container-id': ['aws.ecs.second.container.id'],
  'ecs-service-name': ['aws.ecs.service.name'],
  'ecs-task-definition-arn': ['aws.ecs.task.definition.arn'],
  'ecs-task-arn': ['aws.ecs.task.arn'],
  'ecs-task-id': ['aws.ecs.task.id'],
  'tgw-id': ['aws.tgw.id'],
  'tgw-attachment-id': ['aws.tgw.attachment.id'],
  'tgw-src-vpc-id': ['aws.tgw.source.vpc.id'],
  'tgw-dst-vpc-id': ['aws.tgw.destination.vpc.id'],
  'tgw-src-subnet-id': ['aws.tgw.source.vpc.subnet.id'],
  'tgw-dst-subnet-id': ['aws.tgw.destination.vpc.subnet.id'],
  'tgw-src-eni': ['aws.tgw.source.eni.id'],
  'tgw-dst-eni': ['aws.tgw.destination.eni.id'],
  'tgw-src-az-id': ['aws.tgw.source.az.id'],
  'tgw-dst-az-id': ['aws.tgw.destination.az.id'],
  'tgw-pair-attachment-id': ['aws.tgw.attachment.pair.id'],
  'packets-lost-no-route': ['aws.vpc.flow.packets_lost_no_route'],
  'packets-lost-blackhole': ['aws.vpc.flow.packets_lost_blackhole'],
  'packets-lost-mtu-exceeded': ['aws.vpc.flow.packets_lost_mtu_exceeded'],
  'packets-lost-ttl-expired': ['aws.vpc.flow.packets_lost_ttl_expired'],
};

async function otelChecks() {
  const dir = sample('otel-collector-contrib');
  const cases = [
    ['valid_vpc_flow_log_multi.log', 'valid_vpc_flow_log_expected_multi.yaml', undefined],
    ['valid_vpc_flow_log_ecs.log', 'valid_vpc_flow_log_ecs_expected.yaml', undefined],
    ['valid_tgw_flow_log.log', 'valid_tgw_flow_log_expected.yaml', undefined],
    // the CloudWatch Logs subscription envelope; the format is the one set in the collector's test config
    ['valid_vpc_flow_cw_custom.json', 'valid_vpc_flow_cw_custom_expected.yaml', '${version} ${interface-id} ${srcaddr} ${dstaddr}'],
  ];
  for (const [file, yaml, format] of cases) {
    await check(`(a) otel-collector-contrib ${file}`, async (d) => {
      const expected = readPdataYaml(readFileSync(join(dir, yaml), 'utf8'));
      const read = await readRecords([join(dir, file)], format);
      d.equal('malformed lines', read.malformed.length, 0);
      d.equal('records', read.records.length, expected.length);
      expected.forEach((want, i) => {
        const ours = read.records[i];
        if (!ours) return;
        const fields = format ? parseLogFormat(format).fields : formatOfRecord(ours);
        for (const field of fields) {
          const mapping = OTEL[field];
          if (!mapping) continue;
          const [key, convert] = mapping;
          const theirs = key === 'timeUnixNano' ? want.timeUnixNano : key.startsWith('resource:') ? want.resource[key.slice(9)] : want.attributes[key];
          const value = ours.record[field];
          d.equal(`#${i + 1} ${field} (${key})`, value === undefined || !convert ? value : convert(value), theirs);
        }
      });
    });
  }
  for (const file of ['vpc_flow_log_too_few_fields.log', 'vpc_flow_log_too_many_fields.log']) {
    await check(`(a) otel-collector-contrib ${file}: the record is malformed`, async (d) => {
      const read = await readRecords([join(dir, file)]);
      d.equal('records', read.records.length, 0);
      d.equal('malformed lines', read.malformed.length, 1);
      d.true(`reason does not name the field count: ${show(read.malformed[0]?.reason)}`, /^expected 14 fields \(from the header\), found 1[35]$/.test(read.malformed[0]?.reason ?? ''));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// (a) 6. the AWS documentation's own parser edge cases

async function awsdocsParserChecks() {
  await check('(a) awsdocs parser edge cases: double space (21 fields), `#` comment tails, the `...` line malformed', async (d) => {
    const dir = sample('awsdocs-amazon-vpc-user-guide');
    const flags = await readRecords([join(dir, 'example-tcp-flag.log')]);
    d.equal('example-tcp-flag.log malformed', flags.malformed.length, 0);
    d.equal('example-tcp-flag.log line 9 dstport', flags.records.find((r) => r.line === 9)?.record.dstport, 43638);
    const nat = await readRecords([join(dir, 'example-nat.log')]);
    d.equal('example-nat.log records', nat.records.length, 6);
    d.equal('example-nat.log malformed', nat.malformed.length, 0);
    const tgw = await readRecords([join(dir, 'example-tgw.log')]);
    d.equal('example-tgw.log malformed lines', tgw.malformed.map((m) => `${m.line}:${m.text}`), ['3:...']);
  });
}

async function countsOnlyChecks() {
  await check('(a) samples without peer output: record counts from the samples README, no malformed lines', async (d) => {
    const grafana = await analyze([sample('grafana-vpc-flow-logs-analyzer', 'aws-test_flow_logs.log')]);
    d.equal('grafana aws-test_flow_logs records', [grafana.summary.records.total, grafana.summary.records.nodata, grafana.summary.records.skipdata, grafana.summary.records.malformed], [6, 1, 1, 0]);
    const sorting = await analyze([sample('grafana-vpc-flow-logs-analyzer', 'aws-analyzer_sorting_test.log')]);
    d.equal('grafana aws-analyzer_sorting_test records/malformed', [sorting.summary.records.total, sorting.summary.records.malformed], [3, 0]);
    const plain = await analyze([sample('m-mizutani-aws-vpcflowlogs-parquet', 'sample1.log')]);
    const gz = await analyze([sample('m-mizutani-aws-vpcflowlogs-parquet', 'sample2.log.gz')]);
    d.equal('m-mizutani sample1.log udp/malformed', [plain.summary.records.udp, plain.summary.records.malformed], [2, 0]);
    d.equal('m-mizutani sample2.log.gz = sample1.log', JSON.stringify(gz.summary.records), JSON.stringify(plain.summary.records));
    const ocsf = await analyze([sample('ocsf-examples', 'markdown-v1.5.0', 'vpcflowlog.raw')]);
    d.equal('ocsf v1.5.0 CSV records/malformed', [ocsf.summary.records.total, ocsf.summary.records.malformed], [1, 0]);
    d.equal('ocsf v1.5.0 (a SYN-ACK 19 record) class', ocsf.connections.map((c) => c.class), ['established']);
  });
}

// ---------------------------------------------------------------------------------------------
// (athena) the Athena SELECT (docs/athena.md) against the local analyzer, sample by sample

const ATHENA_ENGINE = { athenaColumns, summarySql, summaryFromAnswer, textFields, shims: new URL('../test/fixtures/athena/duckdb-shims.sql', import.meta.url).pathname };

/** Elastic's integrations pipeline picks the format by token count; so do the checks of its files. */
function formatByTokenCount(path) {
  const counts = new Set(
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (line.trim().startsWith('{') ? JSON.parse(line).message : line).trim().split(/\s+/).length),
  );
  return counts.size === 1 ? FORMATS_BY_TOKENS[[...counts][0]] : undefined;
}

/** Why the Athena table flowdump makes cannot describe a file (it reads space-separated text or Parquet with AWS's types), or undefined. */
async function athenaCannotDescribe(path, lines) {
  if (path.endsWith('.parquet')) {
    const { parquetMetadata, parquetSchema } = await import('hyparquet');
    const bytes = readFileSync(path);
    const schema = parquetSchema(parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    const fields = schema.children.map((child) => child.element.name.replace(/_/g, '-'));
    const types = new Map(athenaColumns(fields).map((column, i) => [fields[i], column.type]));
    const text = schema.children.filter((child) => types.get(child.element.name.replace(/_/g, '-')) !== 'string' && child.element.type === 'BYTE_ARRAY').map((child) => child.element.name);
    return text.length > 0 ? `Parquet with numbers stored as text (${text.join(', ')}): the table declares AWS's int/bigint types, which Athena's Parquet reader refuses for text columns` : undefined;
  }
  const first = lines.find((line) => line.trim() !== '') ?? '';
  if (first.trimStart().startsWith('{')) return 'JSON (a CloudWatch Logs envelope or {"message": …} lines): the table reads space-separated text';
  if (first.includes(',')) return 'CSV: the table reads space-separated text';
  return undefined;
}

/** Every value of a comparable summary, by path (arrays by index), as JSON. */
function leaves(value, path = '', out = new Map()) {
  if (value !== null && typeof value === 'object') {
    const keys = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
    if (keys.length === 0) out.set(path, JSON.stringify(value));
    for (const key of keys) leaves(value[key], path ? `${path}.${key}` : String(key), out);
  } else out.set(path, JSON.stringify(value));
  return out;
}

/** The local and the DuckDB-run Athena summaries of one file, compared value by value. */
async function compareEngines(d, path, format) {
  const local = (await analyze([path], format)).summary;
  const athena = (await duckdbSummary([path], ATHENA_ENGINE, { fields: format?.split(' ') })).summary;
  const ours = leaves(comparable(athena));
  const theirs = leaves(comparable(local));
  const before = d.diffs.length;
  for (const key of [...new Set([...ours.keys(), ...theirs.keys()])].sort()) d.equal(`${key} (athena vs local)`, ours.get(key), theirs.get(key));
  const differing = d.diffs.slice(before);
  if (differing.length > 0 && differing.every((diff) => /(^|\.)retriedSyn /.test(diff))) {
    d.diffs.push('the two engines differ ONLY in retried SYNs: the local verdict depends on which interface\'s SYN record it reads first (docs/athena.md)');
  }
  return { local, athena };
}

/**
 * Lines that Athena's text reader (one space per field, every line a record but the first) reads
 * otherwise than the local analyzer: lines it calls malformed, blank lines, repeated header
 * lines, and lines with runs of spaces (their fields shift). With their line numbers and why.
 */
async function linesReadOtherwise(path, lines, format, header) {
  const read = await readRecords([path], format);
  const records = new Set(read.records.map((entry) => entry.line));
  const malformed = new Set(read.malformed.map((entry) => entry.line));
  const out = [];
  lines.forEach((line, i) => {
    const n = i + 1;
    if (n === 1 && header) return;
    if (malformed.has(n)) out.push({ line: n, why: 'malformed' });
    else if (!records.has(n)) out.push({ line: n, why: line.trim() === '' ? 'blank' : 'a header again' });
    else if (line !== line.trim().split(/\s+/).join(' ')) out.push({ line: n, why: 'runs of spaces' });
  });
  return out;
}

async function athenaChecks() {
  const beats = ['accept-reject-traffic.log', 'bad.log', 'custom-nat-gateway.log', 'custom-transit-gateway.log', 'ipv6.log', 'no-data-skip-data.log', 'tcp-flag-sequence-skip-data.log', 'tcp-flag-sequence.log'];
  const integrations = ['test-ecs-samples.log', 'test-extra-samples.log', 'test-tcp-flag-sequence.log', 'test-tgw-samples.log', 'test-v5-all-fields.log', 'test-v8-samples.log', 'test-with-message-field.log'];
  /** every sample file the checks above read, with the format they read it with */
  const files = [
    ...['example-tcp-flag.log', 'example-tgw.log', 'example-traffic-path.log', 'example-accepted-rejected.log', 'example-nat.log'].map((file) => [sample('awsdocs-amazon-vpc-user-guide', file)]),
    ...beats.map((file) => [sample('elastic-beats', file)]),
    ...integrations.map((file) => [sample('elastic-integrations', file), 'token count']),
    ...['markdown-v1.1.0', 'markdown-v1.5.0'].map((dir) => [sample('ocsf-examples', dir, 'vpcflowlog.raw')]),
    [sample('opensearch-catalog', 'raw.log')],
    ...['aws-flow-logs-10.3.11.57-142.250.185.91.log', 'aws-test_flow_logs.log', 'aws-analyzer_sorting_test.log'].map((file) => [sample('grafana-vpc-flow-logs-analyzer', file)]),
    ...['V2_RECORDS', 'V3_FILE', 'V4_FILE', 'V5_FILE', 'V6_FILE'].map((name) => [sample('obsrvbl-flowlogs-reader', `test_flowlogs_reader.${name}.log`)]),
    [sample('obsrvbl-flowlogs-reader', 'flows.parquet')],
    ...['valid_vpc_flow_log_multi.log', 'valid_vpc_flow_log_ecs.log', 'valid_tgw_flow_log.log', 'vpc_flow_log_too_few_fields.log', 'vpc_flow_log_too_many_fields.log'].map((file) => [sample('otel-collector-contrib', file)]),
    [sample('otel-collector-contrib', 'valid_vpc_flow_cw_custom.json'), 'version interface-id srcaddr dstaddr'],
    ...['sample1.log', 'sample2.log.gz'].map((file) => [sample('m-mizutani-aws-vpcflowlogs-parquet', file)]),
  ];
  const scratch = mkdtempSync(join(tmpdir(), 'flowdump-conformance-athena-'));
  try {
    for (const [path, given] of files) {
      const name = path.slice(SAMPLES.length + 1);
      if (!existsSync(path)) {
        await check(`(athena) ${name}`, async () => readFileSync(path));
        continue;
      }
      const format = given === 'token count' ? formatByTokenCount(path) : given;
      const lines = path.endsWith('.parquet') ? [] : fileLines(path);
      const cannot = await athenaCannotDescribe(path, lines);
      if (cannot) {
        skipped.push({ name: `(athena) ${name}`, reason: cannot });
        console.log(`SKIP  (athena) ${name}: not an Athena table flowdump makes: ${cannot}`);
        continue;
      }
      const header = lines.length > 0 && textFields(lines[0], format ? parseLogFormat(format, 'template') : undefined).header;
      const otherwise = path.endsWith('.parquet') ? [] : await linesReadOtherwise(path, lines, format, header);
      const alike = lines.length - (header ? 1 : 0) - otherwise.length;
      if (lines.length > 0 && alike === 0) {
        const reason = `no line that Athena reads as flowdump does (${otherwise.map((o) => `${o.line}: ${o.why}`).join(', ')})`;
        skipped.push({ name: `(athena) ${name}`, reason });
        console.log(`SKIP  (athena) ${name}: ${reason}`);
        continue;
      }
      await check(`(athena) ${name}${format ? ` (--log-format ${format.split(' ').length} fields)` : ''}: the SELECT in DuckDB gives the local analyzer's summary`, async (d) => {
        if (otherwise.length === 0) {
          await compareEngines(d, path, format);
          return;
        }
        // Athena reads every line but the header as a record: the total counts them all, nothing is malformed
        const athena = (await duckdbSummary([path], ATHENA_ENGINE, { fields: format?.split(' ') })).summary;
        d.equal('records.total in Athena (every line but the header)', athena.records.total, lines.length - (header ? 1 : 0));
        d.equal('records.malformed in Athena', athena.records.malformed, 0);
        // and on the lines both read alike, the summaries are equal
        const keep = new Set(otherwise.map((o) => o.line));
        const copy = join(scratch, name.replace(/[/\\]/g, '_').replace(/\.gz$/, ''));
        writeFileSync(copy, `${lines.filter((_, i) => !keep.has(i + 1)).join('\n')}\n`);
        await compareEngines(d, copy, format);
        d.deliberate.add(`Athena reads ${otherwise.length} line(s) otherwise (${otherwise.map((o) => `${o.line}: ${o.why}`).join(', ')}; docs/athena.md); compared on the other ${alike}`);
      });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

if (!existsSync(SAMPLES)) {
  console.error(`conformance: no samples directory at ${SAMPLES}`);
  process.exit(2);
}
await handshakeChecks();
await flowlogsReaderChecks();
await elasticChecks();
await otelChecks();
await awsdocsParserChecks();
await countsOnlyChecks();
await athenaChecks();

const passed = checks.filter((c) => c.passed).length;
const failed = checks.length - passed;
console.log(`conformance: ${passed} passed, ${failed} failed${skipped.length > 0 ? ` (${skipped.length} sample(s) not checked against Athena, not counted: see SKIP lines)` : ''}`);
if (options.summaryFile) {
  mkdirSync(dirname(resolve(options.summaryFile)), { recursive: true });
  writeFileSync(options.summaryFile, `${JSON.stringify({ passed, failed, checks, skipped }, null, 2)}\n`);
}
process.exitCode = failed > 0 ? 1 : 0;
