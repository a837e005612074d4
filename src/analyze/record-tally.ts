import type { CompiledFormat } from '../format/compiled.js';
import { formatIpv4, ipv4TextOrder, type PlainBatch, type PlainFields, type RecordSink, type RecordView, type Where } from '../format/line-reader.js';
import { HOP_ROW, OTHER_ROW } from '../format/line-scanner.js';
import { LogStatus, recordLogStatus } from '../format/log-status.js';
import { canonicalPortOf as canonicalPortValue } from '../format/values.js';
import { plainFieldsOf } from '../format/plain-fields.js';
import { FACT_BYTES, FACT_END, FACT_KEY, FACT_META, FACT_PACKETS, FACT_START, META_FLAGS_SHIFT, META_FOCUSED, META_IFACE_SHIFT, META_NO_FLAGS, META_REJECTED, META_SIDE } from '../layout.js';
import type { FactWriter } from './fact-writer.js';
import type { Problem, Tally } from './summary.js';

/** Positions of the fields the fold reads, per format (those of the scanner's fast path, and more). */
export interface Layout extends PlainFields {
  flowPositions: number[];
}

export function layoutOf(format: CompiledFormat): Layout {
  const at = (name: string): number => format.pos.get(name) ?? -1;
  return {
    ...plainFieldsOf(format),
    flowPositions: ['srcaddr', 'dstaddr', 'srcport', 'dstport', 'pkt-srcaddr', 'pkt-dstaddr'].map(at).filter((i) => i >= 0),
  };
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

export function comparePorts(a: number, b: number): number {
  const x = Number.isNaN(a) ? -1 : a;
  const y = Number.isNaN(b) ? -1 : b;
  return x - y;
}

/*
 * What the connection table needs from one TCP record ("TCP facts"): TCP_FACTS numbers, written
 * by RecordTally (or the scanner's fast path) and read by the connection table. Plain numbers, so
 * that the two can run in different threads (analyzeSources() parses in a worker; see
 * docs/performance.md); 8 of them, 64 bytes: the facts of 5 M records cross between threads.
 */
// The row's offsets (FACT_*, TCP_FACTS) and FACT_META's bits (META_*): src/layout.ts, shared with
// the scanner's fast path and the connection table module, and imported from there.

/** FACT_META of a record: the interface hash, tcp-flags, focused, rejected and side (META_* in src/layout.ts). */
export function factMeta(side: number, rejected: boolean, focused: boolean, flags: number, iface: number): number {
  const flagBits = Number.isNaN(flags) ? META_NO_FLAGS : flags & (META_NO_FLAGS - 1);
  return (iface >>> 0) * (1 << META_IFACE_SHIFT) + flagBits * (1 << META_FLAGS_SHIFT) + side * META_SIDE + (rejected ? META_REJECTED : 0) + (focused ? META_FOCUSED : 0);
}

/** A NODATA/SKIPDATA window as read (Unix seconds; NaN when the record had no time). */
export interface RawGap {
  iface: string | null;
  start: number;
  end: number;
  records: number;
}

const MAX_GAPS = 10_000;
const MAX_IFACES = 10_000;
const MAX_HOPS = 10_000;

export interface TallyOptions {
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
  /** malformed lines listed with file:line */
  maxMalformedExamples?: number;
}

/** Everything a RecordTally has counted, as plain data (to be sent from a worker thread). */
export interface TallyState {
  counts: RecordTally['counts'];
  udp: Tally;
  icmp: Tally;
  sawFlagsField: boolean;
  sawTcpWithoutFlagsField: boolean;
  sawProtocolField: boolean;
  minStart: number;
  maxEnd: number;
  interfaces: string[];
  hops: [string, number][];
  hopRecords: number;
  nodataGaps: RawGap[];
  skipGaps: RawGap[];
  gapsOmitted: number;
  malformedExamples: Problem[];
  formats: string[];
  warnings: string[];
  /** some well-formed record was read */
  wellFormed: boolean;
}

/**
 * The per-record half of the fold (docs/architecture.md): record counts, time window, interfaces,
 * NAT hops, NODATA/SKIPDATA gaps, UDP/ICMP tallies, malformed lines, warnings. For each TCP
 * record it works out the connection key and which side sent it, and writes the facts through
 * `facts` (to the connection table, or to the parsing thread's messages). Its memory does not
 * grow with connections.
 */
export class RecordTally implements RecordSink {
  readonly counts = { total: 0, tcp: 0, udp: 0, icmp: 0, other: 0, nodata: 0, skipdata: 0, malformed: 0 };
  readonly udp: Tally = { records: 0, packets: 0, bytes: 0, rejected: 0 };
  readonly icmp: Tally = { records: 0, packets: 0, bytes: 0, rejected: 0 };
  sawFlagsField = false;
  sawTcpWithoutFlagsField = false;
  sawProtocolField = false;
  minStart = Number.POSITIVE_INFINITY;
  maxEnd = Number.NEGATIVE_INFINITY;
  readonly interfaces = new Set<string>();
  readonly hops = new Map<string, number>();
  hopRecords = 0;
  readonly nodataGaps: RawGap[] = [];
  readonly skipGaps: RawGap[] = [];
  gapsOmitted = 0;
  readonly malformedExamples: Problem[] = [];
  readonly formats = new Set<string>();
  readonly warnings: string[] = [];
  /** some well-formed record was read */
  wellFormed = false;
  private readonly layouts = new Map<number, Layout>();
  private lastFormat: CompiledFormat | undefined;
  private lastLayout: Layout | undefined;

  constructor(
    private readonly facts: FactWriter,
    private readonly options: TallyOptions = {},
  ) {}

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
    const layout = view.format === this.lastFormat ? (this.lastLayout as Layout) : this.layoutFor(view.format);
    const counts = this.counts;
    counts.total++;

    const start = view.num(layout.start);
    const end = view.num(layout.end);
    if (start < this.minStart) this.minStart = start;
    if (end > this.maxEnd) this.maxEnd = end;

    // NODATA / SKIPDATA (src/format/log-status.ts)
    const status = recordLogStatus(view, layout.status, layout.flowPositions);
    if (status !== LogStatus.ok) {
      if (status === LogStatus.nodata) counts.nodata++;
      else counts.skipdata++;
      this.addGap(status === LogStatus.nodata ? this.nodataGaps : this.skipGaps, view, layout, start, end);
      return;
    }

    const protocol = view.num(layout.protocol);
    const packets = view.num(layout.packets);
    const bytes = view.num(layout.bytes);
    const rejected = view.code(layout.action) === 82; /* R */
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

  /**
   * The fast path (RecordSink.plainFields): the reader's scanner may tally plain records of this
   * format itself, unless every record must be seen here (a filter or a focus expression), or
   * the format lacks log-status or protocol (their absence has rules of its own above).
   */
  plainFields(format: CompiledFormat): Layout | undefined {
    if (this.options.filter || this.options.focus) return undefined;
    const layout = this.layoutFor(format);
    return layout.status >= 0 && layout.protocol >= 0 ? layout : undefined;
  }

  /** Plain records the reader's scanner has read: what record() would have done with each. */
  plainRecords(batch: PlainBatch): void {
    const counts = this.counts;
    counts.total += batch.tcp + batch.udpIcmp + batch.otherProtocols;
    counts.tcp += batch.tcp;
    counts.other += batch.otherProtocols;
    if (batch.minStart < this.minStart) this.minStart = batch.minStart;
    if (batch.maxEnd > this.maxEnd) this.maxEnd = batch.maxEnd;
    const others = batch.others;
    for (let k = 0; k < batch.udpIcmp; k++) {
      const at = k * OTHER_ROW;
      const rejected = others[at + 3] === 1;
      if (others[at] === 17) {
        counts.udp++;
        tally(this.udp, others[at + 1], others[at + 2], rejected);
      } else {
        counts.icmp++;
        tally(this.icmp, others[at + 1], others[at + 2], rejected);
      }
    }
    const hops = batch.hops;
    for (let k = 0; k < batch.hopRecords; k++) {
      const at = k * HOP_ROW;
      if (hops[at] >= 0) this.noteHop(this.ipv4Text(hops[at]));
      if (hops[at + 1] >= 0) this.noteHop(this.ipv4Text(hops[at + 1]));
      this.hopRecords++;
    }
    if (batch.tcp > 0) {
      const layout = batch.format === this.lastFormat ? (this.lastLayout as Layout) : this.layoutFor(batch.format);
      if (layout.flags < 0) this.sawTcpWithoutFlagsField = true;
      this.facts.append(batch.facts, batch.tcp, batch.textKeys);
    }
  }

  /** The counts as plain data. */
  exportState(): TallyState {
    return {
      counts: { ...this.counts },
      udp: { ...this.udp },
      icmp: { ...this.icmp },
      sawFlagsField: this.sawFlagsField,
      sawTcpWithoutFlagsField: this.sawTcpWithoutFlagsField,
      sawProtocolField: this.sawProtocolField,
      minStart: this.minStart,
      maxEnd: this.maxEnd,
      interfaces: [...this.interfaces],
      hops: [...this.hops],
      hopRecords: this.hopRecords,
      nodataGaps: this.nodataGaps,
      skipGaps: this.skipGaps,
      gapsOmitted: this.gapsOmitted,
      malformedExamples: this.malformedExamples,
      formats: [...this.formats],
      warnings: this.warnings,
      wellFormed: this.wellFormed,
    };
  }

  /** Takes over what another tally counted (this one must not have counted anything). */
  importState(state: TallyState): void {
    Object.assign(this.counts, state.counts);
    Object.assign(this.udp, state.udp);
    Object.assign(this.icmp, state.icmp);
    this.sawFlagsField = state.sawFlagsField;
    this.sawTcpWithoutFlagsField = state.sawTcpWithoutFlagsField;
    this.sawProtocolField = state.sawProtocolField;
    this.minStart = state.minStart;
    this.maxEnd = state.maxEnd;
    for (const id of state.interfaces) this.interfaces.add(id);
    for (const [via, records] of state.hops) this.hops.set(via, records);
    this.hopRecords = state.hopRecords;
    this.nodataGaps.push(...state.nodataGaps);
    this.skipGaps.push(...state.skipGaps);
    this.gapsOmitted = state.gapsOmitted;
    this.malformedExamples.push(...state.malformedExamples);
    for (const format of state.formats) this.formats.add(format);
    this.warnings.push(...state.warnings);
    this.wellFormed = state.wellFormed;
  }

  private layoutFor(format: CompiledFormat): Layout {
    let layout = this.layouts.get(format.id);
    if (layout === undefined) {
      layout = layoutOf(format);
      this.layouts.set(format.id, layout);
      this.wellFormed = true;
      this.formats.add(format.fields.join(' '));
      if (layout.flags >= 0) this.sawFlagsField = true;
      if (layout.protocol >= 0) this.sawProtocolField = true;
    }
    this.lastFormat = format;
    this.lastLayout = layout;
    return layout;
  }

  /**
   * The facts of a TCP record. The key is the one connectionKey() makes; canonical IPv4
   * endpoints with numeric ports, nearly every record, get it as three numbers (the same key
   * and side) without a string being made.
   */
  private tcpRecord(view: RecordView, layout: Layout, start: number, end: number, packets: number, bytes: number, rejected: boolean, focused: boolean): void {
    if (layout.flags < 0) this.sawTcpWithoutFlagsField = true;
    const at = this.facts.reserve(1);
    const facts = this.facts.rows;
    let textKey: string | undefined;
    let side: number;
    // the packet-level addresses where present and not `-` (a canonical IPv4 value is not `-`)
    const pktSrc = layout.pktSrc;
    const pktDst = layout.pktDst;
    const src = pktSrc >= 0 && (view.ipv4s[pktSrc] >= 0 || !view.missing(pktSrc)) ? pktSrc : layout.srcaddr;
    const dst = pktDst >= 0 && (view.ipv4s[pktDst] >= 0 || !view.missing(pktDst)) ? pktDst : layout.dstaddr;
    const srcIp = view.ipv4(src);
    const dstIp = view.ipv4(dst);
    const srcPort = canonicalPortOf(view, layout.srcport);
    const dstPort = canonicalPortOf(view, layout.dstport);
    if (srcIp >= 0 && dstIp >= 0 && srcPort >= 0 && dstPort >= 0) {
      // side 0: the address whose text sorts first (as strings, like connectionKey()), then the lower port
      const order = srcIp === dstIp ? 0 : ipv4TextOrder(srcIp) - ipv4TextOrder(dstIp);
      side = order < 0 || (order === 0 && srcPort <= dstPort) ? 0 : 1;
      // int32 words: small integers, where values above 2^31 would be heap numbers
      facts[at + FACT_KEY] = (side === 0 ? srcIp : dstIp) | 0;
      facts[at + FACT_KEY + 1] = (side === 0 ? dstIp : srcIp) | 0;
      facts[at + FACT_KEY + 2] = side === 0 ? (srcPort << 16) | dstPort : (dstPort << 16) | srcPort;
    } else {
      const connection = connectionKey(view, layout);
      textKey = connection.key;
      side = connection.side;
      facts[at + FACT_KEY] = Number.NaN;
    }
    // (the interface: FNV-1a of its id, which the scanner works out)
    facts[at + FACT_META] = factMeta(side, rejected, focused, view.num(layout.flags), layout.iface >= 0 ? view.idHash : 0);
    facts[at + FACT_PACKETS] = packets;
    facts[at + FACT_BYTES] = bytes;
    facts[at + FACT_START] = start;
    facts[at + FACT_END] = end;
    this.facts.commitRow(textKey);
  }

  /**
   * Notes the record's interface id. The reader numbers distinct ids (view.idNumber): one
   * already noted is recognized by its number, without making its string or comparing bytes.
   */
  private noteInterface(view: RecordView, position: number): void {
    if (position < 0) return;
    const n = view.idNumber;
    if (n >= 0 && view.idNoted[n] === 1) return;
    this.noteNewInterface(view, position, n);
  }

  private noteNewInterface(view: RecordView, position: number, n: number): void {
    // (the reader's numbers and flags: one reader feeds one tally; another reader's flags start empty)
    if (n >= 0) view.idNoted[n] = 1;
    if (view.missing(position)) return;
    if (this.interfaces.size >= MAX_IFACES) return;
    this.interfaces.add(view.str(position) as string);
  }

  /** NAT/TGW hops: the interface saw a different address than the packet carried. */
  private noteHops(view: RecordView, layout: Layout): void {
    let hop = false;
    if (differentAddresses(view, layout.pktSrc, layout.srcaddr)) {
      hop = true;
      this.noteHop(this.addressText(view, layout.srcaddr));
    }
    if (differentAddresses(view, layout.pktDst, layout.dstaddr)) {
      hop = true;
      this.noteHop(this.addressText(view, layout.dstaddr));
    }
    if (hop) this.hopRecords++;
  }

  /** The text of an address field; of a canonical IPv4 address made once (NAT hops repeat). */
  private addressText(view: RecordView, position: number): string {
    const ip = view.ipv4(position);
    return ip < 0 ? (view.str(position) as string) : this.ipv4Text(ip);
  }

  private ipv4Text(ip: number): string {
    let text = this.ipv4Texts.get(ip);
    if (text === undefined) {
      text = formatIpv4(ip);
      if (this.ipv4Texts.size < MAX_HOPS) this.ipv4Texts.set(ip, text);
    }
    return text;
  }
  private readonly ipv4Texts = new Map<number, string>();

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
}

function tally(target: Tally, packets: number, bytes: number, rejected: boolean): void {
  target.records++;
  if (!Number.isNaN(packets)) target.packets += packets;
  if (!Number.isNaN(bytes)) target.bytes += bytes;
  if (rejected) target.rejected++;
}

/** Both address fields exist, hold an address, and not the same text. */
function differentAddresses(view: RecordView, a: number, b: number): boolean {
  const ipA = view.ipv4(a);
  const ipB = view.ipv4(b);
  if (ipA >= 0 && ipB >= 0) return ipA !== ipB; // canonical IPv4: same value, same text
  return a >= 0 && b >= 0 && !view.missing(a) && !view.missing(b) && !view.same(a, b);
}

/** A port field's value when written canonically, else -1 (canonicalPortOf() in src/format/values.ts). */
function canonicalPortOf(view: RecordView, position: number): number {
  if (position < 0) return -1;
  const start = view.starts[position];
  return canonicalPortValue(view.nums[position], view.bytes[start], view.ends[position] - start);
}
