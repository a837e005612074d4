import { roundUsd, tierAt, tieredCost, type Destination, type FileFormat, type RegionPricesResult } from './pricing.js';

/**
 * The priced line items of a capture (infracost style): delivery, Parquet conversion,
 * storage for the retention, S3 PUT requests. Shared by the estimate (a range) and the
 * actual cost after a capture (low = high).
 */

export interface Range {
  low: number;
  high: number;
}

export interface CostItem {
  /** stable key */
  id: 'delivery' | 'parquet-conversion' | 'storage' | 'put-requests';
  label: string;
  quantity: Range & { unit: 'GB' | 'GB-hours' | 'requests' };
  /** the price in words, e.g. "$0.25/GB (tier 1 of 4)" */
  unitPrice: string;
  usd: Range;
  /** the Cost Explorer usage type, for reconciling with the bill */
  usageType: string;
  source: string;
}

export interface PriceItemsInput {
  /** uncompressed record bytes delivered, in GB */
  deliveredGB: Range;
  /** bytes kept at the destination, in GB (S3: the gzip objects; CloudWatch Logs: the records) */
  storedGB: Range;
  retentionHours: number;
  /** S3 PUT requests */
  requests: Range;
  destination: Destination;
  fileFormat: FileFormat;
  lookup: RegionPricesResult;
  /** GB already billed on the delivery meter this month */
  priorMonthUsageGB: number;
  hoursPerMonth: number;
}

const unitMoney = (usd: number): string => `$${usd}`;

export function formatHours(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  if (hours < 48) return `${Number(hours.toFixed(1))} h`;
  return `${Number((hours / 24).toFixed(1))} days`;
}

export function priceItems(input: PriceItemsInput): CostItem[] {
  const { deliveredGB: gb, destination, fileFormat, lookup, priorMonthUsageGB: prior, retentionHours } = input;
  const regional = lookup.prices;
  const delivery = regional.delivery[destination];
  const items: CostItem[] = [];
  const low = tieredCost(gb.low, delivery.tiers, prior);
  const high = tieredCost(gb.high, delivery.tiers, prior);
  const tierNumbers = [...new Set(high.lines.map((line) => line.tier))];
  const firstTier = tierAt(delivery.tiers, prior);
  items.push({
    id: 'delivery',
    label: delivery.label,
    quantity: { low: gb.low, high: gb.high, unit: 'GB' },
    unitPrice:
      tierNumbers.length > 1
        ? `${unitMoney(delivery.tiers[firstTier - 1].usdPerGB)}–${unitMoney(delivery.tiers[tierNumbers[tierNumbers.length - 1] - 1].usdPerGB)}/GB (tiers ${tierNumbers.join(', ')})`
        : `${unitMoney(delivery.tiers[firstTier - 1].usdPerGB)}/GB (tier ${firstTier} of ${delivery.tiers.length})`,
    usd: { low: roundUsd(low.usd), high: roundUsd(high.usd) },
    usageType: `${regional.usageTypePrefix}-${delivery.usageType}`,
    source: delivery.source.url,
  });
  if (destination === 's3' && fileFormat === 'parquet') {
    const price = regional.parquetConversion;
    items.push({
      id: 'parquet-conversion',
      label: price.label,
      quantity: { low: gb.low, high: gb.high, unit: 'GB' },
      unitPrice: `${unitMoney(price.usdPerGB)}/GB`,
      usd: { low: roundUsd(gb.low * price.usdPerGB), high: roundUsd(gb.high * price.usdPerGB) },
      usageType: `${regional.usageTypePrefix}-${price.usageType}`,
      source: price.source.url,
    });
  }
  // Firehose passes the data on: what it lands in is priced by its own destination.
  if (retentionHours > 0 && destination !== 'firehose') {
    const price = destination === 's3' ? regional.s3Storage : regional.cloudwatchLogsStorage;
    const gbHours: Range = { low: input.storedGB.low * retentionHours, high: input.storedGB.high * retentionHours };
    const perGBHour = price.usdPerGBMonth / input.hoursPerMonth;
    items.push({
      id: 'storage',
      label: `${price.label} (${formatHours(retentionHours)})`,
      quantity: { low: gbHours.low, high: gbHours.high, unit: 'GB-hours' },
      unitPrice: `${unitMoney(price.usdPerGBMonth)}/GB-month`,
      usd: { low: roundUsd(gbHours.low * perGBHour), high: roundUsd(gbHours.high * perGBHour) },
      usageType: `${regional.usageTypePrefix}-${price.usageType}`,
      source: price.source.url,
    });
  }
  if (destination === 's3') {
    const price = regional.s3Put;
    items.push({
      id: 'put-requests',
      label: price.label,
      quantity: { ...input.requests, unit: 'requests' },
      unitPrice: `${unitMoney(price.usdPer1000)}/1,000`,
      usd: { low: roundUsd((input.requests.low * price.usdPer1000) / 1000), high: roundUsd((input.requests.high * price.usdPer1000) / 1000) },
      usageType: `${regional.usageTypePrefix}-${price.usageType}`,
      source: price.source.url,
    });
  }
  return items;
}

export function sumItems(items: readonly CostItem[]): Range {
  return {
    low: roundUsd(items.reduce((sum, item) => sum + item.usd.low, 0)),
    high: roundUsd(items.reduce((sum, item) => sum + item.usd.high, 0)),
  };
}
