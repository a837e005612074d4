import { classifyConnection, flagLetters, type TcpClass } from '../analyze/classify.js';
import { connectionId } from '../analyze/fold.js';
import { peerOrder } from '../analyze/peer-rows.js';
import { headline, SUMMARY_SCHEMA, type ConnectionReport, type PeerRow, type Summary, type TimelineRow } from '../analyze/summary.js';
import { SUMMARY_COLUMNS } from './summary-sql.js';

/** A row of the answer as Athena gives it: text cells, null for a cell without a value. */
export type AnswerRow = (string | null)[];

/** What the engine adds to the summary: where the answer came from and what it cost. */
export interface EngineFacts {
  engine: 'athena';
  /** bytes Athena scanned (DataScannedInBytes) */
  scannedBytes: number;
  /** their price (5 USD per TB, 10 MB minimum) */
  scanCostUsd: number;
  queryExecutionId?: string;
  /** the table the query read */
  table: string;
  /** objects and bytes under the location, as listed before the query */
  objects?: number;
}

export type EngineSummary = Summary & { engine: EngineFacts };

const CLASSES: readonly TcpClass[] = ['established', 'refused', 'unanswered', 'rejected', 'midstream'];

/**
 * The summary the local analyzer would build, from the answer of summarySql(). What a table
 * cannot know is said, not made up: lines Athena could not read as records are not counted
 * (malformed is 0 with a warning), and NODATA/SKIPDATA windows are counted but not listed.
 */
export function summaryFromAnswer(rows: readonly AnswerRow[], facts: { fields: readonly string[]; sources: number; engine: EngineFacts; maxPeers?: number; maxFailures?: number }): EngineSummary {
  const at = new Map(SUMMARY_COLUMNS.map((name, i) => [name, i]));
  const text = (row: AnswerRow, name: (typeof SUMMARY_COLUMNS)[number]): string | null => row[at.get(name)!] ?? null;
  const num = (row: AnswerRow, name: (typeof SUMMARY_COLUMNS)[number]): number => {
    const value = text(row, name);
    return value === null || value === '' ? 0 : Number(value);
  };
  const optional = (row: AnswerRow, name: (typeof SUMMARY_COLUMNS)[number]): number | null => {
    const value = text(row, name);
    return value === null || value === '' ? null : Number(value);
  };
  const records = { total: 0, tcp: 0, udp: 0, icmp: 0, other: 0, nodata: 0, skipdata: 0, malformed: 0 };
  const udp = { records: 0, packets: 0, bytes: 0, rejected: 0 };
  const icmp = { records: 0, packets: 0, bytes: 0, rejected: 0 };
  let minStart = Number.POSITIVE_INFINITY;
  let maxEnd = Number.NEGATIVE_INFINITY;
  let natRecords = 0;
  const interfaces: string[] = [];
  const via = new Map<string, number>();
  const tcp: Summary['tcp'] = { classified: true, connections: 0, established: 0, refused: 0, unanswered: 0, rejected: 0, midstream: 0, reset: 0, closed: 0, retriedSyn: 0, unansweredLowConfidence: 0 };
  const timeline: TimelineRow[] = [];
  const peers: PeerRow[] = [];
  let peersTotal = 0;
  const failures: (ConnectionReport & { rank: number })[] = [];
  const counts = (row: AnswerRow) => {
    const refused = num(row, 'c_refused');
    const unanswered = num(row, 'c_unanswered');
    const rejected = num(row, 'c_rejected');
    return { established: num(row, 'c_established'), refused, unanswered, rejected, midstream: num(row, 'c_midstream'), reset: num(row, 'c_reset'), failures: refused + unanswered + rejected };
  };
  for (const row of rows) {
    switch (text(row, 'sec')) {
      case 'kind': {
        const kind = text(row, 'kind') as keyof typeof records;
        const n = num(row, 'n');
        if (kind in records) records[kind] += n;
        records.total += n;
        const start = optional(row, 'st_min');
        const end = optional(row, 'en_max');
        if (start !== null && start < minStart) minStart = start;
        if (end !== null && end > maxEnd) maxEnd = end;
        natRecords += num(row, 'nat_sum');
        const tally = kind === 'udp' ? udp : kind === 'icmp' ? icmp : undefined;
        if (tally) {
          tally.records += n;
          tally.packets += num(row, 'pk_sum');
          tally.bytes += num(row, 'bt_sum');
          tally.rejected += num(row, 'rj_sum');
        }
        break;
      }
      case 'iface':
        interfaces.push(text(row, 'a') ?? '-');
        break;
      case 'via': {
        const address = text(row, 'a') ?? '-';
        via.set(address, (via.get(address) ?? 0) + num(row, 'n'));
        break;
      }
      case 'class':
        tcp.connections = num(row, 'conns');
        for (const cls of CLASSES) tcp[cls] = num(row, `c_${cls}`);
        tcp.reset = num(row, 'c_reset');
        tcp.closed = num(row, 'c_closed');
        tcp.retriedSyn = num(row, 'c_retried');
        tcp.unansweredLowConfidence = num(row, 'c_low');
        break;
      case 'minute':
        timeline.push({ minute: iso(num(row, 'k')) as string, ...counts(row) });
        break;
      case 'peer': {
        const address = text(row, 'a') ?? '-';
        const port = optional(row, 'ap');
        peersTotal = num(row, 'k');
        peers.push({ peer: `${address.includes(':') ? `[${address}]` : address}${port === null ? '' : `:${port}`}`, address, port, connections: num(row, 'conns'), ...counts(row) });
        break;
      }
      case 'failure':
        failures.push({ ...failureOf(row, text, num, optional), rank: num(row, 'k') });
        break;
    }
  }
  const hasFlags = facts.fields.includes('tcp-flags') && facts.fields.includes('protocol');
  tcp.classified = hasFlags;
  if (!hasFlags) {
    tcp.reason = !facts.fields.includes('protocol')
      ? 'the data has no protocol field, so TCP cannot be told apart and handshakes cannot be judged'
      : 'the data has no tcp-flags field, so handshakes cannot be judged: TCP connections are only told apart as rejected or midstream';
  }
  timeline.sort((a, b) => a.minute.localeCompare(b.minute));
  peers.sort((a, b) => b.failures - a.failures || b.reset - a.reset || b.connections - a.connections || peerOrder(a, b));
  const weight = (cls: TcpClass) => ['refused', 'unanswered', 'rejected'].indexOf(cls);
  failures.sort((a, b) => weight(a.class) - weight(b.class) || Number(b.retriedSyn) - Number(a.retriedSyn) || (a.firstSeen ?? '').localeCompare(b.firstSeen ?? '') || parseInt(a.id, 16) - parseInt(b.id, 16) || a.rank - b.rank);
  const summary: EngineSummary = {
    schema: SUMMARY_SCHEMA,
    headline: '',
    records,
    tcp,
    window: { start: iso(minStart), end: iso(maxEnd) },
    sources: { count: facts.sources, formats: [facts.fields.join(' ')] },
    interfaces: { count: interfaces.length, ids: interfaces.sort().slice(0, 100) },
    udp,
    icmp,
    natHops: { records: natRecords, via: [...via].map(([address, n]) => ({ address, records: n })).sort((a, b) => b.records - a.records || a.address.localeCompare(b.address)).slice(0, 20) },
    gaps: { nodata: [], skipdata: [], omitted: 0 },
    timeline,
    peers: peers.slice(0, facts.maxPeers ?? 50),
    peersTotal,
    failures: failures.slice(0, facts.maxFailures ?? 200).map(({ rank: _rank, ...report }) => report),
    failuresTotal: tcp.refused + tcp.unanswered + tcp.rejected,
    malformed: { count: 0, examples: [] },
    warnings: [
      'Athena reads every line it can as a record: lines the local analyzer would call malformed are not counted as such here (malformed shows 0), and no file:line examples are given',
      ...(records.nodata + records.skipdata > 0 ? [`${records.nodata} NODATA and ${records.skipdata} SKIPDATA record(s) are counted; their windows are listed by the local analyzer only`] : []),
    ],
    errors: [],
    engine: facts.engine,
  };
  summary.headline = headline(summary);
  return summary;
}

