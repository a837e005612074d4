import { describe, expect, it } from 'vitest';
import type { MetricQuery, MetricSeries, MetricsPort, MetricTimeRange } from '../../src/aws/metrics.js';
import { parseDestination, parseRate, runEstimate, type EstimateDeps, type EstimateRequest } from '../../src/cli/commands/estimate.js';
import type { CliIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { formatUsd } from '../../src/cli/render/estimate.js';
import { loadPriceTable } from '../../src/cost/pricing.js';
import { findPreset } from '../../src/format/presets.js';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], env: Record<string, string> = {}): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin: { async *[Symbol.asyncIterator]() {} },
    env: { NO_COLOR: '1', ...env },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('flowdump estimate (offline, from a stated rate)', () => {
  it('prints the breakdown for the issue example: --rate 2000/min --for 15m --destination s3 --region eu-west-1', async () => {
    const result = await run(['estimate', '--rate', '2000/min', '--for', '15m', '--destination', 's3', '--region', 'eu-west-1']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const out = result.stdout;
    expect(out).toContain('Cost estimate: 15 min to S3 (text) in eu-west-1, handshake format');
    expect(out).toMatch(/Records\s+30,000\s+138 B each \(NODATA 77 B\)/);
    expect(out).toMatch(/Vended-log delivery to S3\s+0\.00386 GB\s+\$0\.25\/GB \(tier 1 of 4\)\s+\$0\.00096/);
    expect(out).toMatch(/S3 PUT requests\s+3 requests/);
    expect(out).toMatch(/Total\s+\$0\.00098/);
    expect(out).toContain('If left running: $0.0039 per hour, $2.86 per month');
    expect(out).toContain('no prices for eu-west-1, us-east-1 prices used');
    expect(out).toContain('  Assumptions:\n    - 2,000 records/min, as stated with --rate');
  });

  it('prints one JSON document with the estimate schema under --json', async () => {
    const result = await run(['estimate', '--rate', '30/s', '--for', '1h', '--destination', 'logs:/flowdump/x', '--region', 'ap-northeast-1', '--json']);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc).toMatchObject({
      schema: 'flowdump.estimate/v1',
      records: { low: 108_000, high: 108_000 },
      bytes: { low: 108_000 * 138, high: 108_000 * 138 },
      destination: 'cloudwatch-logs',
      region: 'ap-northeast-1',
      priceRegion: 'ap-northeast-1',
      durationMinutes: 60,
    });
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['usd', 'usdPerHourIfLeftRunning', 'priceSource', 'assumptions', 'items']));
    expect(doc.items[0]).toMatchObject({ id: 'delivery', unitPrice: '$0.76/GB (tier 1 of 4)', usageType: 'APN1-VendedLog-Bytes' });
    expect(doc.usd.high).toBeCloseTo(((108_000 * 138) / 2 ** 30) * (0.76 + 0.033 * (2 / 730)), 6);
  });

  it('takes the region from AWS_REGION, the format from --format, IPv6 from --address-family', async () => {
    const result = await run(['estimate', '--rate', '100', '--format', '${srcaddr} ${dstaddr}', '--address-family', 'ipv6', '--json'], { AWS_REGION: 'us-east-1' });
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.format).toEqual({ name: 'custom', bytesPerRecord: 78, bytesPerNodataRecord: 4, addressFamily: 'ipv6' });
    expect(doc.region).toBe('us-east-1');
  });

  it.each([
    [['estimate', '--rate', '2000/min'], 'no region: give --region (or set AWS_REGION); prices, and where the bill lands, depend on it'],
    [['estimate', '--region', 'eu-west-1'], 'nothing to estimate: give a target (an instance, interface, subnet or VPC id) or a rate with --rate <records>/min'],
    [['estimate', '--rate', 'lots', '--region', 'eu-west-1'], '--rate "lots" is not a rate; write records per time, like 2000/min, 30/s or 120000/h'],
    [['estimate', '--rate', '10', '--region', 'Ireland'], 'region "Ireland" does not look like an AWS region (e.g. eu-west-1); check --region'],
    [['estimate', '--rate', '10', '--region', 'eu-west-1', '--destination', 'ftp'], '--destination "ftp" is not a destination; use s3 (or s3://bucket/prefix), logs (or logs:/group) or firehose'],
    [['estimate', '--rate', '10', '--region', 'eu-west-1', '--destination', 'logs', '--file-format', 'parquet'], '--file-format parquet is only for S3; CloudWatch Logs and Firehose get text'],
    [['estimate', '--rate', '10', '--region', 'eu-west-1', '--for', '0m'], '--for must be longer than zero, not "0m"'],
  ])('refuses %j with one sentence and exit 2', async (argv, message) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`flowdump: ${message}\n`);
  });

  it('takes a target as an id, an IP or a flag, and says which ones it takes', async () => {
    const name = await run(['estimate', 'web-1', '--for', '15m', '--region', 'eu-west-1', '--json']);
    expect(name.code).toBe(2);
    expect(JSON.parse(name.stdout).error).toMatchObject({
      code: 'bad-target',
      message: '"web-1" is not an instance, network interface, subnet or VPC id, nor an IP address; for an instance\'s Name tag use --name web-1',
    });
    const two = await run(['estimate', 'i-0123456789abcdef0', '--vpc', 'vpc-0123456789abcdef0', '--region', 'eu-west-1']);
    expect(two.code).toBe(2);
    expect(two.stderr).toBe('flowdump: give one target, not i-0123456789abcdef0 and --vpc\n');
  });

  it('is listed in the top-level help', async () => {
    const result = await run(['--help']);
    expect(result.stdout).toMatch(/estimate \[options\] \[target\]\s+what a capture will cost, before you start it/);
  });
});

