import { Command, Option } from 'commander';
import type { AwsContext } from '../../aws/clients.js';
import { DELIVERY_ROLE_NAME, deliveryRoleArn, describeLocation, parseDestination, s3DestinationArn } from '../../capture/destination.js';
import { parseCaptureDuration } from '../../duration.js';
import { newCaptureId } from '../../capture/ids.js';
import type { CaptureDeps } from '../../capture/lifecycle.js';
import { planCapture, type CapturePlan } from '../../capture/plan.js';
import { captureEstimateOf, type CaptureEstimate } from '../../capture/cost.js';
import { estimateCapture } from '../../capture/estimate.js';
import { runCapture } from '../../capture/run.js';
import { resolveTarget, TARGET_KINDS, type TargetRequest } from '../../capture/targets.js';
import { ExitCode, FlowdumpError, UsageError, UserAbort } from '../../errors.js';
import { findPreset, resolveFormat, typicalRecordBytes } from '../../format/presets.js';
import { captureDeps, checkSafetyNetRole, cliClock, identity, openAws, openSafetyNet, settleTimeoutMs, startRecordedCapture, type Identity } from '../aws.js';
import { interactive, printJson, withCommonOptions, type CliContext, type CommonOptions } from '../context.js';
import { enquirerPrompts, type Prompts } from '../prompts.js';
import { describeSafetyNet, formatEstimate, renderCaptureFacts, renderPlan } from '../render/capture.js';
import { formatUsd } from '../render/estimate.js';
import { renderSummaryText } from '../render/summary-text.js';
import { cliReporter } from '../reporter.js';
import { askMaxCost, parseMaxCost, runWizard, type StartAnswers } from '../wizard.js';

export interface StartFlags extends CommonOptions {
  /** false with --no-explain */
  explain?: boolean;
  instance?: string;
  eni?: string;
  subnet?: string;
  vpc?: string;
  ip?: string;
  name?: string;
  for?: string;
  format?: string;
  destination?: string;
  fileFormat: 'text' | 'parquet';
  traffic?: 'ALL' | 'ACCEPT' | 'REJECT';
  keep?: boolean;
  detach?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  force?: boolean;
  settleTimeout?: string;
  maxCost?: string;
  /** false only with --no-safety-net */
  safetyNet?: boolean;
  /** false only with --no-live */
  live?: boolean;
}

export const CAPTURE_RESULT_SCHEMA = 'flowdump.capture-result/v1';

/** `start`'s options, shared with the bare `flowdump` wizard entry. */
export function addStartOptions(command: Command): Command {
  command
    .option('--instance <id>', 'an EC2 instance: every network interface attached to it')
    .option('--eni <id>', 'one network interface')
    .option('--subnet <id>', 'a subnet: every interface in it')
    .option('--vpc <id>', 'a VPC: every interface in it')
    .option('--ip <address>', 'the network interface that has this private IP')
    .option('--name <tag>', 'the instance with this Name tag')
    .option('--for <duration>', 'how long: 90s, 15m, 2h (above 24h only with --force)', undefined)
    .option('--format <preset|template>', "log format: a preset (handshake, tcpdump, full) or '${field} …'", undefined)
    .option('--destination <where>', 's3://bucket[/prefix] (default: the bucket of flowdump setup) or logs:/group')
    .addOption(new Option('--file-format <format>', 'S3 file format').choices(['text', 'parquet']).default('text'))
    .addOption(new Option('--traffic <type>', 'which traffic to log').choices(['ALL', 'ACCEPT', 'REJECT']))
    .option('--keep', 'keep the captured data after the summary (default: delete it)')
    .option('--detach', 'return once the capture runs; flowdump sweep (or the safety net) tears it down')
    .option('--dry-run', "show the plan and ask EC2 (DryRun) whether you may create it; creates nothing")
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .option('--max-cost <USD>', 'stop the capture before what it delivers would cost more than this, e.g. 0.50 (checked every minute)')
    .option('--force', 'allow a capture longer than 24h')
    .option('--settle-timeout <duration>', 'how long to wait for late deliveries after the stop', '15m')
    .option('--no-safety-net', 'no server-side teardown (EventBridge Scheduler): if this machine stops first, only flowdump sweep deletes the flow log')
    .option('--no-explain', "the summary does not read security groups and network ACLs to say what blocks each failing peer")
    .option('--no-live', 'no running verdicts while the capture runs (deliveries are then read only once, for the summary)');
  return withCommonOptions(command, true);
}

