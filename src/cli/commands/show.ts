import { Command, Option } from 'commander';
import { ExitCode, UsageError } from '../../errors.js';
import { resolveFormat } from '../../format/presets.js';
import { formatDuration, parseDuration } from '../../duration.js';
import { parseConnectionTarget, traceConnection } from '../../show/connection.js';
import { DEFAULT_MAX_BUFFERED, showRecords, type ShownLine } from '../../show/stream.js';
import type { CliContext } from '../context.js';
import type { OutStream } from '../io.js';
import { recordJson, renderRecordLine, renderVerdict, TimeFormat, verdictJson } from '../render/record-line.js';
import { operandsAfterDashDash, rawArgsOf, resolveCommandInput, splitSourcesAndExpression } from '../sources.js';
import { compileExpression } from '../../filter/compile.js';
import { isCaptureId } from '../../capture/ids.js';

/** What --follow can follow: a capture id, s3://… or logs:… (a local file is never delivered to). */
const isFollowSource = (arg: string): boolean => /^s3:\/\//i.test(arg) || /^logs:/i.test(arg) || isCaptureId(arg);

interface ShowFlags {
  read?: string[];
  count?: string;
  t: number;
  n: number;
  connection?: string;
  sort?: boolean;
  window: string;
  logFormat?: string;
  json?: boolean;
  debug?: boolean;
  profile?: string;
  region?: string;
  follow?: boolean;
}

const increase = (_value: unknown, previous: number): number => previous + 1;
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function showCommand(ctx: CliContext): Command {
  const command = new Command('show')
    .summary('the records as tcpdump would print them, filtered with tcpdump expressions')
    .description(
      'Prints flow-log records one per line, the way tcpdump prints packets, in time order: by start time, ' +
        'and within one second in handshake order (SYN, SYN-ACK, data, FIN/RST). Flow logs record whole ' +
        'seconds, so that order within a second is inferred, not observed. Addresses are the packet-level ' +
        'ones (what tcpdump would see); "(via X)" names the interface address where it differs (a NAT/TGW hop). ' +
        'Times are UTC. An optional trailing filter expression uses tcpdump syntax (pcap-filter(7)) plus ' +
        'flow-log primitives: action accept|reject, eni ID, status ok|nodata|skipdata, via ADDRESS, inbound, outbound.',
    )
    .argument('[source-and-expression...]', 'sources (files, directories, - for stdin), then an optional filter expression')
    .addOption(new Option('-r, --read <source>', 'read this source (repeatable); every operand is then filter expression, as with tcpdump -r').argParser(collect))
    .option('-c, --count <n>', 'stop after n lines; reading stops too')
    .option('-t', 'timestamps like tcpdump: -t none, -tt Unix seconds, -ttt delta from the previous line, -tttt date and time, -ttttt delta from the first line', increase, 0)
    .option('-n', 'accepted for the tcpdump habit (flowdump never resolves names)', increase, 0)
    .option('--connection <id|endpoints>', "one connection's records and its verdict: the id from flowdump analyze, or \"10.0.1.10:40171 10.0.2.30:6379\"")
    .option('--sort', 'exact time order: reads everything before printing (memory grows with the input)')
    .addOption(new Option('--window <duration>', 'reorder window: a record is held until one this much newer is read (90s, 15m, 1h30m)').default('15m'))
    .option('--log-format <format>', "format of headerless data: a preset (tcpdump, handshake, full) or '${field} …' (default: version 2)")
    .option('--json', 'NDJSON: one object per record (its fields, plus derived ones under "flowdump")')
    .option('-f, --follow', 'a running capture (capture id, s3://… or logs:/…): print records as they are delivered, each delivery once, until the capture is finished or Ctrl-C')
    .option('--debug', 'show stack traces on errors')
    .option('--profile <name>', 'AWS profile, for s3://, logs: and capture-id sources (default: the standard credential chain)')
    .option('--region <region>', 'AWS region, for s3://, logs: and capture-id sources (default: from the profile or AWS_REGION)');
  command.addHelpText(
    'after',
    `
Sources come first: the leading operands that are files, directories, - or s3://…/logs:…; the
first other word starts the filter expression. Put -- before the expression (or use -r SOURCE)
when a file is named like a filter word.

Order: records are held in a reorder window (--window, default 15m: one 5-minute S3 file plus the
10-minute maximum aggregation interval, or ${DEFAULT_MAX_BUFFERED.toLocaleString('en-US')} records, whichever comes first) and
printed in time order, so the first lines appear without reading the whole input. A record older
than one already printed is printed at once, out of order, and counted on stderr; --sort orders exactly.

Examples:
  flowdump show examples/incident-capture | head
  flowdump show capture/ 'tcp[tcpflags] & (tcp-syn|tcp-rst) != 0 and port 5432'
  flowdump show capture/ host 10.0.1.10 and not port 5432 -c 20
  flowdump show capture/ action reject -tttt
  zcat flows.log.gz | flowdump show - 'net 10.0.2.0/24' --json | jq -c .flowdump
  flowdump show capture/ --connection e615e564         # the records behind one analyze verdict
  flowdump show --follow fd-20261130-081502-3fa94c0e5b7d2a18 port 5432   # as it is delivered

Exit codes: 0 done (with --follow: the capture finished, or Ctrl-C), 2 bad arguments or filter, 4 some input could not be read to its end.`,
  );
  command.action(async (args: string[], flags: ShowFlags, self: Command) => {
    const limit = flags.count === undefined ? undefined : Number(flags.count);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError(`-c must be a positive whole number, not "${flags.count}"`);
    const windowSeconds = flags.sort ? Number.POSITIVE_INFINITY : parseDuration(flags.window, '--window') / 1000;
    const format = flags.logFormat ? resolveFormat(flags.logFormat, '--log-format') : undefined;
    const target = flags.connection !== undefined ? parseConnectionTarget(flags.connection) : undefined;
    if (flags.follow) {
      if (target || flags.sort) throw new UsageError(`--follow prints records as they are delivered; it does not go with ${target ? '--connection' : '--sort'}`, { code: 'bad-flag' });
      const split = splitSourcesAndExpression(args, { afterDashDash: operandsAfterDashDash(rawArgsOf(self)), read: flags.read, isSource: isFollowSource });
      if (split.sources.length !== 1) throw new UsageError('--follow follows one source: a capture id, s3://bucket/prefix or logs:/group', { code: 'bad-source' });
      const { runFollow } = await import('../follow.js');
      await runFollow(ctx, split.sources[0], compileExpression(split.expression), { t: flags.t, count: limit, json: flags.json, format, profile: flags.profile, region: flags.region });
      return;
    }
    const input = await resolveCommandInput(ctx, args, { afterDashDash: operandsAfterDashDash(rawArgsOf(self)), read: flags.read, aws: { profile: flags.profile, region: flags.region } });
    // headerless CloudWatch Logs data: the format of the flow log (or capture) that wrote it
    const readOptions = { format: format ?? input.format, explicitFormat: format !== undefined };
    const time = new TimeFormat(flags.t);
    const out = ctx.io.stdout;

    if (target) {
      const trace = await traceConnection(input.sources, target, { ...readOptions, filter: input.filter });
      if (!trace.report) {
        const what = 'id' in target ? `connection ${target.id}` : `TCP connection between ${flags.connection}`;
        throw new UsageError(`no ${what} in the input; take the id or endpoints from flowdump analyze on the same sources`, { code: 'no-such-connection' });
      }
      if (trace.matches > 1) {
        throw new UsageError(`id ${flags.connection} matches ${trace.matches} connections; give the two endpoints instead, e.g. --connection "10.0.1.10:40171 10.0.2.30:6379"`, { code: 'ambiguous-connection' });
      }
      const shown = limit === undefined ? trace.records : trace.records.slice(0, limit);
      const lines = shown.map(({ shown: r, record }) => (flags.json ? recordJson(r, record, false) : `${time.prefix(r.start)}${renderRecordLine(r, ctx.paint)}`));
      const { verdict: _verdict, ...report } = trace.report;
      const tail = flags.json ? `${verdictJson(report)}\n` : renderVerdict(report, ctx.paint, report.records - trace.records.length);
      await writeOut(out, (lines.length > 0 ? `${lines.join('\n')}\n` : '') + tail);
      reportProblems(ctx, trace.problems, trace.malformed, 0, 0);
      return;
    }

    const result = await showRecords(input.sources, {
      ...readOptions,
      filter: input.filter,
      windowSeconds,
      maxBuffered: flags.sort ? Number.POSITIVE_INFINITY : DEFAULT_MAX_BUFFERED,
      limit,
      withConnection: flags.json === true,
      render: (r, view, late) => (flags.json ? recordJson(r, view.toRecord(), late) : renderRecordLine(r, ctx.paint)),
      write: (lines: ShownLine[]) => {
        let text = '';
        for (const line of lines) text += flags.json ? `${line.text}\n` : `${time.prefix(line.start)}${line.text}\n`;
        return writeOut(out, text);
      },
    });
    for (const warning of result.warnings) ctx.io.stderr.write(`${ctx.paintErr.yellow('flowdump: warning:')} ${warning}\n`);
    reportProblems(ctx, result.problems, result.malformed.count, result.late, windowSeconds, result.malformed.examples[0]);
  });
  return command;
}

