import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimateCost } from '../../src/cost/estimate.js';
import { checkPriceTable, DESTINATIONS, loadPriceTable, regionPrices, tierAt, tieredCost, type PriceTable } from '../../src/cost/pricing.js';
import { statedRecordRate } from '../../src/cost/record-rate.js';
import { estimateRecordBytes } from '../../src/cost/record-size.js';
import { DEFAULT_FIELDS } from '../../src/format/fields.js';
import { isFlowdumpError } from '../../src/errors.js';
import { scratchDir } from '../helpers/scratch.js';

const table = loadPriceTable();
const usEast = regionPrices(table, 'us-east-1').prices;
const tokyo = regionPrices(table, 'ap-northeast-1').prices;
const cents = (usd: number): number => Math.round(usd * 100) / 100;
const DECIMAL_GB = 1e9;

describe('price math reproduces published worked examples to the cent', () => {
  it('an AWS bill line for S3 delivery in us-east-1', () => {
    // Source: a public Cost and Usage Report excerpt (zenn.dev article "AWS CloudWatchの謎コストを解明した",
    // code index id 46362858571), quoting the bill verbatim:
    //   AmazonCloudWatch USE1-S3-Egress-Bytes
    //   USD 168.71
    //   $0.25 per GB of log data delivered to S3 for the first 10TB - US East (Northern Virginia)
    //   674.86 GB
    // The bill shows the usage rounded to 674.86 GB; AWS prices the unrounded figure. Every
    // usage that displays as 674.86 GB costs $168.71 or $168.72 at our price, and the bill says $168.71.
    const billed = 168.71;
    const low = cents(tieredCost(674.855, usEast.delivery.s3.tiers).usd);
    const high = cents(tieredCost(674.864999, usEast.delivery.s3.tiers).usd);
    expect(low).toBe(168.71);
    expect([low, high]).toContain(billed);
    expect(tieredCost(674.86, usEast.delivery.s3.tiers).lines).toEqual([{ gb: 674.86, usdPerGB: 0.25, usd: expect.closeTo(168.715, 9), tier: 1 }]);
  });

  it('the Tokyo CloudWatch Logs example: 100 GB a month costs $76 + $3.3 = $79.3', () => {
    // Source: https://zenn.dev/team_delta/articles/0b581e29f87e7b ("VPCフローログのコスト最適化"):
    //   CloudWatch Logs 標準 — 取り込みコスト: $0.76 / GB, 保存コスト: $0.033 / GB/月
    //   なので、 月のコストは $76 + $3.3 = $79.3 となります。
    const ingestion = tieredCost(100, tokyo.delivery['cloudwatch-logs'].tiers).usd;
    const storage = 100 * tokyo.cloudwatchLogsStorage.usdPerGBMonth;
    expect(cents(ingestion)).toBe(76);
    expect(cents(storage)).toBe(3.3);
    expect(cents(ingestion + storage)).toBe(79.3);
  });

  describe('the pricing worked examples (us-east-1, 115 B/record)', () => {
    // "1 Nitro ENI, 500 concurrent TCP connections, 1-min windows, 1 hour: 500×2×60 = 60,000
    //  records ≈ 6.9 MB → CWL ≈ $0.0035, S3 ≈ $0.0017."
    it('one ENI with 500 connections for an hour: 60,000 records, 6.9 MB, CWL $0.0035, S3 $0.0017', () => {
      const records = 500 * 2 * 60;
      const bytes = records * estimateRecordBytes(DEFAULT_FIELDS).ok;
      expect(records).toBe(60_000);
      expect(bytes).toBe(6_900_000);
      // The worked examples count GB as 10^9 bytes: $0.00345 and $0.001725, which it rounds to 0.0035 and 0.0017.
      expect(tieredCost(bytes / DECIMAL_GB, usEast.delivery['cloudwatch-logs'].tiers).usd).toBeCloseTo(0.00345, 10);
      expect(tieredCost(bytes / DECIMAL_GB, usEast.delivery.s3.tiers).usd).toBeCloseTo(0.001725, 10);
      // to the cent, both GB conventions agree: nothing
      expect(cents(tieredCost(bytes / table.units.bytesPerGB, usEast.delivery['cloudwatch-logs'].tiers).usd)).toBe(0);
    });

    // "VPC with 200 ENIs × 2,000 flows, 1 hour: 48 M records ≈ 5.5 GB → CWL ≈ $2.76/h, S3 ≈ $1.38/h;
    //  a forgotten VPC-wide capture at that rate is ~$2,000/month to CWL."
    it('a VPC of 200 ENIs × 2,000 flows: $2.76/h to CWL, $1.38/h to S3, ~$2,000/month', () => {
      const records = 200 * 2_000 * 2 * 60;
      const bytes = records * 115;
      expect(records).toBe(48_000_000);
      expect(bytes).toBe(5_520_000_000);
      const gb = bytes / DECIMAL_GB;
      expect(cents(tieredCost(gb, usEast.delivery['cloudwatch-logs'].tiers).usd)).toBe(2.76);
      expect(cents(tieredCost(gb, usEast.delivery.s3.tiers).usd)).toBe(1.38);
      // a month (730 h) stays inside the first 10 TB tier
      const month = tieredCost(gb * 730, usEast.delivery['cloudwatch-logs'].tiers);
      expect(month.lines).toHaveLength(1);
      expect(cents(month.usd)).toBe(2014.8);
    });

    it('the same VPC through estimateCost: 48 M records, 5.52e9 bytes, and the bill in AWS GB (2^30 bytes)', () => {
      const estimate = estimateCost({
        rate: statedRecordRate(200 * 2_000 * 2),
        durationMinutes: 60,
        recordSize: estimateRecordBytes(DEFAULT_FIELDS),
        formatName: 'default',
        destination: 'cloudwatch-logs',
        region: 'us-east-1',
        prices: table,
        retentionHours: 0,
      });
      expect(estimate.records).toEqual({ low: 48_000_000, high: 48_000_000 });
      expect(estimate.bytes).toEqual({ low: 5_520_000_000, high: 5_520_000_000 });
      // AWS bills GB as 2^30 bytes: 5.14 GB, not 5.52 (the worked example's $2.76 uses 10^9).
      expect(cents(estimate.usd.high)).toBe(2.57);
      expect(cents(estimate.usdPerHourIfLeftRunning.high)).toBe(2.57);
      expect(cents(estimate.usdPerMonthIfLeftRunning.high)).toBe(cents(((5.52e9 * 730) / 2 ** 30) * 0.5));
    });
  });
});