export function startCommand(ctx: CliContext): Command {
  const command = new Command('start')
    .summary('capture a target for a while, then summarize and clean up')
    .description(
      'Creates a tagged VPC flow log (60 s windows, the handshake format) on the target, waits for the time budget\n' +
        'with a live line, deletes the flow log and verifies it is gone, waits for late deliveries, writes the\n' +
        'handshake summary (beside the data and in ~/.local/state/flowdump), deletes the captured data, prints the summary.\n' +
        'Ctrl-C stops early (the rest still happens); a second Ctrl-C skips the analysis — the flow log is still deleted.',
    );
  addStartOptions(command);
  command.addHelpText(
    'after',
    `
Examples:
  flowdump start --instance i-0abc123def4567890 --for 15m
  flowdump start --name web-1 --for 5m --yes --json > capture.json
  flowdump start --subnet subnet-0abc --for 2h --destination logs:/flowdump --detach
  flowdump start --ip 10.0.1.25 --for 10m --dry-run
  flowdump start --vpc vpc-0abc --for 30m --max-cost 2 --yes

Exit codes: 0 done, 2 bad arguments, 3 AWS access, 4 some data could not be read (it is kept), 5 teardown not verified, 130 cancelled.`,
  );
  command.action(async (flags: StartFlags) => {
    await runStart(ctx, flags);
  });
  return command;
}

function targetFromFlags(flags: StartFlags): TargetRequest | undefined {
  const given = TARGET_KINDS.filter((kind) => flags[kind] !== undefined);
  if (given.length > 1) throw new UsageError(`give one target, not ${given.map((kind) => `--${kind}`).join(' and ')}`, { code: 'target-ambiguous' });
  return given.length === 1 ? { kind: given[0], value: String(flags[given[0]]) } : undefined;
}

