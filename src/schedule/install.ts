import { readFileSync } from 'node:fs';
import { ExitCode, FlowdumpError, UsageError } from '../errors.js';
import { templatePath } from '../paths.js';

/**
 * `flowdump schedule install`: renders the files that make a host run a schedule without anyone
 * logged in to it — a user-level systemd service (the runner) plus a sweep timer, or crontab
 * lines — from templates/systemd/ and templates/cron/. Rendering is pure; the CLI writes the files
 * (or prints them with --print) and tells the user how to enable them. Nothing is installed here.
 */

export type InstallKind = 'systemd' | 'crontab';

export interface InstallRequest {
  kind: InstallKind;
  /** short name of this schedule, used in unit and file names: [A-Za-z0-9_.-] */
  name: string;
  /** how to run flowdump: absolute paths, e.g. [process.execPath, <package>/bin/flowdump] */
  flowdump: string[];
  /** arguments after `flowdump` for the runner: ["schedule", "run", "--cron", …] */
  runArgs: string[];
  /** arguments after `flowdump` for the sweep: ["sweep", "--profile", …] */
  sweepArgs: string[];
  /** one line for people: what the schedule captures */
  description: string;
  /** crontab only: where the runner lock and the log live (absolute paths) */
  lockFile?: string;
  logFile?: string;
  /** where the files will be written, for the enable hint */
  directory?: string;
}

export interface InstallFile {
  /** file name (relative to the directory it goes to) */
  name: string;
  content: string;
}

export interface InstallResult {
  files: InstallFile[];
  /** the commands that enable what was written, for the user to run */
  enable: string[];
}

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** A schedule name for unit/file names from free text (a target id, usually). */
export function installName(text: string): string {
  const name = text
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  if (!name) throw new UsageError(`"${text}" cannot name an installed schedule; pass --name with letters, digits, '-', '_' or '.'`);
  return name;
}

function rejectControl(args: string[]): void {
  const bad = args.find((arg) => /[\u0000-\u001f\u007f]/.test(arg));
  if (bad !== undefined) {
    throw new UsageError(`an argument contains a line break or control character (${JSON.stringify(bad)}), which a unit file or crontab line cannot carry; remove it`);
  }
}

/**
 * One ExecStart= word. systemd splits on whitespace and honours "double quotes" with C escapes;
 * `%` starts a specifier and `$` a variable, so they are doubled to stay literal:
 * https://www.freedesktop.org/software/systemd/man/latest/systemd.service.html#Command%20lines
 */
export function quoteSystemdArg(arg: string): string {
  const literal = arg.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (arg !== '' && /^[A-Za-z0-9_@+=:,./%$-]+$/.test(arg)) return literal;
  return `"${literal.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * One word of a crontab command: /bin/sh single quotes, and `%` escaped because cron turns an
 * unescaped `%` into a newline (crontab(5): "Percent-signs (%) in the command, unless escaped
 * with backslash (\), will be changed into newline characters").
 */
export function quoteCronArg(arg: string): string {
  const quoted = arg !== '' && /^[A-Za-z0-9_@+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(/%/g, '\\%');
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function loadTemplate(...parts: string[]): string {
  return readFileSync(templatePath(...parts), 'utf8');
}

/** Fills {{placeholders}}; a placeholder without a value is a bug in the template, not user input. */
export function fillTemplate(template: string, values: Record<string, string>, name: string): string {
  return template.replace(/\{\{([A-Za-z]+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new FlowdumpError('template', `template ${name} uses {{${key}}}, which flowdump does not fill`, { exitCode: ExitCode.bug });
    return values[key];
  });
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

export function renderInstall(request: InstallRequest): InstallResult {
  if (!NAME.test(request.name)) throw new UsageError(`--name "${request.name}" must be 1–64 letters, digits, '-', '_' or '.'`);
  rejectControl([...request.flowdump, ...request.runArgs, ...request.sweepArgs]);
  return request.kind === 'systemd' ? renderSystemd(request) : renderCrontab(request);
}

function renderSystemd(request: InstallRequest): InstallResult {
  const unit = `flowdump-schedule-${request.name}`;
  const exec = (args: string[]) => [...request.flowdump, ...args].map(quoteSystemdArg).join(' ');
  // %-specifiers are live in Description= too: keep the text literal
  const description = oneLine(request.description).replace(/%/g, '%%');
  const values = { unit, description, runExec: exec(request.runArgs), sweepExec: exec(request.sweepArgs) };
  const files: InstallFile[] = [
    { name: `${unit}.service`, content: fillTemplate(loadTemplate('systemd', 'flowdump-schedule.service'), values, 'systemd/flowdump-schedule.service') },
    { name: 'flowdump-sweep.service', content: fillTemplate(loadTemplate('systemd', 'flowdump-sweep.service'), values, 'systemd/flowdump-sweep.service') },
    { name: 'flowdump-sweep.timer', content: fillTemplate(loadTemplate('systemd', 'flowdump-sweep.timer'), values, 'systemd/flowdump-sweep.timer') },
  ];
  return {
    files,
    enable: ['systemctl --user daemon-reload', `systemctl --user enable --now ${unit}.service flowdump-sweep.timer`, 'loginctl enable-linger "$USER"   # keep them running while you are logged out'],
  };
}

function renderCrontab(request: InstallRequest): InstallResult {
  if (!request.lockFile || !request.logFile) throw new FlowdumpError('install', 'a crontab install needs a lock file and a log file path', { exitCode: ExitCode.bug });
  const command = (args: string[]) => [...request.flowdump, ...args].map(quoteCronArg).join(' ');
  const values = {
    description: oneLine(request.description).replace(/%/g, '\\%'),
    lock: quoteCronArg(request.lockFile),
    log: quoteCronArg(request.logFile),
    runCommand: command(request.runArgs),
    sweepCommand: command(request.sweepArgs),
  };
  const name = `flowdump-schedule-${request.name}.crontab`;
  return {
    files: [{ name, content: fillTemplate(loadTemplate('cron', 'flowdump.crontab'), values, 'cron/flowdump.crontab') }],
    enable: [`(crontab -l 2>/dev/null; cat ${shellQuote(request.directory ? `${request.directory.replace(/\/+$/, '')}/${name}` : name)}) | crontab -`],
  };
}
