import { ExitCode, FlowdumpError } from '../errors.js';
import { formatHours, priceItems, sumItems, type CostItem, type Range } from './items.js';
import { bytesToGB, describePriceSource, regionPrices, tierAt, type Destination, type FileFormat, type PriceTable, type RegionPricesResult } from './pricing.js';
import type { RecordRateResult } from './record-rate.js';
import type { RecordSizeResult } from './record-size.js';

/**
 * The cost of a capture before it starts (docs/cost.md): records/minute × bytes/record ×
 * minutes × the destination's price in the interface's region, as a low–high range with
 * every assumption in words. `estimateCost` decides; the CLI renders.
 */

export const ESTIMATE_SCHEMA = 'flowdump.estimate/v1';

export type { CostItem, Range };

export interface CostEstimate {
  schema: typeof ESTIMATE_SCHEMA;
  target?: string;
  durationMinutes: number;
  records: Range;
  bytes: Range;
  usd: Range;
  /** what delivery (+ conversion and requests) costs per hour: the bill if teardown failed */
  usdPerHourIfLeftRunning: Range;
  /** the same over a 730-hour month with the monthly tiers applied */
  usdPerMonthIfLeftRunning: Range;
  destination: Destination;
  fileFormat: FileFormat;
  region: string;
  /** the region whose prices were used (differs from `region` when it fell back) */
  priceRegion: string;
  priceSource: string;
  format: { name: string; bytesPerRecord: number; bytesPerNodataRecord: number; addressFamily: string };
  recordsPerMinute: { low: number; high: number; complete: boolean };
  items: CostItem[];
  assumptions: string[];
  /** what could not be measured; the range may be too low because of it */
  warnings: string[];
}

export interface EstimateCostOptions {
  rate: RecordRateResult;
  durationMinutes: number;
  recordSize: RecordSizeResult;
  /** preset name or "custom" */
  formatName: string;
  destination: Destination;
  /** S3 only; default text */
  fileFormat?: FileFormat;
  /** region of the captured interfaces: vended logs are billed where the logs come from */
  region: string;
  prices: PriceTable;
  target?: string;
  /** GB already billed on the same delivery meter this month (default 0: the first tier) */
  priorMonthUsageGB?: number;
  /** hours the delivered data is kept before flowdump deletes it (default: capture + 1 h) */
  retentionHours?: number;
  /** interfaces in scope, for the number of S3 objects (default 1) */
  interfaceCount?: number;
  /** uncompressed ÷ gzip size of flow-log text, for S3 storage (default 5) */
  compressionRatio?: number;
}

/** Flow logs reach S3 as one or more files per 5-minute batch. */
// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html
export const S3_BATCH_MINUTES = 5;

/** gzip shrinks flow-log text 5–11× (5.1× on synthetic records, ~10× on real ones: docs/cost.md); 5 keeps storage conservative. */
export const DEFAULT_COMPRESSION_RATIO = 5;

const unitMoney = (usd: number): string => `$${usd}`;
const gbText = (gb: number): string => (gb >= 100 ? Math.round(gb).toLocaleString('en-US') : String(Number(gb.toPrecision(3))));