/** Writes and, when the reader is slower than we are, waits for it (memory stays flat). */
async function writeOut(stream: OutStream, text: string): Promise<void> {
  if (text === '') return;
  const flushed = stream.write(text);
  if (flushed === false && typeof stream.once === 'function') {
    await new Promise<void>((resolve) => stream.once?.('drain', resolve));
  }
}

function reportProblems(
  ctx: CliContext,
  problems: { message: string }[],
  malformed: number,
  late: number,
  windowSeconds: number,
  example?: { source: string; line?: number; message: string },
): void {
  const { stderr } = ctx.io;
  const warn = ctx.paintErr.yellow('flowdump: warning:');
  if (malformed > 0) {
    stderr.write(`${warn} ${malformed} malformed line${malformed === 1 ? '' : 's'} skipped${example ? `, e.g. ${example.source}:${example.line}: ${example.message}` : ''}\n`);
  }
  if (late > 0) {
    stderr.write(
      `${warn} ${late} record${late === 1 ? '' : 's'} arrived more than ${formatDuration(windowSeconds * 1000)} behind newer ones (or beyond the reorder buffer) and ${late === 1 ? 'was' : 'were'} printed out of time order; use --sort for an exact order, or a longer --window\n`,
    );
  }
  for (const problem of problems) stderr.write(`${ctx.paintErr.red('flowdump:')} ${problem.message}\n`);
  if (problems.length > 0) ctx.exitCode = ExitCode.input;
}
