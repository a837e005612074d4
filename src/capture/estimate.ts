import type { Ec2Port } from '../aws/ec2.js';
import type { MetricsPort } from '../aws/metrics.js';
import type { CostEstimate } from '../cost/estimate.js';
import type { PriceTable } from '../cost/pricing.js';
import { runEstimate } from '../cost/run-estimate.js';
import { costDestination } from './cost.js';
import type { DataLocation } from './destination.js';
import { rateScopeOf } from './rate-scope.js';
import type { ResolvedTarget } from './targets.js';

/**
 * The estimate a capture shows before it starts: the same figures as `flowdump estimate`
 * (src/cost/run-estimate.ts), from the target's CloudWatch metrics over the last hour.
 * A missing or failed estimate never blocks a capture: it comes back as a reason.
 */

export interface CaptureEstimateOptions {
  target: ResolvedTarget;
  region: string;
  durationSeconds: number;
  destination: Pick<DataLocation, 'type'>;
  fileFormat: 'text' | 'parquet';
  /** preset name, or "custom" */
  formatName: string;
  fields: readonly string[];
  /** how far back the metrics are read (default 1 h) */
  lookbackSeconds?: number;
}

export interface CaptureEstimateDeps {
  ec2: Pick<Ec2Port, 'describeInstances'>;
  metrics?: MetricsPort;
  prices: () => PriceTable;
  clock: { now(): Date };
}

export type CaptureEstimateResult = { estimate: CostEstimate; error?: undefined } | { estimate?: undefined; error: string };

export async function estimateCapture(options: CaptureEstimateOptions, deps: CaptureEstimateDeps): Promise<CaptureEstimateResult> {
  const metrics = deps.metrics;
  if (!metrics) return { error: 'no CloudWatch metrics client' };
  try {
    const scope = await rateScopeOf(options.target, deps.ec2);
    const estimate = await runEstimate(
      {
        target: options.target.value,
        durationMinutes: options.durationSeconds / 60,
        destination: costDestination(options.destination),
        fileFormat: options.destination.type === 's3' ? options.fileFormat : 'text',
        formatName: options.formatName,
        fields: options.fields,
        addressFamily: 'ipv4',
        region: options.region,
        lookbackSeconds: options.lookbackSeconds ?? 3600,
        // retention left to its default, the capture plus an hour: the same as captureRetentionHours
      },
      { prices: deps.prices, clock: deps.clock, resolveTarget: async () => ({ scope, region: options.region }), metrics: () => metrics },
    );
    return { estimate };
  } catch (error) {
    // "no estimate: <reason>" is how start says it; the cost module's own message may already start so
    // …and its hint to pass --rate is for `flowdump estimate`, not for a capture
    const message = ((error as Error)?.message ?? String(error)).replace(/^no estimate: /, '').replace(/; give a rate you know with --rate <records>\/min$/, '');
    return { error: message };
  }
}
