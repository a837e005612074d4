import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/analyze/run.js';
import { analyzeLines, analyzeText, classes, statusLine, T0, tcp, textSource } from '../helpers/flow-lines.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const C = '10.0.1.10';
const S = '10.0.2.20';
const minute = (seconds: number) => new Date(Math.floor((T0 + seconds) / 60) * 60_000).toISOString().replace('.000Z', 'Z');

describe('tcp-flags are OR-ed per direction across records', () => {
  it('a SYN in one record and a SYN-ACK in another make an established connection', async () => {
    const summary = await analyzeLines([tcp(`${C}:40000`, `${S}:5432`, 2), tcp(`${S}:5432`, `${C}:40000`, 18)]);
    expect(classes(summary)).toEqual({ connections: 1, established: 1, refused: 0, unanswered: 0, rejected: 0, midstream: 0, reset: 0, closed: 0 });
    expect(summary.failures).toEqual([]);
  });

  it('the OR spans windows: SYN and ACK bits from different records of one direction form a SYN-ACK', async () => {
    const summary = await analyzeLines([tcp(`${C}:40000`, `${S}:5432`, 2), tcp(`${S}:5432`, `${C}:40000`, 2, { at: 1 }), tcp(`${S}:5432`, `${C}:40000`, 16, { at: 70 })]);
    expect(summary.tcp.established).toBe(1);
  });

  it('3/19 in one window: established and closed (AWS example, third connection)', async () => {
    const summary = await analyzeLines([tcp(`${C}:40001`, `${S}:5001`, 3), tcp(`${S}:5001`, `${C}:40001`, 19)]);
    expect(summary.tcp).toMatchObject({ established: 1, closed: 1, reset: 0 });
  });

  it('`-` in tcp-flags contributes nothing', async () => {
    const summary = await analyzeLines([
      tcp(`${C}:40000`, `${S}:80`, 2),
      tcp(`${S}:80`, `${C}:40000`, '-'),
      tcp(`${C}:40001`, `${S}:80`, '-'),
      tcp(`${S}:80`, `${C}:40001`, '-'),
    ]);
    expect(summary.tcp).toMatchObject({ classified: true, connections: 2, unanswered: 1, midstream: 1 });
  });

  it('a tcp-flags value past 32 bits is read as JavaScript reads it (its low 32 bits), one too long for a number as 0', async () => {
    // the table is WebAssembly: its conversions must match `flags & 63` on a double exactly
    const summary = await analyzeLines([
      tcp(`${C}:40000`, `${S}:80`, 2 ** 32 + 2), // SYN
      tcp(`${S}:80`, `${C}:40000`, 2 ** 33 + 18), // SYN-ACK
      tcp(`${C}:40001`, `${S}:80`, '9'.repeat(400)), // Infinity: no bits
      tcp(`${S}:80`, `${C}:40001`, 16),
    ]);
    expect(summary.records.malformed).toBe(0);
    expect(summary.tcp).toMatchObject({ connections: 2, established: 1, midstream: 1 });
  });

  it('the canonical AWS example: 3 established, 2 closed, 8 records', async () => {
    const summary = await analyzeText(fixture('aws-doc/example-tcp-flag.log'));
    expect(summary.records).toMatchObject({ total: 8, tcp: 8, malformed: 0 });
    expect(classes(summary)).toEqual({ connections: 3, established: 3, refused: 0, unanswered: 0, rejected: 0, midstream: 0, reset: 0, closed: 2 });
    expect(summary.peers.map((p) => [p.peer, p.connections])).toEqual([['10.0.0.62:5001', 3]]);
  });
});

