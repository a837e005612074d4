import { isIP } from 'node:net';
import type { AwsContext } from '../aws/clients.js';
import type { Clock } from '../capture/clock.js';
import { parseDestination } from '../capture/destination.js';
import type { SafetyNet } from '../capture/lifecycle.js';
import { runCapture } from '../capture/run.js';
import { captureEstimateOf } from '../capture/cost.js';
import { estimateCapture } from '../capture/estimate.js';
import { newCaptureId } from '../capture/ids.js';
import { planCapture } from '../capture/plan.js';
import { resolveTarget, type TargetRequest } from '../capture/targets.js';
import { findPreset, resolveFormat, typicalRecordBytes } from '../format/presets.js';
import type { RunWindowCapture } from '../schedule/runner.js';
import { captureDeps, checkSafetyNetRole, cliClock, identity, openAws, openSafetyNet, settleTimeoutMs, startRecordedCapture, type Identity } from './aws.js';
import type { ScheduleCaptureRequest } from './commands/schedule.js';
import { checkDestinationReady } from './commands/start.js';
import type { CliContext } from './context.js';
import { cliReporter } from './reporter.js';

/** `i-…`, `eni-…`, `subnet-…`, `vpc-…`, a private IP, else an instance's Name tag: what `start --instance/--eni/…` would get. */
export function targetOfWindow(text: string): TargetRequest {
  const value = text.trim();
  if (/^i-[0-9a-f]+$/.test(value)) return { kind: 'instance', value };
  if (/^eni-[0-9a-f]+$/.test(value)) return { kind: 'eni', value };
  if (/^subnet-[0-9a-f]+$/.test(value)) return { kind: 'subnet', value };
  if (/^vpc-[0-9a-f]+$/.test(value)) return { kind: 'vpc', value };
  if (isIP(value)) return { kind: 'ip', value };
  return { kind: 'name', value };
}

/** A preset name, or a `${field} …` template (as start's --format). */
function windowFormat(text: string) {
  const isPreset = !text.includes('${') && !/\s/.test(text.trim());
  const preset = isPreset ? findPreset(text) : undefined;
  const custom = preset ? undefined : resolveFormat(text);
  return { preset, custom, bytesPerRecord: preset?.bytesPerRecord ?? typicalRecordBytes(custom?.fields ?? []) };
}

interface Opened {
  aws: AwsContext;
  who: Identity;
  clock: Clock;
  safetyNet?: SafetyNet;
}

export interface WindowRunnerOptions {
  /** no progress lines (the report is the one JSON document) */
  json?: boolean;
  /** the second Ctrl-C: skip the running windows' analysis (their flow logs are still deleted) */
  skipSignal?: AbortSignal;
  /** the runner's clock: windows and their captures must keep one time (default: flowdump's clock) */
  clock?: Clock;
}

/**
 * How `flowdump schedule run` runs one window: a normal foreground capture (`startCapture` +
 * `runCapture`, as `flowdump start --for …`), with the same safety net and cost cap, whose flow log
 * expires at `window.end`. AWS is opened — and the safety-net role checked — once, before the first
 * window, so a missing region, credentials or role fail at once instead of at the first window.
 */
export async function windowCaptureRunner(ctx: CliContext, request: ScheduleCaptureRequest, options: WindowRunnerOptions = {}): Promise<RunWindowCapture> {
  const destination = parseDestination(request.destination);
  const aws = await openAws(ctx, { profile: request.profile, region: request.region }, destination.type === 'logs' ? 'flowdump-capture-logs.json' : 'flowdump-capture-s3.json');
  const who = await identity(aws);
  const clock = options.clock ?? cliClock(ctx.io.env);
  if (request.safetyNet) await checkSafetyNetRole(aws, who.account);
  const opened: Opened = { aws, who, clock, ...(request.safetyNet ? { safetyNet: await openSafetyNet(aws, who, clock) } : {}) };
  const reporter = cliReporter(ctx, { json: options.json });
  const never = new AbortController().signal;
  const settleMs = request.settleTimeoutMs ?? settleTimeoutMs(undefined);

  return async (window, { signal }) => {
    const deps = await captureDeps(ctx, opened.aws, opened.who, reporter, { clock: opened.clock, ...(opened.safetyNet ? { safetyNet: opened.safetyNet } : {}) });
    // the flow log expires at the window's end, also for a window started late (whole seconds, as the tag)
    const startMs = Math.floor(opened.clock.now().getTime() / 1000) * 1000;
    const durationSeconds = Math.max(1, Math.round((Date.parse(window.end) - startMs) / 1000));
    const target = await resolveTarget(targetOfWindow(request.target), opened.aws.ec2, { where: `in ${opened.aws.region}${opened.aws.profile ? ` (profile "${opened.aws.profile}")` : ''}` });
    const format = windowFormat(request.format ?? 'handshake');
    const fileFormat = request.fileFormat ?? 'text';
    // the same estimate as start (the cost guard's expected rate until the first delivery); never in the way
    const estimated = await estimateCapture(
      { target, region: opened.aws.region, durationSeconds, destination, fileFormat, formatName: format.preset?.name ?? 'custom', fields: format.preset?.format.fields ?? format.custom?.fields ?? [] },
      { ec2: opened.aws.ec2, metrics: deps.metrics, prices: () => deps.prices, clock: deps.clock },
    );
    const plan = planCapture({
      id: newCaptureId(new Date(startMs)),
      target,
      format: { preset: format.preset, custom: format.custom, bytesPerRecord: format.bytesPerRecord },
      destination,
      defaultBucket: opened.who.defaultBucket,
      fileFormat,
      traffic: request.traffic ?? 'ALL',
      durationSeconds,
      now: new Date(startMs),
      account: opened.who.account,
      partition: opened.who.partition,
      region: opened.aws.region,
      createdBy: opened.who.arn,
      keep: request.keep,
      ...(estimated.estimate ? { estimate: captureEstimateOf(estimated.estimate) } : { estimateError: estimated.error }),
      // each window has its own cap (--max-cost), enforced by the same guard as a foreground start
      ...(request.maxCostUsd !== undefined ? { maxCostUsd: request.maxCostUsd } : {}),
    });
    await checkDestinationReady(opened.aws, deps, opened.who, plan);
    const manifest = await startRecordedCapture(ctx, plan, deps);
    const result = await runCapture(manifest, deps, { settleTimeoutMs: settleMs, stopSignal: signal, skipSignal: options.skipSignal ?? never });
    reporter.finish();
    return { captureId: manifest.id, ...(result.summary ? { summary: result.summary } : {}) };
  };
}
