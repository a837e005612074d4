import { Command, Option } from 'commander';
import type { MetricsPort } from '../../aws/metrics.js';
import { estimateCost, type CostEstimate } from '../../cost/estimate.js';
import { loadPriceTable, type Destination, type FileFormat, type PriceTable } from '../../cost/pricing.js';
import { collectRateInputs, estimateRecordRate, planRateQueries, statedRecordRate, type RateScope, type RecordRateResult } from '../../cost/record-rate.js';
import { estimateRecordBytes, type AddressFamily } from '../../cost/record-size.js';
import { UsageError } from '../../errors.js';
import { defaultPresetName, findPreset, resolveFormat } from '../../format/presets.js';
import { formatDuration, parseDuration } from '../../schedule/duration.js';
import { printJson, withCommonOptions, type CliContext, type CommonOptions } from '../context.js';
import { renderEstimateText } from '../render/estimate.js';

/**
 * `flowdump estimate`: the cost of a capture before it starts. Two ways in:
 * - from a target's CloudWatch metrics (needs target resolution and a MetricsPort, passed
 *   in as deps once the capture commands provide them), or
 * - offline, from a rate you state: `--rate 2000/min`, no AWS call at all.
 * The same `runEstimate` serves `start` and the wizard.
 */

export interface ResolvedTarget {
  scope: RateScope;
  /** region of the target's interfaces: vended logs are billed there */
  region: string;
}

export interface EstimateDeps {
  prices: () => PriceTable;
  clock: { now(): Date };
  /** turns `i-…`/`eni-…`/`subnet-…`/`vpc-…` into its interfaces (from the capture commands) */
  resolveTarget?: (target: string, options: { region?: string; profile?: string }) => Promise<ResolvedTarget>;
  /** CloudWatch metrics for the target's region */
  metrics?: (region: string, options: { profile?: string }) => MetricsPort;
}

export interface EstimateRequest {
  target?: string;
  durationMinutes: number;
  /** records/minute stated by the user; skips the metrics */
  ratePerMinute?: number;
  destination: Destination;
  fileFormat: FileFormat;
  formatName: string;
  fields: readonly string[];
  addressFamily: AddressFamily;
  region?: string;
  profile?: string;
  lookbackSeconds: number;
  priorMonthUsageGB?: number;
  retentionHours?: number;
}

/** Estimates one capture: metrics (or the stated rate) → rate → bytes → dollars. */
export async function runEstimate(request: EstimateRequest, deps: EstimateDeps): Promise<CostEstimate> {
  let rate: RecordRateResult;
  let region = request.region;
  let interfaceCount = 1;
  if (request.ratePerMinute !== undefined) {
    rate = statedRecordRate(request.ratePerMinute);
  } else {
    if (!request.target) throw new UsageError('nothing to estimate: give a target (an instance, interface, subnet or VPC id) or a rate with --rate <records>/min', { code: 'estimate-no-input' });
    if (!deps.resolveTarget || !deps.metrics) {
      throw new UsageError(
        `estimating "${request.target}" from its CloudWatch metrics needs target resolution, which this build does not include yet; estimate from a rate you know: flowdump estimate --rate <records>/min --for ${formatDuration(request.durationMinutes * 60_000)} --region <region>`,
        { code: 'estimate-needs-rate' },
      );
    }
    const resolved = await deps.resolveTarget(request.target, { region: request.region, profile: request.profile });
    region = resolved.region;
    interfaceCount = Math.max(1, resolved.scope.interfaces.length);
    const plan = planRateQueries(resolved.scope);
    const end = deps.clock.now();
    const start = new Date(end.getTime() - request.lookbackSeconds * 1000);
    const series = plan.queries.length > 0 ? await deps.metrics(resolved.region, { profile: request.profile }).getMetricData(plan.queries, { start, end }) : [];
    rate = estimateRecordRate({ scope: resolved.scope, ...collectRateInputs(plan, series), lookback: formatDuration(request.lookbackSeconds * 1000) });
  }
  if (!region) throw new UsageError('no region: give --region (or set AWS_REGION); prices, and where the bill lands, depend on it', { code: 'no-region' });
  return estimateCost({
    rate,
    durationMinutes: request.durationMinutes,
    recordSize: estimateRecordBytes(request.fields, { addressFamily: request.addressFamily }),
    formatName: request.formatName,
    destination: request.destination,
    fileFormat: request.fileFormat,
    region,
    prices: deps.prices(),
    target: request.target,
    priorMonthUsageGB: request.priorMonthUsageGB,
    retentionHours: request.retentionHours,
    interfaceCount,
  });
}

interface EstimateFlags extends CommonOptions {
  for: string;
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

export function estimateCommand(ctx: CliContext, deps: EstimateDeps = { prices: () => loadPriceTable(), clock: { now: () => new Date() } }): Command {
  const command = new Command('estimate')
    .summary('what a capture will cost, before you start it')
    .description(
      'Estimates the cost of a flow-log capture as a low–high range with every assumption printed: records per minute ' +
        "(from the target's CloudWatch metrics, or a rate you state) × bytes per record (from the format) × minutes × " +
        'the price of the destination in the region. Also shows what it would cost per hour if a teardown failed.',
    )
    .argument('[target]', 'instance, network interface, subnet or VPC id (i-…, eni-…, subnet-…, vpc-…)')
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
  flowdump estimate i-0abc123 --for 15m                       (from its CloudWatch metrics)

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

function requestFromFlags(target: string | undefined, flags: EstimateFlags, ctx: CliContext): EstimateRequest {
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
