import type { Summary } from '../analyze/summary.js';
import { verdictLabel } from '../explain/explain.js';
import { esc } from './markup.js';

/** The peer table's "why" header cell: only when the summary was explained. */
export function whyHeader(summary: Summary): string {
  return summary.explanations ? '<th>why</th>' : '';
}

/** The peer's verdicts in a few words, linking to the "Why" section. */
export function whyCell(summary: Summary, peer: string): string {
  if (!summary.explanations) return '';
  const labels = [...new Set(summary.explanations.filter((e) => e.peer === peer).map((e) => verdictLabel(e)))];
  return `<td class="why">${labels.length ? `<a href="#why">${labels.map((label) => esc(label)).join('; ')}</a>` : ''}</td>`;
}

/** The "Why" section: each failing peer, the resource and rule behind it, the suggested fix. */
export function whySection(summary: Summary): string {
  const explanations = summary.explanations;
  if (!explanations) return '';
  if (explanations.length === 0) return `<section id="why"><h2>Why</h2><p>No rejected or unanswered peer to explain.</p></section>`;
  const items = explanations.map(
    (e) => `<li data-peer="${esc(e.peer)}" data-verdict="${esc(e.verdict)}"><code>${esc(e.peer)}</code> ${esc(e.class)} from ${e.clients.map((client) => `<code>${esc(client)}</code>`).join(', ') || 'no client listed'}: <strong>${esc(verdictLabel(e))}</strong>
<p>${esc(e.detail)}</p>${e.suggestion ? `\n<p>Suggested fix (review, then run it yourself): <code>${esc(e.suggestion)}</code></p>` : ''}</li>`,
  );
  return `<section id="why">
<h2>Why <small>security groups and network ACLs as read at ${esc(explanations[0].readAt)}; they may have changed since the traffic</small></h2>
<ul class="why">
${items.join('\n')}
</ul>
</section>`;
}
