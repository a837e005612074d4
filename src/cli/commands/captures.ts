import { Command } from 'commander';
import { finishCapture, type CaptureDeps } from '../../capture/lifecycle.js';
import { discoverCaptures, sweepCaptures, type CaptureRecord, type DiscoverOptions } from '../../capture/sweep.js';
import type { AwsContext } from '../../aws/clients.js';
import { ExitCode, FlowdumpError, UsageError } from '../../errors.js';
import { TAG_CAPTURE_ID } from '../../capture/tags.js';
import { SAFETY_NET_GROUP, SAFETY_NET_PREFIX, safetyNetStatus, sweepSafetyNets, type SweepSafetyNetsResult } from '../../schedule/safety-net.js';
import type { ScheduleListing } from '../../aws/scheduler.js';
import { captureDeps, capturePlaces, cliClock, identity, openAws, openSafetyNet, openScheduler, settleTimeoutMs, type Identity } from '../aws.js';
import { printJson, withCommonOptions, type CliContext, type CommonOptions } from '../context.js';
import { renderCaptureList, type CaptureRow, type SafetyNetCell } from '../render/capture.js';
import { cliReporter } from '../reporter.js';
import { printFinish } from './start.js';
import { describeLocation } from '../../capture/destination.js';
import { parseCaptureId } from '../../capture/ids.js';
import { stripControls } from '../../text.js';
import { priceDelivered } from '../../capture/cost.js';
import { DeliveryMeter } from '../../capture/meter.js';
import { formatUsd } from '../render/estimate.js';

function discoverOptions(aws: AwsContext, who: Identity): DiscoverOptions {
  return { account: who.account, region: aws.region };
}

/** One line per flow log that carries flowdump tags but is not a capture (it was left alone). */
function reportForeign(ctx: CliContext, foreign: readonly string[], json: boolean | undefined): void {
  if (json) return;
  for (const note of foreign) ctx.io.stderr.write(`${ctx.paintErr.yellow('note:')} ${note}\n`);
}

interface ListFlags extends CommonOptions {
  all?: boolean;
}

export function listCommand(ctx: CliContext): Command {
  const command = new Command('list')
    .summary('captures in this region: state, target, time left, bytes delivered, cost so far beside the estimate')
    .description('Lists captures from their flow-log tags and their manifests (capture.json) in AWS; needs no local state.')
    .option('--all', 'include finished (cleaned) captures');
  withCommonOptions(command, true);
  command.addHelpText('after', '\nExamples:\n  flowdump list\n  flowdump list --all --json | jq \'.captures[] | select(.state == "active")\'\n');
  command.action(async (flags: ListFlags) => {
    const aws = await openAws(ctx, flags, 'flowdump-capture-s3.json');
    const who = await identity(aws);
    const deps = await captureDeps(ctx, aws, who, cliReporter(ctx, { json: true }));
    const { captures: records, foreign } = await discoverCaptures(deps, discoverOptions(aws, who));
    reportForeign(ctx, foreign, flags.json);
    const now = deps.clock.now().getTime();
    const nets = await safetyNetCells(ctx, aws, records.filter((record) => record.flowLogs.length > 0));
    const rows: CaptureRow[] = [];
    for (const record of records) {
      const state = stateOf(record, now);
      if (state === 'cleaned' && !flags.all) continue;
      const manifest = record.manifest;
      let objects: number | undefined;
      let bytes: number | undefined;
      let uncompressedBytes: number | undefined;
      let costUsd: number | undefined;
      if (manifest && record.location && state !== 'cleaned' && manifest.actualUsd === undefined) {
        // still running (or not analyzed yet): what it delivered so far, priced
        const reading = await new DeliveryMeter({ ...manifest, destination: record.location }, deps).read().catch(() => undefined);
        if (reading) {
          objects = reading.objects;
          bytes = reading.storedBytes;
          uncompressedBytes = reading.uncompressedBytes;
          costUsd = priceDelivered({ ...manifest, destination: record.location }, reading, deps.prices).usd;
        }
      } else if (manifest?.delivered) {
        objects = manifest.delivered.objects;
        bytes = manifest.delivered.bytes;
        uncompressedBytes = manifest.delivered.uncompressedBytes;
        costUsd = manifest.actualUsd;
      }
      const maxCostUsd = manifest?.maxCostUsd ?? record.maxCostUsd;
      rows.push({
        id: record.id,
        state,
        target: manifest?.target.label ?? record.flowLogs.map((flowLog) => flowLog.resourceId).join(', '),
        timeLeftSeconds: record.expiresAt && state === 'active' ? (record.expiresAt.getTime() - now) / 1000 : undefined,
        objects,
        bytes,
        ...(uncompressedBytes !== undefined ? { uncompressedBytes } : {}),
        costUsd,
        ...(manifest?.estimate ? { estimateUsd: { low: manifest.estimate.low, high: manifest.estimate.high } } : {}),
        ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
        ...(manifest?.costGuard ? { stoppedByCap: manifest.costGuard.reason } : {}),
        destination: record.location ? describeLocation(record.location) : undefined,
        expiresAt: record.expiresAt?.toISOString(),
        ...(nets.has(record.id) ? { safetyNet: nets.get(record.id) } : {}),
        summary: manifest?.summary,
      });
    }
    if (flags.json) printJson(ctx, { schema: 'flowdump.captures/v1', region: aws.region, captures: rows, ...(foreign.length > 0 ? { notCaptures: foreign } : {}) });
    else ctx.io.stdout.write(renderCaptureList(rows));
  });
  return command;
}

