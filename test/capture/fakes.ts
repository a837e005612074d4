/**
 * Hand-written, in-memory fakes of the AWS ports, with an operation log so
 * tests can assert on order ("the summary was written before the first delete").
 */
import { gzipSync } from 'node:zlib';
import type { CreateFlowLogsRequest, Ec2Port, EniInfo, FlowLogInfo, InstanceInfo, SubnetInfo, Tags, VpcInfo } from '../../src/aws/ec2.js';
import type { LogEvent, LogsPort } from '../../src/aws/logs.js';
import type { ObjectInfo, S3Port } from '../../src/aws/s3.js';
import { FlowdumpError } from '../../src/errors.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { CaptureDeps, CaptureEvent } from '../../src/capture/lifecycle.js';
import { loadPriceTable } from '../../src/cost/pricing.js';

export class FakeAws {
  readonly log: string[] = [];
  instances: InstanceInfo[] = [];
  enis: EniInfo[] = [];
  subnets: SubnetInfo[] = [];
  vpcs: VpcInfo[] = [];
  flowLogs = new Map<string, FlowLogInfo>();
  objects = new Map<string, { body: Buffer; modified: Date }>();
  buckets = new Set<string>();
  groups = new Map<string, { tags: Tags; streams: Map<string, { created: number; events: LogEvent[] }> }>();
  private seq = 0;
  /** make the next CreateFlowLogs answer with these per-resource failures */
  failResources = new Map<string, { code: string; message: string }>();
  /** resources CreateFlowLogs makes a flow log for and then throws (a half-success) */
  throwAfterCreate = false;
  /** S3 writes whose key matches fail */
  failPut?: RegExp;
  /** DeleteFlowLogs leaves these in place (to test unverified teardown) */
  undeletable = new Set<string>();

  ec2: Ec2Port = {
    describeInstances: async (filter) =>
      this.instances.filter((i) => (!filter.ids || filter.ids.includes(i.id)) && (!filter.nameTag || (i.name !== undefined && filter.nameTag.includes(i.name)))),
    describeNetworkInterfaces: async (filter) =>
      this.enis.filter(
        (e) =>
          (!filter.ids || filter.ids.includes(e.id)) &&
          (!filter.instanceIds || (e.instanceId && filter.instanceIds.includes(e.instanceId))) &&
          (!filter.subnetIds || (e.subnetId && filter.subnetIds.includes(e.subnetId))) &&
          (!filter.vpcIds || (e.vpcId && filter.vpcIds.includes(e.vpcId))) &&
          (!filter.privateIps || e.privateIps.some((ip) => filter.privateIps!.includes(ip))),
      ),
    describeSubnets: async (filter) => this.subnets.filter((s) => !filter.ids || filter.ids.includes(s.id)),
    describeVpcs: async (filter) => this.vpcs.filter((v) => !filter.ids || filter.ids.includes(v.id)),
    createFlowLogs: async (request) => {
      this.log.push(`ec2:CreateFlowLogs ${request.resourceIds.join(',')}`);
      const ids: string[] = [];
      const unsuccessful = [];
      for (const resourceId of request.resourceIds) {
        const failure = this.failResources.get(resourceId);
        if (failure) {
          unsuccessful.push({ resourceId, ...failure });
          continue;
        }
        const dup = [...this.flowLogs.values()].find((f) => f.resourceId === resourceId && f.destination === destinationOf(request));
        if (dup) throw new FlowdumpError('aws-FlowLogAlreadyExists', 'ec2:CreateFlowLogs failed: FlowLogAlreadyExists', { exitCode: 3 });
        const id = `fl-${(++this.seq).toString(16).padStart(8, '0')}`;
        this.flowLogs.set(id, {
          id,
          resourceId,
          destinationType: request.destination.type,
          destination: destinationOf(request),
          logGroupName: request.destination.type === 'cloud-watch-logs' ? request.destination.logGroupName : undefined,
          logFormat: request.logFormat,
          trafficType: request.trafficType,
          maxAggregationInterval: request.maxAggregationInterval,
          createdAt: new Date(0),
          tags: { ...request.tags },
        });
        ids.push(id);
      }
      if (this.throwAfterCreate) {
        this.throwAfterCreate = false;
        throw new FlowdumpError('aws-InternalError', 'ec2:CreateFlowLogs failed: InternalError', { exitCode: 3 });
      }
      return { flowLogIds: ids, unsuccessful };
    },
    dryRunCreateFlowLogs: async () => undefined,
    describeFlowLogs: async (filter) =>
      [...this.flowLogs.values()].filter(
        (f) => (!filter.ids || filter.ids.includes(f.id)) && (!filter.tagKey || f.tags[filter.tagKey] !== undefined) && (!filter.resourceIds || filter.resourceIds.includes(f.resourceId)),
      ),
    deleteFlowLogs: async (ids) => {
      this.log.push(`ec2:DeleteFlowLogs ${ids.join(',')}`);
      const unsuccessful = [];
      for (const id of ids) {
        if (this.undeletable.has(id)) unsuccessful.push({ resourceId: id, code: 'Client.UnauthorizedOperation', message: 'denied' });
        else if (!this.flowLogs.delete(id)) unsuccessful.push({ resourceId: id, code: 'InvalidFlowLogId.NotFound', message: 'gone' });
      }
      return { unsuccessful };
    },
  };