export function estimateCost(options: EstimateCostOptions): CostEstimate {
  const { rate, durationMinutes, recordSize, destination, prices } = options;
  if (!(durationMinutes > 0)) throw new FlowdumpError('usage', `the capture duration must be positive, not ${durationMinutes} minutes`, { exitCode: ExitCode.usage });
  if (rate.high === undefined) {
    throw new FlowdumpError(
      'no-estimate',
      `no estimate: no metric shows how busy ${options.target ?? 'the target'} is (${rate.missing[0] ?? 'no data points'}); give a rate you know with --rate <records>/min`,
      { exitCode: ExitCode.input, details: { missing: rate.missing } },
    );
  }
  const fileFormat: FileFormat = destination === 's3' ? (options.fileFormat ?? 'text') : 'text';
  const lookup = regionPrices(prices, options.region);
  const prior = Math.max(0, options.priorMonthUsageGB ?? 0);
  const retentionHours = options.retentionHours ?? durationMinutes / 60 + 1;
  const interfaces = Math.max(1, options.interfaceCount ?? 1);
  const ratio = options.compressionRatio ?? DEFAULT_COMPRESSION_RATIO;

  const records: Range = { low: Math.floor(rate.low * durationMinutes), high: Math.ceil(rate.high * durationMinutes) };
  const bytes: Range = {
    low: Math.round((rate.lowBreakdown.nodata * recordSize.nodata + rate.lowBreakdown.ok * recordSize.ok) * durationMinutes),
    high: Math.round(rate.high * recordSize.ok * durationMinutes),
  };
  const gb: Range = { low: bytesToGB(prices, bytes.low), high: bytesToGB(prices, bytes.high) };

  const storedGB = (value: Range): Range => (destination === 's3' ? { low: value.low / ratio, high: value.high / ratio } : value);
  const requestsFor = (minutes: number): Range => {
    const batches = destination === 's3' ? Math.ceil(minutes / S3_BATCH_MINUTES) : 0;
    return { low: batches, high: batches * interfaces };
  };
  const common = { destination, fileFormat, lookup, priorMonthUsageGB: prior, hoursPerMonth: prices.units.hoursPerMonth };
  const items = priceItems({ ...common, deliveredGB: gb, storedGB: storedGB(gb), retentionHours, requests: requestsFor(durationMinutes) });
  const usd = sumItems(items);

  // Left running: delivery, conversion and requests keep accruing; storage is left out.
  const perHourGB: Range = { low: (gb.low / durationMinutes) * 60, high: (gb.high / durationMinutes) * 60 };
  const hourly = sumItems(priceItems({ ...common, deliveredGB: perHourGB, storedGB: perHourGB, retentionHours: 0, requests: requestsFor(60) }));
  const monthHours = prices.units.hoursPerMonth;
  const monthGB: Range = { low: perHourGB.low * monthHours, high: perHourGB.high * monthHours };
  const monthly = sumItems(priceItems({ ...common, deliveredGB: monthGB, storedGB: monthGB, retentionHours: 0, requests: requestsFor(monthHours * 60) }));

  const assumptions = [
    ...rate.reasoning,
    `${options.formatName} format: ${recordSize.ok} bytes per OK record and ${recordSize.nodata} per NODATA record, from the fields' typical widths (within ±15% of real records, docs/cost.md)`,
    ...recordSize.assumptions,
    ...pricingAssumptions({ lookup, destination, fileFormat, prior, retentionHours, ratio, keepNote: options.retentionHours === undefined }),
  ];
  return {
    schema: ESTIMATE_SCHEMA,
    ...(options.target ? { target: options.target } : {}),
    durationMinutes,
    records,
    bytes,
    usd,
    usdPerHourIfLeftRunning: hourly,
    usdPerMonthIfLeftRunning: monthly,
    destination,
    fileFormat,
    region: options.region,
    priceRegion: lookup.priceRegion,
    priceSource: describePriceSource(prices, lookup),
    format: { name: options.formatName, bytesPerRecord: recordSize.ok, bytesPerNodataRecord: recordSize.nodata, addressFamily: recordSize.addressFamily },
    recordsPerMinute: { low: rate.low, high: rate.high, complete: rate.complete },
    items,
    assumptions,
    warnings: [...rate.missing, ...(rate.complete ? [] : ['the upper bound cannot see the traffic of the interfaces above: the real cost may be higher than the range'])],
  };
}

function pricingAssumptions(input: {
  lookup: RegionPricesResult;
  destination: Destination;
  fileFormat: FileFormat;
  prior: number;
  retentionHours: number;
  ratio: number;
  keepNote: boolean;
}): string[] {
  const { lookup, destination, prior } = input;
  const delivery = lookup.prices.delivery[destination];
  const out: string[] = [];
  if (lookup.fallback) {
    out.push(`flowdump has no prices for ${lookup.region}: ${lookup.priceRegion} prices are used; prices differ by region (Tokyo is ~1.5× us-east-1), check https://aws.amazon.com/cloudwatch/pricing/`);
  }
  const first = delivery.tiers[0];
  const tier = tierAt(delivery.tiers, prior);
  out.push(
    prior > 0
      ? `delivery priced after ${gbText(prior)} GB already billed on this meter this month (tier ${tier}: ${unitMoney(delivery.tiers[tier - 1].usdPerGB)}/GB)`
      : `delivery priced at the first monthly tier (${unitMoney(first.usdPerGB)}/GB up to ${gbText((first.upToGB ?? 0) / 1024)} TB): a capture is a small slice of the month, and accounts already past ${gbText((first.upToGB ?? 0) / 1024)} TB of vended logs in ${lookup.region} this month pay less per GB`,
  );
  out.push('vended logs are billed in the region of the captured interfaces, on the uncompressed record text (AWS does not say whether bytes are counted before or after compression: the conservative choice), with no free tier applied');
  if (delivery.excludes) out.push(delivery.excludes);
  if (destination === 's3' && input.fileFormat === 'parquet') out.push('Parquet conversion is billed on the same input bytes as delivery');
  if (destination === 'cloudwatch-logs') out.push('CloudWatch Logs storage counted on the uncompressed bytes (conservative)');
  if (destination === 's3') {
    out.push(`S3 objects are gzip files ~${input.ratio}× smaller than the text (conservative; real flow logs compress ~10×); at least one object per ${S3_BATCH_MINUTES}-minute batch, at most one per interface per batch`);
  }
  if (destination !== 'firehose') {
    out.push(
      input.keepNote
        ? `data kept ${formatHours(input.retentionHours)} (the capture plus an hour to settle, analyze and clean up; --keep keeps it, and costs storage, until you delete it)`
        : `data kept ${formatHours(input.retentionHours)}`,
    );
  }
  out.push('flow logs created with a 60-second aggregation interval (flowdump always sets MaxAggregationInterval 60)');
  return out;
}
