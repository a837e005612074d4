import { displayEndpoint } from '../../analyze/fold.js';
import type { Summary } from '../../analyze/summary.js';
import { failureSparkline } from './timeline.js';

const cell = (value: string | number): string => String(value).replace(/\|/g, '\\|');

function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

/** The summary as Markdown, for pasting into an incident ticket or a GitHub issue. */
export function renderSummaryMarkdown(summary: Summary, top = 10): string {
  const { records, tcp } = summary;
  const out: string[] = [];
  out.push('### flowdump: TCP handshake summary', '');
  out.push(`**Verdict:** ${summary.headline}`, '');
  out.push(
    `Window ${summary.window.start ?? '?'} – ${summary.window.end ?? '?'} · ${records.total} records from ${summary.sources.count} source(s) · ${summary.interfaces.count} interface(s)`,
    '',
  );
  if (!tcp.classified && tcp.reason) out.push(`> ${tcp.reason}`, '');
  out.push(
    table(
      ['class', 'connections'],
      [
        ['established', `${tcp.established} (reset ${tcp.reset}, closed ${tcp.closed})`],
        ['refused', tcp.refused],
        ['unanswered', tcp.unansweredLowConfidence ? `${tcp.unanswered} (${tcp.unansweredLowConfidence} low confidence)` : tcp.unanswered],
        ['rejected', tcp.rejected],
        ['midstream', tcp.midstream],
        ['**total**', tcp.connections],
      ],
    ),
    '',
  );
  const spark = failureSparkline(summary.timeline);
  if (spark && tcp.classified) {
    out.push(`Failures per ${spark.bucketSeconds / 60} min, ${spark.from} → ${spark.to}: \`${spark.chart}\`${spark.peakAt ? ` (peak ${spark.peak} at ${spark.peakAt})` : ''}`, '');
    const failingMinutes = summary.timeline.filter((row) => row.failures > 0 || row.reset > 0).slice(0, 30);
    if (failingMinutes.length > 0) {
      out.push(
        table(
          ['minute (UTC)', 'refused', 'unanswered', 'rejected', 'reset'],
          failingMinutes.map((row) => [row.minute, row.refused, row.unanswered, row.rejected, row.reset]),
        ),
        '',
      );
    }
  }
  const peers = summary.peers.filter((peer) => peer.failures > 0 || peer.reset > 0).slice(0, top);
  if (peers.length > 0) {
    out.push('**Peers with failures** (server side)', '');
    out.push(table(['peer', 'conns', 'estab', 'refused', 'unanswered', 'rejected', 'reset'], peers.map((p) => [`\`${p.peer}\``, p.connections, p.established, p.refused, p.unanswered, p.rejected, p.reset])), '');
  }
  const worst = summary.failures.slice(0, top);
  if (worst.length > 0) {
    out.push('**Failed connections** (worst first)', '');
    out.push(
      table(
        ['id', 'client → server', 'class', 'first seen', 'flags c/s'],
        worst.map((c) => [`\`${c.id}\``, `\`${displayEndpoint(c.client)} → ${displayEndpoint(c.server)}\``, c.class + (c.retriedSyn ? ', retried SYN' : ''), c.firstSeen ?? '-', `${c.flags.client || '-'} / ${c.flags.server || '-'}`]),
      ),
      '',
    );
    if (summary.failuresTotal > worst.length) out.push(`…and ${summary.failuresTotal - worst.length} more.`, '');
  }
  const notes: string[] = [];
  notes.push(`UDP ${records.udp} records, ICMP ${records.icmp}, other ${records.other}`);
  if (summary.natHops.records) notes.push(`${summary.natHops.records} NAT/TGW-hop records (via ${summary.natHops.via.slice(0, 3).map((h) => h.address).join(', ')})`);
  if (records.skipdata) notes.push(`**SKIPDATA: ${records.skipdata} records** — AWS skipped records; unanswered verdicts near them are low confidence`);
  if (records.nodata) notes.push(`NODATA: ${records.nodata} records (interfaces with no traffic)`);
  if (records.malformed) notes.push(`${records.malformed} malformed line(s), first at ${summary.malformed.examples[0]?.source}:${summary.malformed.examples[0]?.line}`);
  for (const error of summary.errors) notes.push(`**Incomplete:** ${error.message}`);
  out.push(...notes.map((note) => `- ${note}`), '');
  out.push('_Established = SYN-ACK seen; flow logs never record the final ACK. Times have one-second resolution._', '');
  return out.join('\n');
}
