import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { bufferedSource, type BufferedSource } from '../../analyze/buffered-source.js';
import { DEFAULT_CONCURRENCY, readAhead } from '../../analyze/read-ahead.js';
import { analyzeSources } from '../../analyze/run.js';
import type { Source } from '../../analyze/sources.js';
import { nothingWellFormed } from '../../analyze/summary.js';
import { UsageError } from '../../errors.js';
import { resolveFormat } from '../../format/presets.js';
import { ExitCode } from '../../errors.js';
import { version } from '../../version.js';
import { printJson, withCommonOptions, type CliContext, type CommonOptions } from '../context.js';
import { renderSummaryMarkdown } from '../render/summary-markdown.js';
import { renderSummaryText } from '../render/summary-text.js';
import { operandsAfterDashDash, rawArgsOf, resolveCommandInput } from '../sources.js';

interface AnalyzeFlags extends CommonOptions {
  logFormat?: string;
  since?: string;
  until?: string;
  markdown?: boolean;
  html?: string;
  top: string;
  explain?: boolean;
  concurrency: string;
  engine?: string;
  workgroup?: string;
  maxScanCost?: string;
}

/** stdin is kept up to this much for the report's second pass (ladders); beyond it the report explains. */
export const STDIN_REPLAY_BYTES = 64 * 2 ** 20;

