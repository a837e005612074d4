import type { RecordSink, RecordView, Where } from '../format/line-reader.js';
import { formatIpv4, ipv4Value } from '../format/line-reader.js';
import type { CompiledFormat } from '../format/compiled.js';
import { canonicalPort, ConnectionIndex, fnv1a, FNV_OFFSET } from './connection-index.js';
import { classifyConnection, flagLetters, hasSyn, SYN_ACK, type TcpClass, type Verdict } from './classify.js';
import {
  comparePorts,
  FACT_BYTES,
  FACT_END,
  FACT_FLAGS,
  FACT_FOCUSED,
  FACT_IFACE,
  FACT_KEY,
  FACT_PACKETS,
  FACT_REJECTED,
  FACT_SIDE,
  FACT_START,
  RecordTally,
  TCP_FACTS,
  type RawGap,
  type TallyOptions,
  type TallyState,
  type TcpFactsSink,
} from './record-tally.js';
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

export { connectionKey, layoutOf, type Layout } from './record-tally.js';

export interface FoldOptions extends TallyOptions {
  /** failing connections listed in the summary (worst first); the rest are counted */
  maxFailures?: number;
  /** peers listed in the summary */
  maxPeers?: number;
}

/*
 * Per-connection state: STRIDE numbers per connection, side by side, in blocks of BLOCK_SIZE
 * connections. One record then touches one or two cache lines instead of one per array (a
 * million connections spread over ten arrays cost ten cache misses per record), and a new
 * block never copies the old ones (growing by doubling would briefly hold both, at the peak).
 * Fields "+ side" hold two values: side 0, then side 1.
 */
const PACKETS = 0; // + side
const BYTES = 2;
const FIRST_START = 3; // 0: none yet
const LAST_END = 4;
const RECORDS = 5;
/** tcp-flags OR-ed per side (6 bits each: side 0, side 1) and the bits below */
const FLAGS = 6;
const SYN_START = 7; // + side: start of the first SYN record (NaN: none)
/**
 * + side: the first SYN record's interface and the packets of the SYN records on it, as
 * hash * 4 + min(packets, 2): only "more than one packet" is ever asked (retried()), and two
 * numbers in one keep the state at 88 bytes a connection.
 */
const SYN = 9;
const STRIDE = 11;
const REJECT_BIT = 1 << 12; // some record has action REJECT
const SYNACK_ACCEPT_BIT = 2 << 12; // a SYN-ACK in an ACCEPT record
const RETRY_BIT0 = 4 << 12; // SYN from side 0 seen in two windows
const RETRY_BIT1 = 8 << 12;
const FOCUS_BIT = 16 << 12; // a record of this connection matched the focus expression
const BLOCK_BITS = 16;
const BLOCK_SIZE = 1 << BLOCK_BITS;
const BLOCK_MASK = BLOCK_SIZE - 1;
/** TCP records batched before they are applied (see tcp()) */
const PENDING_RECORDS = 1024;

/** A SKIPDATA window lowers confidence in unanswered verdicts within this many seconds of it. */
const GAP_SLACK_SECONDS = 60;

/**
 * The connection table: a pure, order-independent fold over records (DESIGN.md §3).
 * Memory grows with distinct connections, never with records: per connection it keeps
 * its key (three 32-bit words for IPv4, see ConnectionIndex) and a few typed-array slots.
 */
export class ConnectionTable implements RecordSink, TcpFactsSink {
  private readonly index = new ConnectionIndex();
  private size = 0;
  /** connection i's state is blocks[i >> BLOCK_BITS][(i & BLOCK_MASK) * STRIDE + FIELD] */
  private readonly blocks: Float64Array[] = [];

  /** the per-record half of the fold; it hands the facts of each TCP record to tcp() */
  private readonly tally: RecordTally;
  readonly errors: Problem[] = [];
  sources = 0;