  s3: S3Port = {
    bucketStatus: async (bucket) => (this.buckets.has(bucket) ? 'mine' : 'missing'),
    createBucket: async (bucket) => void this.buckets.add(bucket),
    getPublicAccessBlock: async () => undefined,
    putPublicAccessBlock: async () => undefined,
    getDefaultEncryption: async () => undefined,
    putDefaultEncryptionS3: async () => undefined,
    getBucketPolicy: async () => undefined,
    putBucketPolicy: async () => undefined,
    getLifecycleConfiguration: async () => ({ rules: [] }),
    putLifecycleConfiguration: async () => undefined,
    listObjects: (bucket, prefix) => {
      const objects = this.objects;
      return {
        async *[Symbol.asyncIterator]() {
          for (const [path, object] of [...objects.entries()].sort()) {
            const [b, key] = splitPath(path);
            if (b === bucket && key.startsWith(prefix)) yield { key, size: object.body.length, lastModified: object.modified } as ObjectInfo;
          }
        },
      };
    },
    listFolders: async (bucket, prefix) => {
      const out = new Set<string>();
      for (const path of this.objects.keys()) {
        const [b, key] = splitPath(path);
        if (b !== bucket || !key.startsWith(prefix)) continue;
        const rest = key.slice(prefix.length);
        if (rest.includes('/')) out.add(prefix + rest.slice(0, rest.indexOf('/') + 1));
      }
      return [...out].sort();
    },
    getObject: (bucket, key) => {
      const object = this.objects.get(`${bucket}/${key}`);
      return {
        async *[Symbol.asyncIterator]() {
          if (!object) throw new FlowdumpError('aws-NoSuchKey', `s3:GetObject failed: NoSuchKey ${key}`, { exitCode: 3 });
          yield object.body;
        },
      };
    },
    getObjectTail: async (bucket, key, bytes) => {
      const object = this.objects.get(`${bucket}/${key}`);
      if (!object) return undefined;
      this.log.push(`s3:GetObject(tail) ${key}`);
      return new Uint8Array(object.body.subarray(Math.max(0, object.body.length - bytes)));
    },
    getObjectText: async (bucket, key) => this.objects.get(`${bucket}/${key}`)?.body.toString('utf8'),
    putObject: async (bucket, key, body, _type, options) => {
      if (this.failPut?.test(key)) throw new FlowdumpError('aws-InternalError', `s3:PutObject failed on ${key}`, { exitCode: 3 });
      if (options?.ifNoneMatch && this.objects.has(`${bucket}/${key}`)) return 'exists';
      this.log.push(`s3:PutObject ${key}`);
      this.objects.set(`${bucket}/${key}`, { body: Buffer.from(body), modified: new Date() });
      return 'written';
    },
    deleteObjects: async (bucket, keys) => {
      for (const key of keys) {
        this.log.push(`s3:DeleteObject ${key}`);
        this.objects.delete(`${bucket}/${key}`);
      }
      return [];
    },
    listObjectsAfter: (bucket, prefix, startAfter) => {
      const objects = this.objects;
      const log = this.log;
      return {
        async *[Symbol.asyncIterator]() {
          log.push(`s3:ListObjectsV2 ${prefix} after ${startAfter ?? '-'}`);
          for (const [path, object] of [...objects.entries()].sort()) {
            const [b, key] = splitPath(path);
            if (b === bucket && key.startsWith(prefix) && (startAfter === undefined || key > startAfter)) yield { key, size: object.body.length, lastModified: object.modified } as ObjectInfo;
          }
        },
      };
    },
  };