/**
 * The safety net of each capture whose flow log still runs, from one ListSchedules of the group
 * (per region: a net lives in its capture's region). A listing that fails is a warning: `unknown`.
 */
async function safetyNetCells(ctx: CliContext, aws: AwsContext, running: CaptureRecord[]): Promise<Map<string, SafetyNetCell>> {
  const cells = new Map<string, SafetyNetCell>();
  const armedOnes = running.filter((record) => record.manifest?.safetyNet?.armed !== false);
  for (const record of running) if (record.manifest?.safetyNet?.armed === false) cells.set(record.id, { status: 'none' });
  if (armedOnes.length === 0) return cells;
  const byRegion = new Map<string, CaptureRecord[]>();
  for (const record of armedOnes) {
    const region = record.manifest?.region ?? aws.region;
    byRegion.set(region, [...(byRegion.get(region) ?? []), record]);
  }
  const schedulerFor = await openScheduler(aws);
  for (const [region, records] of byRegion) {
    let schedules: ScheduleListing[];
    try {
      schedules = await schedulerFor(region).listSchedules(SAFETY_NET_GROUP, SAFETY_NET_PREFIX);
    } catch (error) {
      ctx.io.stderr.write(`${ctx.paintErr.yellow('warning:')} cannot tell whether the safety nets in ${region} are armed: ${(error as Error).message}\n`);
      for (const record of records) cells.set(record.id, { status: 'unknown' });
      continue;
    }
    for (const record of records) {
      const status = safetyNetStatus({ id: record.id, expiresAt: record.expiresAt ?? '' }, schedules);
      // the manifest knows the exact time it was armed for (ListSchedules does not return the expression)
      const recorded = record.manifest?.safetyNet?.armed ? record.manifest.safetyNet.fireAt : undefined;
      const fireAt = status.status === 'armed' ? (recorded ?? status.fireAt) : undefined;
      cells.set(record.id, { status: status.status, name: `${SAFETY_NET_GROUP}/${status.name}`, ...(fireAt ? { fireAt } : {}) });
    }
  }
  return cells;
}

function stateOf(record: CaptureRecord, now: number): string {
  if (record.flowLogs.length > 0) {
    if (record.expiresAt && record.expiresAt.getTime() <= now) return 'expired';
    return record.manifest?.state === 'stopping' ? 'stopping' : 'active';
  }
  const state = record.manifest?.state ?? 'unknown';
  if (state === 'active') return 'stopped';
  return record.manifest?.keep && state === 'analyzed' ? 'kept' : state;
}

interface StopFlags extends CommonOptions {
  /** false with --no-explain */
  explain?: boolean;
  all?: boolean;
  settleTimeout?: string;
  keep?: boolean;
}