export async function runStart(ctx: CliContext, flags: StartFlags, options: { prompts?: Prompts } = {}): Promise<void> {
  const given: StartAnswers = { target: targetFromFlags(flags), format: flags.format, destination: flags.destination, duration: flags.for, traffic: flags.traffic };
  const canAsk = interactive(ctx) && !flags.json;
  if (!given.target && !canAsk) {
    throw new UsageError('no target: pass --instance <id>, --eni, --subnet, --vpc, --ip or --name (or run flowdump in a terminal for the wizard)', { code: 'no-target' });
  }
  // validate what the flags already say before touching AWS
  if (given.duration) parseCaptureDuration(given.duration, flags.force === true);
  if (given.format) resolveFormat(given.format);
  const maxCostUsd = flags.maxCost !== undefined ? parseMaxCost(flags.maxCost) : undefined;
  const destinationRequest = parseDestination(given.destination);
  const settleMs = settleTimeoutMs(flags.settleTimeout);
  const aws = await openAws(ctx, flags, destinationRequest.type === 'logs' ? 'flowdump-capture-logs.json' : 'flowdump-capture-s3.json');
  const who = await identity(aws);
  // the wizard runs only when no target was given; flags left out take their defaults
  const answers = given.target ? { ...given, format: given.format ?? 'handshake', destination: given.destination, duration: given.duration ?? '15m', traffic: given.traffic ?? 'ALL' } : undefined;
  const filled =
    answers ??
    (await runWizard(given, {
      prompts: options.prompts ?? enquirerPrompts(),
      ec2: aws.ec2,
      region: aws.region,
      profile: aws.profile,
      account: who.account,
      defaultBucket: who.defaultBucket,
      force: flags.force === true,
      say: (text) => ctx.io.stderr.write(`${ctx.paintErr.dim(text)}\n`),
    }));
  const baseReporter = cliReporter(ctx, { json: flags.json });
  let flowLogGone = false;
  const reporter = {
    ...baseReporter,
    event(event: import('../../capture/lifecycle.js').CaptureEvent) {
      if (event.type === 'stopped') flowLogGone = true;
      baseReporter.event(event);
    },
  };
  const withNet = flags.safetyNet !== false;
  const clock = cliClock(ctx.io.env);
  const deps = await captureDeps(ctx, aws, who, reporter, { clock, explain: flags.explain, ...(withNet ? { safetyNet: await openSafetyNet(aws, who, clock) } : {}) });
  const prompts = options.prompts ?? (canAsk ? enquirerPrompts() : undefined);
  // the wizard also asks for a cost cap, once it can show the estimate
  const askCap = !given.target && maxCostUsd === undefined ? prompts : undefined;
  const plan = await makePlan(ctx, aws, who, deps, flags, filled as Required<StartAnswers>, { maxCostUsd, askCap });

  if (flags.dryRun) {
    await aws.ec2.dryRunCreateFlowLogs({
      resourceType: plan.resourceType,
      resourceIds: plan.resourceIds,
      trafficType: plan.traffic,
      destination:
        plan.location.type === 's3'
          ? { type: 's3', arn: s3DestinationArn(plan.location, plan.partition), fileFormat: plan.fileFormat === 'parquet' ? 'parquet' : 'plain-text' }
          : { type: 'cloud-watch-logs', logGroupName: plan.location.logGroup, roleArn: deliveryRoleArn(who.account, plan.partition) },
      logFormat: plan.format.template,
      maxAggregationInterval: plan.aggregationSeconds,
      tags: plan.tags,
      clientToken: plan.id,
    });
    if (flags.json) printJson(ctx, { schema: 'flowdump.plan/v1', plan: planJson(plan), dryRun: 'allowed' });
    else ctx.io.stdout.write(`${renderPlan(plan, ctx.paint, { safetyNet: withNet })}\nDryRun: EC2 says you may create this flow log; nothing was created.\n`);
    return;
  }

  await checkDestinationReady(aws, deps, who, plan);
  if (withNet) await checkSafetyNetRole(aws, who.account);
  if (!flags.json) {
    ctx.io.stderr.write(renderPlan(plan, ctx.paintErr, { safetyNet: withNet }));
    const warning = capWarning(plan);
    if (warning) ctx.io.stderr.write(`${ctx.paintErr.yellow(`warning: ${warning}`)}\n`);
  }
  if (!flags.yes) {
    if (!canAsk) throw new UsageError('add --yes to start the capture without a terminal to confirm on (or --dry-run to only see the plan)', { code: 'confirm-needed' });
    const ok = await (options.prompts ?? enquirerPrompts()).confirm('Start this capture?', true);
    if (!ok) throw new UserAbort('not started; nothing was created');
  }

  // signals are caught from before the flow log exists: a Ctrl-C during creation still tears it down
  const stop = new AbortController();
  const skip = new AbortController();
  let captureId = plan.id;
  const unsubscribe = flags.detach
    ? undefined
    : ctx.io.onSignal?.((signal) => {
        if (!stop.signal.aborted) {
          stop.abort();
          reporter.finish();
          ctx.io.stderr.write(
            flowLogGone
              ? `${signal}: no longer waiting for late data; analyzing what arrived (press Ctrl-C again to skip the analysis)\n`
              : `${signal}: stopping capture ${captureId} (deleting the flow log; press Ctrl-C again to skip the analysis)\n`,
          );
        } else if (!skip.signal.aborted) {
          skip.abort();
          reporter.finish();
          ctx.io.stderr.write(`${signal}: skipping the analysis; the flow log is still being deleted\n`);
        }
      });
  let manifest;
  try {
    manifest = await startRecordedCapture(ctx, plan, deps);
  } catch (error) {
    unsubscribe?.();
    throw error;
  }
  captureId = manifest.id;
  if (flags.detach) {
    if (flags.json) printJson(ctx, { schema: CAPTURE_RESULT_SCHEMA, capture: manifest });
    else {
      ctx.io.stdout.write(
        `${manifest.id}\n` +
          `The capture runs until ${manifest.expiresAt.replace('.000Z', 'Z')}. To end it: flowdump stop ${manifest.id}\n` +
          `After it expires, flowdump sweep (cron/systemd, or by hand) deletes the flow log, summarizes and cleans up;\n` +
          `${describeSafetyNet(manifest)}\n` +
          `the bucket's lifecycle rule (7 days) and the log group's 1-day retention are the last guards.\n`,
      );
    }
    return;
  }

  try {
    // the live view reads deliveries as they arrive (not under --json: nothing would show them)
    const live = flags.live !== false && !flags.json ? {} : undefined;
    const result = await runCapture(manifest, deps, { settleTimeoutMs: settleMs, stopSignal: stop.signal, skipSignal: skip.signal, pollMs: 30_000, ...(live ? { live } : {}) });
    reporter.finish();
    printFinish(ctx, result.manifest, result.summary, flags, result.facts);
    if (result.deferred && skip.signal.aborted) ctx.exitCode = ExitCode.abort;
  } finally {
    unsubscribe?.();
  }
}

