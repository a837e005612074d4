import type { PlainBatch, PlainFields, RecordSink, RecordView, Where } from '../format/line-reader.js';
import { formatIpv4, ipv4Value } from '../format/line-reader.js';
import type { CompiledFormat } from '../format/compiled.js';
import {
  STATE_BLOCK_BITS as BLOCK_BITS,
  STATE_BYTES as BYTES,
  STATE_FIRST_START as FIRST_START,
  STATE_FLAGS as FLAGS,
  STATE_FOCUS_BIT as FOCUS_BIT,
  STATE_LAST_END as LAST_END,
  STATE_PACKETS as PACKETS,
  STATE_RECORDS as RECORDS,
  STATE_REJECT_BIT as REJECT_BIT,
  STATE_RETRY_BIT0 as RETRY_BIT0,
  STATE_RETRY_BIT1 as RETRY_BIT1,
  STATE_STRIDE as STRIDE,
  STATE_SYN as SYN,
  STATE_SYN_START as SYN_START,
  STATE_SYNACK_ACCEPT_BIT as SYNACK_ACCEPT_BIT,
} from '../layout.js';
import { canonicalPort, ConnectionIndex, fnv1a, FNV_OFFSET, KEY_WORDS } from './connection-index.js';
import { classifyConnection, flagLetters, hasSyn, type TcpClass, type Verdict } from './classify.js';
import {
  comparePorts,
  FACT_KEY,
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
 * Per-connection state (STATE_* in src/layout.ts): STRIDE numbers per connection, side by side, in blocks of BLOCK_SIZE
 * connections. One record then touches one or two cache lines instead of one per array (a
 * million connections spread over ten arrays cost ten cache misses per record), and a new
 * block never copies the old ones (growing by doubling would briefly hold both, at the peak).
 * Fields "+ side" hold two values: side 0, then side 1. The state lives in the memory of the
 * WebAssembly module that applies records (assembly/connection-table.ts); this class reads it
 * through views.
 */
const BLOCK_SIZE = 1 << BLOCK_BITS;
const BLOCK_MASK = BLOCK_SIZE - 1;

/*
 * A verdict as one number (ConnectionTable.verdictCode()), for finish()'s loop: the class, the
 * client + 1 (0: the flags cannot tell), reset, closed, and the category the connection is
 * counted in (see CATEGORIES); CODE_KNOWN keeps a code from being 0.
 */
const ESTABLISHED = 0;
const REFUSED = 1;
const UNANSWERED = 2;
const REJECTED = 3;
const MIDSTREAM = 4;
const CODE_CLASS = 7;
const CODE_CLIENT_SHIFT = 3;
const CODE_RESET = 1 << 5;
const CODE_CLOSED = 1 << 6;
const CODE_KNOWN = 1 << 7;
const CODE_CATEGORY_SHIFT = 8;
const CODE_OF_CLASS: Record<TcpClass, number> = { established: ESTABLISHED, refused: REFUSED, unanswered: UNANSWERED, rejected: REJECTED, midstream: MIDSTREAM };
const CLASS_OF_CODE: readonly TcpClass[] = ['established', 'refused', 'unanswered', 'rejected', 'midstream'];
/**
 * Timeline and peer rows count connections by category: the class (0–4), plus 5 if reset.
 * One count a connection and row; the rows' columns are sums of these (classCounts()).
 */
const CATEGORIES = 10;

/** A SKIPDATA window lowers confidence in unanswered verdicts within this many seconds of it. */
const GAP_SLACK_SECONDS = 60;

/**
 * The connection table: a pure, order-independent fold over records (docs/architecture.md).
 * Memory grows with distinct connections, never with records: per connection it keeps
 * its key (three 32-bit words for IPv4, see ConnectionIndex) and a few typed-array slots.
 */
export class ConnectionTable implements RecordSink, TcpFactsSink {
  private readonly index = new ConnectionIndex();
  /** the WebAssembly module that keeps the index and the state, and applies records (assembly/connection-table.ts) */
  private readonly module = this.index.table;
  /** connections, as of the last flush() */
  private size = 0;
  /**
   * connection i's state is blocks[i >> BLOCK_BITS][(i & BLOCK_MASK) * STRIDE + FIELD]: views of
   * the module's memory, taken again by flush() (growing the memory detaches them)
   */
  private blocks: Float64Array[] = [];
  /** the memory the views are of */
  private viewsOf: ArrayBuffer | undefined;

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

  /** The reader's fast path (RecordSink.plainFields), as in a worker thread: see RecordTally. */
  plainFields(format: CompiledFormat): PlainFields | undefined {
    return this.tally.plainFields(format);
  }

  plainRecords(batch: PlainBatch): void {
    this.tally.plainRecords(batch);
  }

  /** Takes over the counts of a RecordTally that ran elsewhere (a worker thread) and fed tcp(). */
  adoptTally(state: TallyState): void {
    this.tally.importState(state);
  }

  /**
   * The facts of one TCP record (see RecordTally), at facts[f…]; updates its connection. The
   * records are batched in the module's memory (this table's own tally writes them there
   * directly) and applied by the module when the batch is full and before anything reads the
   * table (flush()).
   */
  tcp(facts: Float64Array, f: number, textKey: string | undefined): void {
    if (facts !== this.pending) this.pending.set(facts.subarray(f, f + TCP_FACTS), this.pendingCount * TCP_FACTS);
    if (textKey !== undefined) this.pendingKeys.push([this.pendingCount, textKey]);
    if (++this.pendingCount === this.capacity) this.flush();
    else this.tally.factsAt = this.pendingCount * TCP_FACTS;
  }
  /** rows of facts the module applies at a time */
  private readonly capacity = this.module.maxRows();
  private pending = new Float64Array(this.module.memory.buffer, this.module.factsAt(), this.capacity * TCP_FACTS);
  private pendingCount = 0;
  /** the records of the batch with a text key, as [record, key] */
  private pendingKeys: [number, string][] = [];

  /** Applies the batched facts, and takes the views of the module's memory again. */
  private flush(): void {
    if (this.pendingCount > 0) {
      // a text key's row carries its text index (NaN at FACT_KEY says it has one)
      for (const [record, key] of this.pendingKeys) this.pending[record * TCP_FACTS + FACT_KEY + 1] = this.index.textIndex(key);
      this.module.apply(this.pendingCount);
      this.pendingCount = 0;
      if (this.pendingKeys.length > 0) this.pendingKeys = [];
    }
    const buffer = this.module.memory.buffer;
    if (buffer !== this.viewsOf) {
      this.viewsOf = buffer;
      this.pending = new Float64Array(buffer, this.module.factsAt(), this.capacity * TCP_FACTS);
      this.blocks = [];
    }
    this.size = this.module.stateCount();
    for (let b = this.blocks.length; b << BLOCK_BITS < this.size; b++) this.blocks.push(new Float64Array(buffer, this.module.blockAt(b), BLOCK_SIZE * STRIDE));
    this.tally.facts = this.pending;
    this.tally.factsAt = 0;
  }

  /**
   * The facts of `count` TCP records, TCP_FACTS numbers each, in order; `textKeys` lists the
   * records with a text key as [record, key]. The same as tcp() for each: they join the batch,
   * so that batches stay large (the module's passes over a batch let the processor wait for
   * several cache misses at once) and in input order.
   */
  tcpBatch(facts: Float64Array, count: number, textKeys: readonly [number, string][]): void {
    let next = 0;
    for (let k = 0; k < count; ) {
      const n = Math.min(count - k, this.capacity - this.pendingCount);
      this.pending.set(facts.subarray(k * TCP_FACTS, (k + n) * TCP_FACTS), this.pendingCount * TCP_FACTS);
      for (; next < textKeys.length && textKeys[next][0] < k + n; next++) this.pendingKeys.push([this.pendingCount + textKeys[next][0] - k, textKeys[next][1]]);
      this.pendingCount += n;
      k += n;
      if (this.pendingCount === this.capacity) this.flush();
    }
    this.tally.factsAt = this.pendingCount * TCP_FACTS;
  }

  /** tcp-flags OR-ed over the records side 0 or 1 sent. */
  private flagsOf(i: number, side: number): number {
    return (this.get(i, FLAGS) >> (6 * side)) & 63;
  }

  /** Field `field` of connection i (for the summary; the fold itself indexes the block directly). */
  private get(i: number, field: number): number {
    return this.blocks[i >> BLOCK_BITS][(i & BLOCK_MASK) * STRIDE + field];
  }

  /** Notes a source that could not be read to the end (e.g. truncated gzip). */
  addError(problem: Problem): void {
    this.errors.push(problem);
  }

  get connectionCount(): number {
    this.flush();
    return this.size;
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

  /** The peer row of one endpoint of connection i, whose key is text (the same row for the same "ip port" text). */
  private peerRowByText(peers: PeerRows, i: number, side: number): number {
    const text = sideText(this.keyOf(i), side);
    const space = text.indexOf(' ');
    // (an IPv6 address, the most common text key, is told at once: ipv4Value() makes a buffer)
    const address = text.lastIndexOf(':', space) >= 0 ? -1 : ipv4Value(text.substring(0, space));
    const port = address >= 0 ? canonicalPort(text.substring(space + 1)) : -1;
    return address >= 0 && port >= 0 ? peers.rowOfNumbers(address, port) : peers.rowOfText(text);
  }

  /**
   * The verdict depends on the flags of both sides and two bits only (the low 14 bits of the
   * FLAGS field), so it is worked out once per combination: a million connections share a
   * few dozen verdicts, and making one object each was a good part of finish().
   */
  private verdictOf(i: number): Verdict {
    return this.verdictOfEvidence(this.get(i, FLAGS) & 0x3fff);
  }

  /** The verdict of the low 14 bits of a FLAGS field. */
  private verdictOfEvidence(evidence: number): Verdict {
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

  /** verdictOfEvidence() as one number (see CODE_CLASS), memoized in the same way. */
  private verdictCode(evidence: number): number {
    const code = this.verdictCodes[evidence];
    if (code !== 0) return code;
    const verdict = this.verdictOfEvidence(evidence);
    const cls = CODE_OF_CLASS[verdict.cls];
    const made =
      CODE_KNOWN |
      cls |
      ((verdict.client + 1) << CODE_CLIENT_SHIFT) |
      (verdict.reset ? CODE_RESET : 0) |
      (verdict.closed ? CODE_CLOSED : 0) |
      ((cls + (verdict.reset ? 5 : 0)) << CODE_CATEGORY_SHIFT);
    this.verdictCodes[evidence] = made;
    return made;
  }
  private readonly verdictCodes = new Int32Array(1 << 14);

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

  /**
   * finish()'s pass over every reported connection: counts them by evidence (the totals follow
   * from the verdicts) and into the timeline and peer rows by category, and offers the failing
   * ones to the ranking. The part of the report whose time grows with connections, so it reads
   * numbers only (the verdict as one number, verdictCode(); the keys as the index's words in id
   * order) and makes no objects.
   *
   * It runs once, so it must stay one loop the engine can compile while it runs: one loop (not
   * one per block of state), tables that rarely grow, counts added rather than incremented under
   * a rare condition (also in MinuteRows, PeerRows, FailureRanking), and the part for each
   * connection a method of its own. Why, and what it gained: docs/performance.md
   * ("Why the code is shaped as it is").
   */
  private countConnections(skip: RawGap[], timeline: MinuteRows, peers: PeerRows, failures: FailureRanking): ConnectionCounts {
    const counts: ConnectionCounts = { byEvidence: new Int32Array(1 << 14), retriedSyn: 0, unansweredLowConfidence: 0, failuresTotal: 0 };
    const words = this.index.keyWords();
    const textBits = this.index.textKeyBits();
    const focused = this.options.focus !== undefined;
    const blocks = this.blocks;
    const size = this.size;
    for (let i = 0; i < size; i++) {
      const flags = blocks[i >> BLOCK_BITS][(i & BLOCK_MASK) * STRIDE + FLAGS];
      if (focused && (flags & FOCUS_BIT) === 0) continue;
      const code = this.verdictCodes[flags & 0x3fff] || this.verdictCode(flags & 0x3fff);
      let client = ((code >> CODE_CLIENT_SHIFT) & 3) - 1;
      let peer: number;
      if (textBits === undefined || (textBits[i >> 5] & (1 << (i & 31))) === 0) {
        const ports = words[i * KEY_WORDS + 2];
        // with no handshake to go by, the side with the lower port is taken as the server
        if (client === -1) client = ports >>> 16 <= (ports & 0xffff) ? 1 : 0;
        const server = 1 - client;
        peer = peers.rowOfNumbers(words[i * KEY_WORDS + server] >>> 0, server === 0 ? ports >>> 16 : ports & 0xffff);
      } else {
        if (client === -1) client = serverSideByPort(this.keyOf(i)) === 1 ? 0 : 1;
        peer = this.peerRowByText(peers, i, 1 - client);
      }
      this.countConnection(i, code, client, peer, skip, timeline, peers, failures, counts);
    }
    return counts;
  }

  /** countConnections() for connection i, given its verdict code, its client side and the peer row of its server side. */
  private countConnection(
    i: number,
    code: number,
    client: number,
    peer: number,
    skip: RawGap[],
    timeline: MinuteRows,
    peers: PeerRows,
    failures: FailureRanking,
    counts: ConnectionCounts,
  ): void {
    const state = this.blocks[i >> BLOCK_BITS];
    const at = (i & BLOCK_MASK) * STRIDE;
    const flags = state[at + FLAGS];
    counts.byEvidence[flags & 0x3fff]++;
    const cls = code & CODE_CLASS;
    const category = code >> CODE_CATEGORY_SHIFT;
    peers.count(peer, category);

    // retried(), on the numbers at hand
    let retried = false;
    if (hasSyn((flags >> (6 * client)) & 63)) {
      retried = (flags & (client === 0 ? RETRY_BIT0 : RETRY_BIT1)) !== 0;
      if (!retried && cls !== ESTABLISHED) {
        const syn = state[at + SYN + client];
        retried = syn - Math.floor(syn / 4) * 4 > 1;
      }
    }
    counts.retriedSyn += retried ? 1 : 0;
    const firstStart = state[at + FIRST_START];
    const lowConfidence = cls === UNANSWERED && overlaps(skip, firstStart, state[at + LAST_END]);
    counts.unansweredLowConfidence += lowConfidence ? 1 : 0;

    // timeline: the minute of the client's first SYN, else of the first record
    const handshakeClient = ((code >> CODE_CLIENT_SHIFT) & 3) - 1;
    const synAt = handshakeClient === -1 ? Number.NaN : state[at + SYN_START + handshakeClient];
    const seenAt = !Number.isNaN(synAt) && synAt > 0 ? synAt : firstStart;
    if (seenAt > 0) timeline.count(Math.floor(seenAt / 60), category);

    if (cls === REFUSED || cls === UNANSWERED || cls === REJECTED) {
      counts.failuresTotal++;
      failures.offer(i, cls, retried, firstStart, lowConfidence);
    }
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
    const timeline = new MinuteRows();
    const peers = new PeerRows(this.size);
    // Failing connections are ranked by the facts the report order uses; reports are made for the kept ones only.
    const failures = new FailureRanking(this.options.maxFailures ?? 200, (i) => this.index.keyHash(i));
    const counted = this.countConnections(skip, timeline, peers, failures);
    for (let evidence = 0; evidence < counted.byEvidence.length; evidence++) {
      const n = counted.byEvidence[evidence];
      if (n === 0) continue;
      const code = this.verdictCodes[evidence];
      tcp.connections += n;
      switch (code & CODE_CLASS) {
        case ESTABLISHED:
          tcp.established += n;
          break;
        case REFUSED:
          tcp.refused += n;
          break;
        case UNANSWERED:
          tcp.unanswered += n;
          break;
        case REJECTED:
          tcp.rejected += n;
          break;
        default:
          tcp.midstream += n;
      }
      if ((code & CODE_RESET) !== 0) tcp.reset += n;
      if ((code & CODE_CLOSED) !== 0) tcp.closed += n;
    }
    tcp.retriedSyn = counted.retriedSyn;
    tcp.unansweredLowConfidence = counted.unansweredLowConfidence;
    const failuresTotal = counted.failuresTotal;

    const maxPeers = this.options.maxPeers ?? 50;
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
      timeline: timeline.rows(),
      peers: peers.top(maxPeers),
      peersTotal: peers.size,
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

function iso(seconds: number): string | null {
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

const CLASS_WEIGHT: Record<TcpClass, number> = { refused: 0, unanswered: 1, rejected: 2, established: 3, midstream: 4 };
/** CLASS_WEIGHT by class code (ESTABLISHED…) */
const WEIGHT_OF_CODE: readonly number[] = CLASS_OF_CODE.map((cls) => CLASS_WEIGHT[cls]);

/**
 * The `limit` failing connections a report lists: the first `limit` of all of them sorted by
 * class (CLASS_WEIGHT), retried SYN first, then the texts of first seen (none first) and id,
 * locale-compared, then connection id (the order offered, in finish()). The ones kept so
 * far are kept in that order, in typed arrays (a place in each); a candidate that does not rank
 * before the last place (an empty place ranks after everything) cannot make the list and is
 * dropped at once, before its id is worked out (a million connections can have hundreds of
 * thousands of failures); one that does is put in its place. Offering makes no object and,
 * once dropping starts, takes the same steps each time (see ConnectionTable.countConnections()).
 *
 * While every first seen is a plain time (isPlainTime) the texts are not made: the ISO text
 * sorts as the seconds do, and none ('') first; ids are 8 lowercase hex digits of a number,
 * which sort as the number does. Making and locale-comparing the texts for every failing
 * connection cost seconds at a million connections.
 */
class FailureRanking {
  private size = 0;
  /** connection */
  private readonly index: Int32Array;
  /** CLASS_WEIGHT of the class; EMPTY_PLACE in a place not filled yet */
  private readonly weight: Uint8Array;
  /** retried SYN, low confidence: 1 or 0 */
  private readonly retried: Uint8Array;
  private readonly lowConfidence: Uint8Array;
  private readonly firstStart: Float64Array;
  /** the id as a number (the id is its 8 hex digits) */
  private readonly idHash: Float64Array;
  /** some first start is not a plain time: compare the texts themselves */
  private byText = false;

  constructor(
    private readonly limit: number,
    private readonly idHashOf: (index: number) => number,
  ) {
    const places = Math.max(1, limit);
    this.index = new Int32Array(places);
    this.weight = new Uint8Array(places).fill(EMPTY_PLACE);
    this.retried = new Uint8Array(places);
    this.lowConfidence = new Uint8Array(places);
    this.firstStart = new Float64Array(places);
    this.idHash = new Float64Array(places);
  }

  /** Offers a failing connection, its class given as a code (REFUSED, UNANSWERED, REJECTED). */
  offer(index: number, cls: number, retriedSyn: boolean, firstStart: number, lowConfidence: boolean): void {
    if (this.limit === 0) return;
    if (!this.byText && !isPlainTime(firstStart)) this.compareTexts(); // e.g. a year past 9999
    const weight = WEIGHT_OF_CODE[cls];
    const retried = retriedSyn ? 1 : 0;
    const last = this.limit - 1;
    const beforeLast = this.compareAt(last, weight, retried, firstStart);
    if (beforeLast > 0) return;
    const idHash = this.idHashOf(index);
    // ties go to the smaller connection id (worked out whether needed or not: see above)
    const lostTie = (idHash - this.idHash[last] || index - this.index[last]) > 0;
    if (beforeLast === 0 && lostTie) return;
    // the first place it ranks before
    let low = 0;
    let high = this.size;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.compareAt(middle, weight, retried, firstStart) || idHash - this.idHash[middle] || index - this.index[middle]) < 0) high = middle;
      else low = middle + 1;
    }
    const end = this.size < this.limit ? this.size++ : last;
    for (const array of [this.index, this.weight, this.retried, this.lowConfidence, this.firstStart, this.idHash]) array.copyWithin(low + 1, low, end);
    this.index[low] = index;
    this.weight[low] = weight;
    this.retried[low] = retried;
    this.lowConfidence[low] = lowConfidence ? 1 : 0;
    this.firstStart[low] = firstStart;
    this.idHash[low] = idHash;
  }

  /** The connections listed, best first, and whether each is of low confidence. */
  top(): { index: number; lowConfidence: boolean }[] {
    const top: { index: number; lowConfidence: boolean }[] = [];
    for (let place = 0; place < this.size; place++) top.push({ index: this.index[place], lowConfidence: this.lowConfidence[place] === 1 });
    return top;
  }

  /** How a candidate ranks against the one at `place`, ids aside: below 0 before it, 0 if tied. */
  private compareAt(place: number, weight: number, retried: number, firstStart: number): number {
    const byClass = weight - this.weight[place] || this.retried[place] - retried;
    if (byClass !== 0 || !this.byText) return byClass || plainSeconds(firstStart) - plainSeconds(this.firstStart[place]);
    return (iso(firstStart) ?? '').localeCompare(iso(this.firstStart[place]) ?? '');
  }

  /** From now on compares the texts; sorts the ones kept so (stably). */
  private compareTexts(): void {
    this.byText = true;
    const order = Array.from({ length: this.size }, (_, place) => place);
    const firstSeen = order.map((place) => iso(this.firstStart[place]) ?? '');
    const ids = order.map((place) => idText(this.idHash[place]));
    order.sort(
      (a, b) =>
        this.weight[a] - this.weight[b] ||
        this.retried[b] - this.retried[a] ||
        firstSeen[a].localeCompare(firstSeen[b]) ||
        ids[a].localeCompare(ids[b]) ||
        this.index[a] - this.index[b],
    );
    for (const array of [this.index, this.weight, this.retried, this.lowConfidence, this.firstStart, this.idHash]) {
      const was = array.slice(0, this.size);
      for (let place = 0; place < this.size; place++) array[place] = was[order[place]];
    }
  }
}

/** FailureRanking's class weight of a place not filled yet: after every class */
const EMPTY_PLACE = 255;

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

/** What ConnectionTable.countConnections() counts besides the rows. */
interface ConnectionCounts {
  /** connections by the low 14 bits of their FLAGS field (the verdict's evidence) */
  byEvidence: Int32Array;
  retriedSyn: number;
  unansweredLowConfidence: number;
  failuresTotal: number;
}

/** The columns of a timeline or peer row, from its counts by category (CATEGORIES) at counts[at…]. */
function classCounts(counts: Int32Array, at: number): Omit<TimelineRow, 'minute'> {
  const refused = counts[at + REFUSED] + counts[at + 5 + REFUSED];
  const unanswered = counts[at + UNANSWERED] + counts[at + 5 + UNANSWERED];
  const rejected = counts[at + REJECTED] + counts[at + 5 + REJECTED];
  let reset = 0;
  for (let k = 5; k < CATEGORIES; k++) reset += counts[at + k];
  return {
    established: counts[at + ESTABLISHED] + counts[at + 5 + ESTABLISHED],
    refused,
    unanswered,
    rejected,
    midstream: counts[at + MIDSTREAM] + counts[at + 5 + MIDSTREAM],
    reset,
    failures: refused + unanswered + rejected,
  };
}

/** classCounts(counts, at).failures, reset, and the connections of all classes, without making the object. */
function failuresOf(counts: Int32Array, at: number): number {
  return counts[at + REFUSED] + counts[at + 5 + REFUSED] + counts[at + UNANSWERED] + counts[at + 5 + UNANSWERED] + counts[at + REJECTED] + counts[at + 5 + REJECTED];
}

function resetOf(counts: Int32Array, at: number): number {
  let reset = 0;
  for (let k = 5; k < CATEGORIES; k++) reset += counts[at + k];
  return reset;
}

function connectionsOf(counts: Int32Array, at: number): number {
  let connections = 0;
  for (let k = 0; k < CATEGORIES; k++) connections += counts[at + k];
  return connections;
}

/** `array`, or a larger copy of it, with room for `length` numbers at least. */
function withRoom(array: Int32Array, length: number): Int32Array {
  if (length <= array.length) return array;
  const grown = new Int32Array(Math.max(length, array.length * 2));
  grown.set(array);
  return grown;
}

/**
 * The timeline's rows, a row a minute, counted by category, in a hash table over typed arrays:
 * a minute's slot is its number (the seconds of its start / 60) modulo the slot count (minutes
 * that follow each other take slots that do), or the next free one. Counting a connection takes
 * the same steps whether its minute is new or not (see ConnectionTable.countConnections()).
 */
class MinuteRows {
  /** the minute number of each slot, EMPTY_MINUTE if none */
  private minutes = new Float64Array(0);
  /** CATEGORIES counts a slot */
  private counts: Int32Array = new Int32Array(0);
  private used = 0;

  constructor() {
    // a second value at once: see PeerRows' constructor
    this.minutes = new Float64Array(MINUTE_SLOTS_MIN).fill(EMPTY_MINUTE);
    this.counts = new Int32Array(MINUTE_SLOTS_MIN * CATEGORIES);
  }

  /** Counts a connection of the category (see CATEGORIES) in the row of the minute that starts at `minute` × 60 seconds. */
  count(minute: number, category: number): void {
    const minutes = this.minutes;
    const mask = minutes.length - 1;
    let slot = minute & mask;
    for (;;) {
      // both compared every time: the second is new to the compiled loop otherwise
      const found = minutes[slot] === minute;
      const free = minutes[slot] === EMPTY_MINUTE;
      if (found || free) break;
      slot = (slot + 1) & mask;
    }
    this.used += minutes[slot] === EMPTY_MINUTE ? 1 : 0;
    minutes[slot] = minute;
    this.counts[slot * CATEGORIES + category]++;
    if (this.used * 2 > minutes.length) this.grow();
  }

  /** The rows, in time order. */
  rows(): TimelineRow[] {
    const slots: number[] = [];
    for (let slot = 0; slot < this.minutes.length; slot++) if (this.minutes[slot] !== EMPTY_MINUTE) slots.push(slot);
    return slots.sort((a, b) => this.minutes[a] - this.minutes[b]).map((slot) => ({ minute: iso(this.minutes[slot] * 60) as string, ...classCounts(this.counts, slot * CATEGORIES) }));
  }

  /** Doubles the table (kept at most half full). */
  private grow(): void {
    const { minutes: oldMinutes, counts: oldCounts } = this;
    const minutes = new Float64Array(oldMinutes.length * 2).fill(EMPTY_MINUTE);
    const counts = new Int32Array(minutes.length * CATEGORIES);
    const mask = minutes.length - 1;
    for (let from = 0; from < oldMinutes.length; from++) {
      const minute = oldMinutes[from];
      if (minute === EMPTY_MINUTE) continue;
      let slot = minute & mask;
      while (minutes[slot] !== EMPTY_MINUTE) slot = (slot + 1) & mask;
      minutes[slot] = minute;
      counts.set(oldCounts.subarray(from * CATEGORIES, (from + 1) * CATEGORIES), slot * CATEGORIES);
    }
    this.minutes = minutes;
    this.counts = counts;
  }
}

/** MinuteRows' slots at first: 34 hours */
const MINUTE_SLOTS_MIN = 4096;
/** an empty slot of MinuteRows (minutes counted are never negative) */
const EMPTY_MINUTE = -1;

/**
 * Peer rows by endpoint, counted by category: canonical IPv4 endpoints by address and port in
 * an open-addressing hash table over one typed array (a report can have tens of thousands of
 * peers), others by their "ip port" text. Rows are numbers in typed arrays until top() (no
 * object a row while connections are counted: see ConnectionTable.countConnections()).
 */
class PeerRows {
  /** 1 << PEER_SLOT_BITS numbers a slot: row + 1 (0: empty), address (as int32), port, (unused); linear probing, at most half full */
  private slots = new Int32Array(0);
  private numbered = 0;
  /** PEER_ROW numbers a row (PEER_ADDRESS…) */
  private data: Int32Array = new Int32Array(0);
  /** rows made */
  size = 0;
  private readonly texts = new Map<string, number>();
  private readonly textEndpoints = new Map<number, Endpoint>();

  /** `connections`: how many connections will be counted (the tables start with room for a share of that) */
  constructor(connections: number) {
    // The tables are replaced when they grow, which is rare enough to be new to the loop V8
    // compiled as it ran, and throws that code away: they start large enough not to, mostly.
    // Given a second value at once, their fields are not taken for constants by V8 either (code
    // that relies on that is thrown away too when the constant changes).
    const rows = Math.min(PEER_ROWS_MAX, Math.max(PEER_ROWS_MIN, 2 ** Math.ceil(Math.log2(connections / 64 + 1))));
    this.slots = new Int32Array((rows * 2) << PEER_SLOT_BITS);
    this.data = new Int32Array(rows * PEER_ROW);
  }

  /** The row of a canonical IPv4 endpoint (a new one if there is none). */
  rowOfNumbers(address: number, port: number): number {
    const word = address | 0;
    const slots = this.slots;
    const mask = (slots.length >> PEER_SLOT_BITS) - 1;
    let slot = peerHash(word, port) & mask;
    for (;;) {
      const at = slot << PEER_SLOT_BITS;
      const entry = slots[at];
      if (entry === 0) break;
      if (slots[at + 1] === word && slots[at + 2] === port) return entry - 1;
      slot = (slot + 1) & mask;
    }
    const row = this.make(word, port);
    const at = slot << PEER_SLOT_BITS;
    slots[at] = row + 1;
    slots[at + 1] = word;
    slots[at + 2] = port;
    if (++this.numbered * 2 > slots.length >> PEER_SLOT_BITS) this.grow();
    return row;
  }

  /** rowOfNumbers() for any other endpoint, by its "ip port" text. */
  rowOfText(text: string): number {
    let row = this.texts.get(text);
    if (row === undefined) {
      row = this.make(0, TEXT_ROW);
      this.texts.set(text, row);
      this.textEndpoints.set(row, endpointOf(text));
    }
    return row;
  }

  /** Counts a connection of the category (see CATEGORIES) in the row. */
  count(row: number, category: number): void {
    this.data[row * PEER_ROW + PEER_COUNTS + category]++;
  }

  /**
   * The first `limit` rows in the report's order: most failures, resets, connections first,
   * then by text; rows that tie stay in the order they were made (two texts can show alike:
   * "10.0.0.1 0", "10.0.0.1 00"). Only the rows listed are made; a report can have tens of
   * thousands of peers, most of which cannot make the list on their numbers alone.
   */
  top(limit: number): PeerRow[] {
    const texts: (string | undefined)[] = [];
    const text = (row: number): string => (texts[row] ??= displayEndpoint(this.endpoint(row)));
    const data = this.data;
    const compare = (a: number, b: number): number => {
      const at = a * PEER_ROW;
      const bt = b * PEER_ROW;
      return (
        failuresOf(data, bt + PEER_COUNTS) - failuresOf(data, at + PEER_COUNTS) ||
        resetOf(data, bt + PEER_COUNTS) - resetOf(data, at + PEER_COUNTS) ||
        connectionsOf(data, bt + PEER_COUNTS) - connectionsOf(data, at + PEER_COUNTS) ||
        text(a).localeCompare(text(b))
      );
    };
    let best: number[];
    if (Number.isInteger(limit) && limit >= 0) {
      // the rows so far that make the list, in order (a row goes after those it ties with), and the numbers of the last one
      best = [];
      let lastFailures = 0;
      let lastReset = 0;
      let lastConnections = 0;
      for (let row = 0; row < this.size && limit > 0; row++) {
        if (best.length === limit) {
          // most rows rank after the last one on their numbers alone
          // (failuresOf(), resetOf() and connectionsOf() written out: this loop runs once, mostly before V8 compiles it)
          const at = row * PEER_ROW + PEER_COUNTS;
          const fine = data[at + ESTABLISHED] + data[at + MIDSTREAM];
          const failures = data[at + REFUSED] + data[at + UNANSWERED] + data[at + REJECTED] + data[at + 5 + REFUSED] + data[at + 5 + UNANSWERED] + data[at + 5 + REJECTED];
          const reset = data[at + 5 + ESTABLISHED] + data[at + 5 + MIDSTREAM] + data[at + 5 + REFUSED] + data[at + 5 + UNANSWERED] + data[at + 5 + REJECTED];
          const byNumbers = lastFailures - failures || lastReset - reset || lastConnections - (fine + failures + data[at + 5 + ESTABLISHED] + data[at + 5 + MIDSTREAM]);
          if (byNumbers > 0 || (byNumbers === 0 && compare(row, best[limit - 1]) >= 0)) continue;
        }
        let low = 0;
        let high = best.length;
        while (low < high) {
          const middle = (low + high) >> 1;
          if (compare(row, best[middle]) < 0) high = middle;
          else low = middle + 1;
        }
        best.splice(low, 0, row);
        if (best.length > limit) best.pop();
        const last = best[best.length - 1] * PEER_ROW + PEER_COUNTS;
        lastFailures = failuresOf(data, last);
        lastReset = resetOf(data, last);
        lastConnections = connectionsOf(data, last);
      }
    } else {
      best = Array.from({ length: this.size }, (_, row) => row)
        .sort(compare)
        .slice(0, limit);
    }
    return best.map((row) => {
      const server = this.endpoint(row);
      const counts = classCounts(data, row * PEER_ROW + PEER_COUNTS);
      return {
        peer: text(row),
        address: server.address,
        port: server.port,
        connections: counts.established + counts.refused + counts.unanswered + counts.rejected + counts.midstream,
        ...counts,
      };
    });
  }

  private endpoint(row: number): Endpoint {
    const at = row * PEER_ROW;
    const port = this.data[at + PEER_PORT];
    return port === TEXT_ROW ? (this.textEndpoints.get(row) as Endpoint) : { address: formatIpv4(this.data[at + PEER_ADDRESS] >>> 0), port };
  }

  private make(address: number, port: number): number {
    const row = this.size++;
    this.data = withRoom(this.data, this.size * PEER_ROW);
    const at = row * PEER_ROW;
    this.data[at + PEER_ADDRESS] = address;
    this.data[at + PEER_PORT] = port;
    return row;
  }

  /** Doubles the table. */
  private grow(): void {
    const old = this.slots;
    const slots = new Int32Array(old.length * 2);
    const mask = (slots.length >> PEER_SLOT_BITS) - 1;
    for (let from = 0; from < old.length; from += 1 << PEER_SLOT_BITS) {
      if (old[from] === 0) continue;
      let slot = peerHash(old[from + 1], old[from + 2]) & mask;
      while (slots[slot << PEER_SLOT_BITS] !== 0) slot = (slot + 1) & mask;
      slots.set(old.subarray(from, from + (1 << PEER_SLOT_BITS)), slot << PEER_SLOT_BITS);
    }
    this.slots = slots;
  }
}

/*
 * A peer row: the address (as int32) and port of a canonical IPv4 endpoint (port TEXT_ROW: a
 * row by text), then the counts by category.
 */
const PEER_ADDRESS = 0;
const PEER_PORT = 1;
const PEER_COUNTS = 2;
const PEER_ROW = PEER_COUNTS + CATEGORIES;
const TEXT_ROW = -1;
/** a PeerRows slot is 1 << PEER_SLOT_BITS numbers (a power of two: no division to find them) */
const PEER_SLOT_BITS = 2;
/** room for rows PeerRows starts with, at least and at most */
const PEER_ROWS_MIN = 256;
const PEER_ROWS_MAX = 1 << 16;

/** Mixes an endpoint's address (int32) and port for PeerRows' table. */
function peerHash(address: number, port: number): number {
  let h = Math.imul(address ^ Math.imul(port, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
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
  for (const w of windows) if ((Number.isNaN(w.start) || w.start <= to) && (Number.isNaN(w.end) || w.end >= from)) return true;
  return false;
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
