import type { PlainBatch, PlainFields, RecordSink, RecordView, Where } from '../format/line-reader.js';
import { canonicalPort, ipv4Value } from '../format/values.js';
import type { CompiledFormat } from '../format/compiled.js';
import {
  FACT_KEY,
  META_EVIDENCE_SHIFT,
  STATE_BLOCK_BITS as BLOCK_BITS,
  STATE_BYTES as BYTES,
  STATE_EVIDENCE_SHIFT as EVIDENCE_SHIFT,
  STATE_FIRST_START as FIRST_START,
  STATE_FLAGS as FLAGS,
  STATE_FOCUS_BIT as FOCUS_BIT,
  STATE_LAST_END as LAST_END,
  STATE_PACKETS as PACKETS,
  STATE_RECORDS as RECORDS,
  STATE_REJECT_BIT as REJECT_BIT,
  STATE_STRIDE as STRIDE,
  STATE_SYN_START as SYN_START,
  STATE_SYNACK_ACCEPT_BIT as SYNACK_ACCEPT_BIT,
  STATE_VERDICT_BITS as VERDICT_BITS,
  TCP_FACTS,
} from '../layout.js';
import { ConnectionIndex, KEY_WORDS } from './connection-index.js';
import { classifyConnection, flagLetters, retriedSyn, type TcpClass, type Verdict } from './classify.js';
import {
  RecordTally,
  type RawGap,
  type TallyOptions,
  type TallyState,
} from './record-tally.js';
import { FactWriter } from './fact-writer.js';
import {
  headline,
  SUMMARY_SCHEMA,
  type ConnectionReport,
  type Endpoint,
  type Problem,
  type Summary,
  type Tally,
} from './summary.js';
import { gapToIso, mergeWindows, overlaps } from './gaps.js';
import { MinuteRows } from './minute-rows.js';
import { PeerRows } from './peer-rows.js';
import { FailureRanking } from './ranking.js';
import { connectionId, endpointOf, iso, serverSideByPort, sideText } from './report-text.js';
import { CODE_CATEGORY_SHIFT, CODE_CLASS, CODE_CLIENT_SHIFT, CODE_CLOSED, CODE_KNOWN, CODE_OF_CLASS, CODE_RESET, ESTABLISHED, REFUSED, REJECTED, UNANSWERED } from './verdict-codes.js';

export { connectionKey, layoutOf, type Layout } from './record-tally.js';
// the connection table's report text, for callers that take it from here
export { connectionId, displayEndpoint, endpointsKey } from './report-text.js';

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
/** The bits of a FLAGS field a verdict depends on (the "evidence"): both sides' flags, REJECT_BIT, SYNACK_ACCEPT_BIT and the records' evidence bits. */
const VERDICT_MASK = (1 << VERDICT_BITS) - 1;

/**
 * The connection table: a pure, order-independent fold over records (docs/architecture.md).
 * Memory grows with distinct connections, never with records: per connection it keeps
 * its key (three 32-bit words for IPv4, see ConnectionIndex) and a few typed-array slots.
 */
export class ConnectionTable implements RecordSink {
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

  /**
   * the batch of TCP facts not yet applied: rows in the module's memory, written by this table's
   * tally (or copied in by tcpBatch()), applied by the module when the batch is full and before
   * anything reads the table (flush())
   */
  private readonly facts: FactWriter;
  /** the per-record half of the fold; it writes the facts of each TCP record through `facts` */
  private readonly tally: RecordTally;
  readonly errors: Problem[] = [];
  sources = 0;

