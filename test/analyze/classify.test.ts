import { describe, expect, it } from 'vitest';
import {
  classifyConnection,
  flagLetters,
  flagNames,
  hasRst,
  hasSyn,
  hasSynAck,
  TCP_CLASSES,
  type ConnectionEvidence,
  type TcpClass,
} from '../../src/analyze/classify.js';

const evidence = (flags0: number, flags1: number, extra: Partial<ConnectionEvidence> = {}): ConnectionEvidence => ({
  flags0,
  flags1,
  anyReject: false,
  synAckAccepted: (flags0 & 18) === 18 || (flags1 & 18) === 18,
  ...extra,
});

describe('tcp-flags decoding', () => {
  it('writes flags the way tcpdump does', () => {
    expect(flagLetters(2)).toBe('S');
    expect(flagLetters(18)).toBe('S.');
    expect(flagLetters(3)).toBe('FS');
    expect(flagLetters(19)).toBe('FS.');
    expect(flagLetters(4)).toBe('R');
    expect(flagLetters(6)).toBe('SR');
    // tcpdump's order is F S R P . U (print-tcp.c, tcp_flag_values): ACK before URG
    expect(flagLetters(63)).toBe('FSRP.U');
    expect(flagLetters(48)).toBe('.U');
    expect(flagLetters(0)).toBe('');
  });

  it('names the set bits in bit order fin, syn, rst, psh, ack, urg (as Elastic tcp_flags_array)', () => {
    expect(flagNames(2)).toEqual(['syn']);
    expect(flagNames(3)).toEqual(['fin', 'syn']);
    expect(flagNames(18)).toEqual(['syn', 'ack']);
    expect(flagNames(19)).toEqual(['fin', 'syn', 'ack']);
    expect(flagNames(7)).toEqual(['fin', 'syn', 'rst']);
    expect(flagNames(40)).toEqual(['psh', 'urg']);
    expect(flagNames(0)).toEqual([]);
  });

  it('a SYN is the SYN bit without ACK; a SYN-ACK needs both; RST is bit 4', () => {
    expect(hasSyn(2)).toBe(true);
    expect(hasSyn(3)).toBe(true);
    expect(hasSyn(6)).toBe(true);
    expect(hasSyn(18)).toBe(false);
    expect(hasSyn(16)).toBe(false);
    expect(hasSynAck(18)).toBe(true);
    expect(hasSynAck(19)).toBe(true);
    expect(hasSynAck(16)).toBe(false);
    expect(hasSynAck(2)).toBe(false);
    expect(hasRst(4)).toBe(true);
    expect(hasRst(22)).toBe(true);
    expect(hasRst(3)).toBe(false);
  });
});

