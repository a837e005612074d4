#!/usr/bin/env node
// Writes the bundled example capture (examples/incident-capture/) and its ground truth.
// Deterministic: the same bytes every run. Re-run after changing the scenario:
//   node scripts/make-example.mjs
//
// Scenario (a VPC capture, 08:00–08:15 UTC, 1-minute aggregation, the `handshake` preset):
// two app servers talk to Postgres and Redis in another subnet and to a payments API
// through a NAT gateway. At 08:04–08:06 Postgres stops answering some SYNs (unanswered,
// retried), at 08:07–08:09 Redis restarts (refused: RST to SYN), at 08:10–08:11 the
// payments API resets connections after the handshake, an internet scanner is rejected
// by the security group all along, long-lived pool connections were open before the
// capture (midstream), and the DB interface has a SKIPDATA window at 08:06.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'examples', 'incident-capture');
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const FLOW_LOG = 'fl-0c4d5e6f7a8b9c0d1';
const T0 = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;
const MINUTES = 15;
const FIELDS = 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status'.split(' ');

let seed = 0x5eed;
function rand() {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (n) => Math.floor(rand() * n);

const ENI = {
  app1: { id: 'eni-0a1b2c3d4e5f60718', ip: '10.0.1.10' },
  app2: { id: 'eni-0b2c3d4e5f6071829', ip: '10.0.1.11' },
  db: { id: 'eni-0c3d4e5f607182930', ip: '10.0.2.20' },
  cache: { id: 'eni-0d4e5f60718293041', ip: '10.0.2.30' },
  nat: { id: 'eni-0e5f6071829304152', ip: '10.0.0.50' },
  bastion: { id: 'eni-0f60718293041526a', ip: '10.0.0.9' },
};
const PAYMENTS = '203.0.113.80';
const SCANNER = '198.51.100.23';
const STATSD = '10.0.3.40';

/** records[eni] = list of record objects */
const records = [];
const truth = { established: 0, refused: 0, unanswered: 0, rejected: 0, midstream: 0, reset: 0, closed: 0, connections: 0, udp: 0, icmp: 0, nodata: 0, skipdata: 0 };
/** The minutes (ISO UTC) in which connections of each failing class were opened: what the report's timeline must show. */
const failingMinutes = { unanswered: new Set(), refused: new Set(), rejected: new Set(), reset: new Set() };
const failedAt = (cls, minute) => failingMinutes[cls].add(new Date((T0 + minute * 60) * 1000).toISOString().replace('.000Z', 'Z'));
let nextPort = 40000;

function rec(eni, direction, src, sport, dst, dport, pktSrc, pktDst, protocol, flags, packets, bytes, start, end, action = 'ACCEPT') {
  records.push({ eni, fields: ['5', eni.id, direction, src, sport, dst, dport, pktSrc, pktDst, protocol, flags, packets, bytes, start, end, action, 'OK'], start });
}

/** One TCP conversation between client and server, seen on each listed interface (egress on the client's, ingress on the server's). */
function tcp({ client, server, sport, dport, minute, clientFlags, serverFlags, clientPackets = 6, serverPackets = 5, action = 'ACCEPT', seenOn, later = [] }) {
  const start = T0 + minute * 60 + pick(50);
  const end = Math.min(start + 1 + pick(8), T0 + minute * 60 + 59);
  for (const view of seenOn) {
    if (clientFlags !== null) rec(view.eni, view.clientDir, client, sport, server, dport, client, server, 6, clientFlags, clientPackets, clientPackets * 80, start, end, action);
    if (serverFlags !== null) rec(view.eni, view.serverDir, server, dport, client, sport, server, client, 6, serverFlags, serverPackets, serverPackets * 300, start, end, action);
    for (const extra of later) {
      const s = T0 + extra.minute * 60 + pick(40);
      if (extra.clientFlags !== null) rec(view.eni, view.clientDir, client, sport, server, dport, client, server, 6, extra.clientFlags, 4, 320, s, s + 5);
      if (extra.serverFlags !== null) rec(view.eni, view.serverDir, server, dport, client, sport, server, client, 6, extra.serverFlags, 4, 1200, s, s + 5);
    }
  }
  truth.connections++;
}

const appToDbViews = (app) => [
  { eni: app, clientDir: 'egress', serverDir: 'ingress' },
  { eni: ENI.db, clientDir: 'ingress', serverDir: 'egress' },
];

// 1. app → Postgres: pool churn, 5 new connections a minute from each app, closed with FIN.
//    08:04–08:06: 2 of them a minute get no SYN-ACK (the SYN is retried: 3 packets).
for (let minute = 0; minute < MINUTES; minute++) {
  for (const app of [ENI.app1, ENI.app2]) {
    for (let k = 0; k < 5; k++) {
      const sport = nextPort++;
      const failing = minute >= 4 && minute <= 6 && k < 2;
      if (failing) {
        tcp({ client: app.ip, server: ENI.db.ip, sport, dport: 5432, minute, clientFlags: 2, serverFlags: null, clientPackets: 3, seenOn: appToDbViews(app) });
        truth.unanswered++;
        failedAt('unanswered', minute);
      } else if (minute < MINUTES - 1 && k === 4) {
        // a short query: SYN|FIN and SYN-ACK|FIN in one window
        tcp({ client: app.ip, server: ENI.db.ip, sport, dport: 5432, minute, clientFlags: 3, serverFlags: 19, seenOn: appToDbViews(app) });
        truth.established++;
        truth.closed++;
      } else {
        const closes = minute + 1 < MINUTES;
        tcp({
          client: app.ip, server: ENI.db.ip, sport, dport: 5432, minute, clientFlags: 2, serverFlags: 18, seenOn: appToDbViews(app),
          later: closes ? [{ minute: minute + 1, clientFlags: 1, serverFlags: 1 }] : [],
        });
        truth.established++;
        if (closes) truth.closed++;
      }
    }
  }
}

// 2. app → Redis: 3 connections a minute; 08:07–08:09 Redis is restarting and answers SYN with RST.
for (let minute = 0; minute < MINUTES; minute++) {
  for (let k = 0; k < 3; k++) {
    const app = k % 2 === 0 ? ENI.app1 : ENI.app2;
    const sport = nextPort++;
    const views = [
      { eni: app, clientDir: 'egress', serverDir: 'ingress' },
      { eni: ENI.cache, clientDir: 'ingress', serverDir: 'egress' },
    ];
    if (minute >= 7 && minute <= 9) {
      tcp({ client: app.ip, server: ENI.cache.ip, sport, dport: 6379, minute, clientFlags: 2, serverFlags: 4, clientPackets: 1, serverPackets: 1, seenOn: views });
      truth.refused++;
      failedAt('refused', minute);
    } else {
      tcp({ client: app.ip, server: ENI.cache.ip, sport, dport: 6379, minute, clientFlags: 3, serverFlags: 19, seenOn: views });
      truth.established++;
      truth.closed++;
    }
  }
}

// 3. app → payments API through the NAT gateway: one connection a minute; 08:10–08:11 the API resets
//    them after the handshake. On the NAT interface, the inside leg shows the NAT's address in
//    srcaddr/dstaddr and the real endpoints in pkt-*; the outside leg is the NAT's own connection.
for (let minute = 0; minute < MINUTES; minute++) {
  const app = minute % 2 === 0 ? ENI.app1 : ENI.app2;
  const sport = nextPort++;
  const natPort = 20000 + minute;
  const reset = minute === 10 || minute === 11;
  const start = T0 + minute * 60 + pick(40);
  const end = start + 3;
  const cf = reset ? 2 : 3;
  const sf = reset ? 22 : 19;
  // app's own interface: real addresses
  rec(ENI.app1 === app ? ENI.app1 : ENI.app2, 'egress', app.ip, sport, PAYMENTS, 443, app.ip, PAYMENTS, 6, cf, 8, 900, start, end);
  rec(ENI.app1 === app ? ENI.app1 : ENI.app2, 'ingress', PAYMENTS, 443, app.ip, sport, PAYMENTS, app.ip, 6, sf, 7, 4200, start, end);
  // NAT interface, inside leg: interface addresses differ from the packet's
  rec(ENI.nat, 'ingress', app.ip, sport, ENI.nat.ip, 443, app.ip, PAYMENTS, 6, cf, 8, 900, start, end);
  rec(ENI.nat, 'egress', ENI.nat.ip, 443, app.ip, sport, PAYMENTS, app.ip, 6, sf, 7, 4200, start, end);
  // NAT interface, outside leg: the NAT's own address and port
  rec(ENI.nat, 'egress', ENI.nat.ip, natPort, PAYMENTS, 443, ENI.nat.ip, PAYMENTS, 6, cf, 8, 900, start, end);
  rec(ENI.nat, 'ingress', PAYMENTS, 443, ENI.nat.ip, natPort, PAYMENTS, ENI.nat.ip, 6, sf, 7, 4200, start, end);
  truth.connections += 2;
  truth.established += 2;
  if (reset) {
    truth.reset += 2;
    failedAt('reset', minute);
  } else {
    truth.closed += 2;
  }
}

// 4. an internet scanner, rejected by the app1 security group: SYN to a different port each minute.
for (let minute = 0; minute < MINUTES; minute++) {
  const start = T0 + minute * 60 + pick(50);
  rec(ENI.app1, 'ingress', SCANNER, 61000 + minute, ENI.app1.ip, [22, 23, 3389, 5900, 8080][minute % 5], SCANNER, ENI.app1.ip, 6, 2, 1, 44, start, start, 'REJECT');
  truth.connections++;
  truth.rejected++;
  failedAt('rejected', minute);
}

// 5. pool connections open since before the capture: data both ways each minute, no SYN;
//    one of them is closed at 08:12.
for (const [i, app] of [ENI.app1, ENI.app2].entries()) {
  for (let k = 0; k < 2; k++) {
    const sport = 35000 + i * 10 + k;
    for (let minute = 0; minute < MINUTES; minute++) {
      const s = T0 + minute * 60;
      const fin = i === 0 && k === 0 && minute === 12 ? 1 : 0;
      if (i === 0 && k === 0 && minute > 12) break;
      for (const view of appToDbViews(app)) {
        rec(view.eni, view.clientDir, app.ip, sport, ENI.db.ip, 5432, app.ip, ENI.db.ip, 6, fin, 40, 6400, s + 1, s + 59);
        rec(view.eni, view.serverDir, ENI.db.ip, 5432, app.ip, sport, ENI.db.ip, app.ip, 6, fin, 38, 52000, s + 1, s + 59);
      }
    }
    truth.connections++;
    truth.midstream++;
  }
}

// 6. UDP metrics to statsd and ICMP pings from app1 to the DB (the echo reply is dropped by a NACL once).
for (let minute = 0; minute < MINUTES; minute++) {
  const s = T0 + minute * 60 + 5;
  for (const app of [ENI.app1, ENI.app2]) {
    rec(app, 'egress', app.ip, 48125, STATSD, 8125, app.ip, STATSD, 17, 0, 60, 9000, s, s + 50);
    truth.udp++;
  }
  if (minute % 5 === 0) {
    rec(ENI.app1, 'egress', ENI.app1.ip, 0, ENI.db.ip, 0, ENI.app1.ip, ENI.db.ip, 1, 0, 4, 336, s, s + 3);
    rec(ENI.db, 'ingress', ENI.app1.ip, 0, ENI.db.ip, 0, ENI.app1.ip, ENI.db.ip, 1, 0, 4, 336, s, s + 3);
    rec(ENI.db, 'egress', ENI.db.ip, 0, ENI.app1.ip, 0, ENI.db.ip, ENI.app1.ip, 1, 0, 4, 336, s, s + 3, minute === 10 ? 'REJECT' : 'ACCEPT');
    truth.icmp += 3;
  }
}

// 7. blind spots: the bastion is idle (NODATA every minute); the DB interface skipped records at 08:05.
const statusRecord = (eni, minute, status) =>
  records.push({ eni, fields: ['5', eni.id, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', T0 + minute * 60, T0 + minute * 60 + 59, '-', status], start: T0 + minute * 60 });
for (let minute = 0; minute < MINUTES; minute++) {
  statusRecord(ENI.bastion, minute, 'NODATA');
  truth.nodata++;
}
statusRecord(ENI.db, 6, "SKIPDATA");
truth.skipdata++;

// Write one gzip file per interface per 5 minutes, records shuffled within a file (S3 files are not ordered).
rmSync(out, { recursive: true, force: true });
const dir = join(out, 'AWSLogs', ACCOUNT, 'vpcflowlogs', REGION, '2026', '11', '30');
mkdirSync(dir, { recursive: true });
const byFile = new Map();
for (const record of records) {
  const slot = Math.floor((record.start - T0) / 300);
  const stamp = new Date((T0 + slot * 300) * 1000).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
  const key = `${record.eni.id}|${stamp}`;
  if (!byFile.has(key)) byFile.set(key, []);
  byFile.get(key).push(record.fields.join(' '));
}
let files = 0;
let lines = 0;
for (const [key, fileLines] of [...byFile.entries()].sort()) {
  const [eni, stamp] = key.split('|');
  for (let i = fileLines.length - 1; i > 0; i--) {
    const j = pick(i + 1);
    [fileLines[i], fileLines[j]] = [fileLines[j], fileLines[i]];
  }
  const hash = eni.slice(-8);
  const name = `${ACCOUNT}_vpcflowlogs_${REGION}_${FLOW_LOG}_${stamp}_${hash}.log.gz`;
  writeFileSync(join(dir, name), gzipSync(`${FIELDS.join(' ')}\n${fileLines.join('\n')}\n`, { level: 9 }));
  files++;
  lines += fileLines.length;
}
truth.records = lines;
truth.failingMinutes = Object.fromEntries(Object.entries(failingMinutes).map(([cls, minutes]) => [cls, [...minutes].sort()]));
writeFileSync(join(root, 'test', 'fixtures', 'incident-capture.truth.json'), `${JSON.stringify(truth, null, 2)}\n`);
console.log(`wrote ${files} files, ${lines} records to ${out}`);
