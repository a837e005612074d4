import { DEFAULT_COMPRESSION_RATIO } from './estimate.js';
import { formatHours, priceItems, sumItems, type CostItem } from './items.js';
import { bytesToGB, describePriceSource, regionPrices, type Destination, type FileFormat, type PriceTable } from './pricing.js';

/**
 * What a capture cost, from what was actually delivered, with the same price table as the
 * estimate so the two can sit side by side in the summary and in `list`.
 */

export interface ActualCostOptions {
  /** uncompressed record bytes delivered (S3: decompressed object bytes; CloudWatch Logs: IncomingBytes) */
  deliveredBytes: number;
  destination: Destination;
  fileFormat?: FileFormat;
  region: string;
  prices: PriceTable;
  /** S3: the objects delivered (their count is the PUT requests, their sizes the storage) */
  objects?: { count: number; bytes: number };
  /** hours the data was (or will be) kept; default 1 */
  retentionHours?: number;
  /** GB already billed on the delivery meter this month (default 0: the first tier) */
  priorMonthUsageGB?: number;
}

export interface ActualCostResult {
  usd: number;
  deliveredBytes: number;
  items: CostItem[];
  region: string;
  priceRegion: string;
  priceSource: string;
  assumptions: string[];
}

export function actualCost(options: ActualCostOptions): ActualCostResult {
  const { prices, destination } = options;
  const fileFormat: FileFormat = destination === 's3' ? (options.fileFormat ?? 'text') : 'text';
  const lookup = regionPrices(prices, options.region);
  const delivered = Math.max(0, options.deliveredBytes);
  const gb = bytesToGB(prices, delivered);
  const retentionHours = options.retentionHours ?? 1;
  const assumptions: string[] = [];
  let storedGB = gb;
  let requests = 0;
  if (destination === 's3') {
    if (options.objects) {
      storedGB = bytesToGB(prices, options.objects.bytes);
      requests = options.objects.count;
    } else {
      storedGB = gb / DEFAULT_COMPRESSION_RATIO;
      assumptions.push(`object sizes unknown: storage counted at 1/${DEFAULT_COMPRESSION_RATIO} of the delivered bytes and PUT requests left out`);
    }
  }
  const items = priceItems({
    deliveredGB: { low: gb, high: gb },
    storedGB: { low: storedGB, high: storedGB },
    retentionHours,
    requests: { low: requests, high: requests },
    destination,
    fileFormat,
    lookup,
    priorMonthUsageGB: Math.max(0, options.priorMonthUsageGB ?? 0),
    hoursPerMonth: prices.units.hoursPerMonth,
  });
  if (lookup.fallback) assumptions.push(`flowdump has no prices for ${lookup.region}: ${lookup.priceRegion} prices are used`);
  if (destination !== 'firehose') assumptions.push(`storage for ${formatHours(retentionHours)}`);
  return {
    usd: sumItems(items).high,
    deliveredBytes: delivered,
    items,
    region: options.region,
    priceRegion: lookup.priceRegion,
    priceSource: describePriceSource(prices, lookup),
    assumptions,
  };
}
