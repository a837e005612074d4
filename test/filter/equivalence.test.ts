import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Source } from '../../src/analyze/sources.js';
import { compileExpression } from '../../src/filter/compile.js';
import type { FlowRecord } from '../../src/format/line-reader.js';
import { showRecords } from '../../src/show/stream.js';
import { INCIDENT, memorySources, MIXED, readAll } from '../helpers/records.js';
import { seededRandom } from '../helpers/seeded-random.js';

/**
 * For many generated expressions, the records `show` prints must be exactly those an
 * independent, plainly written evaluation selects. The generator builds a tree, prints
 * it as tcpdump text (sometimes leaning on pcap's left-to-right and/or and on
 * qualifiers carried over to bare values), and evaluates the tree itself on each
 * record's plain fields, with node:net's BlockList for address matching.
 */

type Dir = 'src' | 'dst' | 'src or dst' | 'src and dst';
type G =
  | { k: 'host'; dir: Dir; addr: string }
  | { k: 'hosts'; addrs: string[] }
  | { k: 'net'; dir: Dir; net: string; prefix: number }
  | { k: 'port'; dir: Dir; proto: 'tcp' | 'udp' | null; port: number }
  | { k: 'ports'; ports: number[] }
  | { k: 'portrange'; dir: Dir; a: number; b: number }
  | { k: 'pname'; name: 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'ip' | 'ip6' }
  | { k: 'flags'; mask: number; op: '==' | '!=' | '>' | '<='; value: number }
  | { k: 'action'; action: 'ACCEPT' | 'REJECT' }
  | { k: 'eni'; id: string }
  | { k: 'status'; status: 'OK' | 'NODATA' | 'SKIPDATA' }
  | { k: 'via'; addr: string }
  | { k: 'inout'; inbound: boolean }
  | { k: 'not'; e: G }
  | { k: 'and' | 'or'; l: G; r: G };

interface Pool {
  addrs: string[];
  ports: number[];
  enis: string[];
}

function poolOf(records: FlowRecord[]): Pool {
  const addrs = new Set<string>(['10.9.9.9', '2001:db8:ffff::1']);
  const ports = new Set<number>([0, 1, 65535]);
  const enis = new Set<string>(['eni-00000000000000000']);
  for (const r of records) {
    for (const f of ['srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr']) if (typeof r[f] === 'string') addrs.add(r[f] as string);
    for (const f of ['srcport', 'dstport']) if (typeof r[f] === 'number') ports.add(r[f] as number);
    if (typeof r['interface-id'] === 'string') enis.add(r['interface-id'] as string);
  }
  return { addrs: [...addrs], ports: [...ports], enis: [...enis] };
}

function generate(random: () => number, pool: Pool, depth: number): G {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const dir = (): Dir => pick(['src', 'dst', 'src or dst', 'src and dst', 'src or dst', 'src or dst'] as const);
  if (depth > 0 && random() < 0.55) {
    const roll = random();
    if (roll < 0.2) return { k: 'not', e: generate(random, pool, depth - 1) };
    return { k: roll < 0.6 ? 'and' : 'or', l: generate(random, pool, depth - 1), r: generate(random, pool, depth - 1) };
  }
  switch (Math.floor(random() * 14)) {
    case 0:
      return { k: 'host', dir: dir(), addr: pick(pool.addrs) };
    case 1:
      return { k: 'hosts', addrs: [pick(pool.addrs), pick(pool.addrs), pick(pool.addrs)].slice(0, 2 + Math.floor(random() * 2)) };
    case 2: {
      const addr = pick(pool.addrs);
      if (addr.includes(':')) {
        const prefix = pick([32, 48, 64, 128]);
        return { k: 'net', dir: dir(), net: networkOf6(addr, prefix), prefix };
      }
      const prefix = pick([8, 16, 24, 28, 32]);
      return { k: 'net', dir: dir(), net: networkOf4(addr, prefix), prefix };
    }
    case 3:
      return { k: 'port', dir: dir(), proto: pick(['tcp', 'udp', null, null] as const), port: pick(pool.ports) };
    case 4:
      return { k: 'ports', ports: [pick(pool.ports), pick(pool.ports)] };
    case 5: {
      const a = pick(pool.ports);
      return { k: 'portrange', dir: dir(), a, b: Math.min(65535, a + Math.floor(random() * 3000)) };
    }
    case 6:
      return { k: 'pname', name: pick(['tcp', 'udp', 'icmp', 'icmp6', 'ip', 'ip6'] as const) };
    case 7:
    case 8:
      return { k: 'flags', mask: pick([1, 2, 4, 6, 16, 18, 19, 63, 255]), op: pick(['==', '!=', '>', '<='] as const), value: pick([0, 1, 2, 4, 16, 18]) };
    case 9:
      return { k: 'action', action: pick(['ACCEPT', 'REJECT'] as const) };
    case 10:
      return { k: 'eni', id: pick(pool.enis) };
    case 11:
      return { k: 'status', status: pick(['OK', 'NODATA', 'SKIPDATA'] as const) };
    case 12:
      return { k: 'via', addr: pick(pool.addrs) };
    default:
      return { k: 'inout', inbound: random() < 0.5 };
  }
}