  constructor(private readonly options: FoldOptions = {}) {
    this.tally = new RecordTally(this, options);
    this.tally.facts = this.pending;
    this.tally.factsAt = 0;
  }

  get counts(): RecordTally['counts'] {
    return this.tally.counts;
  }

  get udp(): Tally {
    return this.tally.udp;
  }

  get icmp(): Tally {
    return this.tally.icmp;
  }

  get warnings(): string[] {
    return this.tally.warnings;
  }

  header(format: CompiledFormat): void {
    this.tally.header(format);
  }

  warning(message: string): void {
    this.tally.warning(message);
  }

  malformed(where: Where, reason: string): void {
    this.tally.malformed(where, reason);
  }

  record(view: RecordView): void {
    this.tally.record(view);
  }

  /** Takes over the counts of a RecordTally that ran elsewhere (a worker thread) and fed tcp(). */
  adoptTally(state: TallyState): void {
    this.tally.importState(state);
  }

  /**
   * The facts of one TCP record (see RecordTally), at facts[f…]; updates its connection. The
   * records of this table's own tally are written straight into a batch, applied by tcpBatch()
   * when it is full and before anything reads the table (flush()).
   */
  tcp(facts: Float64Array, f: number, textKey: string | undefined): void {
    if (facts !== this.pending) {
      this.update(this.intern(facts, f, textKey), facts, f);
      return;
    }
    if (textKey !== undefined) this.pendingKeys.push([this.pendingCount, textKey]);
    if (++this.pendingCount === PENDING_RECORDS) this.flush();
    else this.tally.factsAt = this.pendingCount * TCP_FACTS;
  }
  private readonly pending = new Float64Array(PENDING_RECORDS * TCP_FACTS);
  private pendingCount = 0;
  private pendingKeys: [number, string][] = [];

  /** Applies the batched facts of this table's own tally. */
  private flush(): void {
    if (this.pendingCount === 0) return;
    this.applyBatch(this.pending, this.pendingCount, this.pendingKeys);
    this.pendingCount = 0;
    if (this.pendingKeys.length > 0) this.pendingKeys = [];
    this.tally.factsAt = 0;
  }

  /**
   * The facts of `count` TCP records, TCP_FACTS numbers each, in order; `textKeys` lists the
   * records with a text key as [record, key]. The same as tcp() for each, done in two passes
   * (every connection id, then every update: applyBatch()): at a million connections each step
   * is a cache miss, and a loop of independent steps lets the processor wait for several at once.
   */
  tcpBatch(facts: Float64Array, count: number, textKeys: readonly [number, string][]): void {
    if (this.pendingCount === 0 && count >= PENDING_RECORDS) {
      this.applyBatch(facts, count, textKeys);
      return;
    }
    // small batches (the reader hands over plain records whenever a line needs JavaScript) join
    // the pending ones, so that batches stay large and in input order
    let next = 0;
    for (let k = 0; k < count; ) {
      const n = Math.min(count - k, PENDING_RECORDS - this.pendingCount);
      this.pending.set(facts.subarray(k * TCP_FACTS, (k + n) * TCP_FACTS), this.pendingCount * TCP_FACTS);
      for (; next < textKeys.length && textKeys[next][0] < k + n; next++) this.pendingKeys.push([this.pendingCount + textKeys[next][0] - k, textKeys[next][1]]);
      this.pendingCount += n;
      k += n;
      if (this.pendingCount === PENDING_RECORDS) this.flush();
    }
    this.tally.factsAt = this.pendingCount * TCP_FACTS;
  }