describe('order independence', () => {
  it('the SYN-ACK line before its SYN line gives the same verdict (AWS traffic-path example)', async () => {
    const summary = await analyzeText(fixture('aws-doc/example-traffic-path.log'));
    expect(summary.tcp).toMatchObject({ connections: 1, established: 1, closed: 1 });
    // the client is the one that received the SYN-ACK, whatever the line order
    expect(summary.peers[0].peer).toBe('52.95.128.179:80');
  });

  it('every rotation and the reversal of the AWS example give the same summary', async () => {
    const [header, ...lines] = fixture('aws-doc/example-tcp-flag.log').trim().split('\n');
    const reference = await analyzeLines(lines, { header });
    const strip = (s: typeof reference) => ({ ...s, malformed: { ...s.malformed, examples: [] } });
    for (let k = 1; k < lines.length; k++) {
      const rotated = [...lines.slice(k), ...lines.slice(0, k)];
      expect(strip(await analyzeLines(rotated, { header }))).toEqual(strip(reference));
    }
    expect(strip(await analyzeLines([...lines].reverse(), { header }))).toEqual(strip(reference));
  });
});

describe('refused, unanswered, reset', () => {
  it('SYN answered by RST from the other side: refused', async () => {
    // derived: the AWS example's first connection with the server's flags 18 changed to 4
    const summary = await analyzeText(fixture('derived/refused.log'));
    expect(classes(summary)).toMatchObject({ connections: 1, refused: 1, established: 0, unanswered: 0 });
    expect(summary.failures[0]).toMatchObject({ class: 'refused', client: { address: '52.213.180.42', port: 43416 }, server: { address: '10.0.0.62', port: 5001 }, flags: { client: 'S', server: 'R' } });
  });

  it("the client's own SYN+RST (flags 6) with nothing back is unanswered, not refused", async () => {
    const summary = await analyzeLines([tcp(`${C}:40000`, `${S}:6379`, 6)]);
    expect(classes(summary)).toMatchObject({ unanswered: 1, refused: 0 });
  });

  it('only flags 0 or FIN back: unanswered', async () => {
    const summary = await analyzeLines([tcp(`${C}:40000`, `${S}:6379`, 2), tcp(`${S}:6379`, `${C}:40000`, 1), tcp(`${C}:40001`, `${S}:6379`, 2), tcp(`${S}:6379`, `${C}:40001`, 0)]);
    expect(summary.tcp).toMatchObject({ unanswered: 2, refused: 0 });
  });

  it('established then RST: reset (a sub-count of established, not a failure); derived from the AWS example', async () => {
    const summary = await analyzeText(fixture('derived/reset.log'));
    expect(classes(summary)).toEqual({ connections: 1, established: 1, refused: 0, unanswered: 0, rejected: 0, midstream: 0, reset: 1, closed: 0 });
    expect(summary.failuresTotal).toBe(0);
    expect(summary.peers[0]).toMatchObject({ peer: '10.0.0.62:5001', reset: 1, failures: 0 });
  });
});

