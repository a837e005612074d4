import { displayEndpoint } from '../../analyze/fold.js';
import type { Summary } from '../../analyze/summary.js';
import type { CaptureFacts, ReportContext } from '../../report/context.js';
import { failureRanges, formatRanges, spansDays } from '../../report/when.js';
import { renderExplanationsMarkdown } from './explain.js';
import { failureSparkline } from './timeline.js';

const cell = (value: string | number): string => String(value).replace(/\|/g, '\\|');

function table(header: string[], rows: (string | number)[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

const MAX_MINUTE_ROWS = 30;

/**
 * The summary as Markdown, for pasting into an incident ticket or a GitHub issue: the
 * same headline, "when" and tables as the HTML report (`context` adds capture facts).
 */
export function renderSummaryMarkdown(summary: Summary, top = 10, context: ReportContext = {}): string {
  const { records, tcp } = summary;
  const out: string[] = [];
  out.push('### flowdump: TCP handshake summary', '');
  out.push(`**Verdict:** ${summary.headline}`, '');
  out.push(
    `Window ${summary.window.start ?? '?'} – ${summary.window.end ?? '?'} · ${records.total} records from ${summary.sources.count} source(s) · ${summary.interfaces.count} interface(s)`,
    '',
  );
  if (summary.filter !== undefined) out.push(`Filter: \`${summary.filter}\` (the connections with a matching record, judged on all their records)`, '');
  if (!tcp.classified && tcp.reason) out.push(`> ${tcp.reason}`, '');
  if (context.capture) out.push(...captureLines(context.capture), '');
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
    const when = failureRanges(summary.timeline);
    if (when.length > 0) {
      const withDate = spansDays(summary.timeline);
      out.push('**When** (UTC minutes, by the client\'s first SYN)', '');
      out.push(...when.map((row) => `- ${row.label} (${row.total}): ${formatRanges(row.ranges, withDate)}`), '');
    }
    const allFailing = summary.timeline.filter((row) => row.failures > 0 || row.reset > 0);
    const failingMinutes = allFailing.slice(0, MAX_MINUTE_ROWS);
    if (failingMinutes.length > 0) {
      out.push(
        table(
          ['minute (UTC)', 'refused', 'unanswered', 'rejected', 'reset', 'established'],
          failingMinutes.map((row) => [row.minute, row.refused, row.unanswered, row.rejected, row.reset, row.established]),
        ),
        '',
      );
      if (allFailing.length > failingMinutes.length) out.push(`…and ${allFailing.length - failingMinutes.length} more minutes with failures (the first ${failingMinutes.length} are shown).`, '');
    }
  }
  const peers = summary.peers.filter((peer) => peer.failures > 0 || peer.reset > 0).slice(0, top);
  if (peers.length > 0) {
    out.push('**Peers with failures** (server side)', '');
    out.push(table(['peer', 'conns', 'estab', 'refused', 'unanswered', 'rejected', 'reset'], peers.map((p) => [`\`${p.peer}\``, p.connections, p.established, p.refused, p.unanswered, p.rejected, p.reset])), '');
    const failingPeers = summary.peers.filter((peer) => peer.failures > 0 || peer.reset > 0).length;
    if (failingPeers > peers.length) out.push(`…and ${failingPeers - peers.length} more peers with failures.`, '');
  }
  out.push(...renderExplanationsMarkdown(summary.explanations));
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
  if (records.skipdata) {
    const windows = summary.gaps.skipdata.slice(0, 5).map((gap) => `\`${gap.interface ?? '?'}\` ${gap.start ?? '?'} – ${gap.end ?? '?'}`);
    notes.push(`**SKIPDATA: ${records.skipdata} records** — AWS skipped records (${windows.join('; ')}${summary.gaps.skipdata.length > 5 ? '; …' : ''}); unanswered verdicts near them are low confidence`);
  }
  if (records.nodata) notes.push(`NODATA: ${records.nodata} records in ${summary.gaps.nodata.length} window(s) (interfaces with no traffic)`);
  if (context.capture?.delivery && !context.capture.delivery.complete) notes.push(`**Delivery incomplete**${context.capture.delivery.note ? `: ${context.capture.delivery.note}` : ''} — the end of the window may be missing data`);
  if (records.malformed) notes.push(`${records.malformed} malformed line(s), first at ${summary.malformed.examples[0]?.source}:${summary.malformed.examples[0]?.line}`);
  for (const error of summary.errors) notes.push(`**Incomplete:** ${error.message}`);
  out.push(...notes.map((note) => `- ${note}`), '');
  out.push('_Established = SYN-ACK seen; flow logs never record the final ACK. Times have one-second resolution._', '');
  return out.join('\n');
}

function captureLines(facts: CaptureFacts): string[] {
  const lines: string[] = [];
  const usd = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;
  if (facts.id) lines.push(`- capture \`${facts.id}\`${facts.target ? ` on ${facts.target}` : ''}`);
  else if (facts.target) lines.push(`- target ${facts.target}`);
  if (facts.flowLogIds?.length) lines.push(`- flow logs ${facts.flowLogIds.map((id) => `\`${id}\``).join(', ')}`);
  if (facts.format) lines.push(`- format \`${facts.format}\``);
  if (facts.destination) lines.push(`- destination \`${facts.destination}\``);
  if (facts.window) lines.push(`- window ${facts.window.start ?? '?'} – ${facts.window.end ?? '?'}`);
  if (facts.estimateUsd || facts.actualUsd !== undefined) {
    const estimate = facts.estimateUsd ? `estimated ${usd(facts.estimateUsd.low)}–${usd(facts.estimateUsd.high)}` : '';
    const actual = facts.actualUsd !== undefined ? `actual ${usd(facts.actualUsd)}` : '';
    lines.push(`- cost ${[estimate, actual].filter(Boolean).join(', ')}`);
  }
  return lines;
}