  private applyBatch(facts: Float64Array, count: number, textKeys: readonly [number, string][]): void {
    if (this.batchIds.length < count) {
      this.batchIds = new Int32Array(count * 2);
      this.batchHashes = new Int32Array(count * 2);
    }
    const ids = this.batchIds;
    const hashes = this.batchHashes;
    const index = this.index;
    // 1. the memory of every lookup, read ahead (see ConnectionIndex.touch())
    let ignored = 0;
    for (let k = 0; k < count; k++) {
      const f = k * TCP_FACTS;
      const h = index.hashOf(facts[f + FACT_KEY], facts[f + FACT_KEY + 1], facts[f + FACT_KEY + 2]);
      hashes[k] = h;
      ignored ^= index.touch(h);
    }
    // 2. every connection id
    let next = 0;
    for (let k = 0; k < count; k++) {
      const f = k * TCP_FACTS;
      let i: number;
      if (next < textKeys.length && textKeys[next][0] === k) i = index.internText(textKeys[next++][1]);
      else i = index.internHashed(hashes[k], facts[f + FACT_KEY], facts[f + FACT_KEY + 1], facts[f + FACT_KEY + 2]);
      if (i === this.size) this.add();
      ids[k] = i;
      // 3. the connection's state, read ahead
      ignored ^= this.blocks[i >> BLOCK_BITS][(i & BLOCK_MASK) * STRIDE + RECORDS];
    }
    // 4. every update
    for (let k = 0; k < count; k++) this.update(ids[k], facts, k * TCP_FACTS);
    this.ignored = ignored;
  }
  private batchIds = new Int32Array(0);
  private batchHashes = new Int32Array(0);
  /** what the read-ahead loops read (kept, so that the reads are not optimized away) */
  ignored = 0;

  /** The id of the record's connection; a new one (with its state) if it was not seen before. */
  private intern(facts: Float64Array, f: number, textKey: string | undefined): number {
    const i = textKey === undefined ? this.index.internWords(facts[f + FACT_KEY], facts[f + FACT_KEY + 1], facts[f + FACT_KEY + 2]) : this.index.internText(textKey);
    if (i === this.size) this.add();
    return i;
  }

  private update(i: number, facts: Float64Array, f: number): void {
    const side = facts[f + FACT_SIDE];
    const packets = facts[f + FACT_PACKETS];
    const bytes = facts[f + FACT_BYTES];
    const start = facts[f + FACT_START];
    const end = facts[f + FACT_END];
    const rejected = facts[f + FACT_REJECTED] === 1;
    const flags = facts[f + FACT_FLAGS];
    const state = this.blocks[i >> BLOCK_BITS];
    const at = (i & BLOCK_MASK) * STRIDE;
    state[at + RECORDS]++;
    const p = Number.isNaN(packets) ? 0 : packets;
    state[at + PACKETS + side] += p;
    if (!Number.isNaN(bytes)) state[at + BYTES] += bytes;
    if (!Number.isNaN(start) && (state[at + FIRST_START] === 0 || start < state[at + FIRST_START])) state[at + FIRST_START] = start;
    if (!Number.isNaN(end) && end > state[at + LAST_END]) state[at + LAST_END] = end;
    if (rejected) state[at + FLAGS] = state[at + FLAGS] | REJECT_BIT;
    if (facts[f + FACT_FOCUSED] === 1) state[at + FLAGS] = state[at + FLAGS] | FOCUS_BIT;

    if (Number.isNaN(flags)) return; // '-' or no tcp-flags field: contributes nothing
    state[at + FLAGS] = state[at + FLAGS] | ((flags & 63) << (6 * side));
    if ((flags & SYN_ACK) === SYN_ACK && !rejected) state[at + FLAGS] = state[at + FLAGS] | SYNACK_ACCEPT_BIT;
    if (hasSyn(flags)) {
      // Count SYNs on one interface only: a subnet capture sees the same SYN on two ENIs.
      const iface = facts[f + FACT_IFACE] >>> 0;
      const first = state[at + SYN_START + side];
      if (Number.isNaN(first)) {
        state[at + SYN_START + side] = Number.isNaN(start) ? 0 : start;
        state[at + SYN + side] = iface * 4 + (p < 2 ? p : 2);
      } else {
        const syn = state[at + SYN + side];
        const synIface = Math.floor(syn / 4);
        if (synIface === iface) {
          const synPackets = syn - synIface * 4 + p; // (syn % 4 without fmod, which is slow) + p
          state[at + SYN + side] = iface * 4 + (synPackets < 2 ? synPackets : 2);
          if (!Number.isNaN(start) && start !== first) state[at + FLAGS] = state[at + FLAGS] | (side === 0 ? RETRY_BIT0 : RETRY_BIT1);
          if (!Number.isNaN(start) && start < first) state[at + SYN_START + side] = start;
        }
      }
    }
  }

