import type { ConnectionRecord } from '../analyze/connection-records.js';
import { displayEndpoint } from '../analyze/fold.js';
import type { ConnectionReport } from '../analyze/summary.js';
import { esc, hhmmss, plural, px } from './markup.js';

/**
 * Ladder diagrams: what each side of one connection sent, in time order, as arrows
 * between a client line and a server line.
 *
 * Flow logs do not record packets, they record aggregation windows: per window and
 * direction the OR of the TCP flags seen, packet and byte counts, and start/end times
 * to the second (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html).
 * So the order of events within one second — and within one window — is not observed.
 * We order by window start and break ties the way a handshake goes: SYN, SYN-ACK,
 * data, then FIN/RST; the report says that this order is inferred.
 */
export type LadderKind = 'SYN' | 'SYN-ACK' | 'data' | 'FIN' | 'RST';

/** Tie order within one second: how a TCP conversation normally proceeds. */
const TIE_ORDER: Record<LadderKind, number> = { SYN: 0, 'SYN-ACK': 1, data: 2, FIN: 3, RST: 3 };

export interface LadderEvent {
  kind: LadderKind;
  from: 'client' | 'server';
  /** window start and end, Unix seconds (NaN when the record had no time) */
  start: number;
  end: number;
  /** packets in the window (the largest count when several interfaces saw the same window) */
  packets: number;
  /** the window's OR-ed flags, for the tooltip */
  flags: number;
  rejected: boolean;
  /** interfaces whose records showed this event (one conversation seen by two ENIs is one event) */
  interfaces: string[];
  /** the first event drawn from its record carries the packet count label */
  firstOfRecord: boolean;
}

export interface Ladder {
  connection: ConnectionReport;
  events: LadderEvent[];
  /** events before the cap */
  eventsTotal: number;
  /** records the second pass found for this connection */
  records: number;
}

export interface LadderOptions {
  /** arrows drawn per connection; the rest are counted */
  maxEvents?: number;
}

/** Turns a connection's records into ordered ladder events (pure). */
export function buildLadder(connection: ConnectionReport, records: readonly ConnectionRecord[], options: LadderOptions = {}): Ladder {
  const maxEvents = options.maxEvents ?? 40;
  const merged = new Map<string, LadderEvent>();
  for (const { record } of records) {
    const from = senderOf(record, connection);
    const flags = typeof record['tcp-flags'] === 'number' ? record['tcp-flags'] : 0;
    const start = typeof record.start === 'number' ? record.start : Number.NaN;
    const end = typeof record.end === 'number' ? record.end : start;
    const packets = typeof record.packets === 'number' ? record.packets : 0;
    const rejected = record.action === 'REJECT';
    const iface = typeof record['interface-id'] === 'string' ? record['interface-id'] : '';
    kindsOf(flags).forEach((kind, index) => {
      // the same window seen on two interfaces (egress on one, ingress on the other) is one event
      const key = `${from}|${kind}|${start}|${end}|${rejected}`;
      const existing = merged.get(key);
      if (existing) {
        if (iface && !existing.interfaces.includes(iface)) existing.interfaces.push(iface);
        existing.packets = Math.max(existing.packets, packets);
        existing.flags |= flags;
        existing.firstOfRecord ||= index === 0;
        return;
      }
      merged.set(key, { kind, from, start, end, packets, flags, rejected, interfaces: iface ? [iface] : [], firstOfRecord: index === 0 });
    });
  }
  const events = [...merged.values()].sort(compareEvents);
  return { connection, events: events.slice(0, maxEvents), eventsTotal: events.length, records: records.length };
}

/** The events one record stands for, in tie order. */
export function kindsOf(flags: number): LadderKind[] {
  const kinds: LadderKind[] = [];
  if (flags & 2) kinds.push(flags & 16 ? 'SYN-ACK' : 'SYN');
  // PSH means payload; a window with no SYN/FIN/RST carried data or bare ACKs
  if (flags & 8 || (flags & 7) === 0) kinds.push('data');
  if (flags & 1) kinds.push('FIN');
  if (flags & 4) kinds.push('RST');
  return kinds;
}

function compareEvents(a: LadderEvent, b: LadderEvent): number {
  const sa = Number.isNaN(a.start) ? Number.POSITIVE_INFINITY : a.start;
  const sb = Number.isNaN(b.start) ? Number.POSITIVE_INFINITY : b.start;
  if (sa !== sb) return sa - sb;
  return TIE_ORDER[a.kind] - TIE_ORDER[b.kind] || (a.from === b.from ? 0 : a.from === 'client' ? -1 : 1) || (a.end || 0) - (b.end || 0);
}

/** Which side sent a record: its packet-level source (as the analyzer keys connections) against the client endpoint. */
function senderOf(record: ConnectionRecord['record'], connection: ConnectionReport): 'client' | 'server' {
  const address = record['pkt-srcaddr'] ?? record.srcaddr;
  const port = record.srcport;
  const { client, server } = connection;
  const isClient = String(address) === client.address && (client.port === null || port === client.port);
  const isServer = String(address) === server.address && (server.port === null || port === server.port);
  if (isClient && !isServer) return 'client';
  if (isServer && !isClient) return 'server';
  // same address on both ends: the port decides
  return port === client.port ? 'client' : 'server';
}