export function printFinish(
  ctx: CliContext,
  manifest: import('../../capture/manifest.js').CaptureManifest,
  summary: import('../../analyze/summary.js').Summary | undefined,
  flags: { json?: boolean },
  facts?: import('../../capture/lifecycle.js').CaptureSummaryFacts,
): void {
  if (flags.json) {
    printJson(ctx, { schema: CAPTURE_RESULT_SCHEMA, capture: manifest, ...(summary ? { summary: { ...summary, ...(facts ? { capture: facts } : {}) } } : {}) });
  } else if (summary) {
    ctx.io.stdout.write(renderSummaryText(summary, { paint: ctx.paint, top: 10 }));
    if (facts) ctx.io.stdout.write(renderCaptureFacts(facts, ctx.paint));
    const left = manifest.state === 'cleaned' ? 'left behind: the summary only' : `left behind: the data at ${describeLocation(manifest.destination)} (${manifest.keptBecause ?? 'kept'})`;
    ctx.io.stderr.write(`${ctx.paintErr.dim(`capture ${manifest.id} ${manifest.state}; ${left}`)}\n`);
  }
  if (summary && summary.errors.length > 0) ctx.exitCode = ExitCode.input;
}

/** Said before the confirmation when the cap is likely to end the capture early. */
export function capWarning(plan: CapturePlan): string | undefined {
  const cap = plan.maxCostUsd;
  const estimate = plan.estimate;
  if (cap === undefined || !estimate) return undefined;
  if (estimate.low >= cap) return `even the low end of the estimate (${formatUsd(estimate.low)}) reaches --max-cost ${formatUsd(cap)}: the guard will stop this capture before its time is up`;
  if (estimate.high >= cap) {
    return `the high end of the estimate (${formatUsd(estimate.high)}) is above --max-cost ${formatUsd(cap)}: until the first data arrives (~10 min for S3, ~5 for CloudWatch Logs) the guard projects at that rate, and it stops the capture if real deliveries get there`;
  }
  return undefined;
}