  logs: LogsPort = {
    createLogGroup: async (name, tags) => {
      if (this.groups.has(name)) return 'exists';
      this.log.push(`logs:CreateLogGroup ${name}`);
      this.groups.set(name, { tags: { ...tags }, streams: new Map() });
      return 'created';
    },
    putRetentionPolicy: async () => undefined,
    describeLogGroups: async (prefix) =>
      [...this.groups.entries()].filter(([name]) => name.startsWith(prefix)).map(([name]) => ({ name, arn: `arn:aws:logs:r:1:log-group:${name}`, storedBytes: 0 })),
    listTags: async (arn) => this.groups.get(arn.replace(/^.*:log-group:/, ''))?.tags,
    deleteLogGroup: async (name) => {
      this.log.push(`logs:DeleteLogGroup ${name}`);
      return this.groups.delete(name) ? 'deleted' : 'missing';
    },
    describeLogStreams: async (group) =>
      [...(this.groups.get(group)?.streams.entries() ?? [])].map(([name, s]) => ({ name, createdAt: s.created, lastEventTimestamp: s.events.length ? Math.max(...s.events.map((e) => e.timestamp)) : undefined })),
    createLogStream: async (group, stream) => {
      const g = this.groups.get(group);
      if (!g) throw new FlowdumpError('aws-ResourceNotFoundException', `no group ${group}`, { exitCode: 3 });
      if (g.streams.has(stream)) return 'exists';
      g.streams.set(stream, { created: this.wall, events: [] });
      return 'created';
    },
    deleteLogStream: async (group, stream) => {
      this.log.push(`logs:DeleteLogStream ${group}/${stream}`);
      return this.groups.get(group)?.streams.delete(stream) ? 'deleted' : 'missing';
    },
    putLogEvents: async (group, stream, events) => {
      this.log.push(`logs:PutLogEvents ${group}/${stream}`);
      this.groups.get(group)!.streams.get(stream)!.events.push(...events.map((e) => ({ ...e, stream })));
    },
    filterLogEvents: (options) => {
      const groups = this.groups;
      return {
        async *[Symbol.asyncIterator]() {
          const g = groups.get(options.group);
          for (const [name, s] of g?.streams ?? []) {
            if (options.streams && !options.streams.includes(name)) continue;
            for (const e of s.events) if ((options.startTime ?? -Infinity) <= e.timestamp && e.timestamp <= (options.endTime ?? Infinity)) yield e;
          }
        },
      };
    },
  };

  wall = Date.parse('2026-05-01T12:00:00Z');

  /** an instance with `count` interfaces in one subnet */
  addInstance(id: string, name: string | undefined, count = 1, vpc = 'vpc-0aaaaaaaaaaaaaaa1', subnet = 'subnet-0aaaaaaaaaaaaaaa1'): InstanceInfo {
    if (!this.vpcs.some((v) => v.id === vpc)) this.vpcs.push({ id: vpc, isDefault: false, name: 'prod' });
    if (!this.subnets.some((s) => s.id === subnet)) this.subnets.push({ id: subnet, vpcId: vpc, name: 'app-a' });
    const eniIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const eni = `eni-0${id.slice(3, 8)}${String(i).padStart(11, '0')}`;
      eniIds.push(eni);
      this.enis.push({ id: eni, instanceId: id, deviceIndex: i, subnetId: subnet, vpcId: vpc, privateIps: [`10.0.1.${10 + this.enis.length}`] });
    }
    const instance = { id, name, state: 'running', vpcId: vpc, subnetId: subnet, eniIds };
    this.instances.push(instance);
    return instance;
  }

  putDataFile(bucket: string, key: string, text: string): void {
    this.objects.set(`${bucket}/${key}`, { body: gzipSync(text), modified: new Date() });
  }

  keys(bucket: string, prefix = ''): string[] {
    return [...this.objects.keys()].filter((path) => path.startsWith(`${bucket}/${prefix}`)).map((path) => path.slice(bucket.length + 1)).sort();
  }
}

function splitPath(path: string): [string, string] {
  const slash = path.indexOf('/');
  return [path.slice(0, slash), path.slice(slash + 1)];
}

function destinationOf(request: CreateFlowLogsRequest): string {
  return request.destination.type === 's3' ? request.destination.arn : `arn:aws:logs:r:1:log-group:${request.destination.logGroupName}`;
}

export function fakeDeps(aws: FakeAws, clock: FakeClock, overrides: Partial<CaptureDeps> = {}): CaptureDeps & { events: CaptureEvent[] } {
  const events: CaptureEvent[] = [];
  return {
    ec2: aws.ec2,
    s3: aws.s3,
    logs: aws.logs,
    // the account and setup bucket every capture test uses
    places: { account: '111122223333', defaultBucket: 'flowdump-111122223333-eu-west-1', recorded: [] },
    clock,
    reporter: { event: (event) => events.push(event) },
    prices: loadPriceTable(),
    renderText: (summary) => `VERDICT ${summary.headline}\n`,
    owner: 'test-host:1',
    wallTime: () => aws.wall,
    events,
    ...overrides,
  };
}
