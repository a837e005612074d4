import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandOutput, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { AwsAccessError, FlowdumpError } from '../errors.js';

/**
 * The one CloudWatch call flowdump makes: GetMetricData, for the cost estimate (EC2 packet
 * counts, NAT gateway and load balancer connection counts) and the live cost guard
 * (AWS/Logs IncomingBytes). Returns plain arrays; the domain never sees the SDK.
 *
 * Wiring (after the capture branch merges): the client factory (src/aws/clients.ts) builds
 * `new CloudWatchMetrics(cloudWatchClient)` once per region, and src/cli/main.ts passes it,
 * with the capture code's target resolution, as `deps.metrics` / `deps.resolveTarget` of
 * estimateCommand. Needed permission: cloudwatch:GetMetricData.
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

/** GetMetricData takes at most 500 queries per request. */
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
const MAX_QUERIES_PER_REQUEST = 500;

export class CloudWatchMetrics implements MetricsPort {
  constructor(private readonly client: CloudWatchClient) {}

  async getMetricData(queries: readonly MetricQuery[], range: MetricTimeRange): Promise<MetricSeries[]> {
    const byId = new Map<string, MetricSeries>();
    for (const query of queries) byId.set(query.id, { id: query.id, points: [], complete: true });
    for (let offset = 0; offset < queries.length; offset += MAX_QUERIES_PER_REQUEST) {
      const chunk = queries.slice(offset, offset + MAX_QUERIES_PER_REQUEST);
      let nextToken: string | undefined;
      do {
        let page: GetMetricDataCommandOutput;
        try {
          page = await this.client.send(
            new GetMetricDataCommand({
              MetricDataQueries: chunk.map(toSdkQuery),
              StartTime: range.start,
              EndTime: range.end,
              ScanBy: 'TimestampAscending',
              NextToken: nextToken,
            }),
          );
        } catch (error) {
          throw await describeMetricsError(error, this.client);
        }
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

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'LimitExceeded', 'LimitExceededException']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess']);
const CREDENTIALS = new Set(['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidSignatureException', 'SignatureDoesNotMatch']);

/**
 * One sentence per failure: what, where, how to fix.
 * TODO(capture merge): move onto the shared mapping in src/aws/errors.ts once it lands.
 */
async function describeMetricsError(error: unknown, client: CloudWatchClient): Promise<FlowdumpError> {
  const name = (error as { name?: string })?.name ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  const message = (error as Error)?.message ?? String(error);
  let region = 'the configured region';
  try {
    region = await client.config.region();
  } catch {
    /* keep the generic wording */
  }
  if (DENIED.has(name) || status === 403) {
    return new AwsAccessError(
      'aws-access-denied',
      `not allowed to read CloudWatch metrics in ${region} (cloudwatch:GetMetricData was denied); grant that permission, or estimate without AWS: flowdump estimate --rate <records>/min --for <duration>`,
      { cause: error },
    );
  }
  if (THROTTLING.has(name) || status === 429) {
    return new AwsAccessError('aws-throttled', `CloudWatch GetMetricData in ${region} was throttled even after retries; wait a minute and run the command again`, { cause: error });
  }
  if (CREDENTIALS.has(name)) {
    return new AwsAccessError('aws-credentials', `no valid AWS credentials to read CloudWatch metrics in ${region} (${message}); check --profile, or log in again`, { cause: error });
  }
  return new AwsAccessError('aws-metrics-failed', `CloudWatch GetMetricData failed in ${region}: ${message}; run again with --debug for the request id`, { cause: error });
}
