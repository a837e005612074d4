import { flagLetters } from '../../analyze/classify.js';
import type { ConnectionReport } from '../../analyze/summary.js';
import { displayEndpoint } from '../../analyze/fold.js';
import type { FlowRecord } from '../../format/line-reader.js';
import type { ShownRecord } from '../../show/describe.js';
import type { Paint } from '../io.js';

/**
 * One record as tcpdump would print the packet, plus what the flow log adds:
 *   `IP 10.0.1.10.40011 > 10.0.2.20.5432: Flags [S], 6 packets, 480 bytes, ACCEPT, eni-0c3d4e5f607182930 ingress (via 10.0.0.50)`
 * (the timestamp is added when the line is written, see `TimeFormat`).
 */
export function renderRecordLine(r: ShownRecord, p: Paint): string {
  if (r.kind === 'nodata' || r.kind === 'skipdata') {
    const span = `${clockOf(r.start)}–${clockOf(r.end)}`;
    const text = r.kind === 'nodata'
      ? p.dim(`NODATA ${r.iface ?? '?'}: no traffic recorded ${span}`)
      : p.yellow(`SKIPDATA ${r.iface ?? '?'}: AWS skipped records ${span}; traffic in this window is missing`);
    return [text].join('');
  }
  const ip = r.family === 6 ? 'IP6' : 'IP';
  const withPorts = r.kind === 'tcp' || r.kind === 'udp' || r.protocol === 132 || (r.protocol === null && (r.sport !== null || r.dport !== null));
  const end = (address: string | null, port: number | null) => `${address ?? '?'}${withPorts ? `.${port ?? '?'}` : ''}`;
  const parts: string[] = [];
  switch (r.kind) {
    case 'tcp': {
      if (!r.flagsField) {
        parts.push('TCP'); // a format without tcp-flags: nothing to show
        break;
      }
      const flags = `Flags [${flagsText(r.flags)}]`;
      parts.push(r.flags !== null && (r.flags & 4) !== 0 ? p.yellow(flags) : flags);
      break;
    }
    case 'udp':
      parts.push('UDP');
      break;
    case 'icmp':
      parts.push('ICMP');
      break;
    case 'icmp6':
      parts.push('ICMP6');
      break;
    default:
      if (r.protocol === 132) parts.push('sctp');
      else if (r.protocol !== null) parts.push(`ip-proto-${r.protocol}`);
      else parts.push(r.flags !== null && r.flags !== 0 ? `proto ?, Flags [${flagsText(r.flags)}]` : 'proto ?');
  }
  if (r.packets !== null) parts.push(`${r.packets} packet${r.packets === 1 ? '' : 's'}`);
  if (r.bytes !== null) parts.push(`${r.bytes} byte${r.bytes === 1 ? '' : 's'}`);
  if (r.action !== null) parts.push(r.action === 'REJECT' ? p.red(r.action) : r.action);
  if (r.iface !== null) parts.push(p.dim(r.direction ? `${r.iface} ${r.direction}` : r.iface));
  const pieces = [ip, ' ', end(r.src, r.sport), ' > ', end(r.dst, r.dport), ': ', parts.join(', ')];
  if (r.via) pieces.push(' ', p.dim(`(via ${[r.via.src, r.via.dst].filter((a): a is string => a !== null).join(' > ')})`));
  // join() makes one flat string: a held line then keeps neither a rope of pieces nor the input chunk its fields were cut from
  return pieces.join('');
}

/** tcpdump's flag letters, `none` for a record whose tcp-flags are 0, `?` when absent. */
export function flagsText(flags: number | null): string {
  if (flags === null) return '?';
  return flagLetters(flags) || 'none';
}