describe('retried SYN', () => {
  it('without a SYN-ACK, several packets in the SYN records mean retransmissions', async () => {
    const summary = await analyzeLines([tcp(`${C}:40000`, `${S}:5432`, 2, { packets: 3 }), tcp(`${C}:40001`, `${S}:5432`, 2, { packets: 1 })]);
    expect(summary.tcp).toMatchObject({ unanswered: 2, retriedSyn: 1 });
    expect(summary.failures.find((f) => f.client.port === 40000)?.retriedSyn).toBe(true);
    expect(summary.failures.find((f) => f.client.port === 40001)?.retriedSyn).toBe(false);
  });

  it('without a SYN-ACK, one SYN packet in each of two windows is a retry', async () => {
    const summary = await analyzeLines([tcp(`${C}:40000`, `${S}:5432`, 2, { at: 0 }), tcp(`${C}:40000`, `${S}:5432`, 2, { at: 61 })]);
    expect(summary.tcp).toMatchObject({ unanswered: 1, retriedSyn: 1 });
  });

  it('with a SYN-ACK, packets in the SYN window are data, not retries; a SYN seen again in a later window is', async () => {
    const summary = await analyzeLines([
      tcp(`${C}:40000`, `${S}:5432`, 2, { packets: 8 }),
      tcp(`${S}:5432`, `${C}:40000`, 18, { packets: 7 }),
      tcp(`${C}:40001`, `${S}:5432`, 2, { at: 0 }),
      tcp(`${C}:40001`, `${S}:5432`, 2, { at: 60 }),
      tcp(`${S}:5432`, `${C}:40001`, 18, { at: 60 }),
    ]);
    expect(summary.tcp).toMatchObject({ established: 2, retriedSyn: 1 });
  });

  it('the same SYN seen on two interfaces of one capture is not a retry', async () => {
    const summary = await analyzeLines([
      tcp(`${C}:40000`, `${S}:5432`, 2, { eni: 'eni-0client000000000', at: 0 }),
      tcp(`${C}:40000`, `${S}:5432`, 2, { eni: 'eni-0server000000000', at: 1 }),
    ]);
    expect(summary.tcp).toMatchObject({ connections: 1, unanswered: 1, retriedSyn: 0 });
  });

  it('a retry that shows on any one interface counts, whichever interface is read first', async () => {
    // the client's interface saw the SYN sent twice (two windows, three packets); the server's
    // interface only the first one, a few seconds later
    const lines = [
      tcp(`${C}:40000`, `${S}:5432`, 2, { eni: 'eni-0server000000000', at: 2 }),
      tcp(`${C}:40000`, `${S}:5432`, 2, { eni: 'eni-0client000000000', at: 0, packets: 2 }),
      tcp(`${C}:40000`, `${S}:5432`, 2, { eni: 'eni-0client000000000', at: 61 }),
      tcp(`${C}:40000`, `${S}:5432`, 2, { eni: 'eni-0firewall0000000', at: 1 }),
    ];
    for (let k = 0; k < lines.length; k++) {
      for (const order of [[...lines.slice(k), ...lines.slice(0, k)], [...lines.slice(k), ...lines.slice(0, k)].reverse()]) {
        const summary = await analyzeLines(order);
        expect(summary.tcp).toMatchObject({ unanswered: 1, retriedSyn: 1 });
        // the timeline counts the connection in the minute of its earliest SYN, on any interface
        expect(summary.timeline.map((row) => row.minute)).toEqual([minute(0)]);
      }
    }
  });

  it('per interface, across thousands of connections seen on three interfaces each', async () => {
    const lines: string[] = [];
    for (let n = 0; n < 3000; n++) {
      const client = `${C}:${20000 + n}`;
      // every third connection retried on the third interface only (two windows there)
      lines.push(tcp(client, `${S}:5432`, 2, { eni: 'eni-0a00000000000000', at: 0 }));
      lines.push(tcp(client, `${S}:5432`, 2, { eni: 'eni-0b00000000000000', at: 0 }));
      lines.push(tcp(client, `${S}:5432`, 2, { eni: 'eni-0c00000000000000', at: 0 }));
      if (n % 3 === 0) lines.push(tcp(client, `${S}:5432`, 2, { eni: 'eni-0c00000000000000', at: 61 }));
    }
    const forward = await analyzeLines(lines);
    expect(forward.tcp).toMatchObject({ connections: 3000, unanswered: 3000, retriedSyn: 1000 });
    expect((await analyzeLines([...lines].reverse())).tcp.retriedSyn).toBe(1000);
  });
});

describe('rejected', () => {
  it('a REJECT record and no accepted SYN-ACK: rejected', async () => {
    const summary = await analyzeLines([tcp('198.51.100.23:61000', `${C}:22`, 2, { action: 'REJECT' })]);
    expect(classes(summary)).toMatchObject({ connections: 1, rejected: 1 });
    expect(summary.failures[0]).toMatchObject({ class: 'rejected', client: { address: '198.51.100.23' }, server: { address: C, port: 22 } });
  });

  it('a REJECT and a later SYN-ACK in an ACCEPT record: established', async () => {
    const summary = await analyzeLines([
      tcp(`${C}:40000`, `${S}:443`, 2, { action: 'REJECT' }),
      tcp(`${C}:40000`, `${S}:443`, 2, { at: 60 }),
      tcp(`${S}:443`, `${C}:40000`, 18, { at: 60 }),
    ]);
    expect(classes(summary)).toMatchObject({ established: 1, rejected: 0 });
  });

  it('a SYN-ACK only in a REJECT record (the response dropped by a NACL): rejected', async () => {
    const summary = await analyzeLines([tcp(`${C}:40000`, `${S}:443`, 2), tcp(`${S}:443`, `${C}:40000`, 18, { action: 'REJECT' })]);
    expect(classes(summary)).toMatchObject({ established: 0, rejected: 1 });
  });
});