  /** tcp-flags OR-ed over the records side 0 or 1 sent. */
  private flagsOf(i: number, side: number): number {
    return (this.get(i, FLAGS) >> (6 * side)) & 63;
  }

  /** Field `field` of connection i (for the summary; the fold itself indexes the block directly). */
  private get(i: number, field: number): number {
    return this.blocks[i >> BLOCK_BITS][(i & BLOCK_MASK) * STRIDE + field];
  }

  private add(): void {
    const i = this.size++;
    // The first block is small: most inputs have a few connections, not tens of thousands.
    if (i === 0) this.blocks.push(new Float64Array(1024 * STRIDE));
    else if (i === 1024) this.blocks[0] = grownBlock(this.blocks[0]);
    else if ((i & BLOCK_MASK) === 0) this.blocks.push(new Float64Array(BLOCK_SIZE * STRIDE));
    const state = this.blocks[i >> BLOCK_BITS];
    const at = (i & BLOCK_MASK) * STRIDE;
    state[at + SYN_START] = Number.NaN;
    state[at + SYN_START + 1] = Number.NaN;
  }

  /** Notes a source that could not be read to the end (e.g. truncated gzip). */
  addError(problem: Problem): void {
    this.errors.push(problem);
  }

  get connectionCount(): number {
    this.flush();
    return this.size;
  }

  /** Whether connection i is reported (always, without a focus expression). */
  private reported(i: number): boolean {
    return this.options.focus === undefined || (this.get(i, FLAGS) & FOCUS_BIT) !== 0;
  }

  /**
   * The verdict and facts of connection i (for reports and `show --connection`);
   * `lowConfidence` is worked out from the SKIPDATA windows when not given.
   */
  connection(i: number, lowConfidence?: boolean): ConnectionReport & { verdict: Verdict } {
    this.flush();
    if (lowConfidence === undefined) {
      lowConfidence = this.verdictOf(i).cls === 'unanswered' && overlaps(mergeWindows(this.tally.skipGaps), this.get(i, FIRST_START), this.get(i, LAST_END));
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
      firstSeen: iso(this.get(i, FIRST_START)),
      lastSeen: iso(this.get(i, LAST_END)),
      records: this.get(i, RECORDS),
      packets: { client: this.get(i, PACKETS + client), server: this.get(i, PACKETS + server) },
      bytes: this.get(i, BYTES),
      flags: { client: flagLetters(this.flagsOf(i, client)), server: flagLetters(this.flagsOf(i, server)) },
      retriedSyn: retried,
      lowConfidence,
      rule: verdict.rule,
      verdict: { ...verdict },
    };
  }

  private keyOf(i: number): string {
    return this.index.keyText(i);
  }

  /** With no handshake to go by, the side with the lower port is taken as the server. */
  private serverSideByPort(i: number): 0 | 1 {
    if (!this.index.isPacked(i)) return serverSideByPort(this.keyOf(i));
    return this.index.packedPort(i, 0) <= this.index.packedPort(i, 1) ? 0 : 1;
  }

  /** The peer row of one endpoint of connection i (the same row for the same "ip port" text). */
  private peerOf(peers: PeerRows, i: number, side: number): PeerRow {
    if (this.index.isPacked(i)) return peers.byNumbers(this.index.packedAddress(i, side), this.index.packedPort(i, side));
    const text = sideText(this.keyOf(i), side);
    const space = text.indexOf(' ');
    const address = ipv4Value(text.substring(0, space));
    const port = canonicalPort(text.substring(space + 1));
    return address >= 0 && port >= 0 ? peers.byNumbers(address, port) : peers.byText(text);
  }

