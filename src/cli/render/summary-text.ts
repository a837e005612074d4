import { displayEndpoint } from '../../analyze/fold.js';
import type { Summary } from '../../analyze/summary.js';
import type { Paint } from '../io.js';
import { renderExplanationsText } from './explain.js';
import { num, renderTable } from './table.js';
import { clock, clockSeconds, failureSparkline } from './timeline.js';

export interface TextOptions {
  paint: Paint;
  /** rows shown in the peer and connection tables */
  top: number;
}

/** The terminal summary: the verdict first, then the evidence, readable at 3 a.m. */
export function renderSummaryText(summary: Summary, options: TextOptions): string {
  const { paint: p, top } = options;
  const { records, tcp } = summary;
  const out: string[] = [];
  const multiDay = (summary.window.start ?? '').slice(0, 10) !== (summary.window.end ?? '').slice(0, 10);
  const window = summary.window.start ? `${summary.window.start.slice(0, 10)} ${clock(summary.window.start)}–${clock(summary.window.end, multiDay)} UTC` : 'no timestamps';
  out.push(
    p.dim(
      `${num(summary.sources.count)} source${summary.sources.count === 1 ? '' : 's'} · ${num(records.total)} ${summary.filter !== undefined ? 'matching ' : ''}records · ${window} · ${num(summary.interfaces.count)} interface${summary.interfaces.count === 1 ? '' : 's'}${summary.filter !== undefined ? ` · filter: ${summary.filter}` : ''}`,
    ),
  );
  const failing = tcp.refused + tcp.unanswered + tcp.rejected;
  const verdictColor = !tcp.classified ? p.yellow : failing > 0 ? p.red : tcp.reset > 0 ? p.yellow : p.green;
  out.push('', `${p.bold('VERDICT')}  ${verdictColor(summary.headline)}`);

  if (tcp.connections > 0 || records.tcp > 0) {
    out.push('', p.bold(`TCP connections  ${num(tcp.connections)}`));
    const row = (label: string, value: number, note = '', color = (text: string) => text) =>
      `  ${label.padEnd(14)} ${color(num(value).padStart(9))}${note ? `   ${p.dim(note)}` : ''}`;
    if (!tcp.classified) out.push(`  ${p.yellow(tcp.reason ?? '')}`);
    out.push(row('established', tcp.established, `reset ${num(tcp.reset)}, closed ${num(tcp.closed)}`, p.green));
    out.push(row('refused', tcp.refused, 'SYN answered by RST', tcp.refused ? p.red : undefined));
    out.push(
      row('unanswered', tcp.unanswered, tcp.unansweredLowConfidence ? `${num(tcp.unansweredLowConfidence)} low confidence (SKIPDATA nearby)` : 'SYN, nothing back', tcp.unanswered ? p.red : undefined),
    );
    out.push(row('rejected', tcp.rejected, 'REJECT by security group / network ACL', tcp.rejected ? p.red : undefined));
    out.push(row('midstream', tcp.midstream, 'no SYN seen: began before the capture'));
    out.push(row('retried SYN', tcp.retriedSyn, 'client sent its SYN more than once'));
    if (tcp.classified && tcp.established > 0) out.push(p.dim('  (established = SYN-ACK seen; flow logs never show the final ACK)'));
  }

  const spark = failureSparkline(summary.timeline);
  if (spark && tcp.classified) {
    const unit = spark.bucketSeconds === 60 ? 'per minute' : `per ${spark.bucketSeconds / 60} min`;
    const peak = spark.peak > 0 ? `   peak ${num(spark.peak)} at ${clock(spark.peakAt, multiDay)}` : '   none';
    out.push('', `${p.bold(`Failures ${unit}`)}  ${clock(spark.from, multiDay)} ${spark.peak > 0 ? p.red(spark.chart) : spark.chart} ${clock(spark.to, multiDay)}${peak}`);
  }

  const peers = summary.peers.filter((peer) => peer.failures > 0 || peer.reset > 0).slice(0, top);
  if (peers.length > 0) {
    out.push('', p.bold('Peers with failures') + p.dim('  (server side, worst first)'));
    out.push(
      renderTable(
        [
          { header: 'PEER' },
          { header: 'CONNS', align: 'right' },
          { header: 'ESTAB', align: 'right' },
          { header: 'REFUSED', align: 'right' },
          { header: 'UNANSWERED', align: 'right' },
          { header: 'REJECTED', align: 'right' },
          { header: 'RESET', align: 'right' },
        ],
        peers.map((peer) => [peer.peer, num(peer.connections), num(peer.established), num(peer.refused), num(peer.unanswered), num(peer.rejected), num(peer.reset)]),
      ),
    );
    const more = summary.peers.filter((peer) => peer.failures > 0 || peer.reset > 0).length - peers.length;
    if (more > 0) out.push(p.dim(`  … ${num(more)} more peers with failures (--top, or --json for all)`));
  }
  out.push(...renderExplanationsText(summary.explanations, p));

  const worst = summary.failures.slice(0, top);
  if (worst.length > 0) {
    out.push('', p.bold('Failed connections') + p.dim('  (worst first)'));
    out.push(
      renderTable(
        [{ header: 'ID' }, { header: 'CLIENT → SERVER' }, { header: 'CLASS' }, { header: 'FIRST SEEN' }, { header: 'FLAGS C/S' }, { header: 'NOTE' }],
        worst.map((c) => [
          c.id,
          `${displayEndpoint(c.client)} → ${displayEndpoint(c.server)}`,
          p.red(c.class),
          clockSeconds(c.firstSeen),
          `${c.flags.client || '-'} / ${c.flags.server || '-'}`,
          [c.retriedSyn ? 'retried SYN' : '', c.lowConfidence ? 'low confidence' : ''].filter(Boolean).join(', '),
        ]),
      ),
    );
    if (summary.failuresTotal > worst.length) out.push(p.dim(`  … ${num(summary.failuresTotal - worst.length)} more (--top N, or --json)`));
    out.push(p.dim('  the records behind one verdict: flowdump show <same sources> --connection <ID>'));
  }

  out.push('');
  out.push(
    `${p.bold('Other traffic')}    UDP ${num(records.udp)} records${summary.udp.rejected ? ` (${num(summary.udp.rejected)} rejected)` : ''} · ICMP ${num(records.icmp)} records${summary.icmp.rejected ? ` (${num(summary.icmp.rejected)} rejected)` : ''} · other ${num(records.other)}`,
  );
  if (summary.natHops.records > 0) {
    const via = summary.natHops.via.slice(0, 3).map((hop) => `${hop.address} (${num(hop.records)})`).join(', ');
    out.push(`${p.bold('NAT/TGW hops')}     ${num(summary.natHops.records)} records where the interface address differs from the packet's, via ${via}`);
  }
  if (records.nodata + records.skipdata > 0) {
    const parts: string[] = [];
    if (records.skipdata > 0) {
      const windows = summary.gaps.skipdata.slice(0, 3).map((gap) => `${gap.interface ?? '?'} ${clock(gap.start)}–${clock(gap.end)}`).join(', ');
      parts.push(p.yellow(`SKIPDATA ${num(records.skipdata)} records: AWS skipped records there (${windows}); unanswered verdicts near them are low confidence`));
    }
    if (records.nodata > 0) parts.push(`NODATA ${num(records.nodata)} records in ${num(summary.gaps.nodata.length)} window(s): interfaces with no traffic`);
    out.push(`${p.bold('Blind spots')}      ${parts.join('\n                 ')}`);
  }
  if (records.malformed > 0) {
    const examples = summary.malformed.examples.slice(0, 3).map((example) => `${example.source}:${example.line}: ${example.message}`);
    out.push(`${p.bold('Malformed')}        ${p.yellow(`${num(records.malformed)} line(s) skipped`)}, e.g.\n                 ${examples.join('\n                 ')}`);
  }
  for (const warning of summary.warnings) out.push(p.yellow(`warning: ${warning}`));
  for (const error of summary.errors) out.push(p.red(`INCOMPLETE: ${error.message}`));
  return out.join('\n') + '\n';
}
