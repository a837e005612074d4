import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { SUMMARY_SCHEMA, type Summary } from '../../analyze/summary.js';
import { ExitCode, InputError, UsageError } from '../../errors.js';
import { resolveFormat } from '../../format/presets.js';
import { packageRoot } from '../../paths.js';
import { parseDuration } from '../../duration.js';
import { installName, renderInstall, type InstallKind } from '../../schedule/install.js';
import { buildScheduleReport, entriesOfOutcomes, SCHEDULE_REPORT_SCHEMA, type ScheduleReport, type ScheduleReportEntry } from '../../schedule/report.js';
import { runSchedule, type RunWindowCapture, type ScheduleRunEvent, type Sleep } from '../../schedule/runner.js';
import { cliClock } from '../aws.js';
import { windowCaptureRunner, type WindowRunnerOptions } from '../window-capture.js';
import { parseMaxCost } from '../wizard.js';
import { iterateWindows, parseCount, parseUntil, planWindows, seriesOf, validateTimeZone, type CaptureWindow, type WindowPlan } from '../../schedule/windows.js';
import { printJson, withCommonOptions, type CliContext, type CommonOptions } from '../context.js';
import { renderRunEvent, renderScheduleReportText, renderWindowPlanText } from '../render/schedule-text.js';

export const SCHEDULE_PLAN_SCHEMA = 'flowdump.schedule-plan/v1';

/** What each window's capture is: the flags `flowdump start` would get. */
export interface ScheduleCaptureRequest {
  target: string;
  destination?: string;
  format?: string;
  fileFormat?: 'text' | 'parquet';
  traffic?: 'ALL' | 'ACCEPT' | 'REJECT';
  maxCostUsd?: number;
  settleTimeoutMs?: number;
  keep: boolean;
  /** false only with --no-safety-net */
  safetyNet: boolean;
  profile?: string;
  region?: string;
}

export interface ScheduleCliDeps {
  /**
   * How one window runs: a normal foreground capture (`flowdump start <target> --for <window>`
   * with the same safety net and cost cap) whose flow log stops at window.end. The real one
   * (src/cli/window-capture.ts) opens AWS before the first window; tests plug in their own.
   */
  windowCaptureRunner(ctx: CliContext, request: ScheduleCaptureRequest, options: WindowRunnerOptions): RunWindowCapture | Promise<RunWindowCapture>;
  sleep: Sleep;
  /** registers Ctrl-C / SIGTERM (called on each one); returns the unregister function */
  onInterrupt(handler: () => void): () => void;
  now(): Date;
}

/**
 * The real runner: flowdump's clock (with the test hooks FLOWDUMP_TEST_TIME_SCALE / _OFFSET, so
 * windows and their captures keep one time), and every Ctrl-C / SIGTERM delivered, not just the first.
 */
export function defaultScheduleDeps(ctx: CliContext): ScheduleCliDeps {
  const clock = cliClock(ctx.io.env);
  return {
    windowCaptureRunner: (context, request, options) => windowCaptureRunner(context, request, { ...options, clock }),
    sleep: (ms, signal) => clock.sleep(ms, signal),
    onInterrupt: (handler) => ctx.io.onSignal?.(() => handler()) ?? (() => undefined),
    now: () => ctx.io.now?.() ?? clock.now(),
  };
}

interface WindowFlags extends CommonOptions {
  cron?: string;
  for?: string;
  tz?: string;
  until?: string;
  count?: string;
  destination?: string;
  format?: string;
  fileFormat?: string;
  traffic?: string;
  maxCost?: string;
  settleTimeout?: string;
  keep?: boolean;
  safetyNet: boolean;
  out?: string;
  preview: string;
  dryRun?: boolean;
}

interface InstallFlags extends WindowFlags {
  systemd?: boolean;
  crontab?: boolean;
  name?: string;
  dir?: string;
  print?: boolean;
  force?: boolean;
}

