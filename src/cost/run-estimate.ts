import type { MetricsPort } from '../aws/metrics.js';
import { UsageError } from '../errors.js';
import { formatDuration } from '../duration.js';
import { estimateCost, type CostEstimate } from './estimate.js';
import type { Destination, FileFormat, PriceTable } from './pricing.js';
import { collectRateInputs, estimateRecordRate, planRateQueries, statedRecordRate, type RateScope, type RecordRateResult } from './record-rate.js';
import { estimateRecordBytes, type AddressFamily } from './record-size.js';

/**
 * One estimate, start to end: the target's interfaces → their CloudWatch metrics over the
 * lookback (or a rate the user states) → records/minute → bytes → dollars. `flowdump estimate`,
 * `start` and the wizard all come through here, so they show the same figures.
 */

/** A target as the estimate needs it: which interfaces a flow log on it records, and where. */
export interface EstimateTarget {
  scope: RateScope;
  /** region of the target's interfaces: vended logs are billed there */
  region: string;
}

export interface EstimateDeps {
  prices: () => PriceTable;
  clock: { now(): Date };
  /** turns `i-…`/`eni-…`/`subnet-…`/`vpc-…` into its interfaces (the capture code's target resolution) */
  resolveTarget?: (target: string, options: { region?: string; profile?: string }) => Promise<EstimateTarget>;
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

export async function runEstimate(request: EstimateRequest, deps: EstimateDeps): Promise<CostEstimate> {
  let rate: RecordRateResult;
  let region = request.region;
  let interfaceCount = 1;
  let target = request.target;
  if (request.ratePerMinute !== undefined) {
    rate = statedRecordRate(request.ratePerMinute);
  } else {
    if (!request.target) throw new UsageError('nothing to estimate: give a target (an instance, interface, subnet or VPC id) or a rate with --rate <records>/min', { code: 'estimate-no-input' });
    if (!deps.resolveTarget || !deps.metrics) {
      throw new UsageError(
        `estimating "${request.target}" from its CloudWatch metrics needs AWS access, which this command was built without; estimate from a rate you know: flowdump estimate --rate <records>/min --for ${formatDuration(request.durationMinutes * 60_000)} --region <region>`,
        { code: 'estimate-needs-rate' },
      );
    }
    const resolved = await deps.resolveTarget(request.target, { region: request.region, profile: request.profile });
    region = resolved.region;
    target = resolved.scope.description;
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
    target,
    priorMonthUsageGB: request.priorMonthUsageGB,
    retentionHours: request.retentionHours,
    interfaceCount,
  });
}
