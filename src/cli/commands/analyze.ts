import { Command, Option } from 'commander';
import { analyzeSources } from '../../analyze/run.js';
import { localSources } from '../../analyze/sources.js';
import { UsageError } from '../../errors.js';
import { resolveFormat } from '../../format/presets.js';
import { ExitCode } from '../../errors.js';
import { printJson, withCommonOptions, type CliContext, type CommonOptions } from '../context.js';
import { renderSummaryMarkdown } from '../render/summary-markdown.js';
import { renderSummaryText } from '../render/summary-text.js';

interface AnalyzeFlags extends CommonOptions {
  logFormat?: string;
  markdown?: boolean;
  top: string;
}

export function analyzeCommand(ctx: CliContext): Command {
  const command = new Command('analyze')
    .summary('TCP handshake summary of flow-log data')
    .description(
      'Reads VPC Flow Logs data (S3 text .log/.log.gz, Parquet, CSV exports, stdin) and classifies every TCP\n' +
        'connection: established, refused, unanswered, rejected or midstream; with resets, retried SYNs,\n' +
        'failures per minute, the peers that fail, NAT hops and blind spots (NODATA/SKIPDATA).',
    )
    .argument('<source...>', 'files, directories (read recursively, as `aws s3 sync` lays them out) or - for stdin')
    .option('--log-format <format>', "format of headerless data: a preset (tcpdump, handshake, full) or '${field} …' (default: version 2)")
    .option('--markdown', 'print the summary as Markdown, for an incident ticket')
    .addOption(new Option('--top <n>', 'rows in the peer and connection tables').default('10'));
  withCommonOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  flowdump analyze examples/incident-capture
  flowdump analyze ./synced-from-s3/ --json | jq .tcp
  zcat capture.log.gz | flowdump analyze - --markdown
  flowdump analyze export.log --log-format '\${version} \${interface-id} \${srcaddr} \${dstaddr}'

Exit codes: 0 analyzed, 2 bad arguments, 4 some input could not be read to its end (the summary covers what was read).`,
  );
  command.action(async (paths: string[], flags: AnalyzeFlags) => {
    const top = Number(flags.top);
    if (!Number.isInteger(top) || top < 1) throw new UsageError(`--top must be a positive whole number, not "${flags.top}"`);
    if (flags.json && flags.markdown) throw new UsageError('--json and --markdown cannot be combined; pick one output');
    const format = flags.logFormat ? resolveFormat(flags.logFormat, '--log-format') : undefined;
    const sources = await localSources(paths, { stdin: ctx.io.stdin });
    const { summary } = await analyzeSources(sources, { format, explicitFormat: format !== undefined });
    if (flags.json) printJson(ctx, summary);
    else if (flags.markdown) ctx.io.stdout.write(renderSummaryMarkdown(summary, top));
    else ctx.io.stdout.write(renderSummaryText(summary, { paint: ctx.paint, top }));
    if (summary.errors.length > 0) ctx.exitCode = ExitCode.input;
  });
  return command;
}
