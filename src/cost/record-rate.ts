import type { MetricDatapoint, MetricQuery, MetricSeries } from '../aws/metrics.js';

/**
 * How many flow-log records a target writes per minute, as a low–high range with the
 * reasoning in words. Pure functions over metric data; the CLI fetches the metrics
 * through the MetricsPort and passes the series in.
 *
 * The facts the bounds rest on (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html):
 * a record is one directional 5-tuple on one interface in one aggregation window; a record
 * with log-status OK carries at least one packet; an interface without traffic in a window
 * writes one NODATA record. So per interface and window: 1 ≤ records ≤ max(1, packets).
 */

export type InterfaceOwner =
  | { kind: 'instance'; instanceId: string }
  | { kind: 'nat-gateway'; natGatewayId: string }
  /** `LoadBalancer` dimension value, e.g. "net/my-nlb/50dc6c495c0c9188" */
  | { kind: 'load-balancer'; loadBalancer: string }
  | { kind: 'other'; description?: string };

export interface InterfaceInScope {
  id: string;
  owner: InterfaceOwner;
}

/** The resolved target: which interfaces a flow log on it would record. */
export interface RateScope {
  /** how the target reads in sentences: "instance i-0abc", "subnet subnet-0123" */
  description: string;
  interfaces: InterfaceInScope[];
  /** instance states from DescribeInstances, where known (e.g. "running", "stopped") */
  instanceStates?: Readonly<Record<string, string>>;
}

export interface InstancePackets {
  instanceId: string;
  periodSeconds: number;
  /** Sum of AWS/EC2 NetworkPacketsIn per period */
  packetsIn: MetricDatapoint[];
  /** Sum of AWS/EC2 NetworkPacketsOut per period */
  packetsOut: MetricDatapoint[];
}

export interface ConnectionCounts {
  kind: 'nat-gateway' | 'load-balancer';
  /** NAT gateway id, or the LoadBalancer dimension value */
  id: string;
  periodSeconds: number;
  /** Maximum of ActiveConnectionCount (NAT) / ActiveFlowCount (NLB) per period */
  active: MetricDatapoint[];
  /** Sum of ConnectionEstablishedCount (NAT) / NewFlowCount (NLB) per period */
  established: MetricDatapoint[];
}

export interface RecordRateOptions {
  scope: RateScope;
  instances: InstancePackets[];
  connections?: ConnectionCounts[];
  /** aggregation interval in seconds; flowdump creates flow logs with 60 */
  windowSeconds?: number;
  /** how far back the metrics reach, in words: "1h" */
  lookback: string;
}

export interface RecordRateResult {
  /** records per minute, at least */
  low: number;
  /** records per minute, at most (interfaces without metrics only at their floor); undefined when none has metrics */
  high: number | undefined;
  /** what the low figure is made of: NODATA-sized and OK-sized records per minute */
  lowBreakdown: { nodata: number; ok: number };
  /** false when some interfaces have no metrics (`high` counts them only at their floor) */
  complete: boolean;
  /** how low and high were derived, one sentence each */
  reasoning: string[];
  /** what could not be measured and what that means, one sentence each */
  missing: string[];
}

const fmt = (value: number): string => (value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toLocaleString('en-US', { maximumFractionDigits: 1 }));

/** Per-period sums of two series aligned on time (a missing side counts as 0). */
function sumByTime(a: MetricDatapoint[], b: MetricDatapoint[]): MetricDatapoint[] {
  const byTime = new Map<number, number>();
  for (const point of [...a, ...b]) byTime.set(point.at.getTime(), (byTime.get(point.at.getTime()) ?? 0) + point.value);
  return [...byTime.entries()].sort((x, y) => x[0] - y[0]).map(([time, value]) => ({ at: new Date(time), value }));
}

function maxOf(points: MetricDatapoint[]): number {
  return points.reduce((max, point) => Math.max(max, point.value), 0);
}

function minOf(points: MetricDatapoint[]): number {
  return points.length === 0 ? 0 : points.reduce((min, point) => Math.min(min, point.value), Infinity);
}

