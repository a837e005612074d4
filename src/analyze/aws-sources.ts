import type { LogsPort } from '../aws/logs.js';
import type { S3Port } from '../aws/s3.js';
import { UsageError } from '../errors.js';
import { durationMs } from '../duration.js';
import type { Source } from './sources.js';

/**
 * Flow-log data in AWS as analyzer sources: objects under an S3 prefix (any of the four key
 * layouts — plain or Hive-style, daily or hourly — since every object below the prefix is read:
 * https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-path.html), and the streams of a
 * CloudWatch Logs group (FilterLogEvents, every page, optionally within a time window).
 */
export type AwsSourceSpec = { type: 's3'; bucket: string; prefix: string } | { type: 'logs'; group: string };

const FLOW_LOG_OBJECT = /\.(log|log\.gz|gz|parquet|txt)$/i;

/** `s3://bucket/prefix` or `logs:/group`; undefined for anything else (a local path or a capture id). */
export function parseAwsSource(text: string): AwsSourceSpec | undefined {
  if (text.startsWith('s3://')) {
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(text);
    if (!match || !match[1]) throw new UsageError(`"${text}" is not an S3 location; write s3://bucket/prefix`, { code: 'bad-source' });
    return { type: 's3', bucket: match[1], prefix: match[2] };
  }
  if (text.startsWith('logs:')) {
    const group = text.slice(5);
    if (!group) throw new UsageError(`"${text}" names no log group; write logs:/group/name`, { code: 'bad-source' });
    return { type: 'logs', group };
  }
  return undefined;
}

export async function s3Sources(s3: S3Port, bucket: string, prefix: string): Promise<Source[]> {
  const sources: Source[] = [];
  for await (const object of s3.listObjects(bucket, prefix)) {
    if (!FLOW_LOG_OBJECT.test(object.key) || object.size === 0) continue;
    sources.push({ name: `s3://${bucket}/${object.key}`, size: object.size, bytes: () => s3.getObject(bucket, object.key) });
  }
  if (sources.length === 0) throw new UsageError(`no flow-log objects (*.log.gz, *.log.parquet) under s3://${bucket}/${prefix}; check the prefix (it should contain AWSLogs/)`, { code: 'empty-prefix' });
  return sources;
}

/**
 * The same objects as s3Sources(), listed page by page while they are read: a prefix of a month
 * of flow logs holds hundreds of thousands of objects, and the first downloads start with the
 * first page. Iterable again (each pass lists anew, for a second read such as the HTML report's).
 */
export function s3SourceStream(s3: S3Port, bucket: string, prefix: string): AsyncIterable<Source> {
  return {
    async *[Symbol.asyncIterator]() {
      let found = 0;
      for await (const object of s3.listObjects(bucket, prefix)) {
        if (!FLOW_LOG_OBJECT.test(object.key) || object.size === 0) continue;
        found++;
        yield { name: `s3://${bucket}/${object.key}`, size: object.size, bytes: () => s3.getObject(bucket, object.key) };
      }
      if (found === 0) throw new UsageError(`no flow-log objects (*.log.gz, *.log.parquet) under s3://${bucket}/${prefix}; check the prefix (it should contain AWSLogs/)`, { code: 'empty-prefix' });
    },
  };
}

export interface TimeWindow {
  startTime?: number;
  endTime?: number;
}

export async function logsSources(logs: LogsPort, group: string, window: TimeWindow): Promise<Source[]> {
  const streams = await logs.describeLogStreams(group);
  const data = streams.filter((stream) => !stream.name.startsWith('flowdump-'));
  if (data.length === 0) {
    const exists = (await logs.describeLogGroups(group)).some((info) => info.name === group);
    throw new UsageError(exists ? `log group ${group} has no log streams yet (no data delivered)` : `no log group ${group} in this region; check the name and --region`, { code: 'empty-group' });
  }
  return data.map((stream) => ({
    name: `logs:${group}/${stream.name}`,
    lines: async function* () {
      for await (const event of logs.filterLogEvents({ group, streams: [stream.name], ...window })) yield event.message;
    },
    bytes: () => {
      throw new Error('a CloudWatch Logs source yields lines');
    },
  }));
}

/** `--since 2h` (ago) or an ISO date → ms since epoch. */
export function parseTimeFlag(text: string | undefined, flag: string, now: Date): number | undefined {
  if (text === undefined) return undefined;
  const ago = durationMs(text, true);
  if (ago !== undefined) return now.getTime() - ago;
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new UsageError(`${flag} "${text}" is neither a time (2026-05-01T12:00:00Z) nor a duration ago (90m, 2h, 1d)`, { code: 'bad-time' });
  return time;
}
