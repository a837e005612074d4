import type { CompiledFormat } from '../format/compiled.js';
import type { RecordSink, RecordView, Where } from '../format/line-reader.js';
import { classifyConnection, flagLetters, hasSyn, SYN_ACK, type TcpClass, type Verdict } from './classify.js';
import {
  SUMMARY_SCHEMA,
  type ConnectionReport,
  type Endpoint,
  type GapWindow,
  type PeerRow,
  type Problem,
  type Summary,
  type Tally,
  type TimelineRow,
} from './summary.js';

/** Positions of the fields the fold reads, per format. */
export interface Layout {
  status: number;
  protocol: number;
  srcaddr: number;
  dstaddr: number;
  pktSrc: number;
  pktDst: number;
  srcport: number;
  dstport: number;
  flags: number;
  action: number;
  packets: number;
  bytes: number;
  start: number;
  end: number;
  iface: number;
  flowPositions: number[];
}

export function layoutOf(format: CompiledFormat): Layout {
  const at = (name: string): number => format.pos.get(name) ?? -1;
  return {
    status: at('log-status'),
    protocol: at('protocol'),
    srcaddr: at('srcaddr'),
    dstaddr: at('dstaddr'),
    pktSrc: at('pkt-srcaddr'),
    pktDst: at('pkt-dstaddr'),
    srcport: at('srcport'),
    dstport: at('dstport'),
    flags: at('tcp-flags'),
    action: at('action'),
    packets: at('packets'),
    bytes: at('bytes'),
    start: at('start'),
    end: at('end'),
    iface: at('interface-id'),
    flowPositions: ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'pkt-srcaddr', 'pkt-dstaddr'].map(at).filter((i) => i >= 0),
  };
}

export interface FoldOptions {
  /** records that do not pass are skipped (counted nowhere) */
  filter?: (view: RecordView) => boolean;
  /**
   * Connection-level focus, for `analyze <expression>`: every record is still folded, so
   * verdicts are those of the whole input, but the summary reports only the TCP
   * connections with at least one matching record, and only matching UDP/ICMP/other
   * records. NODATA/SKIPDATA windows are always reported (a filter cannot see into a
   * blind spot); sources, window and malformed lines describe the whole input.
   */
  focus?: (view: RecordView) => boolean;
  /** failing connections listed in the summary (worst first); the rest are counted */
  maxFailures?: number;
  /** peers listed in the summary */
  maxPeers?: number;
  /** malformed lines listed with file:line */
  maxMalformedExamples?: number;
}

const REJECT_BIT = 1;
const SYNACK_ACCEPT_BIT = 2;
const RETRY_BIT0 = 4; // SYN from side 0 seen in two windows
const RETRY_BIT1 = 8;
const FOCUS_BIT = 16; // a record of this connection matched the focus expression

const MAX_GAPS = 10_000;

/** A NODATA/SKIPDATA window as read (Unix seconds; NaN when the record had no time). */
interface RawGap {
  iface: string | null;
  start: number;
  end: number;
  records: number;
}
const MAX_IFACES = 10_000;
const MAX_HOPS = 10_000;
/** A SKIPDATA window lowers confidence in unanswered verdicts within this many seconds of it. */
const GAP_SLACK_SECONDS = 60;

/**
 * The connection table: a pure, order-independent fold over records (DESIGN.md §3).
 * Memory grows with distinct connections, never with records: per connection it keeps
 * one map entry and a few typed-array slots.
 */
export class ConnectionTable implements RecordSink {
  private readonly index = new Map<string, number>();
  private size = 0;
  private capacity = 0;
  private flags = new Uint8Array(0); // [2i + side] OR of tcp-flags
  private bits = new Uint8Array(0);
  private synStart = new Float64Array(0); // [2i + side] start of the first SYN record (NaN: none)
  private synIface = new Int32Array(0); // [2i + side] hash of the interface of the first SYN record
  private synPackets = new Float64Array(0); // [2i + side] packets in SYN records on that interface
  private firstStart = new Float64Array(0);
  private lastEnd = new Float64Array(0);
  private recordCount = new Uint32Array(0);
  private packets = new Float64Array(0); // [2i + side]
  private byteCount = new Float64Array(0);