/** The records/minute range of a scope, from its metrics. */
export function estimateRecordRate(options: RecordRateOptions): RecordRateResult {
  const windowSeconds = options.windowSeconds ?? 60;
  const perMinute = 60 / windowSeconds;
  const { scope } = options;
  const reasoning: string[] = [];
  const missing: string[] = [];
  let lowNodata = 0;
  let lowOk = 0;
  let high = 0;
  let bounded = 0;
  let unbounded = 0;

  const instances = new Map(options.instances.map((entry) => [entry.instanceId, entry]));
  const connections = new Map((options.connections ?? []).map((entry) => [`${entry.kind}:${entry.id}`, entry]));

  // Group the interfaces by what owns them: metrics exist per instance / gateway, not per interface.
  const groups = new Map<string, { owner: InterfaceOwner; interfaces: string[] }>();
  for (const eni of scope.interfaces) {
    const key =
      eni.owner.kind === 'instance' ? `instance:${eni.owner.instanceId}`
      : eni.owner.kind === 'nat-gateway' ? `nat-gateway:${eni.owner.natGatewayId}`
      : eni.owner.kind === 'load-balancer' ? `load-balancer:${eni.owner.loadBalancer}`
      : `other:${eni.id}`;
    const group = groups.get(key) ?? { owner: eni.owner, interfaces: [] };
    group.interfaces.push(eni.id);
    groups.set(key, group);
  }

  if (scope.interfaces.length === 0) {
    missing.push(`${scope.description} has no network interfaces: a flow log on it would write no records until one is attached`);
  }

  for (const group of groups.values()) {
    const k = group.interfaces.length;
    const enis = k === 1 ? group.interfaces[0] : `${k} interfaces`;
    const owner = group.owner;
    if (owner.kind === 'instance') {
      const state = scope.instanceStates?.[owner.instanceId];
      if (state !== undefined && state !== 'running') {
        missing.push(`instance ${owner.instanceId} is ${state}: its ${enis} write no records while it stays ${state} (counted as 0; if it starts during the capture the estimate is too low)`);
        continue;
      }
      lowNodata += k * perMinute;
      const data = instances.get(owner.instanceId);
      const packets = data ? sumByTime(data.packetsIn, data.packetsOut) : [];
      if (!data || packets.length === 0) {
        unbounded += k;
        missing.push(
          `no NetworkPacketsIn/Out data points for instance ${owner.instanceId} in the last ${options.lookback} (stopped, just launched, or a new interface): its ${enis} ${k === 1 ? 'counts' : 'count'} at the floor of 1 record per window in both bounds, so the upper bound does not see ${k === 1 ? 'its' : 'their'} traffic`,
        );
        continue;
      }
      bounded += k;
      const peak = maxOf(packets);
      const periodMinutes = data.periodSeconds / 60;
      const peakPerMinute = peak / periodMinutes;
      // Every OK record holds ≥ 1 packet; idle interfaces add one NODATA record per window.
      const ceiling = Math.max(peakPerMinute, 0) + (k - 1) * perMinute;
      high += Math.max(ceiling, k * perMinute);
      reasoning.push(
        `instance ${owner.instanceId}: at most ${fmt(Math.max(ceiling, k * perMinute))} records/min, its busiest ${fmt(periodMinutes)}-minute period in the last ${options.lookback} moved ${fmt(peak)} packets (in + out) and an OK record needs at least one packet${k > 1 ? `, plus one NODATA record per window for each other idle interface` : ''}`,
      );
      continue;
    }
    if (owner.kind === 'nat-gateway' || owner.kind === 'load-balancer') {
      const id = owner.kind === 'nat-gateway' ? owner.natGatewayId : owner.loadBalancer;
      const what = owner.kind === 'nat-gateway' ? `NAT gateway ${id}` : `load balancer ${id}`;
      const names = owner.kind === 'nat-gateway' ? ['ConnectionEstablishedCount', 'ActiveConnectionCount'] : ['NewFlowCount', 'ActiveFlowCount'];
      const data = connections.get(`${owner.kind}:${id}`);
      const windowsPerPeriod = data ? data.periodSeconds / windowSeconds : 1;
      if (!data || (data.established.length === 0 && data.active.length === 0)) {
        lowNodata += k * perMinute;
        unbounded += k;
        missing.push(`no ${names.join('/')} data points for ${what} in the last ${options.lookback}: its ${enis} ${k === 1 ? 'counts' : 'count'} at the floor of 1 record per window in both bounds, so the upper bound does not see ${k === 1 ? 'its' : 'their'} traffic`);
        continue;
      }
      bounded += k;
      const quietNew = minOf(data.established) / windowsPerPeriod;
      const busyNew = maxOf(data.established) / windowsPerPeriod;
      const busyActive = maxOf(data.active);
      // A new connection is seen at least as its SYN and its SYN-ACK: two directional records.
      const low = Math.max(k, 2 * quietNew) * perMinute;
      if (2 * quietNew > k) lowOk += 2 * quietNew * perMinute;
      else lowNodata += k * perMinute;
      // Each live connection is one 5-tuple per direction on each side of the gateway.
      const ceiling = Math.max(k, 4 * (busyActive + busyNew)) * perMinute;
      high += ceiling;
      reasoning.push(
        `${what}: at least ${fmt(low)} records/min (its quietest period opened ${fmt(quietNew)} connections per window, each seen as a SYN and a SYN-ACK record, and each interface writes at least one record per window)`,
      );
      reasoning.push(
        `${what}: about ${fmt(ceiling)} records/min at most (busiest period: ${fmt(busyActive)} active + ${fmt(busyNew)} new connections per window, × 2 directions × 2 sides of the gateway); this is a ceiling from connection counts, not a hard bound like packet counts`,
      );
      continue;
    }
    lowNodata += k * perMinute;
    unbounded += k;
    missing.push(`interface ${group.interfaces.join(', ')}${owner.description ? ` (${owner.description})` : ''} has no metric flowdump can read: counted at the floor of 1 record per window in both bounds, so the upper bound does not see its traffic`);
  }

  const low = lowNodata + lowOk;
  if (low > 0) {
    reasoning.unshift(
      `at least ${fmt(low)} record${low === 1 ? "" : "s"}/min: every interface in ${scope.description} writes at least one record (OK or NODATA) per ${windowSeconds}-second window${lowOk > 0 ? ', and new gateway connections add their SYN/SYN-ACK records' : ''}`,
    );
  }
  if (bounded > 0 || unbounded === 0) {
    reasoning.push('records of REJECTed traffic (scanners hitting a security group) are not in any packet metric and may add to the upper bound');
  }
  return {
    low,
    // interfaces without metrics still write at least their one record per window
    high: bounded > 0 ? Math.max(high + unbounded * perMinute, low) : undefined,
    lowBreakdown: { nodata: lowNodata, ok: lowOk },
    complete: unbounded === 0,
    reasoning,
    missing,
  };
}