describe('tieredCost', () => {
  const tiers = usEast.delivery.s3.tiers;

  it('walks the monthly tiers: 12 TB to S3 is 10 TB at $0.25 and 2 TB at $0.15', () => {
    const result = tieredCost(12 * 1024, tiers);
    expect(result.lines.map((line) => [line.tier, line.gb, line.usdPerGB])).toEqual([
      [1, 10_240, 0.25],
      [2, 2_048, 0.15],
    ]);
    expect(result.usd).toBeCloseTo(2_560 + 307.2, 9);
  });

  it('prices a slice after what the month already used', () => {
    expect(tieredCost(10, tiers, 10_235).usd).toBeCloseTo(5 * 0.25 + 5 * 0.15, 9);
    expect(tieredCost(1, tiers, 60_000).usd).toBeCloseTo(0.05, 9);
    expect(tierAt(tiers, 0)).toBe(1);
    expect(tierAt(tiers, 10_240)).toBe(2);
    expect(tierAt(tiers, 1e9)).toBe(4);
  });

  it('costs nothing for nothing', () => {
    expect(tieredCost(0, tiers)).toEqual({ usd: 0, lines: [] });
  });
});

describe('the price table', () => {
  it('has every destination, with a source URL, for us-east-1 and Tokyo', () => {
    for (const region of ['us-east-1', 'ap-northeast-1']) {
      const prices = table.regions[region];
      for (const destination of DESTINATIONS) {
        expect(prices.delivery[destination].source.url).toMatch(/^https:\/\//);
        expect(prices.delivery[destination].tiers.at(-1)?.upToGB).toBeNull();
      }
      expect(prices.s3Put.source.url).toMatch(/^https:\/\//);
    }
    expect(checkPriceTable(table)).toBeUndefined();
  });

  it('keeps Infrequent Access out of the destinations flowdump offers, and says why', () => {
    const ia = usEast.delivery['cloudwatch-logs-infrequent-access'];
    expect(ia.offered).toBe(false);
    expect(ia.offeredNote).toMatch(/Infrequent Access/);
    expect(DESTINATIONS).not.toContain('cloudwatch-logs-infrequent-access');
  });

  it('falls back to us-east-1 for a region without prices, and marks it', () => {
    const lookup = regionPrices(table, 'eu-west-1');
    expect(lookup).toMatchObject({ region: 'eu-west-1', priceRegion: 'us-east-1', fallback: true });
    expect(regionPrices(table, 'ap-northeast-1').fallback).toBe(false);
  });

  it('refuses a damaged table with one sentence naming the file', () => {
    const dir = scratchDir('flowdump-pricing-');
    const path = join(dir, 'pricing.json');
    const broken: PriceTable = JSON.parse(JSON.stringify(table));
    delete (broken.regions['us-east-1'].delivery as Record<string, unknown>).s3;
    writeFileSync(path, JSON.stringify(broken));
    try {
      loadPriceTable(path);
      expect.unreachable();
    } catch (error) {
      expect(isFlowdumpError(error)).toBe(true);
      expect((error as Error).message).toBe(`the price table ${path} is invalid: us-east-1 has no s3 delivery price; reinstall flowdump`);
    }
  });
});
