import { describe, expect, it } from 'vitest';
import type { MetricDatapoint, MetricSeries } from '../../src/aws/metrics.js';
import { collectRateInputs, estimateRecordRate, planRateQueries, statedRecordRate, type RateScope } from '../../src/cost/record-rate.js';

const T0 = Date.UTC(2026, 10, 30, 7, 0, 0);
/** A series of `values`, one per `periodSeconds`, starting at T0. */
const series = (values: number[], periodSeconds = 300): MetricDatapoint[] => values.map((value, i) => ({ at: new Date(T0 + i * periodSeconds * 1000), value }));

const oneInstance: RateScope = {
  description: 'instance i-0abc',
  interfaces: [{ id: 'eni-0aaa', owner: { kind: 'instance', instanceId: 'i-0abc' } }],
};

describe('estimateRecordRate', () => {
  it('bounds one instance by its packets (high) and one record per window (low)', () => {
    // busiest 5-minute period: 6,000 in + 4,000 out = 10,000 packets = 2,000 packets/min
    const rate = estimateRecordRate({
      scope: oneInstance,
      instances: [{ instanceId: 'i-0abc', periodSeconds: 300, packetsIn: series([3000, 6000, 1500]), packetsOut: series([2000, 4000, 1000]) }],
      lookback: '1h',
    });
    expect(rate.low).toBe(1);
    expect(rate.high).toBe(2000);
    expect(rate.complete).toBe(true);
    expect(rate.missing).toEqual([]);
    expect(rate.lowBreakdown).toEqual({ nodata: 1, ok: 0 });
    expect(rate.reasoning.join('\n')).toContain('busiest 5-minute period in the last 1h moved 10,000 packets (in + out)');
    expect(rate.reasoning[0]).toMatch(/^at least 1 record\/min: every interface in instance i-0abc writes at least one record/);
  });

  it('sums the instances of a subnet and counts one NODATA per idle extra interface', () => {
    const scope: RateScope = {
      description: 'subnet subnet-0123',
      interfaces: [
        { id: 'eni-1', owner: { kind: 'instance', instanceId: 'i-1' } },
        { id: 'eni-2', owner: { kind: 'instance', instanceId: 'i-1' } },
        { id: 'eni-3', owner: { kind: 'instance', instanceId: 'i-2' } },
      ],
    };
    const rate = estimateRecordRate({
      scope,
      instances: [
        { instanceId: 'i-1', periodSeconds: 300, packetsIn: series([500]), packetsOut: series([500]) },
        { instanceId: 'i-2', periodSeconds: 60, packetsIn: series([30, 90], 60), packetsOut: series([30, 30], 60) },
      ],
      lookback: '1h',
    });
    expect(rate.low).toBe(3);
    // i-1: 1,000 packets / 5 min = 200/min, + 1 NODATA for its second interface; i-2: peak minute 120 packets
    expect(rate.high).toBe(201 + 120);
    expect(rate.complete).toBe(true);
  });

  it('says so when an instance has no data points, instead of counting it as zero', () => {
    const rate = estimateRecordRate({
      scope: {
        description: 'subnet subnet-0123',
        interfaces: [
          { id: 'eni-1', owner: { kind: 'instance', instanceId: 'i-busy' } },
          { id: 'eni-new', owner: { kind: 'instance', instanceId: 'i-new' } },
        ],
      },
      instances: [
        { instanceId: 'i-busy', periodSeconds: 300, packetsIn: series([1500]), packetsOut: series([1500]) },
        { instanceId: 'i-new', periodSeconds: 300, packetsIn: [], packetsOut: [] },
      ],
      lookback: '1h',
    });
    expect(rate.low).toBe(2);
    expect(rate.high).toBe(601); // i-new still writes its one record per window
    expect(rate.complete).toBe(false);
    expect(rate.missing).toEqual([
      'no NetworkPacketsIn/Out data points for instance i-new in the last 1h (stopped, just launched, or a new interface): its eni-new counts at the floor of 1 record per window in both bounds, so the upper bound does not see its traffic',
    ]);
  });

  it('has no upper bound when no interface has metrics, and says why', () => {
    const rate = estimateRecordRate({ scope: oneInstance, instances: [], lookback: '1h' });
    expect(rate.high).toBeUndefined();
    expect(rate.low).toBe(1);
    expect(rate.complete).toBe(false);
    expect(rate.missing[0]).toMatch(/^no NetworkPacketsIn\/Out data points for instance i-0abc in the last 1h/);
  });

  it('counts a stopped instance as writing nothing, and says so', () => {
    const rate = estimateRecordRate({
      scope: { ...oneInstance, instanceStates: { 'i-0abc': 'stopped' } },
      instances: [{ instanceId: 'i-0abc', periodSeconds: 300, packetsIn: [], packetsOut: [] }],
      lookback: '1h',
    });
    expect(rate.low).toBe(0);
    expect(rate.high).toBeUndefined();
    expect(rate.missing[0]).toBe('instance i-0abc is stopped: its eni-0aaa write no records while it stays stopped (counted as 0; if it starts during the capture the estimate is too low)');
  });

  it('bounds a NAT gateway by its connection counts: 2 records per new connection low, 4 per live connection high', () => {
    const rate = estimateRecordRate({
      scope: { description: 'NAT gateway nat-0123', interfaces: [{ id: 'eni-nat', owner: { kind: 'nat-gateway', natGatewayId: 'nat-0123' } }] },
      instances: [],
      connections: [{ kind: 'nat-gateway', id: 'nat-0123', periodSeconds: 60, active: series([100, 250, 80], 60), established: series([40, 30, 10], 60) }],
      lookback: '1h',
    });
    // quietest minute opened 10 connections → 20 records; busiest: 250 active + 40 new → 1,160
    expect(rate.low).toBe(20);
    expect(rate.lowBreakdown).toEqual({ nodata: 0, ok: 20 });
    expect(rate.high).toBe(4 * (250 + 40));
    expect(rate.reasoning.join('\n')).toMatch(/not a hard bound/);
  });

  it('bounds a load balancer by ActiveFlowCount and NewFlowCount', () => {
    const rate = estimateRecordRate({
      scope: {
        description: 'load balancer net/web/50dc',
        interfaces: [
          { id: 'eni-a', owner: { kind: 'load-balancer', loadBalancer: 'net/web/50dc' } },
          { id: 'eni-b', owner: { kind: 'load-balancer', loadBalancer: 'net/web/50dc' } },
        ],
      },
      instances: [],
      connections: [{ kind: 'load-balancer', id: 'net/web/50dc', periodSeconds: 60, active: series([10], 60), established: series([0], 60) }],
      lookback: '1h',
    });
    expect(rate.low).toBe(2); // two interfaces, no new flows: the NODATA floor
    expect(rate.high).toBe(40);
  });

  it('names an interface with no readable metric (a Lambda or endpoint interface)', () => {
    const rate = estimateRecordRate({
      scope: { description: 'subnet subnet-0123', interfaces: [{ id: 'eni-lambda', owner: { kind: 'other', description: 'AWS Lambda VPC ENI' } }] },
      instances: [],
      lookback: '1h',
    });
    expect(rate.missing).toEqual(['interface eni-lambda (AWS Lambda VPC ENI) has no metric flowdump can read: counted at the floor of 1 record per window in both bounds, so the upper bound does not see its traffic']);
  });

  it('says a target without interfaces writes nothing', () => {
    const rate = estimateRecordRate({ scope: { description: 'subnet subnet-empty', interfaces: [] }, instances: [], lookback: '1h' });
    expect(rate.low).toBe(0);
    expect(rate.missing[0]).toMatch(/subnet subnet-empty has no network interfaces/);
  });
});

