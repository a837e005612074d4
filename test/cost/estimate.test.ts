import { describe, expect, it } from 'vitest';
import { actualCost } from '../../src/cost/actual.js';
import { estimateCost, type EstimateCostOptions } from '../../src/cost/estimate.js';
import { loadPriceTable } from '../../src/cost/pricing.js';
import { estimateRecordRate, statedRecordRate } from '../../src/cost/record-rate.js';
import { estimateRecordBytes } from '../../src/cost/record-size.js';
import { ExitCode, FlowdumpError } from '../../src/errors.js';
import { findPreset } from '../../src/format/presets.js';

const prices = loadPriceTable();
const handshake = findPreset('handshake');
const GiB = 2 ** 30;

const base = (overrides: Partial<EstimateCostOptions> = {}): EstimateCostOptions => ({
  rate: statedRecordRate(2000),
  durationMinutes: 15,
  recordSize: estimateRecordBytes(handshake.format.fields),
  formatName: 'handshake',
  destination: 's3',
  region: 'us-east-1',
  prices,
  ...overrides,
});

describe('estimateCost', () => {
  it('turns 2,000 records/min for 15 minutes to S3 into records, bytes, a breakdown and the document shape', () => {
    const estimate = estimateCost(base());
    const bytes = 30_000 * handshake.bytesPerRecord;
    expect(estimate).toMatchObject({
      schema: 'flowdump.estimate/v1',
      durationMinutes: 15,
      records: { low: 30_000, high: 30_000 },
      bytes: { low: bytes, high: bytes },
      destination: 's3',
      fileFormat: 'text',
      region: 'us-east-1',
      priceRegion: 'us-east-1',
      format: { name: 'handshake', bytesPerRecord: 138, bytesPerNodataRecord: 77, addressFamily: 'ipv4' },
    });
    expect(estimate.items.map((item) => item.id)).toEqual(['delivery', 'storage', 'put-requests']);
    const delivery = estimate.items[0];
    expect(delivery.usd.high).toBeCloseTo((bytes / GiB) * 0.25, 6);
    expect(delivery.unitPrice).toBe('$0.25/GB (tier 1 of 4)');
    expect(delivery.usageType).toBe('USE1-S3-Egress-Bytes');
    // 3 five-minute batches, one object each at least
    expect(estimate.items[2].quantity).toEqual({ low: 3, high: 3, unit: 'requests' });
    const sum = estimate.items.reduce((total, item) => total + item.usd.high, 0);
    expect(estimate.usd.high).toBeCloseTo(sum, 6);
    expect(estimate.priceSource).toBe('flowdump price table (templates/pricing.json, recorded 2026-11-30): us-east-1 prices');
    expect(estimate.warnings).toEqual([]);
  });

  it('prices per hour if left running from the same rate: 4× a 15-minute capture for delivery', () => {
    const estimate = estimateCost(base({ destination: 'cloudwatch-logs' }));
    const delivery15 = estimate.items.find((item) => item.id === 'delivery')!.usd.high;
    expect(estimate.usdPerHourIfLeftRunning.high).toBeCloseTo(4 * delivery15, 5); // items are rounded to a millionth of a dollar
    expect(estimate.usdPerMonthIfLeftRunning.high).toBeCloseTo(730 * 4 * delivery15, 2);
  });

  it('states the assumptions a reader can check: rate, bytes per record, address family, tier, retention', () => {
    const text = estimateCost(base()).assumptions.join('\n');
    expect(text).toContain('2,000 records/min, as stated with --rate');
    expect(text).toContain('handshake format: 138 bytes per OK record and 77 per NODATA record');
    expect(text).toContain('IPv4 traffic: addresses counted at 12 characters (IPv6 traffic would add ~104 bytes per record)');
    expect(text).toContain('delivery priced at the first monthly tier ($0.25/GB up to 10 TB)');
    expect(text).toContain('uncompressed record text');
    expect(text).toMatch(/data kept 1\.3 h \(the capture plus an hour/);
  });

  it('falls back to us-east-1 prices for a region it has none for, and says so', () => {
    const estimate = estimateCost(base({ region: 'eu-west-1' }));
    expect(estimate.region).toBe('eu-west-1');
    expect(estimate.priceRegion).toBe('us-east-1');
    expect(estimate.priceSource).toContain('no prices for eu-west-1, us-east-1 prices used');
    expect(estimate.assumptions.find((a) => a.startsWith("flowdump has no prices"))).toMatch(/^flowdump has no prices for eu-west-1: us-east-1 prices are used/);
  });

  it('uses Tokyo prices in Tokyo: delivery to S3 at $0.38/GB', () => {
    const estimate = estimateCost(base({ region: 'ap-northeast-1' }));
    const delivery = estimate.items[0];
    expect(delivery.unitPrice).toBe('$0.38/GB (tier 1 of 4)');
    expect(delivery.usageType).toBe('APN1-S3-Egress-Bytes');
    expect(estimate.assumptions.some((a) => a.startsWith('flowdump has no prices'))).toBe(false);
  });

  it('adds Parquet conversion on S3 Parquet only', () => {
    const parquet = estimateCost(base({ fileFormat: 'parquet' }));
    expect(parquet.items.map((item) => item.id)).toEqual(['delivery', 'parquet-conversion', 'storage', 'put-requests']);
    expect(parquet.items[1].usd.high).toBeCloseTo((parquet.bytes.high / GiB) * 0.035, 6);
    const logs = estimateCost(base({ destination: 'cloudwatch-logs', fileFormat: 'parquet' }));
    expect(logs.fileFormat).toBe('text');
    expect(logs.items.map((item) => item.id)).toEqual(['delivery', 'storage']);
  });

  it('leaves Firehose’s own charges out and says so', () => {
    const estimate = estimateCost(base({ destination: 'firehose' }));
    expect(estimate.items.map((item) => item.id)).toEqual(['delivery']);
    expect(estimate.assumptions.join('\n')).toContain("Data Firehose's own ingestion and delivery charges");
  });

  it('prices past the first tier when told the month already used 10 TB', () => {
    const estimate = estimateCost(base({ priorMonthUsageGB: 10_240 }));
    expect(estimate.items[0].unitPrice).toBe('$0.15/GB (tier 2 of 4)');
    expect(estimate.assumptions.join('\n')).toContain('delivery priced after 10,240 GB already billed on this meter this month (tier 2: $0.15/GB)');
  });

  it('builds a range from metrics: NODATA-sized low, packet-bounded high', () => {
    const rate = estimateRecordRate({
      scope: { description: 'instance i-0abc', interfaces: [{ id: 'eni-1', owner: { kind: 'instance', instanceId: 'i-0abc' } }] },
      instances: [{ instanceId: 'i-0abc', periodSeconds: 300, packetsIn: [{ at: new Date(0), value: 5000 }], packetsOut: [{ at: new Date(0), value: 5000 }] }],
      lookback: '1h',
    });
    const estimate = estimateCost(base({ rate, target: 'instance i-0abc' }));
    expect(estimate.records).toEqual({ low: 15, high: 30_000 });
    expect(estimate.bytes).toEqual({ low: 15 * 77, high: 30_000 * 138 });
    expect(estimate.usd.low).toBeLessThan(estimate.usd.high);
    expect(estimate.target).toBe('instance i-0abc');
    expect(estimate.recordsPerMinute).toEqual({ low: 1, high: 2000, complete: true });
  });

  it('carries missing-metric statements as warnings and says the range may be low', () => {
    const rate = estimateRecordRate({
      scope: {
        description: 'subnet subnet-1',
        interfaces: [
          { id: 'eni-1', owner: { kind: 'instance', instanceId: 'i-1' } },
          { id: 'eni-2', owner: { kind: 'instance', instanceId: 'i-2' } },
        ],
      },
      instances: [{ instanceId: 'i-1', periodSeconds: 300, packetsIn: [{ at: new Date(0), value: 300 }], packetsOut: [] }],
      lookback: '1h',
    });
    const estimate = estimateCost(base({ rate }));
    expect(estimate.recordsPerMinute.complete).toBe(false);
    expect(estimate.warnings[0]).toMatch(/^no NetworkPacketsIn\/Out data points for instance i-2/);
    expect(estimate.warnings.at(-1)).toBe('the upper bound cannot see the traffic of the interfaces above: the real cost may be higher than the range');
  });

  it('refuses to invent a figure when no metric bounds the rate', () => {
    const rate = estimateRecordRate({
      scope: { description: 'instance i-new', interfaces: [{ id: 'eni-1', owner: { kind: 'instance', instanceId: 'i-new' } }] },
      instances: [],
      lookback: '1h',
    });
    let error: unknown;
    try {
      estimateCost(base({ rate, target: 'instance i-new' }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FlowdumpError);
    expect((error as FlowdumpError).exitCode).toBe(ExitCode.input);
    expect((error as Error).message).toMatch(/^no estimate: no metric shows how busy instance i-new is \(no NetworkPacketsIn\/Out data points for instance i-new.*give a rate you know with --rate <records>\/min$/);
  });
});

describe('actualCost', () => {
  it('prices what was delivered with the same table: 1 GiB to S3 in 4 objects of 100 MiB', () => {
    const result = actualCost({ deliveredBytes: GiB, destination: 's3', region: 'us-east-1', prices, objects: { count: 4, bytes: 100 * 2 ** 20 }, retentionHours: 730 });
    expect(result.items.map((item) => [item.id, item.usd.high])).toEqual([
      ['delivery', 0.25],
      ['storage', expect.closeTo((100 / 1024) * 0.023, 6)],
      ['put-requests', 0.00002],
    ]);
    expect(result.usd).toBeCloseTo(0.25 + (100 / 1024) * 0.023 + 0.00002, 6);
  });

  it('says so when it had to guess the object sizes', () => {
    const result = actualCost({ deliveredBytes: GiB, destination: 's3', region: 'eu-central-1', prices });
    expect(result.priceRegion).toBe('us-east-1');
    expect(result.assumptions.join('\n')).toContain('object sizes unknown');
    expect(result.assumptions.join('\n')).toContain('flowdump has no prices for eu-central-1');
  });
});