describe('midstream', () => {
  it('no SYN from either side: midstream, with the lower port taken as the server', async () => {
    const summary = await analyzeLines([tcp(`${C}:35000`, `${S}:5432`, 0), tcp(`${S}:5432`, `${C}:35000`, 1, { at: 30 })]);
    expect(classes(summary)).toMatchObject({ connections: 1, midstream: 1, closed: 0 });
    expect(summary.peers[0]).toMatchObject({ peer: `${S}:5432`, midstream: 1, failures: 0 });
  });
});

describe('endpoints and interfaces', () => {
  it('NAT: packet-level addresses are the endpoints; records whose interface address differs count as hops', async () => {
    const NAT = '10.0.0.50';
    const API = '203.0.113.80';
    const summary = await analyzeLines([
      // app's own interface
      tcp(`${C}:40000`, `${API}:443`, 2, { eni: 'eni-0app' }),
      tcp(`${API}:443`, `${C}:40000`, 18, { eni: 'eni-0app' }),
      // NAT gateway interface, inside leg: interface addresses are the NAT's
      tcp(`${C}:40000`, `${NAT}:443`, 2, { eni: 'eni-0nat', pktDst: API }),
      tcp(`${NAT}:443`, `${C}:40000`, 18, { eni: 'eni-0nat', pktSrc: API }),
    ]);
    expect(summary.records.tcp).toBe(4);
    expect(classes(summary)).toMatchObject({ connections: 1, established: 1 });
    expect(summary.natHops).toEqual({ records: 2, via: [{ address: NAT, records: 2 }] });
    expect(summary.peers.map((p) => p.peer)).toEqual([`${API}:443`]);
  });

  it('`-` in pkt-srcaddr/pkt-dstaddr falls back to srcaddr/dstaddr', async () => {
    const summary = await analyzeLines([tcp(`${C}:40000`, `${S}:80`, 2, { pktSrc: '-', pktDst: '-' }), tcp(`${S}:80`, `${C}:40000`, 18)]);
    expect(classes(summary)).toMatchObject({ connections: 1, established: 1 });
    expect(summary.natHops.records).toBe(0);
  });

  it('transit gateway: one conversation recorded on 3 ENIs is one connection (AWS TGW example)', async () => {
    const summary = await analyzeText(fixture('aws-doc/example-tgw.log'));
    expect(summary.records).toMatchObject({ total: 5, tcp: 4, malformed: 1 });
    expect(classes(summary)).toMatchObject({ connections: 1, established: 1, closed: 1 });
    expect(summary.natHops.records).toBe(2);
    expect(summary.interfaces.count).toBe(3);
  });

  it('one conversation seen on two ENIs is counted once; its records are all counted', async () => {
    const lines: string[] = [];
    for (const eni of ['eni-0client000000000', 'eni-0server000000000']) {
      lines.push(tcp(`${C}:40000`, `${S}:5432`, 2, { eni }), tcp(`${S}:5432`, `${C}:40000`, 18, { eni }));
    }
    const summary = await analyzeLines(lines);
    expect(summary.records.tcp).toBe(4);
    expect(summary.tcp.connections).toBe(1);
    expect(summary.failures).toEqual([]);
  });

  it('IPv6 endpoints', async () => {
    const summary = await analyzeLines([tcp('[2001:db8::10]:40000', '[2001:db8::20]:443', 2), tcp('[2001:db8::20]:443', '[2001:db8::10]:40000', 4)]);
    expect(classes(summary)).toMatchObject({ connections: 1, refused: 1 });
    expect(summary.peers[0].peer).toBe('[2001:db8::20]:443');
    expect(summary.failures[0].client).toEqual({ address: '2001:db8::10', port: 40000 });
  });
});

