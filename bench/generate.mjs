// Deterministic generator of realistic VPC Flow Logs data for the speed benchmark.
//
// Writes one gzip text file in the `handshake` preset format, as S3 delivers it (header line
// first), and returns the ground truth (record and connection counts per class) so the bench
// can check that the analyzer's answer is right before it reports how fast it was.
//
// The traffic: a VPC with ~2,000 client hosts (one ENI each) in four subnets talking to ~40
// internal servers (seen on the client's and the server's ENI) and ~30 internet/AWS endpoints
// (seen on the client's ENI, some also on a NAT gateway's ENI with the NAT's own address in
// srcaddr/dstaddr). Connections start uniformly over the capture; each emits one record per
// direction per 1-minute window per ENI it is seen on. Records are written minute by minute,
// shuffled within the minute (a SYN-ACK line often precedes its SYN). The mix:
//   established  ~78%  SYN / SYN-ACK, then data windows (flags 0), then FIN (or RST, or still open)
//   midstream     ~8%  data windows only (began before the capture)
//   unanswered    ~5%  SYN, nothing back (sometimes retried in the next window)
//   refused       ~4%  SYN, RST back
//   rejected      ~3%  an internet scanner's SYN, REJECT
//   IPv6          ~1%  established connections between dual-stack hosts
// plus UDP (DNS) and ICMP records, NODATA from idle ENIs and one SKIPDATA window.
//
// Usage: node bench/generate.mjs <out.log.gz> <records> [records-per-connection]
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

/** Bump when the generated data changes, so cached files are made again. */
export const GENERATOR_VERSION = 4;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The `handshake` preset's field names, from the preset file the CLI itself uses. */
function handshakeFields() {
  const presets = JSON.parse(readFileSync(join(root, 'templates', 'log-formats.json'), 'utf8'));
  return presets.presets.handshake.format.replace(/\$\{([^}]+)\}/g, '$1').split(' ');
}

/** mulberry32: small, fast, deterministic. */
function makeRandom(seed) {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0) / 1000;

/**
 * @param {string} path output file (.log.gz)
 * @param {{ records: number, recordsPerConnection?: number, seed?: number }} options
 * @returns {Promise<{ records: object, tcp: object, bytes: number, minutes: number }>} ground truth
 */