  constructor(private readonly options: FoldOptions = {}) {
    const capacity = this.module.maxRows();
    this.facts = new FactWriter(this.factRows(capacity), (rows, count, textKeys) => this.apply(rows, count, textKeys, capacity), { capacity });
    this.tally = new RecordTally(this.facts, options);
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

  /** The module's input rows: `capacity` rows of facts in its memory (a view taken again when the memory grows). */
  private factRows(capacity: number): Float64Array {
    return new Float64Array(this.module.memory.buffer, this.module.factsAt(), capacity * TCP_FACTS);
  }

  /** The drain of `facts`: the module applies the batch; the next batch goes into the module's memory as it is now. */
  private apply(rows: Float64Array, count: number, textKeys: [number, string][], capacity: number): Float64Array | undefined {
    if (count > 0) {
      // a text key's row carries its text index (NaN at FACT_KEY says it has one)
      for (const [record, key] of textKeys) rows[record * TCP_FACTS + FACT_KEY + 1] = this.index.textIndex(key);
      this.module.apply(count);
    }
    return this.module.memory.buffer === rows.buffer ? undefined : this.factRows(capacity);
  }

  /** Applies the batched facts, and takes the views of the module's memory again. */
  private flush(): void {
    this.facts.flush();
    const buffer = this.module.memory.buffer;
    if (buffer !== this.viewsOf) {
      this.viewsOf = buffer;
      this.blocks = [];
    }
    this.size = this.module.stateCount();
    for (let b = this.blocks.length; b << BLOCK_BITS < this.size; b++) this.blocks.push(new Float64Array(buffer, this.module.blockAt(b), BLOCK_SIZE * STRIDE));
  }

  /**
   * The facts of `count` TCP records, TCP_FACTS numbers each, in order; `textKeys` lists the
   * records with a text key as [record, key] (from a tally in another thread). They join the
   * batch, so that batches stay large (the module's passes over a batch let the processor wait
   * for several cache misses at once) and in input order.
   */
  tcpBatch(facts: Float64Array, count: number, textKeys: readonly [number, string][]): void {
    this.facts.append(facts, count, textKeys);
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
   * The verdict depends on the flags of both sides and a few bits only (the low VERDICT_BITS
   * bits of the FLAGS field), so it is worked out once per combination: a million connections share a
   * few dozen verdicts, and making one object each was a good part of finish().
   */
  private verdictOf(i: number): Verdict {
    return this.verdictOfEvidence(this.get(i, FLAGS) & VERDICT_MASK);
  }

  /** The verdict of the low VERDICT_BITS bits of a FLAGS field. */
  private verdictOfEvidence(evidence: number): Verdict {
    let verdict = this.verdicts[evidence];
    if (verdict === undefined) {
      verdict = classifyConnection({
        flags0: evidence & 63,
        flags1: (evidence >> 6) & 63,
        anyReject: (evidence & REJECT_BIT) !== 0,
        synAckAccepted: (evidence & SYNACK_ACCEPT_BIT) !== 0,
        bits: (evidence >> EVIDENCE_SHIFT) << META_EVIDENCE_SHIFT,
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
  private readonly verdictCodes = new Int32Array(1 << VERDICT_BITS);

  /**
   * Without a SYN-ACK, every packet the client sent in its SYN records is a SYN
   * (retransmission); with one, only a SYN seen again in a later window shows.
   */
  private retried(i: number, client: number, cls: TcpClass): boolean {
    return retriedSyn(this.get(i, FLAGS), client, cls !== 'established');
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
    const counts: ConnectionCounts = { byEvidence: new Int32Array(1 << VERDICT_BITS), retriedSyn: 0, unansweredLowConfidence: 0, failuresTotal: 0 };
    const words = this.index.keyWords();
    const textBits = this.index.textKeyBits();
    const focused = this.options.focus !== undefined;
    const blocks = this.blocks;
    const size = this.size;
    for (let i = 0; i < size; i++) {
      const flags = blocks[i >> BLOCK_BITS][(i & BLOCK_MASK) * STRIDE + FLAGS];
      if (focused && (flags & FOCUS_BIT) === 0) continue;
      const code = this.verdictCodes[flags & VERDICT_MASK] || this.verdictCode(flags & VERDICT_MASK);
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
    counts.byEvidence[flags & VERDICT_MASK]++;
    const cls = code & CODE_CLASS;
    const category = code >> CODE_CATEGORY_SHIFT;
    peers.count(peer, category);

    const retried = retriedSyn(flags, client, cls !== ESTABLISHED);
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

/** What ConnectionTable.countConnections() counts besides the rows. */
interface ConnectionCounts {
  /** connections by the low VERDICT_BITS bits of their FLAGS field (the verdict's evidence) */
  byEvidence: Int32Array;
  retriedSyn: number;
  unansweredLowConfidence: number;
  failuresTotal: number;
}

function stripVerdict(report: ConnectionReport & { verdict?: Verdict }): ConnectionReport {
  const { verdict: _verdict, ...rest } = report;
  return rest;
}
