import { readFileSync } from 'node:fs';
import { FlowdumpError } from '../errors.js';
import { templatePath } from '../paths.js';

/**
 * The price table (templates/pricing.json) and the arithmetic on it: monthly tiers,
 * per-GB and per-request items. Plain data in, plain numbers out.
 */

/** Where flow logs can be delivered; Infrequent Access log groups are not offered (see pricing.json). */
export type Destination = 'cloudwatch-logs' | 's3' | 'firehose';
export const DESTINATIONS: readonly Destination[] = ['cloudwatch-logs', 's3', 'firehose'];

export type FileFormat = 'text' | 'parquet';

export interface PriceSource {
  url: string;
  /** the date the source states for the figure, or null when it states none */
  date: string | null;
  note?: string;
}

export interface PriceTier {
  /** cumulative monthly GB up to which this price applies; null = no limit */
  upToGB: number | null;
  usdPerGB: number;
}

export interface DeliveryPrice {
  label: string;
  usageType: string;
  tiers: PriceTier[];
  offered?: boolean;
  offeredNote?: string;
  excludes?: string;
  source: PriceSource;
}

export interface RegionPrices {
  name: string;
  usageTypePrefix: string;
  delivery: Record<Destination, DeliveryPrice> & Record<string, DeliveryPrice>;
  parquetConversion: { label: string; usageType: string; usdPerGB: number; source: PriceSource };
  cloudwatchLogsStorage: { label: string; usageType: string; usdPerGBMonth: number; source: PriceSource };
  s3Storage: { label: string; usageType: string; usdPerGBMonth: number; source: PriceSource };
  s3Put: { label: string; usageType: string; usdPer1000: number; source: PriceSource };
}

export interface PriceTable {
  schema: 'flowdump.pricing/v1';
  currency: 'USD';
  recorded: string;
  units: { bytesPerGB: number; hoursPerMonth: number };
  defaultRegion: string;
  regions: Record<string, RegionPrices>;
}

/** Reads the bundled price table. A damaged bundled file is a bug in the package. */
export function loadPriceTable(path = templatePath('pricing.json')): PriceTable {
  let table: PriceTable;
  try {
    table = JSON.parse(readFileSync(path, 'utf8')) as PriceTable;
  } catch (cause) {
    throw new FlowdumpError('pricing-unreadable', `the price table ${path} cannot be read (${(cause as Error).message}); reinstall flowdump`, { cause });
  }
  const problem = checkPriceTable(table);
  if (problem) throw new FlowdumpError('pricing-invalid', `the price table ${path} is invalid: ${problem}; reinstall flowdump`);
  return table;
}

/** Returns what is wrong with a price table, or undefined. */
export function checkPriceTable(table: PriceTable): string | undefined {
  if (table?.schema !== 'flowdump.pricing/v1') return `schema is "${String(table?.schema)}", expected "flowdump.pricing/v1"`;
  if (!(table.units?.bytesPerGB > 0) || !(table.units?.hoursPerMonth > 0)) return 'units.bytesPerGB and units.hoursPerMonth must be positive';
  if (!table.regions?.[table.defaultRegion]) return `defaultRegion "${table.defaultRegion}" has no prices`;
  for (const [region, prices] of Object.entries(table.regions)) {
    for (const destination of DESTINATIONS) {
      const delivery = prices.delivery?.[destination];
      if (!delivery) return `${region} has no ${destination} delivery price`;
      const tiers = delivery.tiers;
      if (!Array.isArray(tiers) || tiers.length === 0 || tiers[tiers.length - 1].upToGB !== null) return `${region} ${destination}: the last tier must have upToGB null`;
      for (let i = 1; i < tiers.length - 1; i++) {
        if ((tiers[i].upToGB ?? Infinity) <= (tiers[i - 1].upToGB ?? Infinity)) return `${region} ${destination}: tier limits must increase`;
      }
      if (!delivery.source?.url) return `${region} ${destination} has no source`;
    }
    for (const item of ['parquetConversion', 'cloudwatchLogsStorage', 's3Storage', 's3Put'] as const) {
      if (!prices[item]?.source?.url) return `${region} ${item} has no source`;
    }
  }
  return undefined;
}

export interface RegionPricesResult {
  /** the region asked for */
  region: string;
  /** the region whose prices are used */
  priceRegion: string;
  prices: RegionPrices;
  /** true when the region has no prices of its own and the default region's are used */
  fallback: boolean;
}

/** Prices for a region, falling back to the table's default region (the caller must say so). */
export function regionPrices(table: PriceTable, region: string): RegionPricesResult {
  const own = table.regions[region];
  if (own) return { region, priceRegion: region, prices: own, fallback: false };
  return { region, priceRegion: table.defaultRegion, prices: table.regions[table.defaultRegion], fallback: true };
}

export interface TierLine {
  gb: number;
  usdPerGB: number;
  usd: number;
  /** 1-based tier number */
  tier: number;
}

export interface TieredCostResult {
  usd: number;
  lines: TierLine[];
}

/**
 * Cost of `gb` this month when `alreadyThisMonthGB` were already billed on the same meter:
 * each GB is priced at the tier the month's running total has reached.
 */
export function tieredCost(gb: number, tiers: readonly PriceTier[], alreadyThisMonthGB = 0): TieredCostResult {
  const lines: TierLine[] = [];
  let remaining = Math.max(0, gb);
  let position = Math.max(0, alreadyThisMonthGB);
  let usd = 0;
  for (let i = 0; i < tiers.length && remaining > 0; i++) {
    const limit = tiers[i].upToGB ?? Infinity;
    if (position >= limit) continue;
    const inTier = Math.min(remaining, limit - position);
    const lineUsd = inTier * tiers[i].usdPerGB;
    lines.push({ gb: inTier, usdPerGB: tiers[i].usdPerGB, usd: lineUsd, tier: i + 1 });
    usd += lineUsd;
    remaining -= inTier;
    position += inTier;
  }
  return { usd, lines };
}

/** Which tier the next GB falls in, given what was already billed this month (1-based). */
export function tierAt(tiers: readonly PriceTier[], alreadyThisMonthGB: number): number {
  const index = tiers.findIndex((tier) => alreadyThisMonthGB < (tier.upToGB ?? Infinity));
  return index < 0 ? tiers.length : index + 1;
}

export function bytesToGB(table: Pick<PriceTable, 'units'>, bytes: number): number {
  return bytes / table.units.bytesPerGB;
}

/** One line for the estimate's priceSource: what the figures are and how old. */
export function describePriceSource(table: PriceTable, lookup: RegionPricesResult): string {
  const base = `flowdump price table (templates/pricing.json, recorded ${table.recorded})`;
  return lookup.fallback
    ? `${base}: no prices for ${lookup.region}, ${lookup.priceRegion} prices used`
    : `${base}: ${lookup.priceRegion} prices`;
}

/** Rounds a dollar figure to a millionth, to keep float noise out of documents. */
export function roundUsd(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
