import type { ConnectionRecord } from '../analyze/connection-records.js';
import { displayEndpoint } from '../analyze/fold.js';
import type { ConnectionReport, GapWindow, PeerRow, Summary } from '../analyze/summary.js';
import { renderTimelineChart } from './chart.js';
import { whyCell, whyHeader, whySection } from './explain-html.js';
import type { CaptureFacts, ReportContext } from './context.js';
import { buildLadder, renderLadderSvg, type Ladder } from './ladder.js';
import { capNote, esc, hhmm, num, plural } from './markup.js';
import { FAILURE_SERIES, VOLUME_SERIES, failureRanges, formatRanges, spansDays } from './when.js';

/** How much a report shows; large captures are cut worst first and the report says what was left out. */
export interface ReportLimits {
  /** ladder diagrams (the worst failed connections) */
  ladders: number;
  /** rows in the failed-connections table */
  failures: number;
  /** rows in the peer table */
  peers: number;
  /** arrows per ladder */
  eventsPerLadder: number;
  /** bars in the timeline chart before minutes are folded into buckets */
  chartBars: number;
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = { ladders: 10, failures: 50, peers: 25, eventsPerLadder: 40, chartBars: 180 };

export interface HtmlReportOptions {
  summary: Summary;
  /**
   * The records of the connections to draw ladders for, by connection id (from
   * `collectConnectionRecords`). Absent: no ladders, and `context.laddersUnavailable` says why.
   */
  connectionRecords?: ReadonlyMap<string, readonly ConnectionRecord[]>;
  context?: ReportContext;
  limits?: Partial<ReportLimits>;
}

/**
 * The ids of the connections a report draws ladders for, up to the limit: the worst
 * connection of each (class, server address) pair first, then the next worst of each, and so on
 * — so ten refused connections to one Redis do not crowd out the only unanswered
 * Postgres connection. Within that, `summary.failures` order (worst first) decides.
 */
export function ladderConnectionIds(summary: Summary, limits: Partial<ReportLimits> = {}): Set<string> {
  const max = limits.ladders ?? DEFAULT_REPORT_LIMITS.ladders;
  const groups = new Map<string, ConnectionReport[]>();
  for (const connection of summary.failures) {
    const key = `${connection.class} ${connection.server.address}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group.push(connection);
  }
  const chosen = new Set<string>();
  for (let round = 0; chosen.size < max; round++) {
    let any = false;
    for (const group of groups.values()) {
      if (round >= group.length) continue;
      any = true;
      chosen.add(group[round].id);
      if (chosen.size >= max) break;
    }
    if (!any) break;
  }
  return chosen;
}

/**
 * The whole report as one self-contained HTML document: inline CSS and SVG, no script,
 * nothing loaded from anywhere (a Content-Security-Policy forbids it, so even a
 * mistake cannot make the page phone out). Pure: same input, same bytes.
 */
export function renderHtmlReport(options: HtmlReportOptions): string {
  const { summary, context = {} } = options;
  const limits: ReportLimits = { ...DEFAULT_REPORT_LIMITS, ...options.limits };
  const chosen = ladderConnectionIds(summary, limits);
  const ladders = options.connectionRecords
    ? summary.failures
        .filter((connection) => chosen.has(connection.id))
        .map((connection) => buildLadder(connection, options.connectionRecords?.get(connection.id) ?? [], { maxEvents: limits.eventsPerLadder }))
    : undefined;
  const title = `flowdump report · ${summary.window.start ? `${summary.window.start.slice(0, 10)} ${hhmm(summary.window.start)} UTC` : 'no timestamps'}`;
  const body = [
    header(summary, context),
    verdict(summary),
    context.capture ? capture(context.capture) : '',
    timeline(summary, limits),
    peers(summary, limits),
    whySection(summary),
    failures(summary, limits, new Set((ladders ?? []).map((ladder) => ladder.connection.id))),
    ladderSection(summary, ladders, context, limits),
    blindSpots(summary, context),
    otherTraffic(summary),
    footer(context),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="flowdump${context.version ? ` ${esc(context.version)}` : ''}">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function header(summary: Summary, context: ReportContext): string {
  const { records } = summary;
  const multiDay = (summary.window.start ?? '').slice(0, 10) !== (summary.window.end ?? '').slice(0, 10);
  const window = summary.window.start ? `${summary.window.start.slice(0, 10)} ${hhmm(summary.window.start)}–${hhmm(summary.window.end, multiDay)} UTC` : 'no timestamps in the data';
  const inputs = context.inputs?.length ? `<p class="meta">Input: ${context.inputs.map((input) => `<code>${esc(input)}</code>`).join(' ')}</p>` : '';
  const engine = context.engine ? `<p class="meta" data-kind="engine">Engine: ${esc(context.engine)}</p>` : '';
  return `<header>
<h1>flowdump <span>TCP handshake report</span></h1>
<p class="meta">${esc(window)} · ${plural(records.total, 'record')} from ${plural(summary.sources.count, 'source')} · ${plural(summary.interfaces.count, 'interface')}</p>
${inputs}${engine}
<nav><a href="#timeline">When</a><a href="#peers">Peers</a>${summary.explanations ? '<a href="#why">Why</a>' : ''}<a href="#failures">Failed connections</a><a href="#ladders">Ladders</a><a href="#blind-spots">Blind spots</a>${context.capture ? '<a href="#capture">Capture</a>' : ''}</nav>
</header>`;
}

function verdict(summary: Summary): string {
  const { tcp } = summary;
  const failing = tcp.refused + tcp.unanswered + tcp.rejected;
  const tone = !tcp.classified ? 'warn' : failing > 0 ? 'bad' : tcp.reset > 0 ? 'warn' : 'ok';
  const card = (key: string, label: string, value: number, note: string, color: string) =>
    `<div class="card" data-class="${key}"><span class="swatch" style="background:${color}"></span><b>${num(value)}</b> ${esc(label)}<small>${esc(note)}</small></div>`;
  const colors = Object.fromEntries([...FAILURE_SERIES, ...VOLUME_SERIES].map((s) => [s.key, s.color]));
  const cards = [
    card('established', 'established', tcp.established, `closed ${num(tcp.closed)}`, colors.established),
    card('reset', 'reset', tcp.reset, 'after the handshake', colors.reset),
    card('refused', 'refused', tcp.refused, 'SYN answered by RST', colors.refused),
    card('unanswered', 'unanswered', tcp.unanswered, tcp.unansweredLowConfidence ? `${num(tcp.unansweredLowConfidence)} low confidence` : 'SYN, nothing back', colors.unanswered),
    card('rejected', 'rejected', tcp.rejected, 'security group / NACL', colors.rejected),
    card('midstream', 'midstream', tcp.midstream, 'began before the capture', colors.midstream),
  ].join('');
  const worstPeers = summary.peers.filter((peer) => peer.failures > 0).slice(0, 3);
  const who = worstPeers.length
    ? `<p class="who">Most affected: ${worstPeers.map((peer) => `<code>${esc(peer.peer)}</code> (${esc(peerFailureText(peer))})`).join(', ')}</p>`
    : '';
  return `<section id="verdict" class="verdict ${tone}">
<p class="headline">${esc(summary.headline)}</p>
${tcp.classified || !tcp.reason || summary.headline.includes(tcp.reason) ? '' : `<p class="reason">${esc(tcp.reason)}</p>`}
<div class="cards">${cards}</div>
<p class="meta">${plural(tcp.connections, 'TCP connection')} · ${plural(tcp.retriedSyn, 'connection')} with a retried SYN</p>
${who}
</section>`;
}

function peerFailureText(peer: PeerRow): string {
  const parts: string[] = [];
  if (peer.unanswered) parts.push(`${num(peer.unanswered)} unanswered`);
  if (peer.refused) parts.push(`${num(peer.refused)} refused`);
  if (peer.rejected) parts.push(`${num(peer.rejected)} rejected`);
  return parts.join(', ');
}

function capture(facts: CaptureFacts): string {
  const rows: [string, string][] = [];
  if (facts.id) rows.push(['capture', `<code>${esc(facts.id)}</code>`]);
  if (facts.target) rows.push(['target', esc(facts.target)]);
  if (facts.flowLogIds?.length) rows.push(['flow logs', facts.flowLogIds.map((id) => `<code>${esc(id)}</code>`).join(' ')]);
  if (facts.format) rows.push(['format', `<code>${esc(facts.format)}</code>`]);
  if (facts.destination) rows.push(['destination', `<code>${esc(facts.destination)}</code>`]);
  if (facts.window) rows.push(['window', `${esc(facts.window.start ?? '?')} – ${esc(facts.window.end ?? '?')}`]);
  if (facts.estimateUsd) rows.push(['estimated cost', `${usd(facts.estimateUsd.low)} – ${usd(facts.estimateUsd.high)}`]);
  if (facts.actualUsd !== undefined) {
    const verdict = facts.estimateUsd ? (facts.actualUsd > facts.estimateUsd.high ? ' <span class="bad-text">above the estimate</span>' : facts.actualUsd < facts.estimateUsd.low ? ' (below the estimate)' : ' (within the estimate)') : '';
    rows.push(['actual cost', `${usd(facts.actualUsd)}${verdict}`]);
  }
  if (facts.delivery) rows.push(['delivery', facts.delivery.complete ? 'complete: the last aggregation window was delivered' : `<span class="bad-text">incomplete</span>${facts.delivery.note ? `: ${esc(facts.delivery.note)}` : ''}`]);
  return `<section id="capture">
<h2>Capture</h2>
<dl class="facts">${rows.map(([term, value]) => `<dt>${term}</dt><dd>${value}</dd>`).join('')}</dl>
</section>`;
}

function usd(value: number): string {
  return Number.isFinite(value) ? `$${value < 1 ? value.toFixed(4).replace(/0{1,2}$/, '') : value.toFixed(2)}` : '?';
}

function timeline(summary: Summary, limits: ReportLimits): string {
  const chart = renderTimelineChart(summary.timeline, { window: summary.window, skipdata: summary.gaps.skipdata, maxBars: limits.chartBars });
  if (!chart) return `<section id="timeline"><h2>When</h2><p class="muted">No TCP connection with a timestamp: nothing to draw.</p></section>`;
  const withDate = spansDays(summary.timeline);
  const when = failureRanges(summary.timeline);
  const colors = Object.fromEntries(FAILURE_SERIES.map((s) => [s.key, s.color]));
  const peak = summary.timeline.reduce((best, row) => (row.failures > (best?.failures ?? 0) ? row : best), undefined as (typeof summary.timeline)[number] | undefined);
  const whenList = when.length
    ? `<ul class="when">${when
        .map((row) => `<li data-class="${row.key}"><span class="swatch" style="background:${colors[row.key]}"></span><b>${esc(row.label)}</b> <span class="ranges">${esc(formatRanges(row.ranges, withDate))}</span> <small>(${num(row.total)})</small></li>`)
        .join('')}${peak ? `<li class="muted">peak: ${plural(peak.failures, 'failure')} in the minute ${esc(hhmm(peak.minute, withDate))}</li>` : ''}</ul>`
    : summary.tcp.classified
      ? '<p>No failed or reset connection in the whole window.</p>'
      : `<p class="reason">Handshakes cannot be judged in this data (${esc(summary.tcp.reason ?? 'no tcp-flags')}), so only rejected connections could show as failures.</p>`;
  const legend = [...FAILURE_SERIES, ...VOLUME_SERIES]
    .map((s) => `<span class="key"><span class="swatch" style="background:${s.color}"></span>${esc(s.label)} <small>${esc(s.meaning)}</small></span>`)
    .join('');
  const blind = summary.gaps.skipdata.length ? '<span class="key"><span class="swatch" style="background:#efe6c8"></span>SKIPDATA <small>records skipped by AWS (blind spot)</small></span>' : '';
  const per = chart.bucketMinutes === 1 ? 'minute' : `${chart.bucketMinutes} minutes`;
  return `<section id="timeline">
<h2>When <small>connections per ${per} by class, UTC, counted in the minute of the client's first SYN</small></h2>
${whenList}
<div class="chart-box">${chart.svg}</div>
<p class="legend">${legend}${blind}</p>
${chart.bucketMinutes > 1 ? `<p class="note">The window is long: each bar covers ${chart.bucketMinutes} minutes.</p>` : ''}
</section>`;
}

function peers(summary: Summary, limits: ReportLimits): string {
  const failing = summary.peers.filter((peer) => peer.failures > 0 || peer.reset > 0);
  const rows = failing.slice(0, limits.peers);
  if (rows.length === 0) return `<section id="peers"><h2>Peers</h2><p>No peer had a failed or reset connection (${plural(summary.peersTotal, 'peer')} in all).</p></section>`;
  const hot = (value: number, key: string) => `<td class="n${value > 0 ? ` hot ${key}` : ''}">${num(value)}</td>`;
  const notes: string[] = [];
  const cut = capNote(rows.length, failing.length, 'peers with failures or resets');
  if (cut) notes.push(`${cut} (worst first).`);
  if (summary.peersTotal > summary.peers.length) notes.push(`The summary keeps the ${num(summary.peers.length)} worst of ${num(summary.peersTotal)} peers; the others are counted in the totals above.`);
  else if (summary.peersTotal > failing.length) notes.push(`${plural(summary.peersTotal - failing.length, 'other peer')} had no failed or reset connection.`);
  return `<section id="peers">
<h2>Peers with failures <small>server side (ip:port), worst first</small></h2>
<table id="peers-table">
<thead><tr><th>peer</th><th class="n">connections</th><th class="n">established</th><th class="n">refused</th><th class="n">unanswered</th><th class="n">rejected</th><th class="n">reset</th><th class="n">midstream</th>${whyHeader(summary)}</tr></thead>
<tbody>
${rows
  .map(
    (peer) =>
      `<tr data-peer="${esc(peer.peer)}"><td><code>${esc(peer.peer)}</code></td><td class="n">${num(peer.connections)}</td><td class="n">${num(peer.established)}</td>${hot(peer.refused, 'refused')}${hot(peer.unanswered, 'unanswered')}${hot(peer.rejected, 'rejected')}${hot(peer.reset, 'reset')}<td class="n">${num(peer.midstream)}</td>${whyCell(summary, peer.peer)}</tr>`,
  )
  .join('\n')}
</tbody>
</table>
${notes.map((note) => `<p class="note">${esc(note)}</p>`).join('\n')}
</section>`;
}

function failures(summary: Summary, limits: ReportLimits, withLadder: ReadonlySet<string>): string {
  const rows = summary.failures.slice(0, limits.failures);
  if (rows.length === 0) return `<section id="failures"><h2>Failed connections</h2><p>None: every TCP handshake in the data completed (or began before the capture).</p></section>`;
  const cut = capNote(rows.length, summary.failuresTotal, 'failed connections');
  const notes = (c: ConnectionReport) => [c.retriedSyn ? 'retried SYN' : '', c.lowConfidence ? 'low confidence (SKIPDATA nearby)' : '', c.clientBy === 'port' ? 'client guessed by port' : ''].filter(Boolean).join('; ');
  return `<section id="failures">
<h2>Failed connections <small>worst first: refused, unanswered, rejected; retried SYNs first</small></h2>
${cut ? `<p class="note cap">${esc(cut)} (the worst first; all are counted in the totals above).</p>` : ''}
<table id="failures-table">
<thead><tr><th>id</th><th>client → server</th><th>class</th><th>first seen</th><th>last seen</th><th>flags c / s</th><th class="n">records</th><th>note</th></tr></thead>
<tbody>
${rows
  .map(
    (c) =>
      `<tr data-connection="${esc(c.id)}" data-class="${c.class}"><td><code>${withLadder.has(c.id) ? `<a href="#ladder-${esc(c.id)}">${esc(c.id)}</a>` : esc(c.id)}</code></td><td><code>${esc(displayEndpoint(c.client))} → ${esc(displayEndpoint(c.server))}</code></td><td><span class="tag ${c.class}">${c.class}</span></td><td>${esc(time(c.firstSeen))}</td><td>${esc(time(c.lastSeen))}</td><td><code>${esc(c.flags.client || '-')} / ${esc(c.flags.server || '-')}</code></td><td class="n">${num(c.records)}</td><td title="${esc(c.rule)}">${esc(notes(c))}</td></tr>`,
  )
  .join('\n')}
</tbody>
</table>
</section>`;
}

function time(iso: string | null): string {
  return iso ? iso.slice(11, 19) : '-';
}

function ladderSection(summary: Summary, ladders: Ladder[] | undefined, context: ReportContext, limits: ReportLimits): string {
  const head = '<h2>Ladders <small>what each side sent, for the worst failed connections</small></h2>';
  if (summary.failuresTotal === 0) return `<section id="ladders">${head}<p>No failed connection to draw.</p></section>`;
  if (!ladders) {
    const why = context.laddersUnavailable ?? 'the records of the connections were not read again (ladders need a re-readable source: a file, a directory or a capture)';
    return `<section id="ladders">${head}<p class="note">No ladder diagrams: ${esc(why)}.</p></section>`;
  }
  const cut = capNote(ladders.length, summary.failuresTotal, 'failed connections');
  const choice = 'the worst connection of each class and server address first, then the next worst of each';
  const caveat = `Flow logs do not record packets: each record is an aggregation window with the TCP flags of all its packets OR-ed together and start/end times to the second. Arrows are ordered by window start; within the same second (marked =) and within one window the order SYN, SYN-ACK, data, FIN/RST is <b>inferred</b>, not observed. The final ACK of a handshake is never recorded. A window seen by two interfaces is drawn once.`;
  const figures = ladders.map((ladder) => {
    const c = ladder.connection;
    const more = capNote(ladder.events.length, ladder.eventsTotal, 'events');
    return `<figure class="ladder-figure" id="ladder-${esc(c.id)}" data-connection="${esc(c.id)}" data-class="${c.class}">
<figcaption><code>${esc(c.id)}</code> <span class="tag ${c.class}">${c.class}</span> <code>${esc(displayEndpoint(c.client))} → ${esc(displayEndpoint(c.server))}</code> <small>${esc(c.rule)}${c.retriedSyn ? '; retried SYN' : ''}${c.lowConfidence ? '; low confidence: SKIPDATA nearby' : ''}</small></figcaption>
${renderLadderSvg(ladder)}
${more ? `<p class="note">${esc(more)} (${plural(ladder.records, 'record')}).</p>` : ''}
</figure>`;
  });
  return `<section id="ladders">
${head}
<p class="caveat">${caveat}</p>
${cut ? `<p class="note cap">${esc(cut)} (${choice}; every failed connection is in the table above).</p>` : ''}
${figures.join('\n')}
</section>`;
}

function gapRows(gaps: readonly GapWindow[]): string {
  return gaps
    .map((gap) => `<tr><td><code>${esc(gap.interface ?? '?')}</code></td><td>${esc(time(gap.start))}</td><td>${esc(time(gap.end))}</td><td class="n">${num(gap.records)}</td></tr>`)
    .join('');
}

function blindSpots(summary: Summary, context: ReportContext): string {
  const { records, tcp, gaps } = summary;
  const items: string[] = [];
  if (context.capture?.delivery && !context.capture.delivery.complete) {
    items.push(`<li class="bad-text">Delivery incomplete: the capture stopped waiting before the last window arrived${context.capture.delivery.note ? ` (${esc(context.capture.delivery.note)})` : ''}; the end of the window may be missing data.</li>`);
  }
  for (const error of summary.errors) items.push(`<li class="bad-text" data-kind="error">Incomplete input: ${esc(error.message)}</li>`);
  if (!tcp.classified && tcp.reason) items.push(`<li>${esc(tcp.reason)}</li>`);
  const table = (rows: string) => `<table class="gaps"><thead><tr><th>interface</th><th>from</th><th>to</th><th class="n">records</th></tr></thead><tbody>${rows}</tbody></table>`;
  if (records.skipdata) {
    items.push(
      `<li data-kind="skipdata"><b>SKIPDATA: ${plural(records.skipdata, 'record')}</b> — AWS skipped records in these windows (capacity or an internal error), so the capture is blind there; ${plural(tcp.unansweredLowConfidence, 'unanswered verdict')} near them ${tcp.unansweredLowConfidence === 1 ? 'is' : 'are'} low confidence.${table(gapRows(gaps.skipdata))}</li>`,
    );
  }
  if (records.nodata) {
    items.push(`<li data-kind="nodata"><b>NODATA: ${plural(records.nodata, 'record')}</b> — interfaces with no traffic in these windows (idle, or not attached yet).${table(gapRows(gaps.nodata))}</li>`);
  }
  if (gaps.omitted) items.push(`<li>${plural(gaps.omitted, 'further gap window')} not listed.</li>`);
  if (records.malformed) {
    const examples = summary.malformed.examples
      .slice(0, 5)
      .map((problem) => `<li><code>${esc(problem.source)}${problem.line ? `:${problem.line}` : ''}</code> ${esc(problem.message)}</li>`)
      .join('');
    items.push(`<li data-kind="malformed"><b>${plural(records.malformed, 'malformed line')}</b> skipped (counted in the records total):<ul>${examples}</ul></li>`);
  }
  for (const warning of summary.warnings) items.push(`<li>${esc(warning)}</li>`);
  const body = items.length ? `<ul class="blind">${items.join('\n')}</ul>` : '<p>None seen: no records skipped, no idle windows, every input read to its end.</p>';
  return `<section id="blind-spots">
<h2>Blind spots <small>what the data could not see</small></h2>
${body}
</section>`;
}

function otherTraffic(summary: Summary): string {
  const { udp, icmp, natHops, records } = summary;
  const items = [
    `UDP: ${plural(udp.records, 'record')}, ${plural(udp.packets, 'packet')}${udp.rejected ? `, ${num(udp.rejected)} rejected` : ''}`,
    `ICMP: ${plural(icmp.records, 'record')}, ${plural(icmp.packets, 'packet')}${icmp.rejected ? `, ${num(icmp.rejected)} rejected` : ''}`,
  ];
  if (records.other) items.push(`other protocols: ${plural(records.other, 'record')}`);
  if (natHops.records) items.push(`NAT/TGW hops: ${plural(natHops.records, 'record')} where the interface address differs from the packet's, via ${natHops.via.slice(0, 5).map((hop) => `<code>${esc(hop.address)}</code>`).join(', ')}`);
  const interfaces = summary.interfaces.ids.length ? `<li>interfaces: ${summary.interfaces.ids.map((id) => `<code>${esc(id)}</code>`).join(' ')}${summary.interfaces.count > summary.interfaces.ids.length ? ` and ${num(summary.interfaces.count - summary.interfaces.ids.length)} more` : ''}</li>` : '';
  return `<section id="other">
<h2>Other traffic</h2>
<ul>${items.map((item) => `<li>${item}</li>`).join('')}${interfaces}</ul>
</section>`;
}

function footer(context: ReportContext): string {
  return `<footer>
<p>Established means a SYN-ACK was seen; flow logs never record the final ACK. Times are UTC with one-second resolution; a connection counts in the minute of its client's first SYN.</p>
<p>Made by flowdump${context.version ? ` ${esc(context.version)}` : ''}${context.generatedAt ? ` at ${esc(context.generatedAt)}` : ''}. This file is self-contained: it loads nothing from the network.</p>
</footer>`;
}

const STYLE = `
:root{--fg:#1d2329;--muted:#5f6b76;--line:#d8dde2;--bg:#fff;--soft:#f5f7f9;--bad:#b3261e;--warn:#8a5a00;--ok:#1e6b3a}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1040px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:22px;margin:0 0 4px}h1 span{font-weight:400;color:var(--muted)}
h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h2 small,figcaption small{font-weight:400;color:var(--muted);font-size:13px}
code{font:13px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.meta,.muted,.note{color:var(--muted)}.meta{margin:2px 0}.note{font-size:13px;margin:6px 0}
nav{margin:10px 0 0;display:flex;gap:14px;flex-wrap:wrap;font-size:14px}nav a{color:#0b5cad;text-decoration:none}
.verdict{margin-top:16px;padding:14px 16px;border-radius:8px;border-left:6px solid var(--ok);background:#eef7f1}
.verdict.bad{border-color:var(--bad);background:#fbeeee}.verdict.warn{border-color:#c98a00;background:#fdf6e6}
.headline{font-size:19px;font-weight:600;margin:0 0 10px}
.reason{color:var(--warn);margin:0 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:6px 10px;min-width:130px}
.card b{font-size:18px}.card small{display:block;color:var(--muted);font-size:12px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:6px;vertical-align:baseline}
.who{margin:10px 0 0}
.when{list-style:none;padding:0;margin:0 0 8px;display:flex;flex-wrap:wrap;gap:6px 22px}.when .ranges{font-variant-numeric:tabular-nums}.when small{color:var(--muted)}
.chart-box{border:1px solid var(--line);border-radius:6px;padding:6px;background:#fff}
.chart{width:100%;height:auto;display:block}
.chart text{font:11px system-ui,sans-serif;fill:var(--muted)}.chart .panel-title{font-size:12px;fill:var(--fg)}
.chart .grid{stroke:#edf0f2}.chart .base{stroke:#9aa4ad}.chart .tick{stroke:#f0f2f4}.chart .blind-label{fill:#8a6d1c;font-size:10px}
.legend{font-size:13px;display:flex;flex-wrap:wrap;gap:4px 16px;margin:8px 0}.legend small{color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--soft);font-weight:600;font-size:13px;white-space:nowrap}
td code{white-space:nowrap}
.n{text-align:right;font-variant-numeric:tabular-nums}
td.hot{font-weight:700}td.hot.refused{color:#a63f00}td.hot.unanswered{color:#8a5a00}td.hot.rejected{color:#8e3d6b}td.hot.reset{color:#00528a}
.tag{display:inline-block;padding:0 6px;border-radius:9px;font-size:12px;color:#fff;background:#777}
.tag.refused{background:#D55E00}.tag.unanswered{background:#b87d00}.tag.rejected{background:#b0588a}.tag.established{background:#009E73}
.caveat{background:var(--soft);border-radius:6px;padding:8px 12px;font-size:13px}
.ladder-figure{margin:14px 0 18px;padding:8px 10px;border:1px solid var(--line);border-radius:6px;break-inside:avoid}
figcaption{margin-bottom:4px}
.ladder{max-width:100%;height:auto;display:block}
.ladder text{font:12px system-ui,sans-serif}.ladder .lh{fill:var(--muted);font-size:11px}.ladder .le{font:12px ui-monospace,Menlo,monospace;fill:var(--fg)}
.ladder .lane{stroke:#9aa4ad;stroke-width:2}.ladder .lt{font:12px ui-monospace,Menlo,monospace;fill:var(--fg)}.ladder .tie{fill:var(--muted)}
.ladder .al{font-weight:600}.ladder .x{font-size:14px;font-weight:700}
.blind li{margin-bottom:8px}.gaps{width:auto;min-width:420px;margin-top:4px}
.bad-text{color:var(--bad)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
footer{margin-top:32px;border-top:1px solid var(--line);padding-top:8px;color:var(--muted);font-size:12px}
@media print{main{max-width:none}nav{display:none}}
`;