describe('planRateQueries / collectRateInputs', () => {
  it('asks for each instance once and maps the answers back', () => {
    const scope: RateScope = {
      description: 'vpc vpc-1',
      interfaces: [
        { id: 'eni-1', owner: { kind: 'instance', instanceId: 'i-1' } },
        { id: 'eni-2', owner: { kind: 'instance', instanceId: 'i-1' } },
        { id: 'eni-n', owner: { kind: 'nat-gateway', natGatewayId: 'nat-1' } },
      ],
    };
    const plan = planRateQueries(scope);
    expect(plan.queries.map((q) => `${q.namespace} ${q.metricName} ${q.stat} ${q.periodSeconds}`)).toEqual([
      'AWS/EC2 NetworkPacketsIn Sum 300',
      'AWS/EC2 NetworkPacketsOut Sum 300',
      'AWS/NATGateway ActiveConnectionCount Maximum 60',
      'AWS/NATGateway ConnectionEstablishedCount Sum 60',
    ]);
    expect(plan.queries.every((q) => /^[a-z][a-zA-Z0-9_]*$/.test(q.id))).toBe(true);
    const answers: MetricSeries[] = plan.queries.map((q, i) => ({ id: q.id, points: series([100 * (i + 1)], q.periodSeconds), complete: true }));
    const inputs = collectRateInputs(plan, answers);
    const rate = estimateRecordRate({ scope, ...inputs, lookback: '1h' });
    // i-1: (100 + 200) packets / 5 min = 60/min + 1 NODATA; NAT: 4 × (300 + 400)
    expect(rate.high).toBe(61 + 2800);
  });
});

describe('statedRecordRate', () => {
  it('is the stated figure, all OK-sized, with the source named', () => {
    const rate = statedRecordRate(2000);
    expect(rate).toMatchObject({ low: 2000, high: 2000, complete: true, lowBreakdown: { nodata: 0, ok: 2000 } });
    expect(rate.reasoning).toEqual(['2,000 records/min, as stated with --rate; all counted at the size of an OK record']);
  });
});
