import { connectionId, connectionKey } from '../analyze/fold.js';
import { ACK, FIN, RST, SYN } from '../analyze/classify.js';
import type { RecordView } from '../format/line-reader.js';
import { probeLayout } from '../filter/probe.js';
import { LogStatus, recordLogStatus } from '../format/log-status.js';

export type ShownKind = 'tcp' | 'udp' | 'icmp' | 'icmp6' | 'other' | 'nodata' | 'skipdata';

/**
 * One record as `show` presents it: the packet-level view tcpdump would have printed,
 * plus what only a flow log knows (counts, action, interface, the NAT/TGW hop).
 */
export interface ShownRecord {
  kind: ShownKind;
  /** Unix seconds of the window's first and last packet; null when absent */
  start: number | null;
  end: number | null;
  /** 4 or 6 from the packet-level addresses; null for records without addresses */
  family: 4 | 6 | null;
  /** packet-level endpoints: pkt-srcaddr/pkt-dstaddr where present and not `-`, else srcaddr/dstaddr */
  src: string | null;
  dst: string | null;
  sport: number | null;
  dport: number | null;
  /** the interface-level addresses, where they differ from the packet's (a NAT/TGW hop); null when neither does */
  via: { src: string | null; dst: string | null } | null;
  protocol: number | null;
  /** tcp-flags; null when absent (see `flagsField`) */
  flags: number | null;
  /** whether the record's format has a tcp-flags field at all */
  flagsField: boolean;
  packets: number | null;
  bytes: number | null;
  action: string | null;
  iface: string | null;
  direction: string | null;
  /** tie order within one second: 0 SYN, 1 SYN-ACK, 2 data and everything else, 3 FIN/RST (inferred: flow logs have one-second times) */
  rank: number;
  /** the id `analyze` gives the record's TCP connection */
  connection: string | null;
  source: string;
  line: number;
}

const orNull = (value: number): number | null => (Number.isNaN(value) ? null : value);

/** Handshake order for records that share a second: SYN, SYN-ACK, data, FIN/RST. */
export function tieRank(protocol: number, flags: number): number {
  if (protocol !== 6 && !Number.isNaN(protocol)) return 2;
  if (Number.isNaN(flags)) return 2;
  if ((flags & SYN) !== 0) return (flags & ACK) !== 0 ? 1 : 0;
  if ((flags & (FIN | RST)) !== 0) return 3;
  return 2;
}

/** @param withConnection also work out the connection id (costs a key and a hash per TCP record; JSON wants it) */
export function describeRecord(view: RecordView, withConnection = true): ShownRecord {
  const layout = probeLayout(view.format);
  const status = recordLogStatus(view, layout.status, layout.flowPositions);
  // one object literal of a fixed shape (object spread here cost ~50 µs a record)
  const shown: ShownRecord = {
    kind: 'other',
    start: orNull(view.num(layout.start)),
    end: orNull(view.num(layout.end)),
    family: null,
    src: null,
    dst: null,
    sport: null,
    dport: null,
    via: null,
    protocol: null,
    flags: null,
    flagsField: layout.flags >= 0,
    packets: orNull(view.num(layout.packets)),
    bytes: orNull(view.num(layout.bytes)),
    action: view.str(layout.action) ?? null,
    iface: view.str(layout.iface) ?? null,
    direction: view.str(layout.direction) ?? null,
    rank: 2,
    connection: null,
    source: view.source,
    line: view.line,
  };
  if (status !== LogStatus.ok) {
    shown.kind = status === LogStatus.nodata ? 'nodata' : 'skipdata';
    return shown;
  }
  const srcIdx = layout.pktSrc >= 0 && !view.missing(layout.pktSrc) ? layout.pktSrc : layout.srcaddr;
  const dstIdx = layout.pktDst >= 0 && !view.missing(layout.pktDst) ? layout.pktDst : layout.dstaddr;
  const src = view.str(srcIdx) ?? null;
  const dst = view.str(dstIdx) ?? null;
  const ifSrc = view.str(layout.srcaddr) ?? null;
  const ifDst = view.str(layout.dstaddr) ?? null;
  const viaSrc = ifSrc !== null && src !== null && ifSrc !== src ? ifSrc : null;
  const viaDst = ifDst !== null && dst !== null && ifDst !== dst ? ifDst : null;
  const protocol = view.num(layout.protocol);
  const flags = view.num(layout.flags);
  shown.kind = protocol === 6 ? 'tcp' : protocol === 17 ? 'udp' : protocol === 1 ? 'icmp' : protocol === 58 ? 'icmp6' : 'other';
  shown.family = (src !== null && src.includes(':')) || (dst !== null && dst.includes(':')) ? 6 : src !== null || dst !== null ? 4 : null;
  shown.src = src;
  shown.dst = dst;
  shown.sport = orNull(view.num(layout.srcport));
  shown.dport = orNull(view.num(layout.dstport));
  shown.via = viaSrc !== null || viaDst !== null ? { src: viaSrc, dst: viaDst } : null;
  shown.protocol = orNull(protocol);
  shown.flags = orNull(flags);
  shown.rank = tieRank(protocol, flags);
  shown.connection = protocol === 6 && withConnection ? connectionId(connectionKey(view, layout).key) : null;
  return shown;
}
