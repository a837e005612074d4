import { verdictLabel } from '../../explain/explain.js';
import type { Explanation } from '../../explain/model.js';
import type { Paint } from '../io.js';

const clientList = (clients: string[]): string => (clients.length === 0 ? 'no client listed' : clients.length <= 3 ? clients.join(', ') : `${clients.slice(0, 3).join(', ')} and ${clients.length - 3} more`);

/** The "Why" section of the terminal summary: one block per failing peer and verdict. */
export function renderExplanationsText(explanations: Explanation[] | undefined, p: Paint): string[] {
  if (!explanations || explanations.length === 0) return [];
  const out = ['', p.bold('Why') + p.dim(`  (security groups and network ACLs as read at ${explanations[0].readAt}; they may have changed since the traffic)`)];
  for (const e of explanations) {
    const color = e.verdict === 'not-blocked' ? p.yellow : e.verdict === 'unknown' ? p.dim : p.red;
    out.push(`  ${p.bold(e.peer)} ${e.class} from ${clientList(e.clients)}: ${color(verdictLabel(e))}`);
    out.push(`    ${e.detail}`);
    if (e.suggestion) out.push(`    ${p.dim('suggested fix (review, then run it yourself):')} ${e.suggestion}`);
  }
  return out;
}

/** The same as Markdown, for a ticket. */
export function renderExplanationsMarkdown(explanations: Explanation[] | undefined): string[] {
  if (!explanations || explanations.length === 0) return [];
  const out = [`**Why** (security groups and network ACLs as read at ${explanations[0].readAt}; they may have changed since the traffic)`, ''];
  for (const e of explanations) {
    out.push(`- \`${e.peer}\` ${e.class} from ${clientList(e.clients)}: **${verdictLabel(e)}** — ${e.detail}`);
    if (e.suggestion) out.push(`  - suggested fix (review, then run it yourself): \`${e.suggestion}\``);
  }
  out.push('');
  return out;
}
