import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { callAws, type AwsScope } from './errors.js';

/**
 * The one CloudWatch call flowdump makes: GetMetricData, for the cost estimate (EC2 packet
 * counts, NAT gateway and load balancer connection counts) and the live cost guard
 * (AWS/Logs IncomingBytes). Returns plain arrays; the domain never sees the SDK.
 * The client factory (src/aws/clients.ts) builds one per run; errors go through the shared
 * mapping (src/aws/errors.ts). Needed permission: cloudwatch:GetMetricData.
 */

export interface MetricQuery {
  /** unique in one request; CloudWatch wants ^[a-z][a-zA-Z0-9_]*$ */
  id: string;
  namespace: string;
  metricName: string;
  dimensions: Readonly<Record<string, string>>;
  stat: 'Sum' | 'Maximum' | 'Average' | 'Minimum' | 'SampleCount';
  periodSeconds: number;
}

export interface MetricDatapoint {
  at: Date;
  value: number;
}

export interface MetricSeries {
  id: string;
  label?: string;
  /** ascending by time */
  points: MetricDatapoint[];
  /** false when CloudWatch reported InternalError or Forbidden for this query */
  complete: boolean;
  /** CloudWatch's status and messages for this query, for statements about missing data */
  status?: string;
  messages?: string[];
}

export interface MetricTimeRange {
  start: Date;
  end: Date;
}

export interface MetricsPort {
  getMetricData(queries: readonly MetricQuery[], range: MetricTimeRange): Promise<MetricSeries[]>;
}

/** What to do without metrics, for the access-denied message. */
const OFFLINE = 'estimate without metrics: flowdump estimate --rate <records>/min --for <duration>';

/** GetMetricData takes at most 500 queries per request. */
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
const MAX_QUERIES_PER_REQUEST = 500;

export class CloudWatchMetrics implements MetricsPort {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly scope: AwsScope,
  ) {}

  async getMetricData(queries: readonly MetricQuery[], range: MetricTimeRange): Promise<MetricSeries[]> {
    const byId = new Map<string, MetricSeries>();
    for (const query of queries) byId.set(query.id, { id: query.id, points: [], complete: true });
    for (let offset = 0; offset < queries.length; offset += MAX_QUERIES_PER_REQUEST) {
      const chunk = queries.slice(offset, offset + MAX_QUERIES_PER_REQUEST);
      let nextToken: string | undefined;
      do {
        const token = nextToken;
        const page = await callAws(this.scope, { action: 'cloudwatch:GetMetricData', alternative: OFFLINE }, () =>
          this.client.send(
            new GetMetricDataCommand({
              MetricDataQueries: chunk.map(toSdkQuery),
              StartTime: range.start,
              EndTime: range.end,
              ScanBy: 'TimestampAscending',
              NextToken: token,
            }),
          ),
        );
        for (const result of page.MetricDataResults ?? []) {
          const series = result.Id ? byId.get(result.Id) : undefined;
          if (!series) continue;
          if (result.Label) series.label = result.Label;
          const timestamps = result.Timestamps ?? [];
          const values = result.Values ?? [];
          for (let i = 0; i < Math.min(timestamps.length, values.length); i++) series.points.push({ at: new Date(timestamps[i]), value: values[i] });
          // PartialData only means "more pages follow"; these two mean the data is not there.
          if (result.StatusCode === 'InternalError' || result.StatusCode === 'Forbidden') series.complete = false;
          if (result.StatusCode && result.StatusCode !== 'PartialData') series.status = result.StatusCode;
          const messages = (result.Messages ?? []).map((m) => `${m.Code ?? ''}${m.Value ? `: ${m.Value}` : ''}`).filter((m) => m.length > 0);
          if (messages.length > 0) series.messages = [...(series.messages ?? []), ...messages];
        }
        nextToken = page.NextToken;
      } while (nextToken);
    }
    const out = [...byId.values()];
    for (const series of out) series.points.sort((a, b) => a.at.getTime() - b.at.getTime());
    return out;
  }
}

function toSdkQuery(query: MetricQuery): MetricDataQuery {
  return {
    Id: query.id,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: query.namespace,
        MetricName: query.metricName,
        Dimensions: Object.entries(query.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Period: query.periodSeconds,
      Stat: query.stat,
    },
  };
}
