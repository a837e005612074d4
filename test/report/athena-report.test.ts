/**
 * The HTML report of an Athena summary: the summary as Athena's SELECT answers it (DuckDB runs the
 * same SQL over the same file), no records, so every section but the ladders, which say how to
 * get them.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeSources } from '../../src/analyze/run.js';
import { fileSource } from '../../src/analyze/sources.js';
import { athenaReportContext } from '../../src/cli/athena-analyze.js';
import { buildHtmlReport } from '../../src/report/write-report.js';
import { duckdbSummary } from '../helpers/athena-duckdb.js';

const SMALL = fileURLToPath(new URL('../fixtures/report-small.log', import.meta.url));
const SOURCE = 's3://flow-logs/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/01/05/';

function section(html: string, id: string): string {
  return html.match(new RegExp(`<section id="${id}"[^>]*>[\\s\\S]*?</section>`))?.[0] ?? '';
}

describe('the HTML report from an Athena summary', { timeout: 120_000 }, () => {
  it('has the summary\'s sections, the engine line, and one sentence instead of the ladders', async () => {
    const athena = (await duckdbSummary([SMALL])).summary;
    athena.engine = { ...athena.engine, scannedBytes: 12_345_678, scanCostUsd: 0.0000561, queryExecutionId: 'q-0123' };
    expect(athena.failuresTotal).toBeGreaterThan(0);
    const { html, ladders } = await buildHtmlReport({ summary: athena, sources: null, context: athenaReportContext(athena, [SOURCE]) });

    expect(ladders).toBe(0);
    expect(html).not.toContain('class="ladder-figure"');
    expect(html).not.toContain('<svg class="ladder"');
    const first = athena.failures[0];
    const note = section(html, 'ladders').match(/<p class="note">([\s\S]*?)<\/p>/)?.[1] ?? '';
    expect(note).toBe(
      `No ladder diagrams: they need each connection&#39;s records, and the Athena engine answers only the summary; to draw them, analyze those connections with the local engine and a filter (flowdump analyze ${SOURCE} host ${first.client.address} and port ${first.server.port} --html report.html) or list one&#39;s records with flowdump show ${SOURCE} --connection ${first.id}, on a prefix as narrow as one day&#39;s folder to download less.`,
    );
    expect(note.split(/\.\s/)).toHaveLength(1);
    expect(html).toMatch(/<p class="meta" data-kind="engine">Engine: Athena scanned 12\.3 MB \(\$0\.0000\d+\), query q-0123<\/p>/);
    expect(html).toContain(`<code>${SOURCE}</code>`);

    // the sections that need only the summary show what the local analyzer's report shows
    const local = (await analyzeSources([fileSource(SMALL)])).summary;
    const { html: localHtml } = await buildHtmlReport({ summary: local, sources: null, context: { laddersUnavailable: 'not read' } });
    for (const id of ['verdict', 'peers', 'failures', 'other']) {
      expect(section(html, id), id).not.toBe('');
      expect(section(html, id), id).toBe(section(localHtml, id));
    }
    const rows = [...section(html, 'failures').matchAll(/<tr data-connection="([^"]+)"/g)].map((match) => match[1]);
    expect(rows).toEqual(athena.failures.map((failure) => failure.id));
    // the timeline's marks are the same; what Athena cannot list (the SKIPDATA windows) is said in the blind spots
    const marks = (text: string) => [...section(text, 'timeline').matchAll(/<rect class="mark"[^>]*>/g)].map((match) => match[0]);
    expect(marks(html).length).toBeGreaterThan(0);
    expect(marks(html)).toEqual(marks(localHtml));
    expect(section(html, 'blind-spots')).toMatch(/SKIPDATA: 1 record/);
    expect(section(html, 'blind-spots')).toMatch(/malformed/);
  });

  it('without failed connections there is nothing to draw and nothing to explain', async () => {
    const athena = (await duckdbSummary([fileURLToPath(new URL('../fixtures/aws-doc/example-traffic-path.log', import.meta.url))])).summary;
    expect(athena.failuresTotal).toBe(0);
    const { html } = await buildHtmlReport({ summary: athena, sources: null, context: athenaReportContext(athena, [SOURCE]) });
    expect(section(html, 'ladders')).toContain('No failed connection to draw.');
    expect(html).not.toContain('Athena engine answers only the summary');
  });
});