  /**
   * The verdict depends on the flags of both sides and two bits only (the low 14 bits of the
   * FLAGS field), so it is worked out once per combination: a million connections share a
   * few dozen verdicts, and making one object each was a good part of finish().
   */
  private verdictOf(i: number): Verdict {
    const evidence = this.get(i, FLAGS) & 0x3fff;
    let verdict = this.verdicts[evidence];
    if (verdict === undefined) {
      verdict = classifyConnection({
        flags0: evidence & 63,
        flags1: (evidence >> 6) & 63,
        anyReject: (evidence & REJECT_BIT) !== 0,
        synAckAccepted: (evidence & SYNACK_ACCEPT_BIT) !== 0,
      });
      this.verdicts[evidence] = verdict;
    }
    return verdict;
  }
  private readonly verdicts: (Verdict | undefined)[] = [];

  /**
   * Without a SYN-ACK, every packet the client sent in its SYN records is a SYN
   * (retransmission); with one, only a SYN seen again in a later window shows.
   */
  private retried(i: number, client: number, cls: TcpClass): boolean {
    if (!hasSyn(this.flagsOf(i, client))) return false;
    const crossWindow = (this.get(i, FLAGS) & (client === 0 ? RETRY_BIT0 : RETRY_BIT1)) !== 0;
    if (cls === 'established') return crossWindow;
    const syn = this.get(i, SYN + client);
    return crossWindow || syn - Math.floor(syn / 4) * 4 > 1;
  }

  /** Finds a connection by the id shown in reports, or by its two endpoints. */
  findConnection(idOrTuple: string): number {
    this.flush();
    for (let i = 0; i < this.size; i++) {
      if (connectionId(this.keyOf(i)) === idOrTuple) return i;
    }
    return -1;
  }

  /** Index of the connection between two endpoints, or -1. */
  indexOfEndpoints(a: Endpoint, b: Endpoint): number {
    this.flush();
    const text = (e: Endpoint): string => `${e.address} ${e.port ?? '-'}`;
    const forward = this.index.find(`${text(a)} ${text(b)}`);
    return forward >= 0 ? forward : this.index.find(`${text(b)} ${text(a)}`);
  }

  finish(): Summary {
    this.flush();
    const classified = this.tally.sawFlagsField && this.tally.sawProtocolField && !this.tally.sawTcpWithoutFlagsField;
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
      tcp.reason = !this.tally.wellFormed
        ? 'no well-formed records were read, so handshakes cannot be judged'
        : !this.tally.sawProtocolField
        ? 'the data has no protocol field, so TCP cannot be told apart and handshakes cannot be judged'
        : 'the data has no tcp-flags field, so handshakes cannot be judged: TCP connections are only told apart as rejected or midstream';
    }

    const skip = mergeWindows(this.tally.skipGaps);
    const timeline = new Map<number, TimelineRow>();
    const peers = new PeerRows();
    // Failing connections are ranked by the facts the report order uses; reports are made for the kept ones only.
    const failures = new FailureRanking(this.options.maxFailures ?? 200, (i) => this.index.keyHash(i));
    let failuresTotal = 0;
    let lastMinute = Number.NaN;
    let lastRow: TimelineRow | undefined;