  readonly counts = { total: 0, tcp: 0, udp: 0, icmp: 0, other: 0, nodata: 0, skipdata: 0, malformed: 0 };
  readonly udp: Tally = { records: 0, packets: 0, bytes: 0, rejected: 0 };
  readonly icmp: Tally = { records: 0, packets: 0, bytes: 0, rejected: 0 };
  private sawFlagsField = false;
  private sawTcpWithoutFlagsField = false;
  private sawProtocolField = false;
  private minStart = Number.POSITIVE_INFINITY;
  private maxEnd = Number.NEGATIVE_INFINITY;
  private readonly interfaces = new Set<string>();
  private lastIface = '';
  private readonly hops = new Map<string, number>();
  private hopRecords = 0;
  private readonly nodataGaps: RawGap[] = [];
  private readonly skipGaps: RawGap[] = [];
  private gapsOmitted = 0;
  private readonly malformedExamples: Problem[] = [];
  private readonly formats = new Set<string>();
  private readonly layouts = new Map<number, Layout>();
  readonly warnings: string[] = [];
  readonly errors: Problem[] = [];
  sources = 0;

  constructor(private readonly options: FoldOptions = {}) {}

  header(format: CompiledFormat): void {
    this.formats.add(format.fields.join(' '));
  }

  warning(message: string): void {
    if (this.warnings.length < 50 && !this.warnings.includes(message)) this.warnings.push(message);
  }

  malformed(where: Where, reason: string): void {
    if (this.options.filter) return; // a filter cannot judge a line it cannot parse; count once, unfiltered
    this.counts.total++;
    this.counts.malformed++;
    if (this.malformedExamples.length < (this.options.maxMalformedExamples ?? 10)) {
      this.malformedExamples.push({ source: where.source, line: where.line, message: reason });
    }
  }

  record(view: RecordView): void {
    if (this.options.filter && !this.options.filter(view)) return;
    let layout = this.layouts.get(view.format.id);
    if (layout === undefined) {
      layout = layoutOf(view.format);
      this.layouts.set(view.format.id, layout);
      this.formats.add(view.format.fields.join(' '));
      if (layout.flags >= 0) this.sawFlagsField = true;
      if (layout.protocol >= 0) this.sawProtocolField = true;
    }
    const counts = this.counts;
    counts.total++;

    const start = view.num(layout.start);
    const end = view.num(layout.end);
    if (start < this.minStart) this.minStart = start;
    if (end > this.maxEnd) this.maxEnd = end;

    // NODATA / SKIPDATA: from log-status, or (without it) a record with no addresses or ports.
    let status = 0; // 0 OK, 1 NODATA, 2 SKIPDATA
    if (layout.status >= 0) {
      const c = view.text.charCodeAt(view.starts[layout.status]);
      if (c === 78 /* N */) status = 1;
      else if (c === 83 /* S */) status = 2;
    } else if (layout.flowPositions.length > 0 && layout.flowPositions.every((p) => view.missing(p))) {
      status = 1;
    }
    if (status !== 0) {
      if (status === 1) counts.nodata++;
      else counts.skipdata++;
      this.addGap(status === 1 ? this.nodataGaps : this.skipGaps, view, layout, start, end);
      return;
    }

    const protocol = view.num(layout.protocol);
    const packets = view.num(layout.packets);
    const bytes = view.num(layout.bytes);
    const rejected = layout.action >= 0 && view.text.charCodeAt(view.starts[layout.action]) === 82; /* R */
    const focused = this.options.focus === undefined || this.options.focus(view);
    if (!focused) {
      // Outside the focus: judged with its connection, reported nowhere.
      counts.total--;
      if (protocol === 6) this.tcpRecord(view, layout, start, end, packets, bytes, rejected, false);
      return;
    }

    this.noteInterface(view, layout.iface);
    this.noteHops(view, layout);

    if (protocol === 6) {
      counts.tcp++;
      this.tcpRecord(view, layout, start, end, packets, bytes, rejected, true);
    } else if (protocol === 17) {
      counts.udp++;
      tally(this.udp, packets, bytes, rejected);
    } else if (protocol === 1 || protocol === 58) {
      counts.icmp++;
      tally(this.icmp, packets, bytes, rejected);
    } else {
      counts.other++; // includes records of a format without a protocol field
    }
  }

