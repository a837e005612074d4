import { isIP } from 'node:net';
import type { Verdict } from '../analyze/classify.js';
import { ConnectionTable, connectionId, connectionKey, endpointsKey } from '../analyze/fold.js';
import { readSources, type ReadOptions, type SourceProblem } from '../analyze/run.js';
import type { Source } from '../analyze/sources.js';
import type { ConnectionReport, Endpoint } from '../analyze/summary.js';
import { UsageError } from '../errors.js';
import { isLeadingZeroQuad, parseIpv6 } from '../filter/address.js';
import type { RecordPredicate } from '../filter/compile.js';
import { probeLayout } from '../filter/probe.js';
import { LogStatus, recordLogStatus } from '../format/log-status.js';
import type { FlowRecord, RecordSink } from '../format/line-reader.js';
import { describeRecord, type ShownRecord } from './describe.js';

/** Which connection: the id `analyze` reports, or its two endpoints. */
export type ConnectionTarget = { id: string } | { endpoints: [Endpoint, Endpoint] };

/**
 * Reads `--connection`: an id (8 hex digits) or two endpoints, written as analyze prints
 * them (`10.0.1.10:40171 → 10.0.2.30:6379`), as tcpdump does (`10.0.1.10.40171 >
 * 10.0.2.30.6379`), with brackets for IPv6 (`[2001:db8::1]:443`), or as four words
 * (`10.0.1.10 40171 10.0.2.30 6379`).
 */
export function parseConnectionTarget(text: string): ConnectionTarget {
  const trimmed = text.trim();
  if (/^[0-9a-f]{8}$/i.test(trimmed)) return { id: trimmed.toLowerCase() };
  const words = trimmed
    .replace(/<->|->|→|<-|←|,/g, ' ')
    .split(/\s+/)
    .filter((word) => word !== '' && word !== '>' && word !== '<' && !/^tcp:?$/i.test(word))
    .map((word) => word.replace(/:$/, ''));
  let endpoints: (Endpoint | undefined)[] = [];
  if (words.length === 2) endpoints = words.map(parseEndpoint);
  else if (words.length === 4 && /^[0-9]+$/.test(words[1]) && /^[0-9]+$/.test(words[3])) {
    endpoints = [endpointOf(words[0], words[1]), endpointOf(words[2], words[3])];
  }
  if (endpoints.length !== 2 || endpoints.some((e) => e === undefined)) {
    throw new UsageError(
      `--connection "${text}" is neither a connection id nor two endpoints; give the id from flowdump analyze (8 hex digits, e.g. 58a4a32c) or both ends, e.g. "10.0.1.10:40171 10.0.2.30:6379"`,
      { code: 'bad-connection' },
    );
  }
  return { endpoints: endpoints as [Endpoint, Endpoint] };
}

function endpointOf(address: string, port: string): Endpoint | undefined {
  const number = Number(port);
  if (!isAddress(address) || !Number.isInteger(number) || number > 65535) return undefined;
  return { address, port: number };
}

function parseEndpoint(word: string): Endpoint | undefined {
  const bracketed = /^\[([0-9a-f:.]+)\]:([0-9]+)$/i.exec(word);
  if (bracketed) return endpointOf(bracketed[1], bracketed[2]);
  const colon = /^([0-9.]+):([0-9]+)$/.exec(word);
  if (colon) return endpointOf(colon[1], colon[2]);
  const dot = /^(.+)\.([0-9]+)$/.exec(word); // tcpdump: address.port, IPv4 or IPv6
  if (dot && isAddress(dot[1])) return endpointOf(dot[1], dot[2]);
  return undefined;
}

/**
 * An address as a connection key can hold it: IPv4 or IPv6 (node:net), or a dotted quad with
 * leading zeros, which `analyze` keeps (and prints) as text: the target is matched by that text.
 */
function isAddress(text: string): boolean {
  const family = isIP(text);
  return family === 4 || (family === 6 && parseIpv6(text, [0, 0, 0, 0])) || isLeadingZeroQuad(text);
}

export interface ConnectionRecordLine {
  shown: ShownRecord;
  record: FlowRecord;
}

export interface TraceResult {
  /** the connection's records that pass the filter, in time order (start, then handshake order, then input order) */
  records: ConnectionRecordLine[];
  /** its verdict, judged on all its records exactly as `analyze` judges it; undefined when no record matched the target */
  report: (ConnectionReport & { verdict: Verdict }) | undefined;
  /** how many connections carry the id (more than one only on a hash collision) */
  matches: number;
  problems: SourceProblem[];
  malformed: number;
}

export interface TraceOptions extends ReadOptions {
  /** only records passing it are listed; the verdict always uses every record */
  filter?: RecordPredicate;
}

/**
 * One connection's story, in one pass: its records, and its verdict from a connection
 * table fed with only its records and the SKIPDATA/NODATA windows — a verdict depends on
 * nothing else, so it equals `analyze`'s for the same input.
 */
export async function traceConnection(sources: Iterable<Source> | AsyncIterable<Source>, target: ConnectionTarget, options: TraceOptions = {}): Promise<TraceResult> {
  const table = new ConnectionTable();
  const wantedKey = 'endpoints' in target ? endpointsKey(target.endpoints[0], target.endpoints[1]) : undefined;
  const wantedId = 'id' in target ? target.id : undefined;
  const decided = new Map<string, boolean>();
  const lines: (ConnectionRecordLine & { seq: number })[] = [];
  let seq = 0;
  let malformed = 0;
  const problems: SourceProblem[] = [];
  const sink: RecordSink = {
    record(view) {
      const layout = probeLayout(view.format);
      if (recordLogStatus(view, layout.status, layout.flowPositions) !== LogStatus.ok) {
        table.record(view); // blind spots lower confidence in an unanswered verdict
        return;
      }
      if (view.num(layout.protocol) !== 6) return;
      const { key } = connectionKey(view, layout);
      let hit = decided.get(key);
      if (hit === undefined) {
        hit = wantedKey !== undefined ? key === wantedKey : connectionId(key) === wantedId;
        if (decided.size < 1_000_000) decided.set(key, hit);
      }
      if (!hit) return;
      table.record(view);
      if (options.filter && !options.filter(view)) return;
      lines.push({ shown: describeRecord(view), record: view.toRecord(), seq: seq++ });
    },
    malformed() {
      malformed++;
    },
  };
  await readSources(sources, sink, options, (problem) => problems.push(problem));
  lines.sort((a, b) => (a.shown.start ?? 0) - (b.shown.start ?? 0) || a.shown.rank - b.shown.rank || a.seq - b.seq);
  const matches = table.connectionCount;
  return {
    records: lines.map(({ shown, record }) => ({ shown, record })),
    report: matches > 0 ? table.connection(0) : undefined,
    matches,
    problems,
    malformed,
  };
}
