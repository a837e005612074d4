import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bufferedSource } from '../../src/analyze/buffered-source.js';
import { collectConnectionRecords } from '../../src/analyze/connection-records.js';
import { analyzeSources } from '../../src/analyze/run.js';
import { fileSource, type Source } from '../../src/analyze/sources.js';
import { connectionId } from '../../src/analyze/fold.js';
import type { ConnectionReport, Endpoint, Summary } from '../../src/analyze/summary.js';
import { renderSummaryMarkdown } from '../../src/cli/render/summary-markdown.js';
import { ladderConnectionIds, renderHtmlReport } from '../../src/report/html.js';
import { buildLadder } from '../../src/report/ladder.js';
import { buildHtmlReport } from '../../src/report/write-report.js';

const SMALL = fileURLToPath(new URL('../fixtures/report-small.log', import.meta.url));

function textSource(name: string, text: string): Source {
  return {
    name,
    async *bytes() {
      yield Buffer.from(text);
    },
  };
}

async function analyze(sources: Source[], options = {}): Promise<Summary> {
  return (await analyzeSources(sources, options)).summary;
}

/** `<rect class="mark" data-class=… data-minute=… data-count=…>` of the timeline chart. */
function marks(html: string): { cls: string; minute: string; count: number; minutes: number }[] {
  const out = [];
  for (const match of html.matchAll(/<rect class="mark" data-class="([a-z]+)" data-minute="([^"]+)" data-minutes="(\d+)" data-count="(\d+)"/g)) {
    out.push({ cls: match[1], minute: match[2], minutes: Number(match[3]), count: Number(match[4]) });
  }
  return out;
}