  private tcpRecord(view: RecordView, layout: Layout, start: number, end: number, packets: number, bytes: number, rejected: boolean, focused: boolean): void {
    const { key, side } = connectionKey(view, layout);

    let i = this.index.get(key);
    if (i === undefined) {
      i = this.add(key);
    }
    if (focused) this.bits[i] |= FOCUS_BIT;
    if (layout.flags < 0) this.sawTcpWithoutFlagsField = true;
    const slot = 2 * i + side;
    this.recordCount[i]++;
    const p = Number.isNaN(packets) ? 0 : packets;
    this.packets[slot] += p;
    if (!Number.isNaN(bytes)) this.byteCount[i] += bytes;
    if (!Number.isNaN(start) && (this.firstStart[i] === 0 || start < this.firstStart[i])) this.firstStart[i] = start;
    if (!Number.isNaN(end) && end > this.lastEnd[i]) this.lastEnd[i] = end;
    if (rejected) this.bits[i] |= REJECT_BIT;

    const flags = view.num(layout.flags);
    if (Number.isNaN(flags)) return; // '-' or no tcp-flags field: contributes nothing
    this.flags[slot] |= flags & 63;
    if ((flags & SYN_ACK) === SYN_ACK && !rejected) this.bits[i] |= SYNACK_ACCEPT_BIT;
    if (hasSyn(flags)) {
      // Count SYNs on one interface only: a subnet capture sees the same SYN on two ENIs.
      const iface = layout.iface >= 0 ? hashToken(view, layout.iface) : 0;
      const first = this.synStart[slot];
      if (Number.isNaN(first)) {
        this.synStart[slot] = Number.isNaN(start) ? 0 : start;
        this.synIface[slot] = iface;
        this.synPackets[slot] = p;
      } else if (this.synIface[slot] === iface) {
        this.synPackets[slot] += p;
        if (!Number.isNaN(start) && start !== first) this.bits[i] |= side === 0 ? RETRY_BIT0 : RETRY_BIT1;
        if (!Number.isNaN(start) && start < first) this.synStart[slot] = start;
      }
    }
  }

  private add(key: string): number {
    if (this.size === this.capacity) this.grow();
    const i = this.size++;
    this.index.set(key, i);
    this.synStart[2 * i] = Number.NaN;
    this.synStart[2 * i + 1] = Number.NaN;
    return i;
  }

  private grow(): void {
    const capacity = this.capacity === 0 ? 1024 : this.capacity * 2;
    const resize = <T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(old: T, make: (n: number) => T, per: number): T => {
      const next = make(capacity * per);
      next.set(old as never);
      return next;
    };
    this.flags = resize(this.flags, (n) => new Uint8Array(n), 2);
    this.bits = resize(this.bits, (n) => new Uint8Array(n), 1);
    this.synStart = resize(this.synStart, (n) => new Float64Array(n), 2);
    this.synIface = resize(this.synIface, (n) => new Int32Array(n), 2);
    this.synPackets = resize(this.synPackets, (n) => new Float64Array(n), 2);
    this.firstStart = resize(this.firstStart, (n) => new Float64Array(n), 1);
    this.lastEnd = resize(this.lastEnd, (n) => new Float64Array(n), 1);
    this.recordCount = resize(this.recordCount, (n) => new Uint32Array(n), 1);
    this.packets = resize(this.packets, (n) => new Float64Array(n), 2);
    this.byteCount = resize(this.byteCount, (n) => new Float64Array(n), 1);
    this.capacity = capacity;
  }

  private noteInterface(view: RecordView, position: number): void {
    if (position < 0 || view.missing(position)) return;
    const length = view.ends[position] - view.starts[position];
    const last = this.lastIface;
    if (last.length === length) {
      let same = true;
      const offset = view.starts[position];
      for (let k = 0; k < length; k++) {
        if (last.charCodeAt(k) !== view.text.charCodeAt(offset + k)) {
          same = false;
          break;
        }
      }
      if (same) return;
    }
    const id = view.str(position) as string;
    this.lastIface = id;
    if (this.interfaces.size < MAX_IFACES) this.interfaces.add(id);
  }