/** The zone the user is in: TZ if it names one, else what the system says. */
export function localTimeZone(env: Readonly<Record<string, string | undefined>>): string {
  const tz = env.TZ?.replace(/^:/, '');
  if (tz) {
    try {
      return validateTimeZone(tz);
    } catch {
      /* TZ like "/etc/localtime" or "EST5EDT,M3.2.0": fall back to the system's answer */
    }
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
}

function addWindowOptions(command: Command): Command {
  return command
    .option('--cron <expr>', 'when windows start: 5-field cron, e.g. "*/30 9-18 * * 1-5"')
    .option('--for <duration>', 'length of each window: 5m, 90s, 1h')
    .option('--tz <zone>', 'time zone the cron is read in (default: local)')
    .option('--until <date>', 'only windows starting before this date (2026-05-08: through that day) or local time (2026-05-08T18:00)')
    .option('--count <n>', 'only this many windows')
    .option('--destination <uri>', 'each window\'s destination: s3://bucket/prefix or logs:/group')
    .option('--format <format>', 'log format preset or template (as for flowdump start)')
    .addOption(new Option('--file-format <kind>', 'S3 file format').choices(['text', 'parquet']))
    .addOption(new Option('--traffic <kind>', 'traffic to log').choices(['ALL', 'ACCEPT', 'REJECT']))
    .option('--max-cost <usd>', 'cost cap of each window, in USD')
    .option('--settle-timeout <duration>', 'longest wait for late deliveries after each window (default 15m)')
    .option('--keep', 'keep each window\'s captured data after its summary is written')
    .option('--no-safety-net', 'run windows without the server-side teardown schedule (not recommended)');
}

function required(value: string | undefined, flag: string, example: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${flag} is required; for example ${flag} ${example}`);
  return value;
}

function captureRequest(target: string, flags: WindowFlags): ScheduleCaptureRequest {
  if (!target || !target.trim()) throw new UsageError('a target is required: an instance (i-…), network interface (eni-…), subnet (subnet-…) or VPC (vpc-…)');
  if (flags.format) resolveFormat(flags.format, '--format');
  if (flags.destination && !/^(s3:\/\/[^/]+|logs:\/.+)/.test(flags.destination)) {
    throw new UsageError(`--destination must be s3://bucket[/prefix] or logs:/group, not "${flags.destination}"`);
  }
  // the same cap, read the same way, as start's: each window's capture is stopped by the cost guard
  const maxCostUsd = flags.maxCost !== undefined ? parseMaxCost(flags.maxCost) : undefined;
  return {
    target: target.trim(),
    ...(flags.destination ? { destination: flags.destination } : {}),
    ...(flags.format ? { format: flags.format } : {}),
    ...(flags.fileFormat ? { fileFormat: flags.fileFormat as 'text' | 'parquet' } : {}),
    ...(flags.traffic ? { traffic: flags.traffic as 'ALL' | 'ACCEPT' | 'REJECT' } : {}),
    ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
    ...(flags.settleTimeout ? { settleTimeoutMs: parseDuration(flags.settleTimeout, '--settle-timeout', { allowZero: true }) } : {}),
    keep: flags.keep === true,
    safetyNet: flags.safetyNet !== false,
    ...(flags.profile ? { profile: flags.profile } : {}),
    ...(flags.region ? { region: flags.region } : {}),
  };
}

function makePlan(ctx: CliContext, deps: ScheduleCliDeps, flags: WindowFlags): WindowPlan {
  const cron = required(flags.cron, '--cron', '"*/30 9-18 * * 1-5"');
  const durationMs = parseDuration(required(flags.for, '--for', '5m'), '--for');
  const tz = validateTimeZone(flags.tz ?? localTimeZone(ctx.io.env));
  if (flags.until !== undefined && flags.count !== undefined) throw new UsageError('--until and --count cannot be combined; pick one end for the series');
  const preview = Number(flags.preview);
  if (!Number.isInteger(preview) || preview < 1) throw new UsageError(`--preview must be a positive whole number, not "${flags.preview}"`);
  return planWindows({
    cron,
    tz,
    durationMs,
    from: deps.now(),
    ...(flags.until !== undefined ? { until: parseUntil(flags.until, tz) } : {}),
    ...(flags.count !== undefined ? { count: parseCount(flags.count) } : {}),
    preview,
  });
}