describe('other protocols', () => {
  it('UDP and ICMP (1 and 58) are tallied, not classified; a record without a protocol value is other', async () => {
    const summary = await analyzeLines([
      tcp(`${C}:48125`, '10.0.3.40:8125', 0, { protocol: 17, packets: 60, bytes: 9000 }),
      tcp(`${C}:0`, `${S}:0`, 0, { protocol: 1, packets: 4, bytes: 336 }),
      tcp(`${S}:0`, `${C}:0`, 0, { protocol: 1, packets: 4, bytes: 336, action: 'REJECT' }),
      tcp('[2001:db8::1]:0', '[2001:db8::2]:0', 0, { protocol: 58 }),
      tcp(`${C}:1`, `${S}:1`, 0, { protocol: 47 }),
      tcp(`${C}:1`, `${S}:1`, 0, { protocol: '-' }),
    ]);
    expect(summary.records).toMatchObject({ total: 6, tcp: 0, udp: 1, icmp: 3, other: 2 });
    expect(summary.udp).toEqual({ records: 1, packets: 60, bytes: 9000, rejected: 0 });
    expect(summary.icmp).toMatchObject({ records: 3, rejected: 1, packets: 9 });
    expect(summary.tcp.connections).toBe(0);
  });
});

describe('NODATA and SKIPDATA', () => {
  it('come from log-status, count as records, and are reported as windows per interface', async () => {
    const summary = await analyzeLines([statusLine('NODATA', 0, 'eni-0idle'), statusLine('NODATA', 60, 'eni-0idle'), statusLine('SKIPDATA', 0, 'eni-0busy')]);
    expect(summary.records).toMatchObject({ total: 3, nodata: 2, skipdata: 1, tcp: 0 });
    expect(summary.gaps.nodata).toEqual([{ interface: 'eni-0idle', start: minute(0), end: new Date((T0 + 119) * 1000).toISOString().replace('.000Z', 'Z'), records: 2 }]);
    expect(summary.gaps.skipdata).toHaveLength(1);
    expect(summary.gaps.skipdata[0].interface).toBe('eni-0busy');
  });

  it('without log-status, a record whose address and port fields are all `-` counts as nodata', async () => {
    const header = 'version interface-id srcaddr dstaddr srcport dstport protocol tcp-flags start end';
    const summary = await analyzeLines([`5 eni-0a - - - - - - ${T0} ${T0 + 59}`, `5 eni-0a ${C} ${S} 40000 80 6 2 ${T0} ${T0 + 59}`], { header });
    expect(summary.records).toMatchObject({ total: 2, nodata: 1, tcp: 1 });
  });

  it('a header repeated after a blank line (concatenated objects): one SKIPDATA, one NODATA', async () => {
    const summary = await analyzeText(fixture('derived/repeated-header-gaps.log'));
    expect(summary.records).toMatchObject({ total: 2, skipdata: 1, nodata: 1, malformed: 0 });
    expect(summary.tcp).toMatchObject({ classified: true, connections: 0 });
  });

  it('an unanswered SYN near a SKIPDATA window is low confidence; far from it, or near NODATA, it is not', async () => {
    const summary = await analyzeLines([
      statusLine('SKIPDATA', 300, 'eni-0server'),
      statusLine('NODATA', 900, 'eni-0other'),
      tcp(`${C}:40000`, `${S}:5432`, 2, { at: 310 }), // inside the SKIPDATA window
      tcp(`${C}:40001`, `${S}:5432`, 2, { at: 380 }), // within a minute after it
      tcp(`${C}:40002`, `${S}:5432`, 2, { at: 600 }), // far from it
      tcp(`${C}:40003`, `${S}:5432`, 2, { at: 905 }), // inside a NODATA window: that is evidence, not a blind spot
    ]);
    expect(summary.tcp).toMatchObject({ unanswered: 4, unansweredLowConfidence: 2 });
    const low = Object.fromEntries(summary.failures.map((f) => [f.client.port, f.lowConfidence]));
    expect(low).toEqual({ 40000: true, 40001: true, 40002: false, 40003: false });
  });

  it('SKIPDATA does not lower confidence in other classes', async () => {
    const summary = await analyzeLines([statusLine('SKIPDATA', 0), tcp(`${C}:40000`, `${S}:80`, 2, { at: 5 }), tcp(`${S}:80`, `${C}:40000`, 4, { at: 5 })]);
    expect(summary.tcp).toMatchObject({ refused: 1, unansweredLowConfidence: 0 });
    expect(summary.failures[0].lowConfidence).toBe(false);
  });
});

