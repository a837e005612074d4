import {
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  ListTagsForResourceCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  paginateDescribeLogGroups,
  paginateDescribeLogStreams,
  paginateFilterLogEvents,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import { awsErrorCode, callAws, type AwsScope } from './errors.js';
import type { Tags } from './ec2.js';

export interface LogGroupInfo {
  name: string;
  /** ARN without the trailing `:*` (what tagging calls take) */
  arn: string;
  storedBytes: number;
  createdAt?: Date;
  retentionDays?: number;
}

export interface LogStreamInfo {
  name: string;
  createdAt?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
}

export interface LogEvent {
  stream: string;
  /** ms since epoch; for flow logs this is the record's `start` */
  timestamp: number;
  ingestionTime?: number;
  message: string;
  /** the event's id (FilterLogEvents' eventId): the same event read twice has the same id */
  id?: string;
}

/** The CloudWatch Logs calls flowdump makes, and nothing else (a port: docs/architecture.md). */
export interface LogsPort {
  createLogGroup(name: string, tags: Tags): Promise<'created' | 'exists'>;
  putRetentionPolicy(name: string, days: number): Promise<void>;
  describeLogGroups(prefix: string): Promise<LogGroupInfo[]>;
  /** undefined when the group does not exist */
  listTags(arn: string): Promise<Tags | undefined>;
  deleteLogGroup(name: string): Promise<'deleted' | 'missing'>;
  describeLogStreams(group: string): Promise<LogStreamInfo[]>;
  createLogStream(group: string, stream: string): Promise<'created' | 'exists'>;
  deleteLogStream(group: string, stream: string): Promise<'deleted' | 'missing'>;
  putLogEvents(group: string, stream: string, events: { timestamp: number; message: string }[]): Promise<void>;
  /** FilterLogEvents, every page; `streams` narrows to those streams */
  filterLogEvents(options: { group: string; streams?: string[]; startTime?: number; endTime?: number }): AsyncIterable<LogEvent>;
}

const isMissing = (error: unknown) => awsErrorCode(error) === 'ResourceNotFoundException';
const isExisting = (error: unknown) => awsErrorCode(error) === 'ResourceAlreadyExistsException';

export function createLogsPort(client: CloudWatchLogsClient, scope: AwsScope): LogsPort {
  return {
    async createLogGroup(name, tags) {
      return callAws(scope, { action: 'logs:CreateLogGroup', resource: name }, async () => {
        try {
          await client.send(new CreateLogGroupCommand({ logGroupName: name, tags }));
          return 'created' as const;
        } catch (error) {
          if (isExisting(error)) return 'exists' as const;
          throw error;
        }
      });
    },
    async putRetentionPolicy(name, days) {
      await callAws(scope, { action: 'logs:PutRetentionPolicy', resource: name }, async () => {
        await client.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: days }));
      });
    },
    async describeLogGroups(prefix) {
      return callAws(scope, { action: 'logs:DescribeLogGroups', resource: `${prefix}*` }, async () => {
        const out: LogGroupInfo[] = [];
        for await (const page of paginateDescribeLogGroups({ client }, { logGroupNamePrefix: prefix })) {
          for (const group of page.logGroups ?? []) {
            if (!group.logGroupName) continue;
            out.push({
              name: group.logGroupName,
              arn: group.logGroupArn ?? (group.arn ?? '').replace(/:\*$/, ''),
              storedBytes: group.storedBytes ?? 0,
              createdAt: group.creationTime !== undefined ? new Date(group.creationTime) : undefined,
              retentionDays: group.retentionInDays,
            });
          }
        }
        return out;
      });
    },
    async listTags(arn) {
      return callAws(scope, { action: 'logs:ListTagsForResource', resource: arn }, async () => {
        try {
          return (await client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {};
        } catch (error) {
          if (isMissing(error)) return undefined;
          throw error;
        }
      });
    },
    async deleteLogGroup(name) {
      return callAws(scope, { action: 'logs:DeleteLogGroup', resource: name }, async () => {
        try {
          await client.send(new DeleteLogGroupCommand({ logGroupName: name }));
          return 'deleted' as const;
        } catch (error) {
          if (isMissing(error)) return 'missing' as const;
          throw error;
        }
      });
    },
    async describeLogStreams(group) {
      return callAws(scope, { action: 'logs:DescribeLogStreams', resource: group }, async () => {
        const out: LogStreamInfo[] = [];
        try {
          for await (const page of paginateDescribeLogStreams({ client }, { logGroupName: group })) {
            for (const stream of page.logStreams ?? []) {
              if (stream.logStreamName) out.push({ name: stream.logStreamName, createdAt: stream.creationTime, lastEventTimestamp: stream.lastEventTimestamp, lastIngestionTime: stream.lastIngestionTime });
            }
          }
        } catch (error) {
          if (isMissing(error)) return [];
          throw error;
        }
        return out;
      });
    },
    async createLogStream(group, stream) {
      return callAws(scope, { action: 'logs:CreateLogStream', resource: `${group}/${stream}` }, async () => {
        try {
          await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
          return 'created' as const;
        } catch (error) {
          if (isExisting(error)) return 'exists' as const;
          throw error;
        }
      });
    },
    async deleteLogStream(group, stream) {
      return callAws(scope, { action: 'logs:DeleteLogStream', resource: `${group}/${stream}` }, async () => {
        try {
          await client.send(new DeleteLogStreamCommand({ logGroupName: group, logStreamName: stream }));
          return 'deleted' as const;
        } catch (error) {
          if (isMissing(error)) return 'missing' as const;
          throw error;
        }
      });
    },
    async putLogEvents(group, stream, events) {
      if (events.length === 0) return;
      await callAws(scope, { action: 'logs:PutLogEvents', resource: `${group}/${stream}` }, async () => {
        await client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }));
      });
    },
    filterLogEvents(options) {
      return {
        async *[Symbol.asyncIterator]() {
          const pages = paginateFilterLogEvents(
            { client },
            { logGroupName: options.group, logStreamNames: options.streams, startTime: options.startTime, endTime: options.endTime },
          );
          const iterator = pages[Symbol.asyncIterator]();
          for (;;) {
            const next = await callAws(scope, { action: 'logs:FilterLogEvents', resource: options.group }, async () => {
              try {
                return await iterator.next();
              } catch (error) {
                if (isMissing(error)) return { done: true as const, value: undefined };
                throw error;
              }
            });
            if (next.done) return;
            for (const event of next.value.events ?? []) {
              yield { stream: event.logStreamName ?? '', timestamp: event.timestamp ?? 0, ingestionTime: event.ingestionTime, message: event.message ?? '', ...(event.eventId ? { id: event.eventId } : {}) };
            }
          }
        },
      };
    },
  };
}