function tableRows(html: string, id: string): string[] {
  const table = html.match(new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`))?.[1] ?? '';
  return [...table.matchAll(/<tr data-[a-z]+="[^"]*"/g)].map((m) => m[0]);
}

describe('renderHtmlReport on a small fixture', () => {
  it('draws one mark per class per minute with connections of that class, with the counts of the timeline', async () => {
    const summary = await analyze([fileSource(SMALL)]);
    const html = renderHtmlReport({ summary });
    const byClass = (cls: string) =>
      marks(html)
        .filter((m) => m.cls === cls)
        .map((m) => `${m.minute.slice(11, 16)}×${m.count}`);
    // the fixture: A, B established at 10:00, C refused at 10:00, D unanswered at 10:01,
    // E established then reset at 10:01, F rejected and G refused at 10:03, nothing at 10:02
    expect(byClass('established')).toEqual(['10:00×2', '10:01×1']);
    expect(byClass('reset')).toEqual(['10:01×1']);
    expect(byClass('refused')).toEqual(['10:00×1', '10:03×1']);
    expect(byClass('unanswered')).toEqual(['10:01×1']);
    expect(byClass('rejected')).toEqual(['10:03×1']);
    expect(byClass('midstream')).toEqual([]);
    expect(marks(html).every((m) => m.minutes === 1)).toBe(true);
    // the empty minute is on the axis, and the SKIPDATA window is shaded
    expect(html).toContain('>10:02</text>');
    expect(html).toMatch(/<g class="blind"><title>SKIPDATA on eni-b 10:02–10:02 UTC/);
  });

  it('lists every failing peer and failed connection, and says when each class happened', async () => {
    const summary = await analyze([fileSource(SMALL)]);
    const html = renderHtmlReport({ summary });
    expect(tableRows(html, 'peers-table')).toEqual([
      '<tr data-peer="10.0.0.3:6379"',
      '<tr data-peer="10.0.0.2:22"',
      '<tr data-peer="10.0.0.4:5432"',
      '<tr data-peer="10.0.0.2:443"',
    ]);
    expect(tableRows(html, 'failures-table')).toHaveLength(4);
    expect(html).toMatch(/<li data-class="refused">.*?<span class="ranges">10:00, 10:03<\/span>/);
    expect(html).toMatch(/<li data-class="unanswered">.*?<span class="ranges">10:01<\/span>/);
    expect(html).not.toContain('id="capture"');
  });

  it('draws ladders in time order with the inferred tie order, one arrow per window seen on two interfaces', async () => {
    const summary = await analyze([fileSource(SMALL)]);
    const { html, ladders } = await buildHtmlReport({ summary, sources: [fileSource(SMALL)] });
    expect(ladders).toBe(4);
    const arrows = (id: string) => {
      const figure = html.match(new RegExp(`<figure class="ladder-figure" id="ladder-${id}"[\\s\\S]*?</figure>`))?.[0] ?? '';
      return [...figure.matchAll(/<g class="arrow" data-kind="([^"]+)" data-from="([^"]+)"/g)].map((m) => `${m[2]}:${m[1]}`);
    };
    const id = (cls: string, port: number) => summary.failures.find((c) => c.class === cls && c.server.port === port)?.id ?? '';
    // the RST line comes first in the file, in the same second as the SYN: SYN goes first anyway
    expect(arrows(id('refused', 6379))).toEqual(['client:SYN', 'server:RST']);
    expect(arrows(id('unanswered', 5432))).toEqual(['client:SYN']);
    expect(arrows(id('rejected', 22))).toEqual(['client:SYN']);
    expect(html).toContain('SYN (3 pkts)');
    expect(html).toContain('SYN · REJECT');
    expect(html).toMatch(/order SYN, SYN-ACK, data, FIN\/RST is <b>inferred<\/b>/);
  });

  it('merges a window seen by two interfaces into one event and orders ties SYN, SYN-ACK, data, FIN/RST', async () => {
    const summary = await analyze([fileSource(SMALL)]);
    const ladderOf = async (client: Endpoint, server: Endpoint) => {
      const id = connectionId(`${client.address} ${client.port} ${server.address} ${server.port}`);
      const records = await collectConnectionRecords([fileSource(SMALL)], new Set([id]));
      const connection: ConnectionReport = { ...summary.failures[0], id, class: 'established', client, server };
      return buildLadder(connection, records.get(id) ?? []);
    };
    // A: SYN and SYN-ACK seen on eni-a and eni-b, then data+FIN and FIN
    const a = await ladderOf({ address: '10.0.0.1', port: 50001 }, { address: '10.0.0.2', port: 443 });
    expect(a.records).toBe(6);
    expect(a.events.map((e) => `${e.from}:${e.kind}`)).toEqual(['client:SYN', 'server:SYN-ACK', 'client:data', 'client:FIN', 'server:FIN']);
    expect(a.events[0].interfaces).toEqual(['eni-a', 'eni-b']);
    // E: RST, SYN-ACK and SYN in that file order, all in one second
    const e = await ladderOf({ address: '10.0.0.1', port: 50005 }, { address: '10.0.0.2', port: 443 });
    expect(e.events.map((ev) => `${ev.from}:${ev.kind}`)).toEqual(['client:SYN', 'server:SYN-ACK', 'client:RST']);
  });
});

describe('escaping', () => {
  const HOSTILE = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>&`;

  it('escapes hostile strings that arrive through real input: interface ids and file names', async () => {
    const text = [
      'version interface-id srcaddr dstaddr srcport dstport protocol tcp-flags packets bytes start end action log-status',
      '5 <script>alert(1)</script> 10.0.0.1 10.0.0.3 50003 6379 6 2 1 60 1767607245 1767607245 ACCEPT OK',
      '5 <script>alert(1)</script> 10.0.0.3 10.0.0.1 6379 50003 6 4 1 40 1767607245 1767607245 ACCEPT OK',
      '5 "><img/src=x/onerror=alert(2)> - - - - - - - - 1767607200 1767607259 - SKIPDATA',
      'this line is malformed <b>bold</b>',
    ].join('\n');
    const name = '<img src=x onerror=alert(3)>.log';
    const summary = await analyze([textSource(name, text)]);
    const { html } = await buildHtmlReport({ summary, sources: [textSource(name, text)], context: { inputs: [name] } });
    expect(html).not.toMatch(/<script|<img|<b>bold/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(3)&gt;.log');
    expect(html).toContain('&quot;&gt;&lt;img/src=x/onerror=alert(2)&gt;');
  });

  it('escapes every string of the summary and the context', async () => {
    const summary = await analyze([fileSource(SMALL)]);
    const hostile: Summary = {
      ...summary,
      headline: HOSTILE,
      interfaces: { count: 1, ids: [HOSTILE] },
      gaps: { nodata: [{ interface: HOSTILE, start: null, end: null, records: 1 }], skipdata: [{ interface: HOSTILE, start: '2026-01-05T10:02:00Z', end: '2026-01-05T10:02:59Z', records: 1 }], omitted: 0 },
      natHops: { records: 1, via: [{ address: HOSTILE, records: 1 }] },
      peers: summary.peers.map((peer) => ({ ...peer, peer: HOSTILE, address: HOSTILE })),
      failures: summary.failures.map((c) => ({ ...c, id: HOSTILE, rule: HOSTILE, client: { address: HOSTILE, port: 1 }, flags: { client: HOSTILE, server: HOSTILE } })),
      malformed: { count: 1, examples: [{ source: HOSTILE, line: 1, message: HOSTILE }] },
      records: { ...summary.records, malformed: 1, nodata: 1, skipdata: 1 },
      warnings: [HOSTILE],
      errors: [{ source: HOSTILE, code: 'truncated-gzip', message: HOSTILE }],
      tcp: { ...summary.tcp, classified: false, reason: HOSTILE },
    };
    const html = renderHtmlReport({
      summary: hostile,
      connectionRecords: new Map(),
      context: {
        version: HOSTILE,
        generatedAt: HOSTILE,
        inputs: [HOSTILE],
        laddersUnavailable: HOSTILE,
        capture: { id: HOSTILE, target: HOSTILE, flowLogIds: [HOSTILE], format: HOSTILE, destination: HOSTILE, window: { start: HOSTILE, end: HOSTILE }, delivery: { complete: false, note: HOSTILE } },
      },
    });
    expect(html).not.toMatch(/<script|<img/i);
    expect(html.match(/&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&#39;&gt;&lt;img src=x onerror=alert\(2\)&gt;&amp;/g)?.length).toBeGreaterThan(20);
    // nothing may load from anywhere, even by mistake
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  });
});

describe('large captures', () => {
  /** `connections` refused connections spread over `minutes` minutes and `servers` servers. */
  function refusedInput(connections: number, minutes: number, servers: number): string {
    const lines = ['version interface-id srcaddr dstaddr srcport dstport protocol tcp-flags packets bytes start end action log-status'];
    for (let i = 0; i < connections; i++) {
      const at = 1767607200 + (i % minutes) * 60 + 7;
      const server = `10.9.${Math.floor((i % servers) / 200)}.${(i % servers) % 200}`;
      lines.push(`5 eni-a 10.0.0.1 ${server} ${20000 + i} 6379 6 2 1 60 ${at} ${at} ACCEPT OK`);
      lines.push(`5 eni-a ${server} 10.0.0.1 6379 ${20000 + i} 6 4 1 40 ${at} ${at} ACCEPT OK`);
    }
    return lines.join('\n');
  }

  it('caps the tables and ladders worst first and says what was left out', async () => {
    const text = refusedInput(1234, 30, 60);
    const summary = await analyze([textSource('big.log', text)]);
    expect(summary.failuresTotal).toBe(1234);
    const limits = { ladders: 5, failures: 20, peers: 10 };
    const { html, ladders } = await buildHtmlReport({ summary, sources: [textSource('big.log', text)], limits });
    expect(ladders).toBe(5);
    expect(tableRows(html, 'failures-table')).toHaveLength(20);
    expect(html).toContain('showing 20 of 1,234 failed connections');
    expect(html.match(/<figure class="ladder-figure"/g)).toHaveLength(5);
    expect(html).toContain('showing 5 of 1,234 failed connections');
    expect(tableRows(html, 'peers-table')).toHaveLength(10);
    expect(html).toContain('showing 10 of 50 peers with failures or resets');
    expect(html).toContain('The summary keeps the 50 worst of 60 peers');
    // the rows shown are the first of the summary's worst-first order
    const shown = [...html.matchAll(/<tr data-connection="([0-9a-f]+)"/g)].map((m) => m[1]);
    expect(shown).toEqual(summary.failures.slice(0, 20).map((c) => c.id));
  });

  it('picks ladders across classes and servers before repeating one', async () => {
    const summary = await analyze([fileSource(SMALL)]);
    const chosen = ladderConnectionIds(summary, { ladders: 3 });
    const classes = summary.failures.filter((c) => chosen.has(c.id)).map((c) => `${c.class} ${c.server.address}`);
    expect(new Set(classes).size).toBe(3);
  });

  it('folds a long window into buckets of several minutes and says so', async () => {
    const summary = await analyze([textSource('long.log', refusedInput(300, 30, 5))]);
    const html = renderHtmlReport({ summary, limits: { chartBars: 10 } });
    const refused = marks(html).filter((m) => m.cls === 'refused');
    expect(refused).toHaveLength(10);
    expect(refused.every((m) => m.minutes === 3)).toBe(true);
    expect(refused.reduce((sum, m) => sum + m.count, 0)).toBe(300);
    expect(html).toContain('each bar covers 3 minutes');
  });
});

describe('capture facts and missing ladders', () => {
  it('shows the capture facts when given, estimate against actual cost', async () => {
    const summary = await analyze([fileSource(SMALL)]);
    const html = renderHtmlReport({
      summary,
      context: {
        capture: {
          id: 'fd-20260105-1000-abc',
          target: 'i-0abc (eni-0def)',
          flowLogIds: ['fl-0123'],
          format: 'handshake',
          destination: 's3://bucket/flowdump/',
          window: { start: '2026-01-05T10:00:00Z', end: '2026-01-05T10:15:00Z' },
          estimateUsd: { low: 0.02, high: 0.05 },
          actualUsd: 0.09,
          delivery: { complete: false, note: 'settle timeout of 15m reached' },
        },
      },
    });
    const section = html.match(/<section id="capture">[\s\S]*?<\/section>/)?.[0] ?? '';
    expect(section).toContain('i-0abc (eni-0def)');
    expect(section).toContain('$0.02 – $0.05');
    expect(section).toContain('$0.09 <span class="bad-text">above the estimate</span>');
    expect(html).toMatch(/Delivery incomplete: .*settle timeout of 15m reached/);
  });

  it('explains why there are no ladders', async () => {
    const summary = await analyze([fileSource(SMALL)]);
    const { html, ladders } = await buildHtmlReport({ summary, sources: null, context: { laddersUnavailable: 'stdin was larger than 64 MiB' } });
    expect(ladders).toBe(0);
    expect(html).toContain('No ladder diagrams: stdin was larger than 64 MiB.');
  });
});

describe('bufferedSource (stdin for the second pass)', () => {
  const stream = (parts: string[]): Source => ({
    name: '-',
    async *bytes() {
      for (const part of parts) yield Buffer.from(part);
    },
  });
  const read = async (source: Source) => {
    let text = '';
    for await (const chunk of source.bytes()) text += Buffer.from(chunk).toString();
    return text;
  };

  it('replays what it read within the bound', async () => {
    const buffered = bufferedSource(stream(['abc', 'def']), 100);
    expect(buffered.replay()).toBeNull();
    expect(await read(buffered.source)).toBe('abcdef');
    const replay = buffered.replay();
    expect(replay && (await read(replay))).toBe('abcdef');
    expect(buffered.reason()).toBeUndefined();
  });

  it('drops the copy past the bound and says why', async () => {
    const buffered = bufferedSource(stream(['abc', 'def']), 4);
    expect(await read(buffered.source)).toBe('abcdef');
    expect(buffered.replay()).toBeNull();
    expect(buffered.reason()).toMatch(/^stdin was larger than .* save the data to a file and pass the file instead$/);
  });
});

describe('markdown carries the same facts', () => {
  it('has the headline, when each class happened, the tables and the capture facts', async () => {
    const summary = await analyze([fileSource(SMALL)]);
    const md = renderSummaryMarkdown(summary, 10, { capture: { id: 'fd-1', target: 'i-0abc', estimateUsd: { low: 0.02, high: 0.05 }, actualUsd: 0.03 } });
    expect(md).toContain(`**Verdict:** ${summary.headline}`);
    expect(md).toContain('- refused (2): 10:00, 10:03');
    expect(md).toContain('- unanswered (1): 10:01');
    expect(md).toContain('| `10.0.0.3:6379` | 2 | 0 | 2 | 0 | 0 | 0 |');
    expect(md).toContain('- capture `fd-1` on i-0abc');
    expect(md).toContain('- cost estimated $0.0200–$0.0500, actual $0.0300');
    expect(md).toContain('`eni-b` 2026-01-05T10:02:00Z – 2026-01-05T10:02:59Z');
  });
});
