import { isIP } from 'node:net';
import { Command, Option } from 'commander';
import type { AwsContext } from '../../aws/clients.js';
import { rateScopeOf } from '../../capture/rate-scope.js';
import { resolveTarget, TARGET_KINDS, type TargetKind, type TargetRequest } from '../../capture/targets.js';
import { loadPriceTable, type Destination, type FileFormat } from '../../cost/pricing.js';
import { runEstimate, type EstimateDeps, type EstimateRequest } from '../../cost/run-estimate.js';
import type { AddressFamily } from '../../cost/record-size.js';
import { UsageError } from '../../errors.js';
import { defaultPresetName, findPreset, resolveFormat } from '../../format/presets.js';
import { parseDuration } from '../../duration.js';
import { cliClock, openAws } from '../aws.js';
import { printJson, withCommonOptions, type CliContext, type CommonOptions } from '../context.js';
import { renderEstimateText } from '../render/estimate.js';

/**
 * `flowdump estimate`: the cost of a capture before it starts. Two ways in:
 * - from a target's CloudWatch metrics: the target is resolved as `start` resolves it
 *   (src/capture/targets.ts), then its interfaces' metrics over --lookback are read, or
 * - offline, from a rate you state: `--rate 2000/min`, no AWS call at all.
 * The same `runEstimate` (src/cost/run-estimate.ts) serves `start` and the wizard.
 */

export { runEstimate, type EstimateDeps, type EstimateRequest };
export type { EstimateTarget as ResolvedTarget } from '../../cost/run-estimate.js';

/** The real AWS behind the estimate: target resolution and CloudWatch metrics, opened once per run. */
export function awsEstimateDeps(ctx: CliContext): EstimateDeps {
  let aws: AwsContext | undefined;
  return {
    prices: () => loadPriceTable(),
    clock: cliClock(ctx.io.env),
    async resolveTarget(target, options) {
      aws ??= await openAws(ctx, { region: options.region, profile: options.profile }, 'flowdump-capture-s3.json');
      const where = `in ${aws.region}${aws.profile ? ` (profile "${aws.profile}")` : ''}`;
      const resolved = await resolveTarget(targetRequestOf(target), aws.ec2, { where });
      return { scope: await rateScopeOf(resolved, aws.ec2), region: aws.region };
    },
    metrics() {
      if (!aws) throw new Error('metrics asked for before the target was resolved');
      return aws.metrics;
    },
  };
}

/** `i-…`, `eni-…`, `subnet-…`, `vpc-…`, an IP, or `<kind>:<value>` (what the --instance/--name… flags pass). */
export function targetRequestOf(target: string): TargetRequest {
  const flagged = /^([a-z]+):(.+)$/.exec(target);
  if (flagged && TARGET_KINDS.includes(flagged[1] as TargetKind)) return { kind: flagged[1] as TargetKind, value: flagged[2] };
  if (isIP(target)) return { kind: 'ip', value: target };
  const kind = target.startsWith('i-') ? 'instance' : target.startsWith('eni-') ? 'eni' : target.startsWith('subnet-') ? 'subnet' : target.startsWith('vpc-') ? 'vpc' : undefined;
  if (!kind) throw new UsageError(`"${target}" is not an instance, network interface, subnet or VPC id, nor an IP address; for an instance's Name tag use --name ${target}`, { code: 'bad-target' });
  return { kind, value: target };
}

interface EstimateFlags extends CommonOptions {
  for: string;
  instance?: string;
  eni?: string;
  subnet?: string;
  vpc?: string;
  ip?: string;
  name?: string;
  rate?: string;
  destination: string;
  fileFormat: string;
  format?: string;
  addressFamily: string;
  lookback: string;
  monthToDateGb?: string;
  retention?: string;
}

const RATE = /^(\d+(?:\.\d+)?)(?:\/(s|sec|second|m|min|minute|h|hr|hour))?$/i;
const PER_MINUTE: Record<string, number> = { s: 60, sec: 60, second: 60, m: 1, min: 1, minute: 1, h: 1 / 60, hr: 1 / 60, hour: 1 / 60 };

/** `2000/min`, `30/s`, `120000/h`, or a bare number (per minute) → records per minute. */
export function parseRate(value: string): number {
  const match = RATE.exec(value.trim());
  if (!match) throw new UsageError(`--rate "${value}" is not a rate; write records per time, like 2000/min, 30/s or 120000/h`, { code: 'bad-rate' });
  const perMinute = Number(match[1]) * PER_MINUTE[(match[2] ?? 'min').toLowerCase()];
  if (!(perMinute > 0)) throw new UsageError(`--rate must be more than zero: a flow log writes at least one record per interface per minute (give e.g. 1/min)`, { code: 'bad-rate' });
  return perMinute;
}

