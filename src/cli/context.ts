import type { Command } from 'commander';
import { paint, useColor, type CliIo, type Paint } from './io.js';

/** Options every command takes. */
export interface CommonOptions {
  json?: boolean;
  debug?: boolean;
  profile?: string;
  region?: string;
}

/** What a command needs from the edge; built once per run. */
export interface CliContext {
  io: CliIo;
  /** colour for stdout */
  paint: Paint;
  /** colour for stderr (progress, warnings) */
  paintErr: Paint;
  /** exit code the command chose (0 unless it sets one) */
  exitCode: number;
}

export function createContext(io: CliIo): CliContext {
  return { io, paint: paint(useColor(io, io.stdout)), paintErr: paint(useColor(io, io.stderr)), exitCode: 0 };
}

/** Whether we may prompt: a terminal on stdin and stderr, and not CI. */
export function interactive(ctx: CliContext): boolean {
  return ctx.io.stdin.isTTY === true && ctx.io.stderr.isTTY === true && ctx.io.env.CI === undefined;
}

/** Adds the options every command accepts. */
export function withCommonOptions(command: Command, aws = false): Command {
  command.option('--json', 'machine output: one JSON document on stdout (stable schema)').option('--debug', 'show stack traces and AWS request ids on errors');
  if (aws) {
    command
      .option('--profile <name>', 'AWS profile (default: the standard credential chain)')
      .option('--region <region>', 'AWS region (default: from the profile or AWS_REGION)');
  }
  return command;
}

/** Writes one JSON document to stdout. */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