  /** NAT/TGW hops: the interface saw a different address than the packet carried. */
  private noteHops(view: RecordView, layout: Layout): void {
    let hop = false;
    if (layout.pktSrc >= 0 && layout.srcaddr >= 0 && !view.missing(layout.pktSrc) && !view.missing(layout.srcaddr) && !view.same(layout.pktSrc, layout.srcaddr)) {
      hop = true;
      this.noteHop(view.str(layout.srcaddr) as string);
    }
    if (layout.pktDst >= 0 && layout.dstaddr >= 0 && !view.missing(layout.pktDst) && !view.missing(layout.dstaddr) && !view.same(layout.pktDst, layout.dstaddr)) {
      hop = true;
      this.noteHop(view.str(layout.dstaddr) as string);
    }
    if (hop) this.hopRecords++;
  }

  private noteHop(via: string): void {
    const seen = this.hops.get(via);
    if (seen !== undefined) this.hops.set(via, seen + 1);
    else if (this.hops.size < MAX_HOPS) this.hops.set(via, 1);
  }

  private addGap(list: RawGap[], view: RecordView, layout: Layout, start: number, end: number): void {
    if (list.length >= MAX_GAPS) {
      this.gapsOmitted++;
      return;
    }
    list.push({ iface: view.str(layout.iface) ?? null, start, end, records: 1 });
  }

  /** Notes a source that could not be read to the end (e.g. truncated gzip). */
  addError(problem: Problem): void {
    this.errors.push(problem);
  }

  get connectionCount(): number {
    return this.size;
  }

  /** Whether connection i is reported (always, without a focus expression). */
  private reported(i: number): boolean {
    return this.options.focus === undefined || (this.bits[i] & FOCUS_BIT) !== 0;
  }

  /**
   * The verdict and facts of connection i (for reports and `show --connection`);
   * `lowConfidence` is worked out from the SKIPDATA windows when not given.
   */
  connection(i: number, lowConfidence?: boolean): ConnectionReport & { verdict: Verdict } {
    if (lowConfidence === undefined) {
      lowConfidence = this.verdictOf(i).cls === 'unanswered' && overlaps(mergeWindows(this.skipGaps), this.firstStart[i], this.lastEnd[i]);
    }
    const key = this.keyOf(i);
    const sides: Endpoint[] = [endpointOf(sideText(key, 0)), endpointOf(sideText(key, 1))];
    const verdict = this.verdictOf(i);
    let client = verdict.client as number;
    const clientBy = client === -1 ? 'port' : 'handshake';
    if (client === -1) client = serverSideByPort(key) === 1 ? 0 : 1;
    const server = 1 - client;
    const retried = this.retried(i, client, verdict.cls);
    return {
      id: connectionId(key),
      class: verdict.cls,
      reset: verdict.reset,
      closed: verdict.closed,
      client: sides[client],
      server: sides[server],
      clientBy,
      firstSeen: iso(this.firstStart[i]),
      lastSeen: iso(this.lastEnd[i]),
      records: this.recordCount[i],
      packets: { client: this.packets[2 * i + client], server: this.packets[2 * i + server] },
      bytes: this.byteCount[i],
      flags: { client: flagLetters(this.flags[2 * i + client]), server: flagLetters(this.flags[2 * i + server]) },
      retriedSyn: retried,
      lowConfidence,
      rule: verdict.rule,
      verdict,
    };
  }

  private keys: string[] | undefined;
  private keyOf(i: number): string {
    if (!this.keys) {
      this.keys = new Array<string>(this.size);
      for (const [key, index] of this.index) this.keys[index] = key;
    }
    return this.keys[i];
  }

  private verdictOf(i: number): Verdict {
    return classifyConnection({
      flags0: this.flags[2 * i],
      flags1: this.flags[2 * i + 1],
      anyReject: (this.bits[i] & REJECT_BIT) !== 0,
      synAckAccepted: (this.bits[i] & SYNACK_ACCEPT_BIT) !== 0,
    });
  }

  /**
   * Without a SYN-ACK, every packet the client sent in its SYN records is a SYN
   * (retransmission); with one, only a SYN seen again in a later window shows.
   */
  private retried(i: number, client: number, cls: TcpClass): boolean {
    if (!hasSyn(this.flags[2 * i + client])) return false;
    const crossWindow = (this.bits[i] & (client === 0 ? RETRY_BIT0 : RETRY_BIT1)) !== 0;
    if (cls === 'established') return crossWindow;
    return crossWindow || this.synPackets[2 * i + client] > 1;
  }