const KIND_COLOR: Record<LadderKind, string> = { SYN: '#0072B2', 'SYN-ACK': '#009E73', data: '#8a8a8a', FIN: '#444444', RST: '#D55E00' };
const FLAG_NAMES: [number, string][] = [
  [2, 'SYN'],
  [16, 'ACK'],
  [8, 'PSH'],
  [1, 'FIN'],
  [4, 'RST'],
  [32, 'URG'],
];

function flagText(flags: number): string {
  const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
  return names.length ? names.join('|') : 'none';
}

const WIDTH = 720;
const TIME_X = 8;
const CLIENT_X = 150;
const SERVER_X = 620;
const HEAD = 52;
const ROW = 30;

/** One ladder as inline SVG: time on the left, client and server lines, one arrow per event. */
export function renderLadderSvg(ladder: Ladder): string {
  const { connection, events } = ladder;
  const height = HEAD + Math.max(1, events.length) * ROW + 16;
  const out: string[] = [];
  const client = displayEndpoint(connection.client);
  const server = displayEndpoint(connection.server);
  out.push(
    `<svg class="ladder" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="ladder diagram of connection ${esc(connection.id)}">`,
    `<text x="${TIME_X}" y="20" class="lh">time (UTC)</text>`,
    `<text x="${CLIENT_X}" y="20" class="lh" text-anchor="middle">client</text>`,
    `<text x="${CLIENT_X}" y="38" class="le" text-anchor="middle">${esc(client)}</text>`,
    `<text x="${SERVER_X}" y="20" class="lh" text-anchor="middle">server</text>`,
    `<text x="${SERVER_X}" y="38" class="le" text-anchor="middle">${esc(server)}</text>`,
    `<line x1="${CLIENT_X}" y1="${HEAD - 6}" x2="${CLIENT_X}" y2="${height - 6}" class="lane"/>`,
    `<line x1="${SERVER_X}" y1="${HEAD - 6}" x2="${SERVER_X}" y2="${height - 6}" class="lane"/>`,
  );
  if (events.length === 0) {
    out.push(`<text x="${(CLIENT_X + SERVER_X) / 2}" y="${HEAD + 18}" text-anchor="middle" class="muted">no records found in the second pass</text>`);
  }
  let previousStart = Number.NaN;
  events.forEach((event, i) => {
    const y = HEAD + i * ROW + 8;
    const fromX = event.from === 'client' ? CLIENT_X : SERVER_X;
    const toX = event.from === 'client' ? SERVER_X : CLIENT_X;
    const dir = toX > fromX ? 1 : -1;
    const y2 = y + 14;
    const color = event.rejected ? '#CC79A7' : KIND_COLOR[event.kind];
    const sameSecond = event.start === previousStart;
    previousStart = event.start;
    const label = `${event.kind}${event.firstOfRecord && event.packets > 1 ? ` (${event.packets} pkts)` : ''}${event.rejected ? ' · REJECT' : ''}`;
    const window = Number.isNaN(event.start) ? 'no time' : event.end !== event.start ? `window ${hhmmss(event.start)}–${hhmmss(event.end)}` : `window ${hhmmss(event.start)}`;
    const tooltip = `${event.kind} from the ${event.from}; ${window}; flags ${flagText(event.flags)}; ${plural(event.packets, 'packet')}; ${event.rejected ? 'action REJECT; ' : ''}seen on ${event.interfaces.length ? event.interfaces.join(', ') : 'an unnamed interface'}`;
    // arrowhead: a small triangle at the receiving line
    const tipX = toX - dir * 1;
    const head = `${px(tipX)},${px(y2)} ${px(tipX - dir * 9)},${px(y2 - 6.5)} ${px(tipX - dir * 9)},${px(y2 + 2.5)}`;
    out.push(
      `<g class="arrow" data-kind="${event.kind}" data-from="${event.from}" data-start="${Number.isNaN(event.start) ? '' : event.start}">`,
      `<title>${esc(tooltip)}</title>`,
      `<text x="${TIME_X}" y="${y2 + 4}" class="${sameSecond ? 'lt tie' : 'lt'}">${Number.isNaN(event.start) ? '?' : hhmmss(event.start)}${sameSecond ? ' =' : ''}</text>`,
      `<line x1="${fromX}" y1="${y}" x2="${px(tipX - dir * 8)}" y2="${px(y2 - 1.6)}" stroke="${color}" stroke-width="2"${event.rejected ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<polygon points="${head}" fill="${color}"/>`,
      `<text x="${(CLIENT_X + SERVER_X) / 2}" y="${y + 3}" text-anchor="middle" class="al" fill="${color}">${esc(label)}</text>`,
      '</g>',
    );
    if (event.rejected) out.push(`<text x="${toX - dir * 18}" y="${y2 + 5}" text-anchor="middle" class="x" fill="${color}">✕</text>`);
  });
  out.push('</svg>');
  return out.join('');
}
