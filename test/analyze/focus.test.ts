import { describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/analyze/run.js';
import { localSources } from '../../src/analyze/sources.js';
import { compileExpression } from '../../src/filter/compile.js';
import { INCIDENT } from '../helpers/records.js';

const analyze = async (options: Parameters<typeof analyzeSources>[1] = {}) => (await analyzeSources(await localSources([INCIDENT]), options)).summary;

describe('analyze <expression>: a focus on connections, never a change of verdict', () => {
  it('a flag expression selects the connections that saw the flag, judged on all their records', async () => {
    const whole = await analyze();
    const focused = await analyze({ focus: compileExpression('tcp[tcpflags] & tcp-rst != 0') });
    // the example's RSTs: 9 refused Redis SYNs, and 4 payment connections reset after the handshake
    expect(focused.tcp).toMatchObject({ connections: 13, refused: 9, established: 4, reset: 4, unanswered: 0, rejected: 0, midstream: 0 });
    const wholeById = new Map(whole.failures.map((f) => [f.id, f]));
    for (const failure of focused.failures) expect(failure).toEqual(wholeById.get(failure.id));
    // records.* counts what matched: the RST records only
    expect(focused.records.tcp).toBeGreaterThan(0);
    expect(focused.records.tcp).toBeLessThan(whole.records.tcp);
    expect(focused.records.udp).toBe(0);
  });

  it('filtering whole records instead would turn those connections into "midstream" (why analyze focuses)', async () => {
    const recordLevel = (await analyzeSources(await localSources([INCIDENT]), { filter: compileExpression('tcp[tcpflags] & tcp-rst != 0') })).summary;
    expect(recordLevel.tcp.refused).toBe(0);
    expect(recordLevel.tcp.midstream).toBeGreaterThan(0);
  });

  it('a port expression reports exactly the connections of that port, with the same classes', async () => {
    const whole = await analyze();
    const focused = await analyze({ focus: compileExpression('port 5432') });
    const peers = whole.peers.filter((peer) => peer.port === 5432);
    const sum = (key: 'connections' | 'established' | 'unanswered' | 'refused' | 'rejected' | 'midstream') => peers.reduce((total, peer) => total + peer[key], 0);
    expect(focused.tcp.connections).toBe(sum('connections'));
    expect(focused.tcp.established).toBe(sum('established'));
    expect(focused.tcp.unanswered).toBe(sum('unanswered'));
    expect(focused.tcp.midstream).toBe(sum('midstream'));
    expect(focused.tcp.unansweredLowConfidence).toBe(whole.tcp.unansweredLowConfidence);
    expect(focused.peers.every((peer) => peer.port === 5432)).toBe(true);
  });

  it('always reports blind spots; UDP and ICMP only when they match', async () => {
    const focused = await analyze({ focus: compileExpression('udp') });
    expect(focused.records).toMatchObject({ udp: 30, icmp: 0, tcp: 0, nodata: 15, skipdata: 1 });
    expect(focused.tcp.connections).toBe(0);
    expect(focused.gaps.skipdata).toHaveLength(1);
  });
});