/** The NDJSON object of one record: the record's own fields, and what flowdump derived under `flowdump`. */
export function recordJson(r: ShownRecord, record: FlowRecord, late: boolean): string {
  return JSON.stringify({
    ...record,
    flowdump: {
      kind: r.kind,
      time: isoOf(r.start),
      end: isoOf(r.end),
      ip: r.family,
      src: r.src,
      sport: r.sport,
      dst: r.dst,
      dport: r.dport,
      flags: r.kind !== 'tcp' || r.flags === null ? null : flagLetters(r.flags),
      via: r.via,
      connection: r.connection,
      source: r.source,
      line: r.line,
      ...(late ? { late: true } : {}),
    },
  });
}

/** The last NDJSON line of `show --connection --json`. */
export function verdictJson(report: ConnectionReport): string {
  return JSON.stringify({ flowdump: { kind: 'verdict', ...report } });
}

/** The verdict block under one connection's records. */
export function renderVerdict(report: ConnectionReport, p: Paint, hidden: number): string {
  const failing = report.class === 'refused' || report.class === 'unanswered' || report.class === 'rejected';
  const color = failing ? p.red : report.class === 'established' ? (report.reset ? p.yellow : p.green) : p.yellow;
  const extra = report.class === 'established' && (report.reset || report.closed) ? ` (${[report.reset ? 'reset' : '', report.closed ? 'closed' : ''].filter(Boolean).join(', ')})` : '';
  const out = [
    '',
    `${p.bold('verdict')} ${color(report.class)}${extra}  ${report.id}  ${displayEndpoint(report.client)} → ${displayEndpoint(report.server)}${report.clientBy === 'port' ? p.dim('  (client by port: no handshake seen)') : ''}`,
    `  rule: ${report.rule}`,
    `  flags: client [${report.flags.client || 'none'}], server [${report.flags.server || 'none'}]; packets: client ${report.packets.client}, server ${report.packets.server}; ${report.records} record${report.records === 1 ? '' : 's'}${report.retriedSyn ? '; the client retried its SYN' : ''}`,
  ];
  if (report.lowConfidence) out.push(p.yellow('  low confidence: AWS skipped records (SKIPDATA) near this connection; the answer may be among them'));
  if (hidden > 0) out.push(p.dim(`  (${hidden} of its records hidden by the filter expression; the verdict uses them all)`));
  return `${out.join('\n')}\n`;
}

/** -t modes, as tcpdump counts them: 0 HH:MM:SS, 1 none, 2 Unix seconds, 3 delta from the previous line, 4 date and time, 5 delta from the first line. */
export class TimeFormat {
  private previous: number | null = null;
  private first: number | null = null;
  /** the last second formatted, and its text: consecutive lines mostly share a second */
  private cachedSecond = Number.NaN;
  private cachedText = '';

  constructor(private readonly mode: number) {}

  /** The prefix of a line (with its trailing space), in write order. */
  prefix(start: number | null): string {
    const mode = Math.min(this.mode, 5);
    if (mode === 1) return '';
    if (start === null) return mode === 2 ? '- ' : mode === 4 ? '---------- --:--:-- ' : '--:--:-- ';
    let text: string;
    switch (mode) {
      case 2:
        text = String(start);
        break;
      case 3:
        text = duration(this.previous === null ? 0 : start - this.previous);
        break;
      case 4:
        text = new Date(start * 1000).toISOString().slice(0, 19).replace('T', ' ');
        break;
      case 5:
        text = duration(this.first === null ? 0 : start - this.first);
        break;
      default:
        if (start !== this.cachedSecond) {
          this.cachedSecond = start;
          this.cachedText = clockOf(start);
        }
        text = this.cachedText;
    }
    this.previous = start;
    if (this.first === null) this.first = start;
    return `${text} `;
  }
}

function duration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const s = Math.abs(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${sign}${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function clockOf(seconds: number | null): string {
  return seconds === null ? '--:--:--' : new Date(seconds * 1000).toISOString().slice(11, 19);
}

function isoOf(seconds: number | null): string | null {
  return seconds === null ? null : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