export function stopCommand(ctx: CliContext): Command {
  const command = new Command('stop')
    .summary('stop a capture early, then settle → analyze → clean')
    .argument('[capture-id]', 'the capture (see flowdump list)')
    .option('--all', 'stop every running or unfinished capture in this region')
    .option('--keep', 'keep the captured data after the summary')
    .option('--settle-timeout <duration>', 'how long to wait for late deliveries', '15m')
    .option('--no-explain', "the summary does not read security groups and network ACLs to say what blocks each failing peer");
  withCommonOptions(command, true);
  command.addHelpText('after', '\nExamples:\n  flowdump stop fd-20260501-120000-3fa9\n  flowdump stop --all --settle-timeout 2m\n');
  command.action(async (id: string | undefined, flags: StopFlags) => {
    if (!id && !flags.all) throw new UsageError('name the capture to stop (flowdump stop <capture-id>) or pass --all; see flowdump list', { code: 'no-capture' });
    if (id && flags.all) throw new UsageError('give a capture id or --all, not both');
    if (id && parseCaptureId(id) === undefined) throw new UsageError(`"${stripControls(id)}" is not a capture id (fd-YYYYMMDD-HHMMSS-<hex>); see flowdump list`, { code: 'bad-capture-id' });
    const settleMs = settleTimeoutMs(flags.settleTimeout);
    const aws = await openAws(ctx, flags, 'flowdump-capture-s3.json');
    const reporter = cliReporter(ctx, { json: flags.json });
    const who = await identity(aws);
    const clock = cliClock(ctx.io.env);
    // stop disarms each capture's safety net once its flow log is verified gone (a failure is a warning)
    const deps = await captureDeps(ctx, aws, who, reporter, { clock, explain: flags.explain, safetyNet: await openSafetyNet(aws, who, clock) });
    const { captures: records, foreign } = await discoverCaptures(deps, discoverOptions(aws, who));
    reportForeign(ctx, foreign, flags.json);
    const chosen = id ? records.filter((record) => record.id === id) : records.filter((record) => record.flowLogs.length > 0 || (record.manifest && record.manifest.state !== 'cleaned' && !(record.manifest.state === 'analyzed' && record.manifest.keep)));
    if (id && chosen.length === 0) {
      const known = records.map((record) => record.id).slice(-5);
      throw new UsageError(`no capture "${id}" in ${aws.region}${known.length ? `; captures there: ${known.join(', ')}` : ''}`, { code: 'no-capture' });
    }
    const results = [];
    let exitCode: number = ExitCode.ok;
    for (const record of chosen) {
      if (!record.manifest) continue;
      const manifest = flags.keep ? { ...record.manifest, keep: true } : record.manifest;
      try {
        const result = await finishCapture(manifest, deps, { settleTimeoutMs: settleMs, waitForSettle: true, reason: 'flowdump stop' });
        reporter.finish();
        results.push(result);
        if (!flags.json) printFinish(ctx, result.manifest, result.summary, flags, result.facts);
      } catch (error) {
        if (!flags.all || !(error instanceof FlowdumpError)) throw error;
        ctx.io.stderr.write(`${ctx.paintErr.red('flowdump:')} ${error.message}\n`);
        exitCode = error.exitCode === ExitCode.unverified || exitCode === ExitCode.unverified ? ExitCode.unverified : error.exitCode;
      }
    }
    if (flags.json) printJson(ctx, { schema: 'flowdump.stop/v1', ...(foreign.length > 0 ? { notCaptures: foreign } : {}), captures: results.map((result) => ({ capture: result.manifest, ...(result.summary ? { summary: result.summary } : {}), ...(result.deferred ? { deferred: result.deferred } : {}) })) });
    if (flags.all && chosen.length === 0 && !flags.json) ctx.io.stderr.write('no running or unfinished capture in this region\n');
    if (exitCode !== ExitCode.ok) ctx.exitCode = exitCode;
  });
  return command;
}

interface SweepFlags extends CommonOptions {
  /** false with --no-explain */
  explain?: boolean;
  watch?: boolean;
  settleTimeout?: string;
}