function planDocument(plan: WindowPlan, request: ScheduleCaptureRequest) {
  return { schema: SCHEDULE_PLAN_SCHEMA, capture: request, plan };
}

function compactTime(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

async function saveWindowSummary(dir: string, window: CaptureWindow, summary: Summary, captureId?: string): Promise<void> {
  // keyed by start time, so a restarted runner never overwrites an earlier window's file
  const file = join(dir, `window-${compactTime(window.start)}.summary.json`);
  await writeFile(file, `${JSON.stringify({ ...summary, scheduleWindow: { index: window.index, start: window.start, end: window.end, ...(captureId ? { captureId } : {}) } }, null, 2)}\n`);
}

async function runScheduleCli(ctx: CliContext, deps: ScheduleCliDeps, target: string, flags: WindowFlags): Promise<void> {
  const request = captureRequest(target, flags);
  let plan: WindowPlan;
  try {
    plan = makePlan(ctx, deps, flags);
  } catch (error) {
    // An installed runner restarted after its series ended: nothing left to do is success.
    if (error instanceof UsageError && (error.code === 'until-past' || error.code === 'no-window-before-until') && !flags.dryRun) {
      ctx.io.stderr.write(`flowdump schedule: the series is over (${error.message.split(';')[0]}); nothing to run\n`);
      if (flags.json) printJson(ctx, buildScheduleReport([]));
      return;
    }
    throw error;
  }
  if (flags.dryRun) {
    if (flags.json) printJson(ctx, planDocument(plan, request));
    else ctx.io.stdout.write(renderWindowPlanText(plan, { paint: ctx.paint, target: request.target, dryRun: true }));
    return;
  }
  // the first Ctrl-C stops starting windows and ends the running ones early (they still settle and
  // write their summaries); a second skips their analysis — their flow logs are deleted either way
  const controller = new AbortController();
  const skip = new AbortController();
  const runCapture = await deps.windowCaptureRunner(ctx, request, { json: flags.json, skipSignal: skip.signal });
  const out = flags.out ? resolve(flags.out) : undefined;
  if (out) await mkdir(out, { recursive: true });
  if (!flags.json) ctx.io.stderr.write(renderWindowPlanText(plan, { paint: ctx.paintErr, target: request.target, dryRun: false }));
  const unregister = deps.onInterrupt(() => {
    if (!controller.signal.aborted) {
      controller.abort();
      ctx.io.stderr.write('interrupted: no more windows; a running window stops now, settles and writes its summary (press Ctrl-C again to skip its analysis)\n');
    } else if (!skip.signal.aborted) {
      skip.abort();
      ctx.io.stderr.write('interrupted again: skipping the analysis; flow logs are still deleted\n');
    }
  });
  const writes: Promise<void>[] = [];
  const report = (event: ScheduleRunEvent) => {
    if (event.type === 'window-done' && out && event.outcome.summary) writes.push(saveWindowSummary(out, event.outcome.window, event.outcome.summary, event.outcome.captureId));
    if (flags.json) return;
    const line = renderRunEvent(event, { paint: ctx.paintErr, tz: plan.tz });
    if (line) ctx.io.stderr.write(`${line}\n`);
  };
  let result;
  try {
    result = await runSchedule({ clock: { now: deps.now }, sleep: deps.sleep, runCapture, report, signal: controller.signal }, plan);
  } finally {
    unregister();
  }
  await Promise.all(writes);
  const combined = buildScheduleReport(entriesOfOutcomes(result.outcomes));
  if (out) await writeFile(join(out, 'schedule-report.json'), `${JSON.stringify(combined, null, 2)}\n`);
  if (flags.json) printJson(ctx, combined);
  else ctx.io.stdout.write(renderScheduleReportText(combined, { paint: ctx.paint, tz: plan.tz }));
  if (result.stoppedBy === 'fatal') ctx.exitCode = ExitCode.usage;
  else if (result.stoppedBy === 'abort') ctx.exitCode = ExitCode.abort;
  else if (combined.windows.failed > 0) ctx.exitCode = ExitCode.awsAccess;
}

function windowCommandHelp(command: Command, examples: string): Command {
  return command.addHelpText(
    'after',
    `\nExamples:\n${examples}\n\nDST: a start time that does not exist (spring forward) runs an hour later; one that happens twice (fall back) runs once. See docs/schedules.md.\n` +
      'Exit codes: 0 done, 2 bad arguments (or a window failed on them, which stops the series), 3 some window failed, 130 stopped with Ctrl-C.',
  );
}

/** The absolute way to start this flowdump from a unit file or crontab (no PATH there). */
function flowdumpInvocation(): string[] {
  return [process.execPath, join(packageRoot(), 'bin', 'flowdump')];
}

function stateDir(env: Readonly<Record<string, string | undefined>>): string {
  return join(env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'), 'flowdump');
}

/** The runner's arguments for an installed schedule. --count becomes an absolute --until, so a restarted runner does not start the count again. */
export function installRunArgs(plan: WindowPlan, request: ScheduleCaptureRequest, flags: WindowFlags, out: string): string[] {
  let until = plan.until;
  if (plan.count !== undefined) {
    let last: CaptureWindow | undefined;
    for (const window of iterateWindows(seriesOf(plan))) last = window;
    until = last?.end;
  }
  const args = ['schedule', 'run', '--cron', plan.cron, '--for', flags.for as string, '--tz', plan.tz];
  if (until) args.push('--until', until.replace('.000Z', 'Z'));
  if (request.destination) args.push('--destination', request.destination);
  if (request.format) args.push('--format', request.format);
  if (request.fileFormat) args.push('--file-format', request.fileFormat);
  if (request.traffic) args.push('--traffic', request.traffic);
  if (flags.maxCost) args.push('--max-cost', flags.maxCost);
  if (flags.settleTimeout) args.push('--settle-timeout', flags.settleTimeout);
  if (request.keep) args.push('--keep');
  if (!request.safetyNet) args.push('--no-safety-net');
  if (request.profile) args.push('--profile', request.profile);
  if (request.region) args.push('--region', request.region);
  args.push('--out', out, request.target);
  return args;
}

function awsArgs(request: ScheduleCaptureRequest): string[] {
  return [...(request.profile ? ['--profile', request.profile] : []), ...(request.region ? ['--region', request.region] : [])];
}

async function installCli(ctx: CliContext, deps: ScheduleCliDeps, target: string, flags: InstallFlags): Promise<void> {
  if (Boolean(flags.systemd) === Boolean(flags.crontab)) throw new UsageError('say how to install it: --systemd (a user service and timer) or --crontab (crontab lines)');
  const kind: InstallKind = flags.systemd ? 'systemd' : 'crontab';
  const request = captureRequest(target, flags);
  const plan = makePlan(ctx, deps, flags);
  const name = flags.name ? installName(flags.name) : installName(request.target);
  const env = ctx.io.env;
  const home = env.HOME || homedir();
  const state = stateDir(env);
  const dir = resolve(
    flags.dir ?? (kind === 'systemd' ? join(env.XDG_CONFIG_HOME || join(home, '.config'), 'systemd', 'user') : join(env.XDG_CONFIG_HOME || join(home, '.config'), 'flowdump')),
  );
  const out = join(state, 'schedules', name);
  const rendered = renderInstall({
    kind,
    name,
    flowdump: flowdumpInvocation(),
    runArgs: installRunArgs(plan, request, flags, out),
    sweepArgs: ['sweep', ...awsArgs(request)],
    description: `${request.target}, ${flags.for} windows at "${plan.cron}" (${plan.tz})${plan.until || plan.count !== undefined ? '' : ', no end'}`,
    lockFile: join(state, `schedule-${name}.lock`),
    logFile: join(state, `schedule-${name}.log`),
    directory: dir,
  });
  if (flags.print) {
    if (flags.json) {
      printJson(ctx, { schema: 'flowdump.schedule-install/v1', kind, directory: dir, files: rendered.files, enable: rendered.enable, results: out });
      return;
    }
    for (const file of rendered.files) ctx.io.stdout.write(`# ── ${join(dir, file.name)}\n${file.content}\n`);
    ctx.io.stdout.write(`# enable with:\n${rendered.enable.map((line) => `#   ${line}`).join('\n')}\n`);
    return;
  }
  const clash = rendered.files.map((file) => join(dir, file.name)).filter((path) => existsSync(path));
  if (clash.length > 0 && !flags.force) throw new UsageError(`${clash.join(', ')} already exist${clash.length === 1 ? 's' : ''}; pass --force to overwrite, or --name to install another schedule beside it`);
  await mkdir(dir, { recursive: true });
  await mkdir(out, { recursive: true });
  for (const file of rendered.files) await writeFile(join(dir, file.name), file.content);
  if (flags.json) {
    printJson(ctx, { schema: 'flowdump.schedule-install/v1', kind, directory: dir, files: rendered.files.map((f) => join(dir, f.name)), enable: rendered.enable, results: out });
    return;
  }
  ctx.io.stdout.write(`wrote ${rendered.files.map((file) => join(dir, file.name)).join(', ')}\n`);
  ctx.io.stdout.write(`enable with:\n${rendered.enable.map((line) => `  ${line}`).join('\n')}\n`);
  ctx.io.stdout.write(`window summaries will be written to ${out}; read them together with: flowdump schedule report ${out}\n`);
}

interface ReportFlags extends CommonOptions {
  tz?: string;
}

async function expandReportPaths(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new UsageError(`no such file or directory: ${path}`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((name) => name.endsWith('.summary.json')).sort();
      if (names.length === 0) throw new UsageError(`${path} holds no *.summary.json files; pass the summary files of the windows (flowdump analyze --json > window.summary.json)`);
      files.push(...names.map((name) => join(path, name)));
    } else files.push(path);
  }
  return files;
}

async function reportEntries(paths: string[]): Promise<ScheduleReportEntry[]> {
  const entries: ScheduleReportEntry[] = [];
  for (const file of await expandReportPaths(paths)) {
    let document: { schema?: unknown; rows?: unknown; scheduleWindow?: { index?: number; start: string; end: string; captureId?: string } };
    try {
      document = JSON.parse(await readFile(file, 'utf8')) as typeof document;
    } catch (error) {
      throw new InputError('bad-summary', `${file} is not a JSON document (${(error as Error).message}); pass files written by flowdump analyze --json`, { cause: error });
    }
    if (document.schema === SUMMARY_SCHEMA) {
      const { scheduleWindow, ...summary } = document;
      entries.push({
        ...(scheduleWindow ? { window: { start: scheduleWindow.start, end: scheduleWindow.end } } : {}),
        status: 'done',
        source: file,
        ...(scheduleWindow?.captureId ? { captureId: scheduleWindow.captureId } : {}),
        summary: summary as unknown as Summary,
      });
    } else if (document.schema === SCHEDULE_REPORT_SCHEMA) {
      throw new UsageError(`${file} is already a schedule report; pass the window summaries (or the directory holding them) instead`);
    } else {
      throw new InputError('bad-summary', `${file} is not a flowdump summary (schema ${JSON.stringify(document.schema ?? null)}, expected "${SUMMARY_SCHEMA}"); write one with flowdump analyze --json`);
    }
  }
  return entries;
}

async function reportCli(ctx: CliContext, paths: string[], flags: ReportFlags): Promise<ScheduleReport> {
  const tz = validateTimeZone(flags.tz ?? localTimeZone(ctx.io.env));
  const report = buildScheduleReport(await reportEntries(paths));
  if (flags.json) printJson(ctx, report);
  else ctx.io.stdout.write(renderScheduleReportText(report, { paint: ctx.paint, tz }));
  return report;
}

export function scheduleCommand(ctx: CliContext, deps: ScheduleCliDeps = defaultScheduleDeps(ctx)): Command {
  const schedule = withCommonOptions(
    addWindowOptions(
      new Command('schedule')
        .summary('recurring capture windows for problems that come and go')
        .description(
          'Plans capture windows from a cron expression (--cron, read in --tz) and runs each one as a normal ' +
            'capture of --for: time-boxed, cost-capped, with its server-side safety net. Overlapping windows are ' +
            'refused. At the end it prints one report with the failures of every window, so you see when the ' +
            'problem happens. `schedule run` is the same runner for service units; `schedule install` writes them.',
        )
        .enablePositionalOptions()
        .argument('[target]', 'instance (i-…), network interface (eni-…), subnet (subnet-…) or VPC (vpc-…)'),
    ),
    true,
  )
    .option('--out <dir>', 'also write each window\'s summary and the combined report here')
    .option('--preview <n>', 'windows to list in the plan', '10')
    .option('--dry-run', 'print the planned windows and stop');
  windowCommandHelp(
    schedule,
    '  flowdump schedule i-0abc --cron "*/30 9-18 * * 1-5" --for 5m --until 2026-05-08 --dry-run\n' +
      '  flowdump schedule i-0abc --cron "0 9 * * *" --for 15m --count 5 --tz Europe/Berlin\n' +
      '  flowdump schedule install --systemd i-0abc --cron "*/30 9-18 * * 1-5" --for 5m --until 2026-05-08\n' +
      '  flowdump schedule report ~/.local/state/flowdump/schedules/i-0abc',
  );
  schedule.action(async (target: string | undefined, flags: WindowFlags) => {
    if (target === undefined) throw new UsageError('a target is required: flowdump schedule <target> --cron "…" --for 5m (or a subcommand: run, install, report)');
    await runScheduleCli(ctx, deps, target, flags);
  });

  const run = withCommonOptions(
    addWindowOptions(
      new Command('run')
        .summary('the long-lived runner (what an installed service runs)')
        .description('Runs the capture windows of a schedule in the foreground, printing the next ones; Ctrl-C stops cleanly.')
        .argument('<target>', 'instance, network interface, subnet or VPC'),
    ),
    true,
  )
    .option('--out <dir>', 'also write each window\'s summary and the combined report here')
    .option('--preview <n>', 'windows to list in the plan', '10')
    .option('--dry-run', 'print the planned windows and stop');
  windowCommandHelp(run, '  flowdump schedule run i-0abc --cron "*/30 9-18 * * 1-5" --for 5m --tz Europe/Berlin --out ./windows');
  run.action(async (target: string, flags: WindowFlags) => runScheduleCli(ctx, deps, target, flags));

  const install = withCommonOptions(
    addWindowOptions(
      new Command('install')
        .summary('write a user-level systemd service + sweep timer, or crontab lines, that run a schedule')
        .description(
          'Writes the files a host needs to run `flowdump schedule run …` unattended, plus a sweep every 5 minutes. ' +
            'Nothing is enabled: it prints the commands that do that. --print shows the files and writes nothing.',
        )
        .argument('<target>', 'instance, network interface, subnet or VPC'),
    ),
    true,
  )
    .option('--systemd', 'a user service (~/.config/systemd/user) and a sweep timer')
    .option('--crontab', 'crontab lines (--cron already names the expression, hence --crontab)')
    .option('--name <name>', 'name of this schedule in file names (default: the target)')
    .option('--dir <path>', 'where to write the files')
    .option('--print', 'print the files instead of writing them')
    .option('--force', 'overwrite files that exist')
    .addOption(new Option('--preview <n>').default('10').hideHelp());
  windowCommandHelp(install, '  flowdump schedule install --systemd i-0abc --cron "*/30 9-18 * * 1-5" --for 5m --until 2026-05-08 --print');
  install.action(async (target: string, flags: InstallFlags) => installCli(ctx, deps, target, flags));

  const report = withCommonOptions(
    new Command('report')
      .summary('one report across the windows of a schedule')
      .description('Reads window summaries (flowdump analyze --json files, or a directory written by schedule run --out) and shows the failures of each window.')
      .argument('<summary...>', 'summary JSON files or directories holding *.summary.json')
      .option('--tz <zone>', 'time zone to show times in (default: local)'),
  );
  report.addHelpText('after', '\nExamples:\n  flowdump schedule report ./windows\n  flowdump schedule report mon.json tue.json wed.json --json');
  report.action(async (paths: string[], flags: ReportFlags) => {
    await reportCli(ctx, paths, flags);
  });

  schedule.addCommand(run);
  schedule.addCommand(install);
  schedule.addCommand(report);
  return schedule;
}