export async function generateFlowLog(path, { records: target, recordsPerConnection = 5, seed = 0x5eed }) {
  const random = makeRandom(seed);
  const pick = (n) => Math.floor(random() * n);
  const fields = handshakeFields();

  // A busy VPC: ~80k records a minute, whatever the size asked for.
  const minutes = Math.max(5, Math.round(target / 80_000));
  // Established connections carry the extra records when more than ~5 per connection are asked for.
  const windowScale = Math.max(1, recordsPerConnection / 5);

  // ENI ids look like AWS's: "eni-" and 17 hex digits, random-looking (deterministic per kind and number)
  const mix = (x) => {
    x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
    x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
    return (x ^ (x >>> 16)) >>> 0;
  };
  const eniId = (kind, k) => {
    const a = mix(kind.charCodeAt(0) * 1_000_003 + k);
    return `eni-0${a.toString(16).padStart(8, '0')}${mix(a).toString(16).padStart(8, '0')}`;
  };
  const clients = Array.from({ length: 2000 }, (_, k) => ({ ip: `10.0.${16 + Math.floor(k / 250)}.${4 + (k % 250)}`, eni: eniId('a', k), nextPort: 32768 + pick(20000) }));
  const v6Clients = Array.from({ length: 100 }, (_, k) => ({ ip: `2600:1f18:47a:${(0x1200 + k).toString(16)}:e3c1:9a20:bb5:${(0x100 + k * 7).toString(16)}`, eni: eniId('b', k), nextPort: 32768 + pick(20000) }));
  const servers = Array.from({ length: 40 }, (_, k) => ({ ip: `10.1.${1 + (k % 3)}.${20 + k}`, eni: eniId('c', k), port: [5432, 6379, 8080, 3306, 9092, 443, 11211, 9200][k % 8] }));
  const v6Server = { ip: '2600:1f18:47a:3400:8d11:2c0e:74ab:10', eni: eniId('d', 1), port: 443 };
  const external = Array.from({ length: 30 }, (_, k) => ({ ip: k < 15 ? `52.94.${200 + (k % 20)}.${10 + k * 3}` : `203.0.113.${40 + k}`, eni: null, port: k % 3 === 0 ? 80 : 443 }));
  const nat = { ip: '10.0.0.50', eni: eniId('e', 7) };
  const scanners = Array.from({ length: 50 }, (_, k) => ({ ip: `198.51.100.${100 + k}`, nextPort: 40000 + pick(10000) }));
  const idle = Array.from({ length: 20 }, (_, k) => eniId('f', k));
  const dns = '10.0.0.2';

  const truth = {
    records: { total: 0, tcp: 0, udp: 0, icmp: 0, other: 0, nodata: 0, skipdata: 0, malformed: 0 },
    tcp: { classified: true, connections: 0, established: 0, refused: 0, unanswered: 0, rejected: 0, midstream: 0, reset: 0, closed: 0 },
  };

  /** buckets[m] = lines of minute m, written when the minute is complete */
  const buckets = new Map();
  const line = (minute, values) => {
    let bucket = buckets.get(minute);
    if (!bucket) buckets.set(minute, (bucket = []));
    bucket.push(values.join(' '));
  };
  const windowTimes = (minute) => {
    const start = T0 + minute * 60 + pick(50);
    return [start, Math.min(start + pick(10), T0 + minute * 60 + 59)];
  };

  /**
   * One TCP connection: `windows` = per window, the client's and the server's flags (null: no
   * record that way). Seen on each of `views` (an ENI, and whether the client's records are
   * egress there); `hop` puts the NAT's own address in srcaddr/dstaddr (pkt-* keep the real ones).
   */
  const conversation = (client, cport, server, sport, firstMinute, windows, views, action = 'ACCEPT') => {
    let count = 0;
    windows.forEach(([clientFlags, serverFlags], w) => {
      const minute = firstMinute + w;
      const [start, end] = windowTimes(minute);
      for (const view of views) {
        const cDir = view.clientEgress ? 'egress' : 'ingress';
        const sDir = view.clientEgress ? 'ingress' : 'egress';
        // on the NAT's inside leg the interface sees its own address in place of the server's
        const serverSeen = view.hop ?? server;
        if (clientFlags !== null) {
          const packets = clientFlags === 2 ? 1 + pick(2) : 2 + pick(40);
          line(minute, ['5', view.eni, cDir, client, cport, serverSeen, sport, client, server, 6, clientFlags, packets, packets * (60 + pick(900)), start, end, action, 'OK']);
          count++;
        }
        if (serverFlags !== null) {
          const packets = serverFlags === 4 ? 1 : 2 + pick(60);
          line(minute, ['5', view.eni, sDir, serverSeen, sport, client, cport, server, client, 6, serverFlags, packets, packets * (60 + pick(1400)), start, end, action, 'OK']);
          count++;
        }
      }
    });
    truth.tcp.connections++;
    truth.records.tcp += count;
    return count;
  };

  const nextPort = (host) => {
    const port = host.nextPort;
    host.nextPort = port >= 60999 ? 32768 : port + 1; // the ephemeral range; ≤ 28k connections per host, so no reuse
    return port;
  };

  /** The ENIs a client → server conversation is seen on. */
  const viewsOf = (client, server) => {
    if (server.eni) {
      return random() < 0.5
        ? [{ eni: client.eni, clientEgress: true }, { eni: server.eni, clientEgress: false }]
        : [{ eni: client.eni, clientEgress: true }];
    }
    if (random() < 0.2) return [{ eni: client.eni, clientEgress: true }, { eni: nat.eni, clientEgress: false, hop: nat.ip }];
    return [{ eni: client.eni, clientEgress: true }];
  };

  const dataWindows = (n) => Array.from({ length: n }, () => [0, 0]);

  let allocated = 0; // records of connections started so far
  const startConnection = (minute) => {
    const roll = random();
    if (roll < 0.78) {
      // established; 1–4 windows (more for long-lived traffic) on 1–2 ENIs: 2–4 records per direction
      const v6 = random() < 0.013;
      const client = v6 ? v6Clients[pick(v6Clients.length)] : clients[pick(clients.length)];
      const server = v6 ? v6Server : random() < 0.75 ? servers[pick(servers.length)] : external[pick(external.length)];
      const views = viewsOf(client, server);
      const base = views.length === 2 ? (random() < 0.75 ? 1 : 2) : 2 + pick(2);
      const span = windowScale === 1 ? base : Math.max(1, Math.round(base * windowScale * (0.5 + random())));
      const ending = random();
      let windows;
      if (span === 1) {
        windows = [[3, 19]]; // a short request: SYN|FIN and SYN-ACK|FIN in one window
        truth.tcp.closed++;
      } else {
        windows = [[2, 18], ...dataWindows(span - 1)];
        const last = windows[span - 1];
        if (ending < 0.85) {
          last[0] = 1;
          last[1] = 1;
          truth.tcp.closed++;
        } else if (ending < 0.9) {
          last[1] = 4;
          truth.tcp.reset++;
        }
      }
      truth.tcp.established++;
      return conversation(client.ip, nextPort(client), server.ip, server.port, minute, windows, views);
    }
    if (roll < 0.86) {
      const client = clients[pick(clients.length)];
      const server = servers[pick(servers.length)];
      const span = Math.max(1, Math.round((1 + pick(2)) * windowScale));
      truth.tcp.midstream++;
      return conversation(client.ip, nextPort(client), server.ip, server.port, minute, dataWindows(span), viewsOf(client, server));
    }
    if (roll < 0.91) {
      const client = clients[pick(clients.length)];
      const server = servers[pick(servers.length)];
      truth.tcp.unanswered++;
      const windows = random() < 0.3 ? [[2, null], [2, null]] : [[2, null]];
      return conversation(client.ip, nextPort(client), server.ip, server.port, minute, windows, viewsOf(client, server));
    }
    if (roll < 0.95) {
      const client = clients[pick(clients.length)];
      const server = servers[pick(servers.length)];
      truth.tcp.refused++;
      return conversation(client.ip, nextPort(client), server.ip, server.port, minute, [[2, 4]], viewsOf(client, server));
    }
    const scanner = scanners[pick(scanners.length)];
    const target = clients[pick(clients.length)];
    truth.tcp.rejected++;
    return conversation(scanner.ip, nextPort(scanner), target.ip, [22, 23, 3389, 5900, 8080][pick(5)], minute, [[2, null]], [{ eni: target.eni, clientEgress: false }], 'REJECT');
  };

  // How many connections to start each minute so that their records add up to the target:
  // 90% TCP, the rest UDP (DNS lookups), ICMP and NODATA, topped up with UDP at the end.
  const tcpBudget = Math.floor(target * 0.9);
  const perMinute = Math.ceil(tcpBudget / recordsPerConnection / minutes);
  const udpPerMinute = Math.floor((target * 0.08) / minutes);
  const dnsLookup = (minute) => {
    const client = clients[pick(clients.length)];
    const [s, e] = windowTimes(minute);
    line(minute, ['5', client.eni, 'egress', client.ip, nextPort(client), dns, 53, client.ip, dns, 17, '-', 1 + pick(3), 70 + pick(200), s, e, 'ACCEPT', 'OK']);
    truth.records.udp++;
  };

  const output = createWriteStream(path);
  const gzip = createGzip({ level: 6 });
  gzip.pipe(output);
  let bytes = 0;
  const write = async (text) => {
    bytes += Buffer.byteLength(text);
    if (!gzip.write(text)) await once(gzip, 'drain');
  };
  await write(`${fields.join(' ')}\n`);

  const writeMinute = async (minute) => {
    const bucket = buckets.get(minute) ?? [];
    buckets.delete(minute);
    for (let i = bucket.length - 1; i > 0; i--) {
      const j = pick(i + 1);
      [bucket[i], bucket[j]] = [bucket[j], bucket[i]];
    }
    for (let i = 0; i < bucket.length; i += 2000) await write(`${bucket.slice(i, i + 2000).join('\n')}\n`);
  };

  let written = 0;
  for (let minute = 0; allocated < tcpBudget || buckets.size > 0; minute++) {
    for (let k = 0; k < perMinute && allocated < tcpBudget; k++) allocated += startConnection(minute);
    if (minute < minutes) {
      const [start, end] = [T0 + minute * 60, T0 + minute * 60 + 59];
      for (const eni of idle) {
        line(minute, ['5', eni, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', start, end, '-', 'NODATA']);
        truth.records.nodata++;
      }
      if (minute === Math.floor(minutes / 2)) {
        line(minute, ['5', servers[0].eni, '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', '-', start, end, '-', 'SKIPDATA']);
        truth.records.skipdata++;
      }
      for (let k = 0; k < 10; k++) {
        const client = clients[pick(clients.length)];
        const [s, e] = windowTimes(minute);
        line(minute, ['5', client.eni, 'egress', client.ip, 0, servers[k].ip, 0, client.ip, servers[k].ip, 1, '-', 4, 336, s, e, 'ACCEPT', 'OK']);
        truth.records.icmp++;
      }
      for (let k = 0; k < udpPerMinute; k++) dnsLookup(minute);
    }
    written += buckets.get(minute)?.length ?? 0;
    await writeMinute(minute);
  }

  // The last minute's DNS lookups, up to exactly the number of records asked for.
  const last = minutes - 1;
  for (let k = written; k < target; k++) dnsLookup(last);
  written += buckets.get(last)?.length ?? 0;
  await writeMinute(last);
  truth.records.total = written;

  gzip.end();
  await once(output, 'close');
  return { ...truth, bytes, minutes };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [path, records, perConnection] = process.argv.slice(2);
  if (!path || !records) {
    console.error('usage: node bench/generate.mjs <out.log.gz> <records> [records-per-connection]');
    process.exit(2);
  }
  const truth = await generateFlowLog(path, { records: Number(records), recordsPerConnection: perConnection ? Number(perConnection) : undefined });
  console.log(JSON.stringify(truth, null, 2));
}
