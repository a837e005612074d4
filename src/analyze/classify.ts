/**
 * TCP handshake classification, exactly as docs/analyzer.md states it. Pure functions
 * over the OR-ed tcp-flags of each direction of one connection.
 *
 * tcp-flags bits (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html):
 * FIN 1, SYN 2, RST 4, PSH 8, ACK 16, URG 32 — ACK is only reported together with SYN.
 */
import { STATE_RETRY_BIT0, STATE_RETRY_BIT1, STATE_SYN_PACKETS_BIT0, STATE_SYN_PACKETS_BIT1 } from '../layout.js';

export const FIN = 1;
export const SYN = 2;
export const RST = 4;
export const ACK = 16;
export const SYN_ACK = SYN | ACK;

export type TcpClass = 'established' | 'refused' | 'unanswered' | 'rejected' | 'midstream';
export const TCP_CLASSES: readonly TcpClass[] = ['established', 'refused', 'unanswered', 'rejected', 'midstream'];

/** What the classifier needs to know about one connection. Side 0 and side 1 are its two endpoints. */
export interface ConnectionEvidence {
  /** OR of tcp-flags of records sent by side 0 (side 0 → side 1) */
  flags0: number;
  /** OR of tcp-flags of records sent by side 1 */
  flags1: number;
  /** some record of the connection has action REJECT */
  anyReject: boolean;
  /** a SYN-ACK was seen in a record whose action is not REJECT */
  synAckAccepted: boolean;
  /** the evidence bits of the connection's records, OR-ed (META_EVIDENCE_* in src/layout.ts, at their places in FACT_META); absent: none */
  bits?: number;
}

export interface Verdict {
  cls: TcpClass;
  /** the side that opened the connection (0 or 1), or -1 when the flags cannot tell */
  client: -1 | 0 | 1;
  /** established, and a RST from either side */
  reset: boolean;
  /** established, and a FIN from either side */
  closed: boolean;
  /** the rule that decided, in words (for `show --connection` and reports) */
  rule: string;
}

export const hasSyn = (flags: number): boolean => (flags & SYN) !== 0 && (flags & ACK) === 0;
export const hasSynAck = (flags: number): boolean => (flags & SYN_ACK) === SYN_ACK;
export const hasRst = (flags: number): boolean => (flags & RST) !== 0;

/**
 * Whether the client retried its SYN (docs/analyzer.md#retried-syns), from a connection's
 * state flags (STATE_FLAGS: tcp-flags per side, and what the connection table saw per
 * interface). Without a SYN-ACK every packet of the SYN records is a SYN, so more than one on
 * an interface is a retry; with one, only SYN records in two windows on an interface are.
 */
export function retriedSyn(stateFlags: number, client: number, withoutSynAck: boolean): boolean {
  if (!hasSyn((stateFlags >> (6 * client)) & 63)) return false;
  const twoWindows = client === 0 ? STATE_RETRY_BIT0 : STATE_RETRY_BIT1;
  const packets = client === 0 ? STATE_SYN_PACKETS_BIT0 : STATE_SYN_PACKETS_BIT1;
  return (stateFlags & (withoutSynAck ? twoWindows | packets : twoWindows)) !== 0;
}

/** First matching rule wins; every connection gets exactly one class. */
export function classifyConnection(evidence: ConnectionEvidence): Verdict {
  const { flags0, flags1 } = evidence;
  const syn0 = hasSyn(flags0);
  const syn1 = hasSyn(flags1);
  const synAck0 = hasSynAck(flags0);
  const synAck1 = hasSynAck(flags1);
  const synSender: -1 | 0 | 1 = syn0 ? 0 : syn1 ? 1 : -1;

  if (evidence.anyReject && !evidence.synAckAccepted) {
    return { cls: 'rejected', client: synSender, reset: false, closed: false, rule: 'a record has action REJECT and no SYN-ACK was seen in an ACCEPT record' };
  }
  if (synAck0 || synAck1) {
    // The side that received the SYN-ACK is the client. If both sent one (simultaneous open), prefer the SYN sender.
    const client: 0 | 1 = synAck0 && synAck1 ? (synSender === 1 ? 1 : 0) : synAck1 ? 0 : 1;
    const all = flags0 | flags1;
    return {
      cls: 'established',
      client,
      reset: (all & RST) !== 0,
      closed: (all & FIN) !== 0,
      rule: 'a SYN-ACK was seen from the server (the final ACK is never logged, so the handshake is inferred complete)',
    };
  }
  if (syn0 && hasRst(flags1)) return { cls: 'refused', client: 0, reset: false, closed: false, rule: 'a SYN, no SYN-ACK, and a RST from the other side' };
  if (syn1 && hasRst(flags0)) return { cls: 'refused', client: 1, reset: false, closed: false, rule: 'a SYN, no SYN-ACK, and a RST from the other side' };
  if (synSender !== -1) {
    return { cls: 'unanswered', client: synSender, reset: false, closed: false, rule: 'a SYN, and neither a SYN-ACK nor a RST came back' };
  }
  return { cls: 'midstream', client: -1, reset: false, closed: false, rule: 'no SYN from either side: the connection began before the capture, or the data has no tcp-flags' };
}

/**
 * tcp-flags as tcpdump writes them, in its order F S R P . U (tcpdump print-tcp.c,
 * `tcp_flag_values`): e.g. 18 → "S.", 3 → "FS", 22 → "SR.". 0 → "" (tcpdump: "none").
 */
export function flagLetters(flags: number): string {
  let letters = '';
  if (flags & FIN) letters += 'F';
  if (flags & SYN) letters += 'S';
  if (flags & RST) letters += 'R';
  if (flags & 8) letters += 'P';
  if (flags & ACK) letters += '.';
  if (flags & 32) letters += 'U';
  return letters;
}

/** Names of the set bits in bit order (fin, syn, rst, psh, ack, urg). */
export function flagNames(flags: number): string[] {
  const names = ['fin', 'syn', 'rst', 'psh', 'ack', 'urg'];
  return names.filter((_, bit) => (flags & (1 << bit)) !== 0);
}
