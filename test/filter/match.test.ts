import { describe, expect, it } from 'vitest';
import { compileExpression } from '../../src/filter/compile.js';
import { MIXED, mixedLabels, readAll } from '../helpers/records.js';

const ALL = Array.from({ length: 24 }, (_, i) => `r${i + 1}`);
const except = (...labels: string[]) => ALL.filter((label) => !labels.includes(label));

/**
 * expression → the records of test/fixtures/show/mixed.log it must match (by their `# rN`
 * labels). Worked out by hand from the fixture and pcap-filter(7).
 */
const TABLE: [string, string[]][] = [
  ['tcp', ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r13', 'r14', 'r18', 'r19', 'r20', 'r21', 'r23']],
  ['udp', ['r9', 'r10', 'r22', 'r24']],
  ['icmp', ['r11']],
  ['icmp6', ['r12']],
  ['ip6', ['r12', 'r13', 'r14', 'r24']],
  ['ip', except('r12', 'r13', 'r14', 'r24', 'r16', 'r17')],
  ['host 10.0.1.10', ['r1', 'r2', 'r3', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r19', 'r22', 'r23']],
  // the NAT gateway's own address is only at the interface level on the inside leg
  ['host 10.0.0.50', []],
  ['via 10.0.0.50', ['r7', 'r8']],
  ['via 10.0.0.0/24', ['r7', 'r8', 'r10']],
  ['src host 10.0.2.20', ['r2']],
  ['dst host 10.0.2.20', ['r1', 'r3', 'r11', 'r18', 'r19', 'r23']],
  ['net 10.0.2.0/24', ['r1', 'r2', 'r3', 'r4', 'r5', 'r11', 'r18', 'r19', 'r23']],
  ['net 10.1', ['r22']],
  ['net 10.0.0.0 mask 255.255.0.0 and udp', ['r9', 'r10', 'r22']],
  ['net 2001:db8:2::/48', ['r12', 'r13', 'r14', 'r24']],
  ['host 2001:db8:1::10', ['r12', 'r13', 'r14']],
  ['src host 2001:DB8:1:0::10', ['r12', 'r13']],
  ['src and dst net 10.0.0.0/16', ['r1', 'r2', 'r3', 'r4', 'r5', 'r9', 'r10', 'r11', 'r15', 'r18', 'r19', 'r20', 'r23']],
  ['port 5432', ['r1', 'r2', 'r3', 'r18', 'r19', 'r23']],
  ['src port 443', ['r8', 'r14', 'r21', 'r24']],
  ['dst port 443', ['r7', 'r13']],
  ['portrange 6000-6400', ['r4', 'r5', 'r22']],
  ['portrange 6400-6000', ['r4', 'r5', 'r22']],
  // ports belong to TCP, UDP and SCTP only: ICMP's 0 is not a port
  ['port 0', []],
  ['port 80 or 443', ['r7', 'r8', 'r13', 'r14', 'r20', 'r21', 'r24']],
  ['tcp dst port 443 or 80', ['r7', 'r13', 'r20']],
  ['udp port domain', ['r10']],
  ['port https', ['r7', 'r8', 'r13', 'r14', 'r21', 'r24']],
  ['port postgresql', ['r1', 'r2', 'r3', 'r18', 'r19', 'r23']],
  ['ip proto 47', ['r15']],
  ['proto 17', ['r9', 'r10', 'r22', 'r24']],
  ['proto \\udp and ip6', ['r24']],
  ['tcp[tcpflags] & (tcp-syn|tcp-rst) != 0', ['r1', 'r2', 'r4', 'r5', 'r6', 'r7', 'r8', 'r13', 'r14', 'r20', 'r21']],
  ['tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn', ['r1', 'r5', 'r6', 'r7', 'r13', 'r20']],
  ['tcp[13] & tcp-rst != 0', ['r4', 'r20', 'r21']],
  ['tcp[13:1] & 0x04 = 4', ['r4', 'r20', 'r21']],
  ['tcp[tcpflags] = 0', ['r19']],
  ['tcp[tcpflags] & tcp-push != 0', ['r23']],
  ['tcp[tcpflags] & tcp-fin != 0 and port 5432', ['r3']],
  ['tcp[tcpflags] > 18', ['r8', 'r21', 'r23']],
  ['(tcp[tcpflags] >> 1) & 1 = 1 and (tcp[tcpflags] & 0x10) = 0', ['r1', 'r5', 'r6', 'r7', 'r13', 'r20']],
  // a relation that cannot be evaluated (not TCP, tcp-flags "-") is false; "not" inverts it
  ['not tcp[tcpflags] & tcp-syn != 0', ['r3', 'r4', 'r9', 'r10', 'r11', 'r12', 'r15', 'r16', 'r17', 'r18', 'r19', 'r22', 'r23', 'r24']],
  ['action reject', ['r6', 'r22', 'r24']],
  ['action ACCEPT and udp', ['r9', 'r10']],
  ['eni eni-0e5f6071829304152', ['r7', 'r8']],
  ['status nodata', ['r16']],
  ['status skipdata', ['r17']],
  ['status ok', except('r16', 'r17')],
  ['status nodata or status skipdata', ['r16', 'r17']],
  ['eni eni-0c3d4e5f607182930 and not status ok', ['r17']],
  ['inbound', ['r2', 'r5', 'r6', 'r7', 'r11', 'r12', 'r13', 'r18', 'r19', 'r21', 'r24']],
  ['outbound', ['r1', 'r3', 'r4', 'r8', 'r9', 'r10', 'r14', 'r15', 'r20', 'r22', 'r23']],
  ['! (tcp || udp)', ['r11', 'r12', 'r15', 'r16', 'r17']],
  ['ip6 && action reject', ['r24']],
  // pcap-filter(7): and/or have equal precedence and associate left to right
  ['tcp or udp and port 53', ['r10']],
  ['port 53 or 6379 and udp', ['r10']],
  ['udp and port 53 or tcp and port 6379', ['r4', 'r5']],
  ['tcp or (udp and port 53)', ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r10', 'r13', 'r14', 'r18', 'r19', 'r20', 'r21', 'r23']],
  // "not host vs and ace" is short for "not host vs and host ace"
  ['not host 10.0.1.10 and 10.0.2.20', ['r18']],
  ['host 10.0.1.11 and (10.0.2.30 or 203.0.113.80)', ['r4', 'r5', 'r21']],
  ['host 10.0.1.10 and not 10.0.2.20', ['r6', 'r7', 'r8', 'r9', 'r10', 'r22']],
];

describe('filter expressions over the mixed fixture', () => {
  const labels = mixedLabels();
  it.each(TABLE)('%s', async (expression, expected) => {
    const predicate = compileExpression(expression);
    expect(predicate).toBeDefined();
    const records = await readAll([MIXED], predicate);
    const matched = records.filter((r) => r.matched).map((r) => labels.get(Number(r.where.split(':').pop())));
    expect(matched.sort()).toEqual([...expected].sort());
  });

  it('a blank expression is no filter', () => {
    expect(compileExpression('  ')).toBeUndefined();
  });
});