describe('runEstimate from an already-resolved target and metrics', () => {
  const now = new Date('2026-11-30T08:00:00Z');
  const handshake = findPreset('handshake');
  const request: EstimateRequest = {
    target: 'i-0abc',
    durationMinutes: 15,
    destination: 's3',
    fileFormat: 'text',
    formatName: 'handshake',
    fields: handshake.format.fields,
    addressFamily: 'ipv4',
    lookbackSeconds: 3600,
  };

  class FakeMetrics implements MetricsPort {
    readonly calls: Array<{ queries: readonly MetricQuery[]; range: MetricTimeRange }> = [];
    constructor(private readonly packets: Record<string, number[]>) {}
    async getMetricData(queries: readonly MetricQuery[], range: MetricTimeRange): Promise<MetricSeries[]> {
      this.calls.push({ queries, range });
      return queries.map((query) => ({
        id: query.id,
        complete: true,
        points: (this.packets[query.metricName] ?? []).map((value, i) => ({ at: new Date(range.start.getTime() + i * 300_000), value })),
      }));
    }
  }

  const deps = (metrics: FakeMetrics): EstimateDeps & { regions: string[] } => {
    const regions: string[] = [];
    return {
      regions,
      prices: () => loadPriceTable(),
      clock: { now: () => now },
      resolveTarget: async () => ({
        region: 'ap-northeast-1',
        scope: { description: 'instance i-0abc', interfaces: [{ id: 'eni-1', owner: { kind: 'instance', instanceId: 'i-0abc' } }] },
      }),
      metrics: (region) => {
        regions.push(region);
        return metrics;
      },
    };
  };

  it('reads the last hour of packets in the target region and bounds the records by them', async () => {
    const metrics = new FakeMetrics({ NetworkPacketsIn: [1000, 4000], NetworkPacketsOut: [1000, 6000] });
    const d = deps(metrics);
    const estimate = await runEstimate(request, d);
    expect(d.regions).toEqual(['ap-northeast-1']);
    expect(metrics.calls[0].range).toEqual({ start: new Date('2026-11-30T07:00:00Z'), end: now });
    expect(metrics.calls[0].queries.map((q) => q.metricName)).toEqual(['NetworkPacketsIn', 'NetworkPacketsOut']);
    // busiest 5 minutes: 10,000 packets → 2,000 records/min at most; 1/min at least
    expect(estimate.records).toEqual({ low: 15, high: 30_000 });
    expect(estimate.region).toBe('ap-northeast-1');
    expect(estimate.priceRegion).toBe('ap-northeast-1');
    expect(estimate.assumptions.join('\n')).toContain('busiest 5-minute period in the last 1h moved 10,000 packets');
  });

  it('refuses to guess when the metrics are empty (a stopped or brand-new instance)', async () => {
    const metrics = new FakeMetrics({});
    await expect(runEstimate(request, deps(metrics))).rejects.toThrow(/^no estimate: no metric shows how busy instance i-0abc is \(no NetworkPacketsIn\/Out data points for instance i-0abc in the last 1h/);
  });
});

describe('parsers', () => {
  it('reads rates per second, minute and hour', () => {
    expect(parseRate('2000/min')).toBe(2000);
    expect(parseRate('30/s')).toBe(1800);
    expect(parseRate('120000/h')).toBe(2000);
    expect(parseRate('2000')).toBe(2000);
  });

  it('reads destinations as start takes them', () => {
    expect(parseDestination('s3://bucket/prefix')).toBe('s3');
    expect(parseDestination('logs:/flowdump/cap-1')).toBe('cloudwatch-logs');
    expect(parseDestination('firehose')).toBe('firehose');
  });

  it('formats dollars to the cent, and below a cent to two significant digits', () => {
    expect(formatUsd(2014.8)).toBe('$2,014.80');
    expect(formatUsd(0.00096)).toBe('$0.00096');
    expect(formatUsd(0)).toBe('$0.00');
  });
});

describe('renderEstimateText', () => {
  it('lists what was not measured before the assumptions, and shows a range as low – high', async () => {
    const { renderEstimateText } = await import('../../src/cli/render/estimate.js');
    const { paint } = await import('../../src/cli/io.js');
    const { estimateCost } = await import('../../src/cost/estimate.js');
    const { estimateRecordRate } = await import('../../src/cost/record-rate.js');
    const { estimateRecordBytes } = await import('../../src/cost/record-size.js');
    const rate = estimateRecordRate({
      scope: {
        description: 'subnet subnet-1',
        interfaces: [
          { id: 'eni-1', owner: { kind: 'instance', instanceId: 'i-1' } },
          { id: 'eni-2', owner: { kind: 'other', description: 'VPC endpoint' } },
        ],
      },
      instances: [{ instanceId: 'i-1', periodSeconds: 300, packetsIn: [{ at: new Date(0), value: 2500 }], packetsOut: [{ at: new Date(0), value: 2500 }] }],
      lookback: '1h',
    });
    const estimate = estimateCost({
      rate,
      durationMinutes: 15,
      recordSize: estimateRecordBytes(findPreset('handshake').format.fields),
      formatName: 'handshake',
      destination: 'cloudwatch-logs',
      region: 'us-east-1',
      prices: loadPriceTable(),
      target: 'subnet subnet-1',
    });
    const text = renderEstimateText(estimate, { paint: paint(false) });
    expect(text).toContain('Cost estimate: subnet subnet-1, 15 min to CloudWatch Logs in us-east-1, handshake format');
    expect(text).toMatch(/Records\s+30 – 15,015\s+138 B each/);
    const notMeasured = text.indexOf('  Not measured:\n    ! interface eni-2 (VPC endpoint) has no metric flowdump can read');
    expect(notMeasured).toBeGreaterThan(0);
    expect(text.indexOf('  Assumptions:')).toBeGreaterThan(notMeasured);
    expect(text).toContain('! the upper bound cannot see the traffic of the interfaces above: the real cost may be higher than the range');
  });
});

it('refuses a rate of zero, saying why', async () => {
  expect(() => parseRate('0/min')).toThrow('--rate must be more than zero: a flow log writes at least one record per interface per minute (give e.g. 1/min)');
});