/** `s3`, `logs`, `firehose`, or the destinations `start` takes: `s3://bucket/prefix`, `logs:/group`. */
export function parseDestination(value: string): Destination {
  const text = value.trim();
  if (text === 's3' || text.startsWith('s3://')) return 's3';
  if (text === 'logs' || text === 'cloudwatch-logs' || text.startsWith('logs:')) return 'cloudwatch-logs';
  if (text === 'firehose' || text.startsWith('arn:aws:firehose:')) return 'firehose';
  throw new UsageError(`--destination "${value}" is not a destination; use s3 (or s3://bucket/prefix), logs (or logs:/group) or firehose`, { code: 'bad-destination' });
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function estimateCommand(ctx: CliContext, deps: EstimateDeps = awsEstimateDeps(ctx)): Command {
  const command = new Command('estimate')
    .summary('what a capture will cost, before you start it')
    .description(
      'Estimates the cost of a flow-log capture as a low–high range with every assumption printed: records per minute ' +
        "(from the target's CloudWatch metrics, or a rate you state) × bytes per record (from the format) × minutes × " +
        'the price of the destination in the region. Also shows what it would cost per hour if a teardown failed.',
    )
    .argument('[target]', 'instance, network interface, subnet or VPC id (i-…, eni-…, subnet-…, vpc-…) or a private IP')
    .option('--instance <id>', 'an EC2 instance: every network interface attached to it')
    .option('--eni <id>', 'one network interface')
    .option('--subnet <id>', 'a subnet: every interface in it')
    .option('--vpc <id>', 'a VPC: every interface in it')
    .option('--ip <address>', 'the network interface that has this private IP')
    .option('--name <tag>', 'the instance with this Name tag')
    .addOption(new Option('--for <duration>', 'how long the capture runs: 90s, 15m, 2h').default('15m'))
    .option('--rate <records>', 'estimate offline from a rate you know: 2000/min, 30/s, 120000/h (no AWS call)')
    .addOption(new Option('--destination <where>', 'where the records go: s3, logs, firehose (or s3://bucket/prefix, logs:/group)').default('s3'))
    .addOption(new Option('--file-format <format>', 'S3 file format').choices(['text', 'parquet']).default('text'))
    .option('--format <format>', `record format: a preset (tcpdump, handshake, full) or '\${field} …' (default: ${defaultPresetName()})`)
    .addOption(new Option('--address-family <family>', 'address family of the traffic (IPv6 records are ~50 bytes longer)').choices(['ipv4', 'ipv6']).default('ipv4'))
    .addOption(new Option('--lookback <duration>', 'how far back to read the target\'s metrics').default('1h'))
    .option('--month-to-date-gb <GB>', 'GB of vended logs this account already delivered this month in the region (prices later tiers)')
    .option('--retention <duration>', 'how long the captured data is kept, e.g. 2h or 168h (default: the capture plus 1h, then flowdump deletes it)');
  withCommonOptions(command, true);
  command.addHelpText(
    'after',
    `
Examples:
  flowdump estimate --rate 2000/min --for 15m --destination s3 --region eu-west-1
  flowdump estimate --rate 50/s --for 2h --destination logs --region us-east-1 --json
  flowdump estimate --instance i-0abc123def4567890 --for 15m   (from its CloudWatch metrics, last hour)
  flowdump estimate vpc-0abc --for 2h --destination logs --json

The range: low assumes each interface writes only its one-per-minute record; high assumes every
packet the metrics saw is its own record. Prices: templates/pricing.json (docs/cost.md).`,
  );
  command.action(async (target: string | undefined, flags: EstimateFlags) => {
    const request = requestFromFlags(target, flags, ctx);
    const estimate = await runEstimate(request, deps);
    if (flags.json) printJson(ctx, estimate);
    else ctx.io.stdout.write(renderEstimateText(estimate, { paint: ctx.paint }));
  });
  return command;
}

function requestFromFlags(positional: string | undefined, flags: EstimateFlags, ctx: CliContext): EstimateRequest {
  const given = TARGET_KINDS.filter((kind) => flags[kind] !== undefined);
  if (given.length + (positional ? 1 : 0) > 1) throw new UsageError(`give one target, not ${[...(positional ? [positional] : []), ...given.map((kind) => `--${kind}`)].join(' and ')}`, { code: 'target-ambiguous' });
  // with --rate the target is only a label; without, `kind:value` tells the resolver which flag it came from
  const flagged = given.length === 1 ? (flags.rate !== undefined ? String(flags[given[0]]) : `${given[0]}:${flags[given[0]]}`) : undefined;
  const target = positional ?? flagged;
  const durationMs = parseDuration(flags.for, '--for');
  const region = flags.region ?? ctx.io.env.AWS_REGION ?? ctx.io.env.AWS_DEFAULT_REGION;
  if (region !== undefined && !REGION.test(region)) throw new UsageError(`region "${region}" does not look like an AWS region (e.g. eu-west-1); check --region`, { code: 'bad-region' });
  const formatName = flags.format ?? defaultPresetName();
  const format = flags.format ? resolveFormat(flags.format, '--format') : findPreset(formatName).format;
  let priorMonthUsageGB: number | undefined;
  if (flags.monthToDateGb !== undefined) {
    priorMonthUsageGB = Number(flags.monthToDateGb);
    if (!Number.isFinite(priorMonthUsageGB) || priorMonthUsageGB < 0) throw new UsageError(`--month-to-date-gb must be a number of GB, not "${flags.monthToDateGb}"`, { code: 'bad-number' });
  }
  const destination = parseDestination(flags.destination);
  if (flags.fileFormat === 'parquet' && destination !== 's3') throw new UsageError('--file-format parquet is only for S3; CloudWatch Logs and Firehose get text', { code: 'bad-file-format' });
  const ratePerMinute = flags.rate !== undefined ? parseRate(flags.rate) : undefined;
  return {
    target,
    durationMinutes: durationMs / 60_000,
    ratePerMinute,
    destination,
    fileFormat: flags.fileFormat as FileFormat,
    formatName: format.origin === 'template' ? 'custom' : formatName,
    fields: format.fields,
    addressFamily: flags.addressFamily as AddressFamily,
    region,
    profile: flags.profile,
    lookbackSeconds: parseDuration(flags.lookback, '--lookback') / 1000,
    priorMonthUsageGB,
    retentionHours: flags.retention !== undefined ? parseDuration(flags.retention, '--retention') / 3_600_000 : undefined,
  };
}
