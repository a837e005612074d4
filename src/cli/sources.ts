import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { parseAwsSource } from '../analyze/aws-sources.js';
import { localSources, type Source } from '../analyze/sources.js';
import type { Summary } from '../analyze/summary.js';
import { isCaptureId } from '../capture/ids.js';
import { UsageError } from '../errors.js';
import type { LogFormat } from '../format/template.js';
import { compileExpression, type RecordPredicate } from '../filter/compile.js';
import { FilterSyntaxError } from '../filter/errors.js';
import { isFilterKeyword } from '../filter/parse.js';
import type { CliContext } from './context.js';

/**
 * Whether a command-line operand names a source: `-` (stdin), `s3://…`, `logs:…`, a capture id
 * (`fd-20260501-120000-3fa9`) or an existing file or directory.
 */
export function isSourceArgument(arg: string): boolean {
  return arg === '-' || /^s3:\/\//i.test(arg) || /^logs:/i.test(arg) || isCaptureId(arg) || existsSync(arg);
}

/** What remote sources need: the AWS flags and the CloudWatch Logs time window. */
export interface AwsSourceFlags {
  profile?: string;
  region?: string;
  since?: string;
  until?: string;
}

export interface SplitOptions {
  /** how many trailing operands came after `--` (they are all expression) */
  afterDashDash: number;
  /** sources given with `-r` (then every operand is expression, as in tcpdump -r) */
  read?: readonly string[];
  isSource?: (arg: string) => boolean;
  /** --profile/--region/--since/--until, for s3://, logs: and capture-id sources */
  aws?: AwsSourceFlags;
}

export interface SplitResult {
  sources: string[];
  expression: string;
}

/**
 * Tells sources from a trailing filter expression, tcpdump style:
 *   flowdump show <source…> [expression]
 * Sources are the leading operands that are `-`, `s3://…`, `logs:…` or an existing path;
 * the first operand that is none of these starts the expression, and every operand after
 * it belongs to the expression. `--` (or `-r SOURCE`) makes the split explicit. An
 * operand that is both an existing path and a filter word (a file named `tcp`) is refused
 * as ambiguous.
 */
export function splitSourcesAndExpression(args: readonly string[], options: SplitOptions): SplitResult {
  const isSource = options.isSource ?? isSourceArgument;
  if (options.read && options.read.length > 0) {
    return { sources: [...options.read], expression: args.join(' ') };
  }
  const cut = args.length - options.afterDashDash;
  if (options.afterDashDash > 0) return { sources: args.slice(0, cut), expression: args.slice(cut).join(' ') };
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (!isSource(arg)) break;
    if (isFilterKeyword(arg) && !/[/\\]/.test(arg)) {
      throw new UsageError(`"${arg}" is both a file here and a filter word; write ./${arg} for the file, or put -- before the filter expression`, { code: 'ambiguous-argument' });
    }
  }
  return { sources: args.slice(0, i), expression: args.slice(i).join(' ') };
}

export interface CommandInput {
  /** an S3 prefix is listed while it is read: then the sources come as they are listed */
  sources: Source[] | AsyncIterable<Source>;
  /** the source operands as given */
  names: string[];
  /** the filter expression as given ('' for none) */
  expression: string;
  filter: RecordPredicate | undefined;
  /** the format headerless remote data was written in (a log group's flow log, a capture's manifest) */
  format?: LogFormat;
  /** a cleaned capture's stored summary (its data is gone) */
  storedSummary?: Summary;
}

/**
 * Resolves the operands of `show`/`analyze`: splits sources from the expression,
 * compiles the expression (one-line error with a column, exit 2) and opens the sources.
 */
export async function resolveCommandInput(ctx: CliContext, args: readonly string[], options: SplitOptions): Promise<CommandInput> {
  const split = splitSourcesAndExpression(args, options);
  let filter: RecordPredicate | undefined;
  try {
    filter = compileExpression(split.expression);
  } catch (error) {
    // "flowdump show capture.lgo" (a typo): the expression starts with a word no expression starts with.
    // A quoted expression ('port 99999') is one operand: its first word decides, so its own error stands.
    const first = args[split.sources.length] ?? '';
    const firstWord = /^\s*([(!]|[^\s()!]+)/.exec(first)?.[1] ?? first;
    if (error instanceof FilterSyntaxError && error.column <= first.length && options.afterDashDash === 0 && !options.read?.length && !isFilterKeyword(firstWord)) {
      throw new UsageError(`no such file or directory: ${first}; check the path (a filter expression starts with a word such as host, port or tcp)`, { code: 'no-such-file' });
    }
    throw error;
  }
  if (split.sources.length === 0) {
    const where = split.expression.trim() === '' ? 'give at least one source' : 'give a source before the filter expression';
    throw new UsageError(`${where}: a file, a directory, s3://…, logs:… or - for stdin`, { code: 'no-source' });
  }
  const resolved = await resolveSources(ctx, split.sources, options.aws ?? {});
  return { ...resolved, names: split.sources, expression: split.expression.trim(), filter };
}

export interface ResolvedSources {
  sources: Source[] | AsyncIterable<Source>;
  format?: LogFormat;
  storedSummary?: Summary;
}

/** Opens the sources: local files, directories and stdin; S3 prefixes, log groups and capture ids through the AWS ports. */
export async function resolveSources(ctx: CliContext, names: readonly string[], flags: AwsSourceFlags = {}): Promise<ResolvedSources> {
  const isRemote = (name: string) => parseAwsSource(name) !== undefined || (isCaptureId(name) && !existsSync(name));
  const remote = names.filter(isRemote);
  if ((flags.since || flags.until) && !remote.some((name) => name.startsWith('logs:'))) throw new UsageError('--since/--until apply to logs:/group sources only', { code: 'bad-flag' });
  const sources = await localSources(names.filter((name) => !isRemote(name)), { stdin: ctx.io.stdin });
  if (remote.length === 0) return { sources };
  // the AWS SDK and the capture code load only here: a local file needs neither
  const { remoteSources } = await import('./remote-sources.js');
  const opened = await remoteSources(ctx, remote, flags, { single: names.length === 1 });
  return { sources: concatSources(sources, opened.sources), format: opened.format, storedSummary: opened.storedSummary };
}

/** The local sources, then the remote ones; a plain list while both are. */
function concatSources(local: Source[], remote: Source[] | AsyncIterable<Source>): Source[] | AsyncIterable<Source> {
  if (Array.isArray(remote)) return [...local, ...remote];
  return {
    async *[Symbol.asyncIterator]() {
      yield* local;
      yield* remote;
    },
  };
}

/** How many operands follow `--` in the raw command line (commander drops the marker). */
export function operandsAfterDashDash(rawArgs: readonly string[]): number {
  const index = rawArgs.indexOf('--');
  return index < 0 ? 0 : rawArgs.length - index - 1;
}

/** The command line as typed (commander keeps it, untyped, on the root command): needed to find `--`. */
export function rawArgsOf(command: Command): string[] {
  let root: Command = command;
  while (root.parent) root = root.parent;
  return (root as unknown as { rawArgs?: string[] }).rawArgs ?? [];
}