describe('data without tcp-flags or protocol', () => {
  it('no tcp-flags field: classified false with the plain reason; REJECT still rejected, the rest midstream', async () => {
    const summary = await analyzeText(fixture('aws-doc/example-accepted-rejected.log'));
    expect(summary.tcp.classified).toBe(false);
    expect(summary.tcp.reason).toBe('the data has no tcp-flags field, so handshakes cannot be judged: TCP connections are only told apart as rejected or midstream');
    expect(classes(summary)).toMatchObject({ connections: 2, rejected: 1, midstream: 1 });
    expect(summary.headline).toContain('handshakes cannot be judged');
  });

  it('one source without tcp-flags makes the whole summary unclassified', async () => {
    const withFlags = `${fixture('aws-doc/example-tcp-flag.log')}`;
    const without = fixture('aws-doc/example-accepted-rejected.log');
    const { summary } = await analyzeSources([textSource('a.log', withFlags), textSource('b.log', without)]);
    expect(summary.tcp.classified).toBe(false);
  });

  it('no protocol field: records are other, and the reason says TCP cannot be told apart', async () => {
    const summary = await analyzeText(fixture('aws-doc/example-nat.log'));
    expect(summary.records).toMatchObject({ total: 6, other: 6, tcp: 0 });
    expect(summary.tcp.classified).toBe(false);
    expect(summary.tcp.reason).toMatch(/no protocol field/);
    expect(summary.natHops).toEqual({ records: 2, via: [{ address: '10.0.0.220', records: 2 }] });
  });
});