    for (let i = 0; i < this.size; i++) {
      if (!this.reported(i)) continue;
      tcp.connections++;
      const verdict = this.verdictOf(i);
      const cls = verdict.cls;
      countClass(tcp, cls);
      if (verdict.reset) tcp.reset++;
      if (verdict.closed) tcp.closed++;
      const failing = cls === 'refused' || cls === 'unanswered' || cls === 'rejected';
      const firstStart = this.get(i, FIRST_START);
      const lowConfidence = cls === 'unanswered' && overlaps(skip, firstStart, this.get(i, LAST_END));
      if (lowConfidence) tcp.unansweredLowConfidence++;
      let client = verdict.client as number;
      if (client === -1) client = this.serverSideByPort(i) === 1 ? 0 : 1;
      const retried = this.retried(i, client, cls);
      if (retried) tcp.retriedSyn++;

      // timeline: the minute of the client's first SYN, else of the first record
      const synAt = verdict.client === -1 ? Number.NaN : this.get(i, SYN_START + verdict.client);
      const at = !Number.isNaN(synAt) && synAt > 0 ? synAt : firstStart;
      if (at > 0) {
        const minute = Math.floor(at / 60) * 60;
        // connections are numbered as they first appear, so neighbours mostly share a minute
        let row = minute === lastMinute ? lastRow : timeline.get(minute);
        if (!row) {
          row = { minute: iso(minute) as string, established: 0, refused: 0, unanswered: 0, rejected: 0, midstream: 0, reset: 0, failures: 0 };
          timeline.set(minute, row);
        }
        lastMinute = minute;
        lastRow = row;
        countClass(row, cls);
        if (verdict.reset) row.reset++;
        if (failing) row.failures++;
      }

      const peer = this.peerOf(peers, i, 1 - client);
      peer.connections++;
      countClass(peer, cls);
      if (verdict.reset) peer.reset++;
      if (failing) peer.failures++;

      if (failing) {
        failuresTotal++;
        failures.offer(i, cls, retried, firstStart, lowConfidence);
      }
    }

    const peerRows = peers.rows().sort((a, b) => b.failures - a.failures || b.reset - a.reset || b.connections - a.connections || a.peer.localeCompare(b.peer));
    const summary: Summary = {
      schema: SUMMARY_SCHEMA,
      headline: '',
      records: { ...this.tally.counts },
      tcp,
      window: { start: iso(this.tally.minStart), end: iso(this.tally.maxEnd) },
      sources: { count: this.sources, formats: [...this.tally.formats] },
      interfaces: { count: this.tally.interfaces.size, ids: [...this.tally.interfaces].sort().slice(0, 100) },
      udp: { ...this.tally.udp },
      icmp: { ...this.tally.icmp },
      natHops: {
        records: this.tally.hopRecords,
        via: [...this.tally.hops].map(([address, records]) => ({ address, records })).sort((a, b) => b.records - a.records || a.address.localeCompare(b.address)).slice(0, 20),
      },
      gaps: { nodata: mergeWindows(this.tally.nodataGaps).map(gapToIso), skipdata: skip.map(gapToIso), omitted: this.tally.gapsOmitted },
      timeline: [...timeline.entries()].sort((a, b) => a[0] - b[0]).map(([, row]) => row),
      peers: peerRows.slice(0, this.options.maxPeers ?? 50),
      peersTotal: peerRows.length,
      failures: failures.top().map((candidate) => stripVerdict(this.connection(candidate.index, candidate.lowConfidence))),
      failuresTotal,
      malformed: { count: this.tally.counts.malformed, examples: this.tally.malformedExamples },
      warnings: this.tally.warnings,
      errors: this.errors,
    };
    summary.headline = headline(summary);
    return summary;
  }
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

/** The connection key of two endpoints, ordered exactly as `connectionKey` orders a record's. */
export function endpointsKey(a: Endpoint, b: Endpoint): string {
  const text = (e: Endpoint): string => `${e.address} ${e.port ?? '-'}`;
  let aFirst: boolean;
  if (a.address < b.address) aFirst = true;
  else if (a.address > b.address) aFirst = false;
  else aFirst = comparePorts(a.port ?? Number.NaN, b.port ?? Number.NaN) <= 0;
  return aFirst ? `${text(a)} ${text(b)}` : `${text(b)} ${text(a)}`;
}

export function displayEndpoint(e: Endpoint): string {
  const address = e.address.includes(':') ? `[${e.address}]` : e.address;
  return e.port === null ? address : `${address}:${e.port}`;
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
  return idText(fnv1a(FNV_OFFSET, key));
}