describe('classifyConnection (the classification table of docs/analyzer.md)', () => {
  it('established: a SYN-ACK from one side; the other side is the client', () => {
    expect(classifyConnection(evidence(2, 18))).toMatchObject({ cls: 'established', client: 0, reset: false, closed: false });
    expect(classifyConnection(evidence(18, 2))).toMatchObject({ cls: 'established', client: 1 });
  });

  it('established even when the client SYN was never seen (the SYN-ACK decides)', () => {
    expect(classifyConnection(evidence(0, 18))).toMatchObject({ cls: 'established', client: 0 });
  });

  it('3/19 in one window: established and closed', () => {
    expect(classifyConnection(evidence(3, 19))).toMatchObject({ cls: 'established', client: 0, closed: true, reset: false });
  });

  it('reset and closed are sub-flags of established only, from either side', () => {
    expect(classifyConnection(evidence(2 | 4, 18))).toMatchObject({ cls: 'established', reset: true, closed: false });
    expect(classifyConnection(evidence(2, 18 | 4))).toMatchObject({ cls: 'established', reset: true });
    expect(classifyConnection(evidence(2 | 1, 18))).toMatchObject({ cls: 'established', closed: true });
    // a RST to a SYN is refused, never "reset"
    expect(classifyConnection(evidence(2, 4))).toMatchObject({ cls: 'refused', reset: false });
  });

  it('refused: a SYN, no SYN-ACK, a RST from the other side', () => {
    expect(classifyConnection(evidence(2, 4))).toMatchObject({ cls: 'refused', client: 0 });
    expect(classifyConnection(evidence(4, 2))).toMatchObject({ cls: 'refused', client: 1 });
    expect(classifyConnection(evidence(2, 4 | 1))).toMatchObject({ cls: 'refused' });
  });

  it("unanswered: the client's own SYN+RST (flags 6) is not refused", () => {
    expect(classifyConnection(evidence(6, 0))).toMatchObject({ cls: 'unanswered', client: 0 });
    expect(classifyConnection(evidence(0, 6))).toMatchObject({ cls: 'unanswered', client: 1 });
  });

  it('unanswered: nothing came back, or only flags 0 / FIN', () => {
    expect(classifyConnection(evidence(2, 0))).toMatchObject({ cls: 'unanswered', client: 0 });
    expect(classifyConnection(evidence(2, 1))).toMatchObject({ cls: 'unanswered', client: 0 });
    expect(classifyConnection(evidence(3, 0))).toMatchObject({ cls: 'unanswered' });
  });

  it('midstream: no SYN from either side, and the client is unknown', () => {
    expect(classifyConnection(evidence(0, 0))).toMatchObject({ cls: 'midstream', client: -1 });
    expect(classifyConnection(evidence(1, 1))).toMatchObject({ cls: 'midstream', client: -1 });
    expect(classifyConnection(evidence(4, 0))).toMatchObject({ cls: 'midstream' });
  });

  it('rejected: a REJECT record and no SYN-ACK in an ACCEPT record; first rule wins', () => {
    expect(classifyConnection(evidence(2, 0, { anyReject: true }))).toMatchObject({ cls: 'rejected', client: 0 });
    expect(classifyConnection(evidence(0, 0, { anyReject: true }))).toMatchObject({ cls: 'rejected', client: -1 });
    // the only SYN-ACK was in a REJECT record
    expect(classifyConnection(evidence(2, 18, { anyReject: true, synAckAccepted: false }))).toMatchObject({ cls: 'rejected' });
    // a REJECT, but the handshake was answered in an ACCEPT record
    expect(classifyConnection(evidence(2, 18, { anyReject: true, synAckAccepted: true }))).toMatchObject({ cls: 'established' });
  });

  /** The classification table of docs/analyzer.md written out independently, rule by rule. */
  function byTheTable(e: ConnectionEvidence): TcpClass {
    const syn = (f: number) => (f & 2) !== 0 && (f & 16) === 0;
    const synAck = (f: number) => (f & 18) === 18;
    const rst = (f: number) => (f & 4) !== 0;
    if (e.anyReject && !e.synAckAccepted) return 'rejected';
    if (synAck(e.flags0) || synAck(e.flags1)) return 'established';
    if ((syn(e.flags0) && rst(e.flags1)) || (syn(e.flags1) && rst(e.flags0))) return 'refused';
    if (syn(e.flags0) || syn(e.flags1)) return 'unanswered';
    return 'midstream';
  }

  it('every combination of flags gets exactly the class the table gives', () => {
    let checked = 0;
    for (let f0 = 0; f0 < 64; f0++) {
      for (let f1 = 0; f1 < 64; f1++) {
        for (const anyReject of [false, true]) {
          for (const accepted of [false, true]) {
            const e: ConnectionEvidence = { flags0: f0, flags1: f1, anyReject, synAckAccepted: accepted && ((f0 & 18) === 18 || (f1 & 18) === 18) };
            const verdict = classifyConnection(e);
            expect(TCP_CLASSES).toContain(verdict.cls);
            if (verdict.cls !== byTheTable(e)) throw new Error(`flags ${f0}/${f1} reject=${anyReject}: got ${verdict.cls}, table says ${byTheTable(e)}`);
            if (verdict.cls !== 'established' && (verdict.reset || verdict.closed)) throw new Error(`reset/closed set on ${verdict.cls}`);
            checked++;
          }
        }
      }
    }
    expect(checked).toBe(64 * 64 * 4);
  });
});