describe('timeline, peers and failures', () => {
  it('a failure is placed in the minute of the client\'s first SYN', async () => {
    const summary = await analyzeLines([
      // SYN at 10:00:50, retried at 10:01:20; unanswered: minute 10:00
      tcp(`${C}:40000`, `${S}:5432`, 2, { at: 50 }),
      tcp(`${C}:40000`, `${S}:5432`, 2, { at: 80 }),
      // refused at 10:03
      tcp(`${C}:40001`, `${S}:6379`, 2, { at: 185 }),
      tcp(`${S}:6379`, `${C}:40001`, 4, { at: 185 }),
      // the SYN-ACK record starts earlier than the SYN record: still the SYN's minute (10:02)
      tcp(`${S}:443`, `${C}:40002`, 18, { at: 110 }),
      tcp(`${C}:40002`, `${S}:443`, 2, { at: 125 }),
    ]);
    expect(summary.timeline.map((row) => [row.minute, row.failures, row.unanswered, row.refused, row.established])).toEqual([
      [minute(0), 1, 1, 0, 0],
      [minute(120), 0, 0, 0, 1],
      [minute(180), 1, 0, 1, 0],
    ]);
  });

  it('failures = refused + unanswered + rejected; resets are reported beside them, per peer (server side), worst first', async () => {
    const summary = await analyzeLines([
      tcp(`${C}:40000`, `${S}:5432`, 2),
      tcp(`${C}:40001`, `${S}:5432`, 2),
      tcp(`${C}:40002`, `${S}:5432`, 2),
      tcp(`${S}:5432`, `${C}:40002`, 18),
      tcp(`${C}:40003`, `${S}:6379`, 2),
      tcp(`${S}:6379`, `${C}:40003`, 4),
      tcp(`${C}:40004`, '203.0.113.80:443', 2),
      tcp(`203.0.113.80:443`, `${C}:40004`, 22),
      tcp('198.51.100.23:61000', `${C}:22`, 2, { action: 'REJECT' }),
    ]);
    expect(summary.failuresTotal).toBe(4);
    expect(summary.failures.map((f) => f.class)).toEqual(['refused', 'unanswered', 'unanswered', 'rejected']);
    expect(summary.peers.map((p) => [p.peer, p.connections, p.failures, p.reset])).toEqual([
      [`${S}:5432`, 3, 2, 0],
      [`${C}:22`, 1, 1, 0], // ties: by address
      [`${S}:6379`, 1, 1, 0],
      ['203.0.113.80:443', 1, 0, 1],
    ]);
    expect(summary.peersTotal).toBe(4);
    expect(summary.tcp.reset).toBe(1);
  });

  it('the peers and failures listed are the first of the whole order, ties included, whatever the limit', async () => {
    const lines: string[] = [];
    for (let k = 0; k < 60; k++) {
      const client = `${C}:${41000 + k}`;
      // servers with equal counts (ties by text), two that show alike ("10.0.0.1 0" and "10.0.0.1 00"), IPv6
      const server = [`10.0.3.${k % 7}:80`, '10.0.0.1:0', '10.0.0.1:00', '[2001:db8::5]:443', `${S}:${5000 + (k % 5)}`][k % 5];
      const at = (k % 4) * 30; // failures in the same second: ties by id
      if (k % 3 === 0) lines.push(tcp(client, server, 2, { at }));
      else if (k % 3 === 1) lines.push(tcp(client, server, 2, { at }), tcp(server, client, 4, { at }));
      else lines.push(tcp(client, server, 2, { at }), tcp(server, client, 18, { at }));
    }
    // a first seen past 9999 (compared as text) and a rejected scanner
    lines.push(tcp(`${C}:42000`, `${S}:5432`, 2, { at: 253402300800 - T0 }));
    lines.push(tcp('198.51.100.23:61000', `${C}:22`, 2, { action: 'REJECT' }));
    const all = await analyzeLines(lines, { maxPeers: 1000, maxFailures: 1000 });
    expect(all.peers.length).toBe(all.peersTotal);
    expect(all.failures.length).toBe(all.failuresTotal);
    // the whole order is the documented one
    for (let k = 1; k < all.peers.length; k++) {
      const [a, b] = [all.peers[k - 1], all.peers[k]];
      // ties: by address (code point), then port as a number
      expect(b.failures - a.failures || b.reset - a.reset || b.connections - a.connections || (a.address < b.address ? -1 : a.address > b.address ? 1 : (a.port ?? -1) - (b.port ?? -1))).toBeLessThanOrEqual(0);
    }
    const weight = { refused: 0, unanswered: 1, rejected: 2, established: 3, midstream: 4 };
    for (let k = 1; k < all.failures.length; k++) {
      const [a, b] = [all.failures[k - 1], all.failures[k]];
      const order = weight[a.class] - weight[b.class] || Number(b.retriedSyn) - Number(a.retriedSyn) || (a.firstSeen ?? '').localeCompare(b.firstSeen ?? '') || a.id.localeCompare(b.id);
      expect(order).toBeLessThanOrEqual(0);
    }
    for (const limit of [0, 1, 2, 5, 17]) {
      const some = await analyzeLines(lines, { maxPeers: limit, maxFailures: limit });
      expect(some.peers).toEqual(all.peers.slice(0, limit));
      expect(some.failures).toEqual(all.failures.slice(0, limit));
      expect([some.peersTotal, some.failuresTotal]).toEqual([all.peersTotal, all.failuresTotal]);
    }
  });

  it('a timeline of thousands of minutes and thousands of peers', async () => {
    const lines: string[] = [];
    for (let k = 0; k < 3000; k++) lines.push(tcp(`${C}:${40000 + k}`, `10.0.${4 + Math.floor(k / 250)}.${k % 250}:443`, 2, { at: (2999 - k) * 60 }));
    const summary = await analyzeLines(lines, { maxPeers: 5 });
    expect(summary.timeline.length).toBe(3000);
    expect(summary.timeline[0].minute).toBe(minute(0));
    expect(summary.timeline.at(-1)?.minute).toBe(minute(2999 * 60));
    expect(summary.timeline.every((row, k) => row.unanswered === 1 && (k === 0 || row.minute > summary.timeline[k - 1].minute))).toBe(true);
    expect(summary.peersTotal).toBe(3000);
    expect(summary.peers.map((p) => p.peer)).toEqual(['10.0.10.0:443', '10.0.10.1:443', '10.0.10.10:443', '10.0.10.100:443', '10.0.10.101:443']);
  });

  it('each failure carries a stable id, the rule that decided, and both sides\' flags', async () => {
    const lines = [tcp(`${C}:40000`, `${S}:6379`, 2), tcp(`${S}:6379`, `${C}:40000`, 4)];
    const a = await analyzeLines(lines);
    const b = await analyzeLines([...lines].reverse());
    expect(a.failures[0].id).toMatch(/^[0-9a-f]{8}$/);
    expect(b.failures[0].id).toBe(a.failures[0].id);
    expect(a.failures[0]).toMatchObject({ clientBy: 'handshake', flags: { client: 'S', server: 'R' }, records: 2, rule: expect.stringContaining('RST') });
  });
});