  /** Finds a connection by the id shown in reports, or by its two endpoints. */
  findConnection(idOrTuple: string): number {
    for (let i = 0; i < this.size; i++) {
      if (connectionId(this.keyOf(i)) === idOrTuple) return i;
    }
    return -1;
  }

  /** Index of the connection between two endpoints, or -1. */
  indexOfEndpoints(a: Endpoint, b: Endpoint): number {
    const text = (e: Endpoint): string => `${e.address} ${e.port ?? '-'}`;
    return this.index.get(`${text(a)} ${text(b)}`) ?? this.index.get(`${text(b)} ${text(a)}`) ?? -1;
  }

  finish(): Summary {
    const classified = this.sawFlagsField && this.sawProtocolField && !this.sawTcpWithoutFlagsField;
    const tcp = {
      classified,
      connections: 0,
      established: 0,
      refused: 0,
      unanswered: 0,
      rejected: 0,
      midstream: 0,
      reset: 0,
      closed: 0,
      retriedSyn: 0,
      unansweredLowConfidence: 0,
    } as Summary['tcp'];
    if (!classified) {
      // No well-formed record at all says nothing about the data's fields: say what happened instead.
      tcp.reason = this.layouts.size === 0
        ? 'no well-formed records were read, so handshakes cannot be judged'
        : !this.sawProtocolField
        ? 'the data has no protocol field, so TCP cannot be told apart and handshakes cannot be judged'
        : 'the data has no tcp-flags field, so handshakes cannot be judged: TCP connections are only told apart as rejected or midstream';
    }

    const skip = mergeWindows(this.skipGaps);
    const timeline = new Map<number, TimelineRow>();
    const peers = new Map<string, PeerRow>();
    const failures: ConnectionReport[] = [];
    const maxFailures = this.options.maxFailures ?? 200;
    let failuresTotal = 0;

    for (let i = 0; i < this.size; i++) {
      if (!this.reported(i)) continue;
      tcp.connections++;
      const verdict = this.verdictOf(i);
      const cls = verdict.cls;
      tcp[cls]++;
      if (verdict.reset) tcp.reset++;
      if (verdict.closed) tcp.closed++;
      const failing = cls === 'refused' || cls === 'unanswered' || cls === 'rejected';
      const lowConfidence = cls === 'unanswered' && overlaps(skip, this.firstStart[i], this.lastEnd[i]);
      if (lowConfidence) tcp.unansweredLowConfidence++;
      const key = this.keyOf(i);
      let client = verdict.client as number;
      if (client === -1) client = serverSideByPort(key) === 1 ? 0 : 1;
      if (this.retried(i, client, cls)) tcp.retriedSyn++;

      // timeline: the minute of the client's first SYN, else of the first record
      const synAt = verdict.client === -1 ? Number.NaN : this.synStart[2 * i + verdict.client];
      const at = !Number.isNaN(synAt) && synAt > 0 ? synAt : this.firstStart[i];
      if (at > 0) {
        const minute = Math.floor(at / 60) * 60;
        let row = timeline.get(minute);
        if (!row) {
          row = { minute: iso(minute) as string, established: 0, refused: 0, unanswered: 0, rejected: 0, midstream: 0, reset: 0, failures: 0 };
          timeline.set(minute, row);
        }
        row[cls]++;
        if (verdict.reset) row.reset++;
        if (failing) row.failures++;
      }

      const peerKey = sideText(key, 1 - client);
      let peer = peers.get(peerKey);
      if (!peer) {
        const server = endpointOf(peerKey);
        peer = { peer: displayEndpoint(server), address: server.address, port: server.port, connections: 0, established: 0, refused: 0, unanswered: 0, rejected: 0, midstream: 0, reset: 0, failures: 0 };
        peers.set(peerKey, peer);
      }
      peer.connections++;
      peer[cls]++;
      if (verdict.reset) peer.reset++;
      if (failing) peer.failures++;

      if (failing) {
        failuresTotal++;
        failures.push(stripVerdict(this.connection(i, lowConfidence)));
        if (failures.length >= maxFailures * 4) {
          failures.sort(compareFailures);
          failures.length = maxFailures;
        }
      }
    }
    failures.sort(compareFailures);
    if (failures.length > maxFailures) failures.length = maxFailures;

    const peerRows = [...peers.values()].sort((a, b) => b.failures - a.failures || b.reset - a.reset || b.connections - a.connections || a.peer.localeCompare(b.peer));
    const summary: Summary = {
      schema: SUMMARY_SCHEMA,
      headline: '',
      records: { ...this.counts },
      tcp,
      window: { start: iso(this.minStart), end: iso(this.maxEnd) },
      sources: { count: this.sources, formats: [...this.formats] },
      interfaces: { count: this.interfaces.size, ids: [...this.interfaces].sort().slice(0, 100) },
      udp: { ...this.udp },
      icmp: { ...this.icmp },
      natHops: {
        records: this.hopRecords,
        via: [...this.hops].map(([address, records]) => ({ address, records })).sort((a, b) => b.records - a.records || a.address.localeCompare(b.address)).slice(0, 20),
      },
      gaps: { nodata: mergeWindows(this.nodataGaps).map(gapToIso), skipdata: skip.map(gapToIso), omitted: this.gapsOmitted },
      timeline: [...timeline.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row),
      peers: peerRows.slice(0, this.options.maxPeers ?? 50),
      peersTotal: peerRows.length,
      failures,
      failuresTotal,
      malformed: { count: this.counts.malformed, examples: this.malformedExamples },
      warnings: this.warnings,
      errors: this.errors,
    };
    summary.headline = headline(summary);
    return summary;
  }
}

