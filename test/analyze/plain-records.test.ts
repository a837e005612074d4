import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/analyze/run.js';
import { localSources, type Source } from '../../src/analyze/sources.js';
// The bench's generator: realistic traffic of every class (NAT hops, IPv6, NODATA, SKIPDATA).
import { generateFlowLog } from '../../bench/generate.mjs';
import { dataFiles, ROOT as root } from '../helpers/data-files.js';
import { scratchDir } from '../helpers/scratch.js';

/*
 * The scanner tallies "plain" records itself (assembly/line-scanner.ts, readRecords()); a focus
 * expression turns that path off (every record must be judged in JavaScript). A focus that
 * matches everything reports everything, so both ways must give the very same summary.
 */

async function bothPaths(sources: Source[]) {
  const fast = await analyzeSources(sources, { parallel: false });
  const plain = await analyzeSources(sources, { parallel: false, focus: () => true });
  return { fast: fast.summary, slow: plain.summary };
}

describe('the scanner fast path gives the summary the JavaScript path gives', () => {
  it.each(dataFiles().map((path) => [path.slice(root.length), path]))('%s', async (_name, path) => {
    const { fast, slow } = await bothPaths(await localSources([path]));
    expect(fast).toEqual(slow);
  });

  describe('lines that must leave the fast path, among plain ones', () => {
    const dir = scratchDir('flowdump-plain-');

    const header = 'version interface-id srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status';
    const plain = (k: number, eni = 'eni-0aaa') => `5 ${eni} 10.0.0.${k % 200} ${40000 + k} 10.1.0.5 443 10.0.0.${k % 200} 10.1.0.5 6 2 1 60 ${1700000000 + k} ${1700000030 + k} ACCEPT OK`;
    const lines = [
      header,
      plain(1),
      plain(2),
      '5 eni-0bbb 10.0.0.9 41000 10.1.0.5 443 10.0.0.9 10.1.0.5 6 2 1 60 1700000100 1700000130 ACCEPT OK', // a new interface
      plain(3, 'eni-0bbb'),
      '5 eni-0aaa 10.0.0.50 42000 52.1.2.3 443 10.0.9.9 52.1.2.3 6 2 1 60 1700000100 1700000130 ACCEPT OK', // a NAT hop (tallied by the scanner)
      '5 eni-0aaa 52.1.2.3 443 10.0.0.50 42000 52.1.2.3 10.0.9.9 6 18 1 60 1700000100 1700000130 ACCEPT OK', // … on the destination side
      '5 eni-0aaa 10.0.0.51 42010 10.0.0.52 53 10.0.7.7 10.0.8.8 17 - 1 60 1700000100 1700000130 ACCEPT OK', // … on both sides, UDP
      '5 eni-0aaa 10.0.0.50 42011 52.1.2.3 443 - 52.1.2.4 6 2 1 60 1700000100 1700000130 ACCEPT OK', // … one packet address `-`
      '5 eni-0aaa 10.0.0.50 42012 2600:1f18::9 443 10.0.0.50 2600:1f18::8 6 2 1 60 1700000100 1700000130 ACCEPT OK', // … IPv6 texts (JavaScript compares them)
      '5 eni-0aaa 010.0.0.1 42001 10.1.0.5 443 010.0.0.1 10.1.0.5 6 2 1 60 1700000100 1700000130 ACCEPT OK', // a non-canonical address
      '5 eni-0aaa 10.0.0.1 42002 10.1.0.5 080 10.0.0.1 10.1.0.5 6 2 1 60 1700000100 1700000130 ACCEPT OK', // a port with a leading zero
      '5 eni-0aaa 2600:1f18::1 42003 2600:1f18::2 443 2600:1f18::1 2600:1f18::2 6 2 1 60 1700000100 1700000130 ACCEPT OK', // IPv6 (a text key, written by the scanner)
      '5 eni-0aaa 2600:1f18::2 443 2600:1f18::1 42003 2600:1f18::2 2600:1f18::1 6 18 1 60 1700000101 1700000131 ACCEPT OK', // … its answer
      '5 eni-0aaa 2600:1f18::7 42004 2600:1f18::7 42003 - - 6 2 1 60 1700000100 1700000130 ACCEPT OK', // … one address both sides: the ports decide
      '5 eni-0aaa 2600:1f18::7 - 2600:1f18::7 42003 2600:1f18::7 2600:1f18::7 6 2 1 60 1700000100 1700000130 ACCEPT OK', // … a port `-`
      '5 eni-0aaa 10.0.0.5 42005 2600:1f18::9 443 10.0.0.5 2600:1f18::9 6 2 1 60 1700000100 1700000130 ACCEPT OK', // … IPv4 and IPv6
      '5 eni-0aaa 2600:1f18::a 42006 2600:1f18::b 443 2600:1f18::c 2600:1f18::b 6 2 1 60 1700000100 1700000130 ACCEPT OK', // … a NAT hop between IPv6 texts
      '5 eni-0aaa - - - - - - - - - 1700000100 1700000159 - NODATA',
      '5 eni-0aaa - - - - - - - - - 1700000100 1700000159 - SKIPDATA',
      // log-status other than AWS writes it: the first byte decides (src/format/log-status.ts)
      ...['ok', 'Ok', 'OKAY', '-', 'nodata', 'skipdata', 'NOPE', 'S'].map((status, k) => `5 eni-0aaa 10.0.0.${20 + k} ${44000 + k} 10.1.0.5 443 10.0.0.${20 + k} 10.1.0.5 6 2 1 60 1700000100 1700000130 ACCEPT ${status}`),
      // ports at the edges of canonical (canonicalPortOf() in src/format/values.ts): 0, 65535 pack; 00, 65536 are text keys
      ...['0', '00', '65535', '65536'].map((port, k) => `5 eni-0aaa 10.0.0.${30 + k} ${port} 10.1.0.5 443 10.0.0.${30 + k} 10.1.0.5 6 2 1 60 1700000100 1700000130 ACCEPT OK`),
      '5 eni-0aaa 10.0.0.1 not-a-port 10.1.0.5 443 10.0.0.1 10.1.0.5 6 2 1 60 1700000100 1700000130 ACCEPT OK', // malformed
      '5 eni-0aaa 10.0.0.1 42004 10.1.0.5 443 - - 6 18 1 60 1700000100 1700000130 ACCEPT OK', // packet addresses absent
      '5 eni-0aaa 10.0.0.1 42005 10.1.0.5 443 10.0.0.1 10.1.0.5 17 - 1 60 1700000100 1700000130 REJECT OK', // UDP rejected
      '5 eni-0aaa 10.0.0.1 0 10.1.0.5 0 10.0.0.1 10.1.0.5 1 - 1 60 1700000100 1700000130 ACCEPT OK', // ICMP
      '5 eni-0aaa 10.0.0.1 0 10.1.0.5 0 10.0.0.1 10.1.0.5 47 - 1 60 1700000100 1700000130 ACCEPT OK', // GRE
      plain(4),
      'version interface-id srcaddr dstaddr srcport dstport protocol tcp-flags action log-status', // a new header mid-input
      '5 eni-0aaa 10.0.0.7 10.1.0.5 43000 443 6 2 ACCEPT OK',
      '5 eni-0aaa 10.1.0.5 10.0.0.7 443 43000 6 18 ACCEPT OK',
      '5 eni-0ccc 10.1.0.5 10.0.0.7 443 43000 6 18 ACCEPT OK\r', // CRLF, a new interface
      '',
      '5 eni-0aaa 10.0.0.7 10.1.0.5 43001 443 6 2 ACCEPT OK # a comment',
    ];

    it('as one file', async () => {
      const path = join(dir, 'mixed.log');
      writeFileSync(path, `${lines.join('\n')}\n`);
      const { fast, slow } = await bothPaths(await localSources([path]));
      expect(fast.records.total).toBeGreaterThan(15);
      expect([fast.records.nodata, fast.records.skipdata]).toEqual([1, 1]); // NOPE and S (the NODATA/SKIPDATA lines above lack a field)
      expect(fast.natHops.records).toBe(6);
      expect(fast).toEqual(slow);
    });

    it('more NAT hops than the scanner keeps rows for at a time, and more addresses than the hop list keeps', async () => {
      const path = join(dir, 'hops.log');
      const hops = [header];
      // 1 + 24,000 distinct interface-level addresses, past the 10,000 the hop list keeps, falling
      // in text order: the 20 it lists are the last it kept, the source of the last record kept
      // (not its destination) among them
      hops.push('5 eni-0aaa 10.99.199.199 39999 52.1.2.3 443 10.99.199.198 52.1.2.3 6 2 1 60 1700000000 1700000030 ACCEPT OK');
      const ip = (a: number, m: number) => `10.${a}.${100 + (m >> 7)}.${100 + (m & 127)}`;
      for (let k = 0; k < 12_000; k++) {
        const m = 11_999 - k;
        hops.push(`5 eni-0aaa ${ip(8, m)} ${40000 + (k % 20000)} ${ip(9, m)} 443 ${ip(7, m)} ${ip(6, m)} 6 2 1 60 ${1700000000 + k} ${1700000030 + k} ACCEPT OK`);
      }
      writeFileSync(path, `${hops.join('\n')}\n`);
      const { fast, slow } = await bothPaths(await localSources([path]));
      expect(fast.natHops.records).toBe(12_001);
      expect(fast.natHops.via[0].address).toBe(ip(8, 7000));
      expect(fast).toEqual(slow);
    });
  });

  it('text keys longer than the scanner keeps room for in a batch go through JavaScript, as they are', async () => {
    const path = join(scratchDir('flowdump-plain-keys-'), 'keys.log');
    const header = 'version interface-id srcaddr srcport dstaddr dstport protocol tcp-flags packets bytes start end action log-status';
    const lines = [header];
    // ports of 300 digits: valid numbers, not ports, so a text key of ~620 bytes each
    for (let k = 0; k < 3000; k++) lines.push(`5 eni-0aaa 2600:1f18::${(k % 50).toString(16)} ${'9'.repeat(299)}${k % 7} 2600:1f18::ff 443 6 ${k % 2 === 0 ? 2 : 18} 1 60 ${1700000000 + k} ${1700000030 + k} ACCEPT OK`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    const { fast, slow } = await bothPaths(await localSources([path]));
    expect(fast.tcp.connections).toBe(350);
    expect(fast).toEqual(slow);
  });

  describe('a generated capture', () => {
    const file = join(scratchDir('flowdump-plain-gen-'), 'flows.log.gz');
    beforeAll(async () => {
      await generateFlowLog(file, { records: 40_000 });
    });

    it('every count, verdict, peer, hop and gap', async () => {
      const { fast, slow } = await bothPaths(await localSources([file]));
      expect(fast.natHops.records).toBeGreaterThan(0);
      expect(fast.gaps.nodata.length).toBeGreaterThan(0);
      expect(fast).toEqual(slow);
    });
  });
});