function networkOf4(addr: string, prefix: number): string {
  const value = addr.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const n = (value & mask) >>> 0;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function networkOf6(addr: string, prefix: number): string {
  // expand, keep `prefix` bits
  const [head, tail] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16));
  const out = groups.map((g, i) => {
    const bits = Math.max(0, Math.min(16, prefix - 16 * i));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  return out.map((g) => g.toString(16)).join(':');
}

const FLAG_NAMES: [number, string][] = [[1, 'tcp-fin'], [2, 'tcp-syn'], [4, 'tcp-rst'], [8, 'tcp-push'], [16, 'tcp-ack'], [32, 'tcp-urg']];

function print(g: G, random: () => number): string {
  const choose = <T>(a: T, b: T): T => (random() < 0.5 ? a : b);
  switch (g.k) {
    case 'host':
      return `${g.dir === 'src or dst' ? choose('', 'src or dst ') : `${g.dir} `}host ${g.addr}`;
    case 'hosts':
      // qualifiers carried over to bare values: host a or b or c
      return `(host ${g.addrs.join(' or ')})`;
    case 'net':
      return `${g.dir === 'src or dst' ? '' : `${g.dir} `}net ${g.net}/${g.prefix}`;
    case 'port':
      return `${g.proto ? `${g.proto} ` : ''}${g.dir === 'src or dst' ? '' : `${g.dir} `}port ${g.port}`;
    case 'ports':
      return `(port ${g.ports.join(choose(' or ', ' || '))})`;
    case 'portrange':
      return `${g.dir === 'src or dst' ? '' : `${g.dir} `}portrange ${g.a}-${g.b}`;
    case 'pname':
      return g.name;
    case 'flags': {
      const named = FLAG_NAMES.filter(([bit]) => (g.mask & bit) !== 0);
      const maskText = g.mask <= 63 && random() < 0.6 ? `(${named.map(([, name]) => name).join('|')})` : `0x${g.mask.toString(16)}`;
      return `${choose('tcp[tcpflags]', 'tcp[13]')} & ${maskText} ${g.op} ${g.value}`;
    }
    case 'action':
      return `action ${choose(g.action.toLowerCase(), g.action)}`;
    case 'eni':
      return `eni ${g.id}`;
    case 'status':
      return `status ${g.status.toLowerCase()}`;
    case 'via':
      return `via ${g.addr}`;
    case 'inout':
      return g.inbound ? 'inbound' : 'outbound';
    case 'not': {
      const inner = g.e.k === 'and' || g.e.k === 'or' ? `(${print(g.e, random)})` : print(g.e, random);
      return `${choose('not ', '!')}${inner}`;
    }
    case 'and':
    case 'or': {
      // and/or associate left to right with equal precedence, so a binary left operand needs no parentheses
      const left = g.l.k === 'and' || g.l.k === 'or' ? (random() < 0.5 ? print(g.l, random) : `(${print(g.l, random)})`) : print(g.l, random);
      const right = g.r.k === 'and' || g.r.k === 'or' ? `(${print(g.r, random)})` : print(g.r, random);
      const op = g.k === 'and' ? choose('and', '&&') : choose('or', '||');
      return `${left} ${op} ${right}`;
    }
  }
}

// ---- the plain evaluation ----------------------------------------------------

const blockLists = new Map<string, BlockList>();

function inBlock(address: unknown, net: string, prefix: number): boolean {
  if (typeof address !== 'string') return false;
  const family = net.includes(':') ? 'ipv6' : 'ipv4';
  if ((family === 'ipv4' && !isIPv4(address)) || (family === 'ipv6' && !isIPv6(address))) return false;
  let list = blockLists.get(`${net}/${prefix}`);
  if (!list) {
    list = new BlockList();
    list.addSubnet(net, prefix, family);
    blockLists.set(`${net}/${prefix}`, list);
  }
  return list.check(address, family);
}

function evaluate(g: G, r: FlowRecord): boolean {
  const src = r['pkt-srcaddr'] ?? r.srcaddr;
  const dst = r['pkt-dstaddr'] ?? r.dstaddr;
  const protocol = r.protocol;
  const both = (test: (value: unknown) => boolean, dir: Dir, a: unknown, b: unknown): boolean =>
    dir === 'src' ? test(a) : dir === 'dst' ? test(b) : dir === 'src and dst' ? test(a) && test(b) : test(a) || test(b);
  const family = (x: unknown) => (typeof x === 'string' ? (isIPv4(x) ? 4 : isIPv6(x) ? 6 : 0) : 0);
  const ipFamily = family(src) || family(dst);
  const portsApply = protocol === 6 || protocol === 17 || protocol === 132;
  switch (g.k) {
    case 'host':
      return both((x) => inBlock(x, g.addr, g.addr.includes(':') ? 128 : 32), g.dir, src, dst);
    case 'hosts':
      return g.addrs.some((addr) => both((x) => inBlock(x, addr, addr.includes(':') ? 128 : 32), 'src or dst', src, dst));
    case 'net':
      return both((x) => inBlock(x, g.net, g.prefix), g.dir, src, dst);
    case 'port':
      if (!portsApply || (g.proto === 'tcp' && protocol !== 6) || (g.proto === 'udp' && protocol !== 17)) return false;
      return both((x) => x === g.port, g.dir, r.srcport, r.dstport);
    case 'ports':
      return portsApply && g.ports.some((port) => r.srcport === port || r.dstport === port);
    case 'portrange': {
      const [lo, hi] = [Math.min(g.a, g.b), Math.max(g.a, g.b)];
      return portsApply && both((x) => typeof x === 'number' && x >= lo && x <= hi, g.dir, r.srcport, r.dstport);
    }
    case 'pname':
      switch (g.name) {
        case 'tcp':
          return protocol === 6;
        case 'udp':
          return protocol === 17;
        case 'icmp':
          return protocol === 1 && ipFamily === 4;
        case 'icmp6':
          return protocol === 58 && ipFamily === 6;
        case 'ip':
          return ipFamily === 4;
        case 'ip6':
          return ipFamily === 6;
      }
      return false;
    case 'flags': {
      const flags = r['tcp-flags'];
      if (protocol !== 6 || typeof flags !== 'number') return false;
      const value = flags & g.mask;
      return g.op === '==' ? value === g.value : g.op === '!=' ? value !== g.value : g.op === '>' ? value > g.value : value <= g.value;
    }
    case 'action':
      return r.action === g.action;
    case 'eni':
      return r['interface-id'] === g.id;
    case 'status':
      return (r['log-status'] ?? 'OK') === g.status;
    case 'via': {
      const prefix = g.addr.includes(':') ? 128 : 32;
      return inBlock(r.srcaddr, g.addr, prefix) || inBlock(r.dstaddr, g.addr, prefix);
    }
    case 'inout':
      return r['flow-direction'] === (g.inbound ? 'ingress' : 'egress');
    case 'not':
      return !evaluate(g.e, r);
    case 'and':
      return evaluate(g.l, r) && evaluate(g.r, r);
    case 'or':
      return evaluate(g.l, r) || evaluate(g.r, r);
  }
}

// ---- the run ---------------------------------------------------------------------

async function shownBy(sources: Source[], expression: string): Promise<Set<string>> {
  const printed = new Set<string>();
  await showRecords(sources, {
    filter: compileExpression(expression),
    windowSeconds: Number.POSITIVE_INFINITY,
    maxBuffered: Number.POSITIVE_INFINITY,
    render: (shown) => `${shown.source}:${shown.line}`,
    write: (lines) => {
      for (const line of lines) printed.add(line.text);
    },
  });
  return printed;
}

describe('generated expressions: show matches the plain evaluation', () => {
  it.each([
    ['the mixed fixture', [MIXED], 0x5eed, 400],
    ['the incident capture', [INCIDENT], 0xc0ffee, 120],
  ] as const)('%s', async (_name, paths, seed, count) => {
    const records = await readAll([...paths]);
    const sources = memorySources([...paths]);
    const pool = poolOf(records.map((r) => r.record));
    const random = seededRandom(seed);
    let nonTrivial = 0;
    for (let n = 0; n < count; n++) {
      const tree = generate(random, pool, 1 + (n % 4));
      const text = print(tree, random);
      const expected = new Set(records.filter((r) => evaluate(tree, r.record)).map((r) => r.where));
      const actual = await shownBy(sources, text);
      if (expected.size > 0 && expected.size < records.length) nonTrivial++;
      expect([...actual].sort(), text).toEqual([...expected].sort());
    }
    // the generator must exercise real selections, not only "all" or "none"
    expect(nonTrivial).toBeGreaterThan(count / 3);
  });
});