function failureOf(
  row: AnswerRow,
  text: (row: AnswerRow, name: (typeof SUMMARY_COLUMNS)[number]) => string | null,
  num: (row: AnswerRow, name: (typeof SUMMARY_COLUMNS)[number]) => number,
  optional: (row: AnswerRow, name: (typeof SUMMARY_COLUMNS)[number]) => number | null,
): ConnectionReport {
  const sides = [
    { address: text(row, 'a') ?? '-', port: optional(row, 'ap') },
    { address: text(row, 'b') ?? '-', port: optional(row, 'bp') },
  ];
  const key = `${sides[0].address} ${sides[0].port ?? '-'} ${sides[1].address} ${sides[1].port ?? '-'}`;
  const client = num(row, 'client');
  const server = 1 - client;
  const flags = [num(row, 'f0'), num(row, 'f1')];
  const packets = [num(row, 'pk0'), num(row, 'pk1')];
  const cls = (['established', 'refused', 'unanswered', 'rejected', 'midstream'] as const)[num(row, 'c_refused') ? 1 : num(row, 'c_unanswered') ? 2 : 3];
  // the rule in words, as the local analyzer gives it (the verdict itself came from the SQL)
  const rule = classifyConnection({ flags0: flags[0], flags1: flags[1], anyReject: cls === 'rejected', synAckAccepted: cls !== 'rejected' && ((flags[0] & 18) === 18 || (flags[1] & 18) === 18) }).rule;
  return {
    id: connectionId(key),
    class: cls,
    reset: false,
    closed: false,
    client: sides[client],
    server: sides[server],
    clientBy: num(row, 'hs_client') === -1 ? 'port' : 'handshake',
    firstSeen: iso(optional(row, 'st_min') ?? Number.NaN),
    lastSeen: iso(optional(row, 'en_max') ?? Number.NaN),
    records: num(row, 'n'),
    packets: { client: packets[client], server: packets[server] },
    bytes: num(row, 'bt_sum'),
    flags: { client: flagLetters(flags[client]), server: flagLetters(flags[server]) },
    retriedSyn: num(row, 'c_retried') > 0,
    lowConfidence: num(row, 'c_low') > 0,
    rule,
  };
}

function iso(seconds: number): string | null {
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