/** A rate the user states (`--rate 2000/min`): low and high are that figure, all OK-sized. */
export function statedRecordRate(perMinute: number, source = '--rate'): RecordRateResult {
  return {
    low: perMinute,
    high: perMinute,
    lowBreakdown: { nodata: 0, ok: perMinute },
    complete: true,
    reasoning: [`${fmt(perMinute)} records/min, as stated with ${source}; all counted at the size of an OK record`],
    missing: [],
  };
}

/** The metric queries a scope needs, and how to map the answers back. */
export interface RatePlan {
  queries: MetricQuery[];
  /** query id → what it measures */
  meaning: Record<string, { kind: 'instance' | 'nat-gateway' | 'load-balancer'; id: string; role: 'in' | 'out' | 'active' | 'established' }>;
}

/** EC2 basic monitoring publishes 5-minute sums; a 5-minute period works for detailed monitoring too. */
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html
export const INSTANCE_PERIOD_SECONDS = 300;
/** NAT gateway and Network Load Balancer metrics are published every minute. */
export const GATEWAY_PERIOD_SECONDS = 60;

export function planRateQueries(scope: RateScope): RatePlan {
  const queries: MetricQuery[] = [];
  const meaning: RatePlan['meaning'] = {};
  const seen = new Set<string>();
  const add = (query: Omit<MetricQuery, 'id'>, what: RatePlan['meaning'][string]) => {
    const id = `q${queries.length}`;
    queries.push({ id, ...query });
    meaning[id] = what;
  };
  for (const eni of scope.interfaces) {
    const owner = eni.owner;
    if (owner.kind === 'instance' && !seen.has(`i:${owner.instanceId}`)) {
      seen.add(`i:${owner.instanceId}`);
      for (const [metricName, role] of [['NetworkPacketsIn', 'in'], ['NetworkPacketsOut', 'out']] as const) {
        add({ namespace: 'AWS/EC2', metricName, dimensions: { InstanceId: owner.instanceId }, stat: 'Sum', periodSeconds: INSTANCE_PERIOD_SECONDS }, { kind: 'instance', id: owner.instanceId, role });
      }
    } else if (owner.kind === 'nat-gateway' && !seen.has(`n:${owner.natGatewayId}`)) {
      seen.add(`n:${owner.natGatewayId}`);
      const dimensions = { NatGatewayId: owner.natGatewayId };
      add({ namespace: 'AWS/NATGateway', metricName: 'ActiveConnectionCount', dimensions, stat: 'Maximum', periodSeconds: GATEWAY_PERIOD_SECONDS }, { kind: 'nat-gateway', id: owner.natGatewayId, role: 'active' });
      add({ namespace: 'AWS/NATGateway', metricName: 'ConnectionEstablishedCount', dimensions, stat: 'Sum', periodSeconds: GATEWAY_PERIOD_SECONDS }, { kind: 'nat-gateway', id: owner.natGatewayId, role: 'established' });
    } else if (owner.kind === 'load-balancer' && !seen.has(`l:${owner.loadBalancer}`)) {
      seen.add(`l:${owner.loadBalancer}`);
      const dimensions = { LoadBalancer: owner.loadBalancer };
      add({ namespace: 'AWS/NetworkELB', metricName: 'ActiveFlowCount', dimensions, stat: 'Maximum', periodSeconds: GATEWAY_PERIOD_SECONDS }, { kind: 'load-balancer', id: owner.loadBalancer, role: 'active' });
      add({ namespace: 'AWS/NetworkELB', metricName: 'NewFlowCount', dimensions, stat: 'Sum', periodSeconds: GATEWAY_PERIOD_SECONDS }, { kind: 'load-balancer', id: owner.loadBalancer, role: 'established' });
    }
  }
  return { queries, meaning };
}

/** Turns the answers to a plan's queries into the inputs of estimateRecordRate. */
export function collectRateInputs(plan: RatePlan, series: readonly MetricSeries[]): Pick<RecordRateOptions, 'instances' | 'connections'> {
  const instances = new Map<string, InstancePackets>();
  const connections = new Map<string, ConnectionCounts>();
  for (const entry of series) {
    const what = plan.meaning[entry.id];
    if (!what) continue;
    const query = plan.queries.find((q) => q.id === entry.id);
    const periodSeconds = query?.periodSeconds ?? INSTANCE_PERIOD_SECONDS;
    if (what.kind === 'instance') {
      const data = instances.get(what.id) ?? { instanceId: what.id, periodSeconds, packetsIn: [], packetsOut: [] };
      if (what.role === 'in') data.packetsIn = entry.points;
      else data.packetsOut = entry.points;
      instances.set(what.id, data);
    } else {
      const key = `${what.kind}:${what.id}`;
      const data = connections.get(key) ?? { kind: what.kind, id: what.id, periodSeconds, active: [], established: [] };
      if (what.role === 'active') data.active = entry.points;
      else data.established = entry.points;
      connections.set(key, data);
    }
  }
  return { instances: [...instances.values()], connections: [...connections.values()] };
}