/**
 * The connection a TCP record belongs to: the unordered pair of its packet-level
 * endpoints (pkt-srcaddr/pkt-dstaddr where present and not `-`, else srcaddr/dstaddr)
 * and ports, as "ip0 port0 ip1 port1" with side 0 the lower endpoint; `side` says
 * which endpoint sent this record.
 */
export function connectionKey(view: RecordView, layout: Layout): { key: string; side: 0 | 1 } {
  const srcIdx = layout.pktSrc >= 0 && !view.missing(layout.pktSrc) ? layout.pktSrc : layout.srcaddr;
  const dstIdx = layout.pktDst >= 0 && !view.missing(layout.pktDst) ? layout.pktDst : layout.dstaddr;
  const srcIp = view.str(srcIdx) ?? '-';
  const dstIp = view.str(dstIdx) ?? '-';
  const srcPortText = view.str(layout.srcport) ?? '-';
  const dstPortText = view.str(layout.dstport) ?? '-';
  let side: 0 | 1;
  if (srcIp < dstIp) side = 0;
  else if (srcIp > dstIp) side = 1;
  else side = comparePorts(view.num(layout.srcport), view.num(layout.dstport)) <= 0 ? 0 : 1;
  const key = side === 0 ? `${srcIp} ${srcPortText} ${dstIp} ${dstPortText}` : `${dstIp} ${dstPortText} ${srcIp} ${srcPortText}`;
  return { key, side };
}

function tally(target: Tally, packets: number, bytes: number, rejected: boolean): void {
  target.records++;
  if (!Number.isNaN(packets)) target.packets += packets;
  if (!Number.isNaN(bytes)) target.bytes += bytes;
  if (rejected) target.rejected++;
}

function comparePorts(a: number, b: number): number {
  const x = Number.isNaN(a) ? -1 : a;
  const y = Number.isNaN(b) ? -1 : b;
  return x - y;
}

/** "ip port" of side 0 or 1 of a connection key ("ip0 port0 ip1 port1"). */
function sideText(key: string, side: number): string {
  const first = key.indexOf(' ');
  const second = key.indexOf(' ', first + 1);
  return side === 0 ? key.substring(0, second) : key.substring(second + 1);
}

function endpointOf(text: string): Endpoint {
  const space = text.indexOf(' ');
  const port = text.substring(space + 1);
  return { address: text.substring(0, space), port: port === '-' ? null : Number(port) };
}

export function displayEndpoint(e: Endpoint): string {
  const address = e.address.includes(':') ? `[${e.address}]` : e.address;
  return e.port === null ? address : `${address}:${e.port}`;
}