/** The 8 hex digits of a connection id's number. */
function idText(hash: number): string {
  return hash.toString(16).padStart(8, '0');
}

function grownBlock(block: Float64Array): Float64Array {
  const next = new Float64Array(BLOCK_SIZE * STRIDE);
  next.set(block);
  return next;
}

function iso(seconds: number): string | null {
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

const CLASS_WEIGHT: Record<TcpClass, number> = { refused: 0, unanswered: 1, rejected: 2, established: 3, midstream: 4 };

/** What failing connections are ranked by, before their reports are made. */
interface FailureCandidate extends Pick<ConnectionReport, 'class' | 'retriedSyn' | 'firstSeen' | 'id'> {
  index: number;
  lowConfidence: boolean;
  firstStart: number;
  /** the id as a number, -1 until needed (id is its 8 hex digits, filled in only for compareFailures()) */
  idHash: number;
}

/**
 * The `limit` failing connections a report lists: the first `limit` of all of them sorted
 * (stably, in the order offered) by compareFailures(). Candidates go through a buffer that is
 * sorted and cut back to `limit` whenever it fills; once it has been cut, a candidate that
 * does not rank before the last one kept cannot make the list and is dropped at once, before
 * its id is worked out (a million connections can have hundreds of thousands of failures).
 */
class FailureRanking {
  private readonly candidates: FailureCandidate[] = [];
  private compare: (a: FailureCandidate, b: FailureCandidate) => number = compareFailuresByTime;
  private full = false;

  constructor(
    private readonly limit: number,
    private readonly idHashOf: (index: number) => number,
  ) {}

  offer(index: number, cls: TcpClass, retriedSyn: boolean, firstStart: number, lowConfidence: boolean): void {
    const candidate: FailureCandidate = { index, lowConfidence, class: cls, retriedSyn, firstStart, firstSeen: null, idHash: -1, id: '' };
    if (!isPlainTime(firstStart)) this.compare = compareFailures; // e.g. a year past 9999: compare the text
    if (this.full && this.compare === compareFailuresByTime && this.limit > 0) {
      const last = this.candidates[this.limit - 1];
      if (this.rank(candidate, last) >= 0) return; // ties go to the earlier one
    }
    this.candidates.push(candidate);
    if (this.candidates.length >= this.limit * 4) this.cut();
  }

  top(): FailureCandidate[] {
    this.cut();
    return this.candidates;
  }

  private cut(): void {
    for (const candidate of this.candidates) if (candidate.idHash < 0) candidate.idHash = this.idHashOf(candidate.index);
    this.candidates.sort(this.compare === compareFailures ? withFirstSeen(this.candidates) : this.compare);
    if (this.candidates.length > this.limit) this.candidates.length = this.limit;
    this.full = this.candidates.length === this.limit;
  }

  /** compareFailuresByTime(), working out ids only when everything before them ties. */
  private rank(a: FailureCandidate, b: FailureCandidate): number {
    const byTime = CLASS_WEIGHT[a.class] - CLASS_WEIGHT[b.class] || Number(b.retriedSyn) - Number(a.retriedSyn) || plainSeconds(a.firstStart) - plainSeconds(b.firstStart);
    if (byTime !== 0) return byTime;
    if (a.idHash < 0) a.idHash = this.idHashOf(a.index);
    if (b.idHash < 0) b.idHash = this.idHashOf(b.index);
    return a.idHash - b.idHash;
  }
}

/** The seconds iso() writes, for ordering: -1 for none (iso() null, which sorts first). */
function plainSeconds(seconds: number): number {
  return Number.isFinite(seconds) && seconds > 0 ? seconds : -1;
}

/** The last second iso() writes as YYYY-MM-DDTHH:MM:SSZ (9999-12-31T23:59:59Z). */
const MAX_PLAIN_SECONDS = 253402300799;

/** Whether iso(seconds) is null or a plain YYYY-MM-DDTHH:MM:SSZ, whose text order is time order. */
function isPlainTime(seconds: number): boolean {
  return !(Number.isFinite(seconds) && seconds > 0) || (Number.isInteger(seconds) && seconds <= MAX_PLAIN_SECONDS);
}

/**
 * compareFailures() without making the firstSeen text: for plain times (isPlainTime) the ISO
 * text sorts as the seconds do, and null ('') first; ids are 8 lowercase hex digits of a
 * number, which sort as the number does. Making and locale-comparing the texts for every
 * failing connection cost seconds at a million connections.
 */
function compareFailuresByTime(a: FailureCandidate, b: FailureCandidate): number {
  return CLASS_WEIGHT[a.class] - CLASS_WEIGHT[b.class] || Number(b.retriedSyn) - Number(a.retriedSyn) || plainSeconds(a.firstStart) - plainSeconds(b.firstStart) || a.idHash - b.idHash;
}

/** Fills in the firstSeen and id texts compareFailures() reads; returns it. */
function withFirstSeen(candidates: FailureCandidate[]): (a: FailureCandidate, b: FailureCandidate) => number {
  for (const candidate of candidates) {
    candidate.firstSeen ??= iso(candidate.firstStart);
    candidate.id = idText(candidate.idHash);
  }
  return compareFailures;
}

/** Adds one to a class count (a switch: indexing a row by the class name was a slow, megamorphic access). */
function countClass(counts: Record<TcpClass, number>, cls: TcpClass): void {
  switch (cls) {
    case 'established':
      counts.established++;
      break;
    case 'refused':
      counts.refused++;
      break;
    case 'unanswered':
      counts.unanswered++;
      break;
    case 'rejected':
      counts.rejected++;
      break;
    case 'midstream':
      counts.midstream++;
      break;
  }
}

/** Peer rows by endpoint: canonical IPv4 endpoints by address and port (small-integer map keys), others by their "ip port" text. */
class PeerRows {
  private readonly numbered = new Map<number, Map<number, PeerRow>>();
  private readonly texts = new Map<string, PeerRow>();
  /** in the order they were made: two texts can show alike ("10.0.0.1 0", "10.0.0.1 00"), and then this order decides */
  private readonly made: PeerRow[] = [];
  /** a small direct-mapped cache in front of the maps: most connections go to a few servers */
  private readonly cached: (PeerRow | undefined)[] = new Array(256);
  private readonly cachedAddress = new Float64Array(256);
  private readonly cachedPort = new Int32Array(256);

  byNumbers(address: number, port: number): PeerRow {
    const slot = (address ^ (port * 40503)) & 255;
    const hit = this.cached[slot];
    if (hit !== undefined && this.cachedAddress[slot] === address && this.cachedPort[slot] === port) return hit;
    const row = this.lookUp(address, port);
    this.cached[slot] = row;
    this.cachedAddress[slot] = address;
    this.cachedPort[slot] = port;
    return row;
  }

  private lookUp(address: number, port: number): PeerRow {
    let ports = this.numbered.get(address | 0);
    if (ports === undefined) this.numbered.set(address | 0, (ports = new Map()));
    let row = ports.get(port);
    if (row === undefined) ports.set(port, (row = this.make({ address: formatIpv4(address), port })));
    return row;
  }

  byText(text: string): PeerRow {
    let row = this.texts.get(text);
    if (row === undefined) this.texts.set(text, (row = this.make(endpointOf(text))));
    return row;
  }

  rows(): PeerRow[] {
    return [...this.made];
  }

  private make(server: Endpoint): PeerRow {
    const row = { peer: displayEndpoint(server), address: server.address, port: server.port, connections: 0, established: 0, refused: 0, unanswered: 0, rejected: 0, midstream: 0, reset: 0, failures: 0 };
    this.made.push(row);
    return row;
  }
}

function compareFailures(a: FailureCandidate, b: FailureCandidate): number {
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