describe('records.total and malformed lines', () => {
  it('counts every record line, malformed and NODATA included; headers and blank lines are not records', async () => {
    const summary = await analyzeText(
      [tcp(`${C}:40000`, `${S}:80`, 2), '', 'this line is not a record', statusLine('NODATA', 0), tcp(`${C}:40000`, `${S}:80`, 2).replace(' 6 2 ', ' six 2 ')].join('\n'),
      { format: { fields: 'version interface-id flow-direction srcaddr srcport dstaddr dstport pkt-srcaddr pkt-dstaddr protocol tcp-flags packets bytes start end action log-status'.split(' '), origin: 'template' } },
      'capture.log',
    );
    expect(summary.records).toMatchObject({ total: 4, tcp: 1, nodata: 1, malformed: 2 });
    expect(summary.malformed.examples).toEqual([
      { source: 'capture.log', line: 3, message: 'expected 17 fields (template format), found 6' },
      { source: 'capture.log', line: 5, message: 'protocol is "six", not a number or -' },
    ]);
  });
});

describe('the JSON core schema', () => {
  it('has exactly the keys of the stable --json core, and the five classes sum to connections', async () => {
    const summary = await analyzeText(fixture('aws-doc/example-tcp-flag.log'));
    const json = JSON.parse(JSON.stringify(summary));
    expect(json.schema).toBe('flowdump.summary/v1');
    expect(Object.keys(json.records).sort()).toEqual(['icmp', 'malformed', 'nodata', 'other', 'skipdata', 'tcp', 'total', 'udp']);
    for (const key of ['classified', 'connections', 'established', 'refused', 'unanswered', 'rejected', 'midstream', 'reset', 'closed']) {
      expect(json.tcp).toHaveProperty(key);
    }
    expect(typeof json.tcp.classified).toBe('boolean');
    const t = json.tcp;
    expect(t.established + t.refused + t.unanswered + t.rejected + t.midstream).toBe(t.connections);
  });

  it('an empty input is a valid summary with zero counts', async () => {
    const summary = await analyzeText('');
    expect(summary.records.total).toBe(0);
    expect(summary.tcp.connections).toBe(0);
    expect(summary.headline).toBe('no flow-log records in the input');
    expect(summary.tcp).toMatchObject({ classified: false, reason: 'no well-formed records were read, so handshakes cannot be judged' });
  });

  it('input where every line is malformed says so, instead of blaming a missing field', async () => {
    const summary = await analyzeText('this is not\na flow log at all\n');
    expect(summary.records).toMatchObject({ total: 2, malformed: 2 });
    expect(summary.headline).toBe('no well-formed flow-log records: all 2 line(s) are malformed (wrong format? see --log-format)');
    expect(summary.tcp.reason).toBe('no well-formed records were read, so handshakes cannot be judged');
  });
});