export function analyzeCommand(ctx: CliContext): Command {
  const command = new Command('analyze')
    .summary('TCP handshake summary of flow-log data')
    .description(
      'Reads VPC Flow Logs data (S3 text .log/.log.gz, Parquet, CSV exports, stdin) and classifies every TCP\n' +
        'connection: established, refused, unanswered, rejected or midstream; with resets, retried SYNs,\n' +
        'failures per minute, the peers that fail, NAT hops and blind spots (NODATA/SKIPDATA).',
    )
    .argument('<source...>', 'files, directories (read recursively, as `aws s3 sync` lays them out), - for stdin, s3://bucket/prefix, logs:/group or a capture id; then an optional filter expression (as for flowdump show)')
    .option('--log-format <format>', "format of headerless data: a preset (tcpdump, handshake, full) or '${field} …' (default: version 2)")
    .option('--markdown', 'print the summary as Markdown, for an incident ticket')
    .option('--html <file>', 'also write a self-contained HTML report (timeline chart, peers, ladder diagrams) to <file>')
    .addOption(new Option('--top <n>', 'rows in the peer and connection tables').default('10'))
    .addOption(new Option('--concurrency <n>', 'S3 objects downloaded at once (memory for them is capped at 128 MiB)').default(String(DEFAULT_CONCURRENCY)))
    .option('--since <time>', 'logs:/group and --engine athena: records from this time (ISO) or this long ago (90m, 2h, 1d)')
    .option('--until <time>', 'logs:/group and --engine athena: records up to this time (ISO) or this long ago')
    .addOption(new Option('--engine <engine>', 'local (download and analyze here), athena (one Athena query over the S3 prefix), auto (Athena from 1 GiB of objects)').default('local'))
    .option('--workgroup <name>', 'Athena workgroup (default: primary)')
    .option('--max-scan-cost <usd>', 'Athena: refuse to run a query whose scan would cost more than this')
    .option('--explain', 'say what blocks each rejected or unanswered peer: reads (never changes) the security groups and network ACLs in force; needs AWS credentials and --region');
  withCommonOptions(command, true);
  command.addHelpText(
    'after',
    `
Examples:
  flowdump analyze examples/incident-capture
  flowdump analyze ./synced-from-s3/ --json | jq .tcp
  zcat capture.log.gz | flowdump analyze - --markdown
  flowdump analyze examples/incident-capture --html report.html
  flowdump analyze capture/ port 5432                  only the connections to or from port 5432
  flowdump analyze capture/ 'tcp[tcpflags] & tcp-rst != 0'   the connections that saw a RST, with their full verdicts
  flowdump analyze export.log --log-format '\${version} \${interface-id} \${srcaddr} \${dstaddr}'
  flowdump analyze s3://my-flow-logs/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/05/01/
  flowdump analyze s3://my-flow-logs/AWSLogs/ --engine athena --since 1d --max-scan-cost 1   one Athena query (docs/athena.md)
  flowdump analyze logs:/vpc/flow-logs --since 2h
  flowdump analyze fd-20260501-120000-3fa9              a capture of yours (its stored summary once cleaned)
  flowdump analyze capture/ --explain --region eu-west-1   which security group or network ACL rule blocks each failing peer

A filter expression selects what is reported, never how it is judged: every record is still read
and every verdict is the one the whole input gives; the summary lists the TCP connections with at
least one matching record, and the UDP/ICMP records that match. Blind spots are always reported.

Exit codes: 0 analyzed, 2 bad arguments, 4 some input could not be read to its end (the summary covers what was read)
or no line of it is a flow-log record.`,
  );
  command.action(async (args: string[], flags: AnalyzeFlags, self: Command) => {
    const top = Number(flags.top);
    if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top must be a positive whole number, not "${flags.top}"`);
    const concurrency = Number(flags.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new UsageError(`--concurrency must be a whole number from 1 to 256, not "${flags.concurrency}"`);
    if (flags.json && flags.markdown) throw new UsageError('--json and --markdown cannot be combined; pick one output');
    const explicit = flags.logFormat ? resolveFormat(flags.logFormat, '--log-format') : undefined;
    // fail before the (possibly long) analysis, not after it
    if (flags.html !== undefined) await checkWritableFolder(flags.html);
    // fail on a missing region before the (possibly long) analysis, not after it
    const aws = flags.explain ? await (await import('../aws.js')).openAws(ctx, flags, 'flowdump-analyze.json') : undefined;
    if (flags.engine !== undefined && flags.engine !== 'local') {
      // loaded only for these engines: Athena's client and SQL
      const { athenaReportContext, athenaSummary, engineLine } = await import('../athena-analyze.js');
      const summary = await athenaSummary(ctx, args, flags, explicit, 50);
      if (summary) {
        if (aws) summary.explanations = await (await import('../explain.js')).explainWithAws(aws, summary, { top });
        if (flags.json) printJson(ctx, summary);
        else ctx.io.stdout.write(`${flags.markdown ? renderSummaryMarkdown(summary, top) : renderSummaryText(summary, { paint: ctx.paint, top })}${engineLine(summary)}\n`);
        if (flags.html !== undefined) {
          // Athena answers the summary only: every section but the ladders, which say how to get them
          const { writeHtmlReport } = await import('../../report/write-report.js');
          const context = athenaReportContext(summary, args, { generatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), version: version() });
          const report = await writeHtmlReport(flags.html, { summary, sources: null, context });
          if (!flags.json) ctx.io.stderr.write(`${ctx.paintErr.dim(`HTML report written to ${report.path} (no ladder diagrams with the Athena engine); open it in a browser`)}\n`);
        }
        return;
      }
    }
    const input = await resolveCommandInput(ctx, args, { afterDashDash: operandsAfterDashDash(rawArgsOf(self)), aws: flags });
    // headerless CloudWatch Logs data: the format of the flow log (or capture) that wrote it
    const format = explicit ?? input.format;
    let stdin: BufferedSource | undefined;
    // the ladders read the sources a second time; stdin can only be read once, so keep a bounded copy
    const keepStdin = (source: Source): Source => (flags.html !== undefined && source.name === '-' ? (stdin ??= bufferedSource(source, STDIN_REPLAY_BYTES)).source : source);
    const sources = readAhead(mapSources(input.sources, keepStdin), { concurrency });
    const readOptions = { format, explicitFormat: explicit !== undefined };
    // a cleaned capture has no data left: its stored summary is the answer
    const summary = input.storedSummary && !input.filter ? input.storedSummary : (await analyzeSources(sources, { ...readOptions, focus: input.filter })).summary;
    if (input.filter) summary.filter = input.expression;
    // --explain code loads only for --explain
    if (aws) summary.explanations = await (await import('../explain.js')).explainWithAws(aws, summary, { top });
    if (flags.json) printJson(ctx, summary);
    else if (flags.markdown) ctx.io.stdout.write(renderSummaryMarkdown(summary, top));
    else ctx.io.stdout.write(renderSummaryText(summary, { paint: ctx.paint, top }));
    if (flags.html !== undefined) {
      const replay = stdin?.replay();
      const secondPass = stdin && !replay ? null : mapSources(sources, (source) => (source.name === '-' && replay ? replay : source));
      // the report code loads only for --html
      const { writeHtmlReport } = await import('../../report/write-report.js');
      const report = await writeHtmlReport(flags.html, {
        summary,
        sources: secondPass,
        readOptions,
        context: { generatedAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'), version: version(), inputs: input.names, laddersUnavailable: stdin?.reason() },
      });
      if (!flags.json) ctx.io.stderr.write(`${ctx.paintErr.dim(`HTML report written to ${report.path} (${report.ladders} ladder diagram${report.ladders === 1 ? '' : 's'}); open it in a browser`)}\n`);
    }
    if (summary.errors.length > 0 || nothingWellFormed(summary.records)) ctx.exitCode = ExitCode.input;
  });
  return command;
}

function mapSources(sources: Source[] | AsyncIterable<Source>, change: (source: Source) => Source): Source[] | AsyncIterable<Source> {
  if (Array.isArray(sources)) return sources.map(change);
  return {
    async *[Symbol.asyncIterator]() {
      for await (const source of sources) yield change(source);
    },
  };
}

async function checkWritableFolder(file: string): Promise<void> {
  const folder = dirname(resolve(file));
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new UsageError(`--html ${file}: the folder ${folder} does not exist; create it or pick another path`, { code: 'no-such-folder' });
  const target = await stat(file).catch(() => undefined);
  if (target?.isDirectory()) throw new UsageError(`--html ${file} is a directory; give a file name such as ${file.replace(/\/?$/, '/report.html')}`, { code: 'is-a-directory' });
}
