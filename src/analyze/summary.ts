import type { Explanation } from '../explain/model.js';
import type { TcpClass } from './classify.js';

export const SUMMARY_SCHEMA = 'flowdump.summary/v1';

/** The stable core of `flowdump analyze --json` (docs/analyzer.md, JSON); more keys may be added, these never change meaning. */
export interface RecordCounts {
  total: number;
  tcp: number;
  udp: number;
  icmp: number;
  other: number;
  nodata: number;
  skipdata: number;
  malformed: number;
}

export interface TcpCounts {
  classified: boolean;
  connections: number;
  established: number;
  refused: number;
  unanswered: number;
  rejected: number;
  midstream: number;
  reset: number;
  closed: number;
  /** connections whose client sent its SYN more than once (see docs/analyzer.md for what can be seen) */
  retriedSyn: number;
  /** unanswered verdicts that overlap a SKIPDATA window: records may have been lost there */
  unansweredLowConfidence: number;
  /** why handshakes cannot be judged, when classified is false */
  reason?: string;
}

export interface Endpoint {
  address: string;
  port: number | null;
}

export interface ConnectionReport {
  /** short stable id: `flowdump show … --connection <id>` */
  id: string;
  class: TcpClass;
  reset: boolean;
  closed: boolean;
  /** who opened it; `inferred: "port"` when the flags cannot tell and the lower port was taken as the server */
  client: Endpoint;
  server: Endpoint;
  clientBy: 'handshake' | 'port';
  firstSeen: string | null;
  lastSeen: string | null;
  records: number;
  packets: { client: number; server: number };
  bytes: number;
  flags: { client: string; server: string };
  retriedSyn: boolean;
  lowConfidence: boolean;
  rule: string;
}

export interface PeerRow {
  /** the server side of the connections, ip:port */
  peer: string;
  address: string;
  port: number | null;
  connections: number;
  established: number;
  refused: number;
  unanswered: number;
  rejected: number;
  midstream: number;
  reset: number;
  failures: number;
}

export interface TimelineRow {
  /** ISO-8601 UTC start of the minute */
  minute: string;
  established: number;
  refused: number;
  unanswered: number;
  rejected: number;
  midstream: number;
  reset: number;
  failures: number;
}

export interface GapWindow {
  interface: string | null;
  start: string | null;
  end: string | null;
  records: number;
}

export interface Tally {
  records: number;
  packets: number;
  bytes: number;
  rejected: number;
}

export interface Problem {
  source: string;
  line?: number;
  code?: string;
  message: string;
}

export interface Summary {
  schema: typeof SUMMARY_SCHEMA;
  /** one-line verdict for people */
  headline: string;
  /** the filter expression the summary is focused on (`analyze <sources> <expression>`), when one was given */
  filter?: string;
  records: RecordCounts;
  tcp: TcpCounts;
  window: { start: string | null; end: string | null };
  sources: { count: number; formats: string[] };
  interfaces: { count: number; ids: string[] };
  udp: Tally;
  icmp: Tally;
  natHops: { records: number; via: { address: string; records: number }[] };
  gaps: { nodata: GapWindow[]; skipdata: GapWindow[]; omitted: number };
  timeline: TimelineRow[];
  peers: PeerRow[];
  peersTotal: number;
  failures: ConnectionReport[];
  failuresTotal: number;
  malformed: { count: number; examples: Problem[] };
  warnings: string[];
  errors: Problem[];
  /** with --explain (and in a capture's summary): what in security groups or network ACLs blocks each failing peer */
  explanations?: Explanation[];
}

export const FAILURE_CLASSES: readonly TcpClass[] = ['refused', 'unanswered', 'rejected'];

/**
 * Whether nothing read was a flow-log record: at least one line, and every line malformed
 * (a wrong format or not flow-log data at all). An empty input, or a capture that saw no
 * traffic (NODATA records only), is an answer, not this.
 */
export function nothingWellFormed(records: RecordCounts): boolean {
  return records.total > 0 && records.malformed === records.total;
}

/** The summary's one-line verdict. */
export function headline(summary: Summary): string {
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
