import { describe, expect, test } from 'vitest';
import type { Summary } from '../../src/analyze/summary.js';
import type { Explanation } from '../../src/explain/model.js';
import { paint } from '../../src/cli/io.js';
import { renderSummaryMarkdown } from '../../src/cli/render/summary-markdown.js';
import { renderSummaryText } from '../../src/cli/render/summary-text.js';
import { renderHtmlReport } from '../../src/report/html.js';
import { analyzeLines, tcp } from '../helpers/flow-lines.js';

const explanations: Explanation[] = [
  {
    peer: '10.0.2.20:5432',
    class: 'rejected',
    clients: ['10.0.1.11'],
    verdict: 'security-group',
    resource: 'sg-db',
    direction: 'inbound',
    detail: 'sg-db (db) allows inbound tcp/5432 only from sg-app (app); <script>',
    suggestion: 'aws ec2 authorize-security-group-ingress --group-id sg-db --protocol tcp --port 5432 --source-group sg-batch',
    readAt: '2026-12-06T21:30:00Z',
  },
  { peer: '10.0.2.20:22', class: 'unanswered', clients: ['10.0.1.10'], verdict: 'network-acl', resource: 'acl-b', rule: 32767, direction: 'outbound', detail: 'the reply is denied', readAt: '2026-12-06T21:30:00Z' },
];

async function failing(): Promise<Summary> {
  return analyzeLines([tcp('10.0.1.11:40001', '10.0.2.20:5432', 2, { action: 'REJECT' }), tcp('10.0.1.10:40002', '10.0.2.20:22', 2, { at: 1 })]);
}

describe('explanations in the outputs', () => {
  test('text: a Why section after the peers, with the read time and the fix; absent without explanations', async () => {
    const plain = await failing();
    const before = renderSummaryText(plain, { paint: paint(false), top: 10 });
    expect(before).not.toContain('Why');
    const text = renderSummaryText({ ...plain, explanations }, { paint: paint(false), top: 10 });
    const why = text.indexOf('\nWhy  (security groups and network ACLs as read at 2026-12-06T21:30:00Z');
    expect(why).toBeGreaterThan(text.indexOf('Peers with failures'));
    expect(why).toBeLessThan(text.indexOf('Failed connections'));
    expect(text).toContain('  10.0.2.20:5432 rejected from 10.0.1.11: sg-db inbound\n');
    expect(text).toContain('  10.0.2.20:22 unanswered from 10.0.1.10: acl-b rule * outbound\n');
    expect(text).toContain('    suggested fix (review, then run it yourself): aws ec2 authorize-security-group-ingress --group-id sg-db');
    // everything else is as it was
    expect(text.replace(/\n\nWhy [\s\S]*?(?=\n\nFailed connections)/, '')).toBe(before);
  });

  test('markdown: a Why list; absent without explanations', async () => {
    const plain = await failing();
    expect(renderSummaryMarkdown(plain)).not.toContain('**Why**');
    const markdown = renderSummaryMarkdown({ ...plain, explanations });
    expect(markdown).toContain('- `10.0.2.20:5432` rejected from 10.0.1.11: **sg-db inbound** — sg-db (db) allows inbound tcp/5432 only from sg-app (app); <script>');
    expect(markdown).toContain('  - suggested fix (review, then run it yourself): `aws ec2 authorize-security-group-ingress');
  });

  test('HTML: a why column and a section, escaped; neither without explanations', async () => {
    const plain = await failing();
    const before = renderHtmlReport({ summary: plain });
    expect(before).not.toContain('id="why"');
    expect(before).not.toContain('<th>why</th>');
    const page = renderHtmlReport({ summary: { ...plain, explanations } });
    expect(page).toContain('<th>why</th>');
    expect(page).toContain('<a href="#peers">Peers</a><a href="#why">Why</a>');
    expect(before).not.toContain('href="#why"');
    expect(page).toContain('<td class="why"><a href="#why">sg-db inbound</a></td>');
    expect(page).toContain('<section id="why">');
    expect(page).toContain('only from sg-app (app); &lt;script&gt;');
    expect(page).not.toContain('; <script>');
  });
});