/** The connection key of two endpoints, ordered exactly as `connectionKey` orders a record's. */
export function endpointsKey(a: Endpoint, b: Endpoint): string {
  const text = (e: Endpoint): string => `${e.address} ${e.port ?? '-'}`;
  let aFirst: boolean;
  if (a.address < b.address) aFirst = true;
  else if (a.address > b.address) aFirst = false;
  else aFirst = comparePorts(a.port ?? Number.NaN, b.port ?? Number.NaN) <= 0;
  return aFirst ? `${text(a)} ${text(b)}` : `${text(b)} ${text(a)}`;
}

/** With no handshake to go by, the side with the lower port is taken as the server. */
function serverSideByPort(key: string): 0 | 1 {
  const port = (text: string): number => {
    const value = Number(text.substring(text.indexOf(' ') + 1));
    return Number.isNaN(value) ? 65536 : value;
  };
  return port(sideText(key, 0)) <= port(sideText(key, 1)) ? 0 : 1;
}

/** FNV-1a of the connection key, as 8 hex digits: short, stable across runs and machines. */
export function connectionId(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

function hashToken(view: RecordView, position: number): number {
  let hash = 0x811c9dc5;
  const text = view.text;
  for (let k = view.starts[position]; k < view.ends[position]; k++) {
    hash ^= text.charCodeAt(k);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

function iso(seconds: number): string | null {
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

const CLASS_WEIGHT: Record<TcpClass, number> = { refused: 0, unanswered: 1, rejected: 2, established: 3, midstream: 4 };

function compareFailures(a: ConnectionReport, b: ConnectionReport): number {
  return (
    CLASS_WEIGHT[a.class] - CLASS_WEIGHT[b.class] ||
    Number(b.retriedSyn) - Number(a.retriedSyn) ||
    (a.firstSeen ?? '').localeCompare(b.firstSeen ?? '') ||
    a.id.localeCompare(b.id)
  );
}

function stripVerdict(report: ConnectionReport & { verdict?: Verdict }): ConnectionReport {
  const { verdict: _verdict, ...rest } = report;
  return rest;
}

/** Merges gap records of one interface that touch or overlap into windows. */
function mergeWindows(gaps: RawGap[]): RawGap[] {
  const sorted = [...gaps].sort((a, b) => (a.iface ?? '').localeCompare(b.iface ?? '') || (a.start || 0) - (b.start || 0));
  const merged: RawGap[] = [];
  for (const gap of sorted) {
    const last = merged[merged.length - 1];
    if (last && last.iface === gap.iface && gap.start <= last.end + 1) {
      if (gap.end > last.end) last.end = gap.end;
      last.records += gap.records;
    } else {
      merged.push({ ...gap });
    }
  }
  return merged;
}

function gapToIso(gap: RawGap): GapWindow {
  return { interface: gap.iface, start: iso(gap.start), end: iso(gap.end), records: gap.records };
}

/** Whether [start, end] (give or take the slack) touches a window; a window without times touches everything. */
function overlaps(windows: RawGap[], start: number, end: number): boolean {
  if (windows.length === 0) return false;
  const from = (start || end) - GAP_SLACK_SECONDS;
  const to = (end || start) + GAP_SLACK_SECONDS;
  return windows.some((w) => (Number.isNaN(w.start) || w.start <= to) && (Number.isNaN(w.end) || w.end >= from));
}

function headline(summary: Summary): string {
  const { tcp, records } = summary;
  if (records.total === 0) return 'no flow-log records in the input';
  if (records.malformed === records.total) return `no well-formed flow-log records: all ${records.total} line(s) are malformed (wrong format? see --log-format)`;
  if (!tcp.classified) return `${tcp.connections} TCP connection(s) seen; ${tcp.reason}`;
  const failing = tcp.refused + tcp.unanswered + tcp.rejected;
  if (tcp.connections === 0) return 'no TCP connections in the data';
  if (failing === 0 && tcp.reset === 0) return `all ${tcp.connections} TCP connection(s) look healthy: no refused, unanswered or rejected handshakes`;
  const parts: string[] = [];
  if (tcp.unanswered) parts.push(`${tcp.unanswered} unanswered SYN`);
  if (tcp.refused) parts.push(`${tcp.refused} refused`);
  if (tcp.rejected) parts.push(`${tcp.rejected} rejected`);
  if (tcp.reset) parts.push(`${tcp.reset} reset after the handshake`);
  return `${failing} of ${tcp.connections} TCP connection(s) failed to open (${parts.join(', ')})`;
}
