import { Command, CommanderError } from 'commander';
import { ExitCode, isFlowdumpError } from '../errors.js';
import { version } from '../version.js';
import { createContext, interactive, type CliContext } from './context.js';
import { processIo, type CliIo } from './io.js';

export const ERROR_SCHEMA = 'flowdump.error/v1';

type CommandFactory = (ctx: CliContext) => Command;

/**
 * Every command, in the order the help lists them, each loaded on demand: a command module
 * pulls in what it needs (capture, schedule, AWS and prompt code), and loading all of them on
 * every run was most of the start-up time.
 */
const COMMANDS: ReadonlyArray<{ name: string; load: () => Promise<CommandFactory> }> = [
  { name: 'start', load: async () => (await import('./commands/start.js')).startCommand },
  { name: 'list', load: async () => (await import('./commands/captures.js')).listCommand },
  { name: 'stop', load: async () => (await import('./commands/captures.js')).stopCommand },
  { name: 'sweep', load: async () => (await import('./commands/captures.js')).sweepCommand },
  { name: 'analyze', load: async () => (await import('./commands/analyze.js')).analyzeCommand },
  { name: 'show', load: async () => (await import('./commands/show.js')).showCommand },
  { name: 'estimate', load: async () => (await import('./commands/estimate.js')).estimateCommand },
  { name: 'schedule', load: async () => (await import('./commands/schedule.js')).scheduleCommand },
  { name: 'setup', load: async () => (await import('./commands/setup.js')).setupCommand },
];

/**
 * The commands this command line needs: the one it names, none for `--version` (commander
 * answers it before looking at commands), and all of them otherwise (the help lists them,
 * the wizard is `start`, an unknown command gets a "did you mean" from the full list).
 */
function commandsFor(argv: readonly string[]): typeof COMMANDS {
  const named = COMMANDS.filter((command) => command.name === argv[0]);
  if (named.length > 0) return named;
  if (argv[0] === '-V' || argv[0] === '--version') return [];
  return COMMANDS;
}

async function buildProgram(ctx: CliContext, argv: readonly string[]): Promise<Command> {
  const program = new Command('flowdump')
    .description('tcpdump for AWS: time-boxed, cost-capped VPC Flow Logs captures with TCP handshake verdicts')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => ctx.io.stdout.write(text),
      writeErr: (text) => ctx.io.stderr.write(text),
      outputError: () => {
        /* reported once by main() in our own words */
      },
    })
    .exitOverride()
    // options belong to the command they follow (schedule and schedule run share option names)
    .enablePositionalOptions();
  const factories = await Promise.all(commandsFor(argv).map((command) => command.load()));
  for (const factory of factories) program.addCommand(factory(ctx));
  // subcommands too (schedule run/install/report): errors come back to main(), never process.exit
  const configure = (command: Command): void => {
    command.exitOverride().configureOutput({ writeOut: (text) => ctx.io.stdout.write(text), writeErr: (text) => ctx.io.stderr.write(text), outputError: () => {} });
    command.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  program.addHelpText(
    'after',
    `
Examples:
  flowdump                                             the wizard (in a terminal): pick a target, confirm, capture
  flowdump setup                                       once per account and region: bucket + delivery role
  flowdump start --instance i-0abc123def4567890 --for 15m
  flowdump list                                        captures, time left, bytes delivered, cost so far
  flowdump sweep                                       finish every expired capture (cron-safe)
  flowdump analyze examples/incident-capture          handshake summary of the bundled example
  flowdump analyze ./synced-from-s3/ --json            machine-readable summary
  flowdump show examples/incident-capture port 5432    the records, as tcpdump would print them
  flowdump estimate --rate 2000/min --for 15m --region eu-west-1   what a capture would cost
  flowdump schedule i-0abc --cron "*/30 9-18 * * 1-5" --for 5m --until 2026-05-08 --dry-run

Docs: README.md. Exit codes: 0 ok, 1 bug, 2 bad arguments, 3 AWS access, 4 unreadable input, 5 teardown not verified, 130 cancelled.`,
  );
  return program;
}

/**
 * Runs the CLI and returns the exit code; never calls process.exit (src/cli/entry.ts does).
 * Every error ends here, as one sentence (and a stack trace only with --debug).
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const ctx = createContext(io);
  const json = argv.includes('--json');
  const debug = argv.includes('--debug');
  try {
    const program = await buildProgram(ctx, argv);
    if (argv.length === 0) {
      // in a terminal, bare `flowdump` is the wizard; anywhere else, the help
      if (interactive(ctx)) argv = ['start'];
      else {
        program.outputHelp();
        return ExitCode.usage;
      }
    }
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    return reportError(ctx, error, { json, debug });
  }
}

function reportError(ctx: CliContext, error: unknown, options: { json: boolean; debug: boolean }): number {
  const { io } = ctx;
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return ExitCode.ok;
    // commander puts its suggestion on a second line ("…\n(Did you mean analyze?)"): keep one sentence
    const message = error.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace('(Did you mean', '(did you mean');
    return emit(ctx, options.json, 'usage', `${message}; see flowdump --help`, ExitCode.usage);
  }
  if (isFlowdumpError(error)) {
    if (error.exitCode === ExitCode.abort) {
      io.stderr.write(`${ctx.paintErr.dim(error.message)}\n`);
      return error.exitCode;
    }
    const code = emit(ctx, options.json, error.code, error.message, error.exitCode, error.details);
    if (options.debug) io.stderr.write(`${error.stack ?? ''}\n${error.cause ? `caused by: ${(error.cause as Error).stack ?? String(error.cause)}\n` : ''}`);
    return code;
  }
  const message = `this is a bug in flowdump ${version()}: ${(error as Error)?.message ?? String(error)}; please report it with the output of --debug`;
  const code = emit(ctx, options.json, 'bug', message, ExitCode.bug);
  if (options.debug) io.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return code;
}

function emit(ctx: CliContext, json: boolean, code: string, message: string, exitCode: number, details?: Record<string, unknown>): number {
  if (json) {
    ctx.io.stdout.write(`${JSON.stringify({ schema: ERROR_SCHEMA, error: { code, message, exitCode, ...(details ? { details } : {}) } }, null, 2)}\n`);
  }
  ctx.io.stderr.write(`${ctx.paintErr.red('flowdump:')} ${message}\n`);
  return exitCode;
}