export function sweepCommand(ctx: CliContext): Command {
  const command = new Command('sweep')
    .summary('finish every expired capture (stop → settle → analyze → clean); safe from cron')
    .description(
      'Finds every capture whose time is up — by flow-log tags and manifests, no local state — and finishes it.\n' +
        'A running capture started with --max-cost is checked against its cap (each round under --watch) and stopped before it crosses it.\n' +
        'Idempotent: running it twice, or two at once, does no harm. Exit 5 when a flow log could not be verified deleted.',
    )
    .option('--watch', 'sweep every minute until interrupted (late data is picked up on a later round); enforces --max-cost of running captures every minute')
    .option('--settle-timeout <duration>', 'how long after a stop to wait for late deliveries', '15m')
    .option('--no-explain', "the summary does not read security groups and network ACLs to say what blocks each failing peer");
  withCommonOptions(command, true);
  command.addHelpText('after', '\nExamples:\n  flowdump sweep\n  */5 * * * *  flowdump sweep --region eu-west-1   (crontab)\n  flowdump sweep --watch\n');
  command.action(async (flags: SweepFlags) => {
    const settleMs = settleTimeoutMs(flags.settleTimeout);
    const aws = await openAws(ctx, flags, 'flowdump-capture-s3.json');
    const reporter = cliReporter(ctx, { json: flags.json });
    const who = await identity(aws);
    const clock = cliClock(ctx.io.env);
    let deps = await captureDeps(ctx, aws, who, reporter, { clock, explain: flags.explain, safetyNet: await openSafetyNet(aws, who, clock) });
    const schedulerFor = await openScheduler(aws);
    // the cost guards of running captures with --max-cost, kept across rounds
    const options = { ...discoverOptions(aws, who), settleTimeoutMs: settleMs, waitForSettle: !flags.watch, costWatches: new Map() };
    const stop = new AbortController();
    const unsubscribe = flags.watch ? ctx.io.onSignal?.(() => stop.abort()) : undefined;
    try {
      for (;;) {
        const result = await sweepCaptures(deps, options);
        reporter.finish();
        reportForeign(ctx, result.foreign, flags.json);
        for (const failure of result.failed) ctx.io.stderr.write(`${ctx.paintErr.red('flowdump:')} ${failure.message}\n`);
        const nets = await sweepOrphanNets(ctx, deps, schedulerFor(aws.region));
        if (flags.json) {
          printJson(ctx, {
            schema: 'flowdump.sweep/v1',
            finished: result.finished.map((f) => ({ id: f.manifest.id, state: f.manifest.state, ...(f.deferred ? { deferred: f.deferred } : {}), ...(f.summary ? { headline: f.summary.headline } : {}) })),
            guarded: result.guarded,
            skipped: result.skipped,
            failed: result.failed,
            ...(result.foreign.length > 0 ? { notCaptures: result.foreign } : {}),
            safetyNets: nets
              ? { removed: nets.removed.map((d) => ({ name: d.schedule.name, captureId: d.captureId })), kept: nets.kept.length, failed: nets.failed }
              : { error: 'could not list the safety nets' },
          });
        } else {
          for (const look of result.guarded) if (look.action === 'stop') ctx.io.stderr.write(`${ctx.paintErr.yellow(`${look.id}: stopped by --max-cost ${formatUsd(look.maxCostUsd)}`)}: ${look.reason}\n`);
          const done = result.finished.filter((f) => !f.deferred);
          const removed = nets && nets.removed.length > 0 ? `; ${nets.removed.length} orphan safety net(s) removed` : '';
          ctx.io.stderr.write(`sweep: ${done.length} capture(s) finished, ${result.skipped.length} still running, ${result.failed.length} failed${removed}\n`);
          for (const f of done) if (f.summary) ctx.io.stdout.write(`${f.manifest.id}  ${f.summary.headline}\n`);
        }
        if (result.exitCode !== ExitCode.ok) ctx.exitCode = result.exitCode;
        if (!flags.watch || stop.signal.aborted) break;
        await deps.clock.sleep(60_000, stop.signal);
        if (stop.signal.aborted) break;
        // captures this machine started meanwhile
        deps = { ...deps, places: await capturePlaces(ctx, aws, who) };
      }
    } finally {
      unsubscribe?.();
    }
  });
  return command;
}


/**
 * After the captures: the safety nets whose capture has no flow log any more (its process died
 * after deleting the flow log, or a disarm failed). Never fails the sweep: a leftover net only
 * asks to delete flow logs that are gone, then deletes itself.
 */
async function sweepOrphanNets(ctx: CliContext, deps: CaptureDeps, scheduler: import('../../aws/scheduler.js').SchedulerPort): Promise<SweepSafetyNetsResult | undefined> {
  try {
    // live flow logs first, then the schedules (see sweepSafetyNets)
    const live = (await deps.ec2.describeFlowLogs({ tagKey: TAG_CAPTURE_ID })).map((flowLog) => flowLog.tags[TAG_CAPTURE_ID]).filter((id): id is string => Boolean(id));
    const result = await sweepSafetyNets(scheduler, live, { now: deps.clock.now() });
    for (const failure of result.failed) ctx.io.stderr.write(`${ctx.paintErr.yellow('warning:')} ${failure.message}\n`);
    return result;
  } catch (error) {
    ctx.io.stderr.write(`${ctx.paintErr.yellow('warning:')} orphan safety nets were not swept: ${(error as Error).message}\n`);
    return undefined;
  }
}