async function makePlan(
  ctx: CliContext,
  aws: AwsContext,
  who: Identity,
  deps: CaptureDeps,
  flags: StartFlags,
  answers: Required<StartAnswers>,
  options: { maxCostUsd?: number; askCap?: Prompts },
): Promise<CapturePlan> {
  const durationSeconds = parseCaptureDuration(answers.duration, flags.force === true) / 1000;
  const target = await resolveTarget(answers.target, aws.ec2, { where: `in ${aws.region}${aws.profile ? ` (profile "${aws.profile}")` : ''}` });
  const formatText = answers.format;
  const isPreset = !formatText.includes('${') && !/\s/.test(formatText.trim());
  const preset = isPreset ? findPreset(formatText) : undefined;
  const custom = preset ? undefined : resolveFormat(formatText);
  const destination = parseDestination(answers.destination);
  const fileFormat = flags.fileFormat ?? 'text';
  // the estimate needs the target's metrics: made before the plan, and never in its way (a failed estimate is a reason, not an error)
  const estimated = await estimateCapture(
    {
      target,
      region: aws.region,
      durationSeconds,
      destination,
      fileFormat,
      formatName: preset?.name ?? 'custom',
      fields: preset?.format.fields ?? custom?.fields ?? [],
    },
    { ec2: aws.ec2, metrics: deps.metrics, prices: () => deps.prices, clock: deps.clock },
  );
  const estimate = estimated.estimate ? captureEstimateOf(estimated.estimate) : undefined;
  let maxCostUsd = options.maxCostUsd;
  if (options.askCap) {
    const say = (text: string) => ctx.io.stderr.write(`${ctx.paintErr.dim(text)}\n`);
    maxCostUsd = await askMaxCost({ prompts: options.askCap, say }, estimate ? formatEstimate(estimate) : undefined, estimated.error, suggestCap(estimate));
  }
  return planCapture({
    id: newCaptureId(deps.clock.now()),
    target,
    format: { preset, custom, bytesPerRecord: preset?.bytesPerRecord ?? typicalRecordBytes(custom?.fields ?? []) },
    destination,
    defaultBucket: who.defaultBucket,
    fileFormat,
    traffic: answers.traffic,
    durationSeconds,
    now: deps.clock.now(),
    account: who.account,
    partition: who.partition,
    region: aws.region,
    createdBy: who.arn,
    keep: flags.keep === true,
    ...(estimate ? { estimate } : { estimateError: estimated.error }),
    ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
  });
}

/**
 * Before anything is created: an S3 destination must be a bucket of the caller's own account (S3
 * is asked with the account as the expected owner, so a bucket someone else made under that name
 * answers 403), and a CloudWatch Logs one needs the delivery role.
 */
export async function checkDestinationReady(aws: AwsContext, deps: Pick<CaptureDeps, 's3'>, who: Identity, plan: CapturePlan): Promise<void> {
  if (plan.location.type === 's3') {
    const status = await deps.s3.bucketStatus(plan.location.bucket);
    if (status === 'missing') {
      const hint = plan.location.bucket === who.defaultBucket ? 'run flowdump setup first (once per account and region)' : 'create it, or leave out --destination to use the bucket of flowdump setup';
      throw new UsageError(`bucket ${plan.location.bucket} does not exist in this account; ${hint}`, { code: 'no-bucket' });
    }
    if (status === 'foreign') {
      throw new FlowdumpError(
        'bucket-foreign',
        `bucket ${plan.location.bucket} is not a bucket of account ${who.account} (it belongs to another account, or a policy denies you): flowdump will not deliver your flow logs there; nothing was created — ${plan.location.bucket === who.defaultBucket ? 'use --destination s3://<a bucket of yours>' : 'pick another --destination'}`,
        { exitCode: ExitCode.awsAccess },
      );
    }
  } else {
    const role = await aws.iam.getRole(DELIVERY_ROLE_NAME);
    if (!role) throw new UsageError(`the CloudWatch Logs delivery role ${DELIVERY_ROLE_NAME} does not exist; run flowdump setup first`, { code: 'no-role' });
  }
}

function planJson(plan: CapturePlan) {
  return { ...plan, target: { ...plan.target, enis: plan.target.enis.map((eni) => eni.id) }, createdAt: plan.createdAt.toISOString(), expiresAt: plan.expiresAt.toISOString() };
}

/** A round cap at least twice the estimate's high end, so the estimate's own range never trips it. */
export function suggestCap(estimate: Pick<CaptureEstimate, 'high'> | undefined): string {
  if (!estimate) return '';
  for (const step of [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000]) if (step >= 2 * estimate.high) return String(step);
  return String(Math.ceil((2 * estimate.high) / 1000) * 1000);
}
