import {
  CreateFlowLogsCommand,
  DeleteFlowLogsCommand,
  paginateDescribeFlowLogs,
  paginateDescribeInstances,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSubnets,
  paginateDescribeVpcs,
  type EC2Client,
  type Filter,
  type Tag,
} from '@aws-sdk/client-ec2';
import { awsErrorCode, callAws, type AwsScope } from './errors.js';

/** Tags as a plain record. */
export type Tags = Record<string, string>;

export interface InstanceInfo {
  id: string;
  name?: string;
  state?: string;
  vpcId?: string;
  subnetId?: string;
  privateIp?: string;
  /** attached network interfaces, primary (device index 0) first */
  eniIds: string[];
}

export interface EniInfo {
  id: string;
  name?: string;
  description?: string;
  subnetId?: string;
  vpcId?: string;
  instanceId?: string;
  deviceIndex?: number;
  privateIps: string[];
  status?: string;
  interfaceType?: string;
}

export interface SubnetInfo {
  id: string;
  name?: string;
  vpcId?: string;
  cidr?: string;
  availabilityZone?: string;
}

export interface VpcInfo {
  id: string;
  name?: string;
  cidr?: string;
  isDefault: boolean;
}

export type FlowLogResourceType = 'NetworkInterface' | 'Subnet' | 'VPC';

export interface CreateFlowLogsRequest {
  resourceType: FlowLogResourceType;
  resourceIds: string[];
  trafficType: 'ALL' | 'ACCEPT' | 'REJECT';
  destination: { type: 's3'; arn: string; fileFormat: 'plain-text' | 'parquet' } | { type: 'cloud-watch-logs'; logGroupName: string; roleArn: string };
  logFormat: string;
  maxAggregationInterval: 60 | 600;
  tags: Tags;
  clientToken: string;
}

export interface UnsuccessfulItem {
  resourceId: string;
  code: string;
  message: string;
}

export interface CreateFlowLogsResult {
  flowLogIds: string[];
  unsuccessful: UnsuccessfulItem[];
}

export interface FlowLogInfo {
  id: string;
  resourceId: string;
  destinationType: string;
  /** S3 ARN or log-group ARN */
  destination?: string;
  logGroupName?: string;
  logFormat?: string;
  trafficType?: string;
  status?: string;
  deliverLogsStatus?: string;
  deliverLogsError?: string;
  createdAt?: Date;
  maxAggregationInterval?: number;
  tags: Tags;
}

export interface DescribeFlowLogsFilter {
  ids?: string[];
  /** only flow logs carrying this tag key (filtered again on our side: see describeFlowLogs) */
  tagKey?: string;
  resourceIds?: string[];
}

/** The EC2 calls flowdump makes, and nothing else (a port: docs/architecture.md). */
export interface Ec2Port {
  describeInstances(filter: { ids?: string[]; nameTag?: string[] }): Promise<InstanceInfo[]>;
  describeNetworkInterfaces(filter: { ids?: string[]; instanceIds?: string[]; subnetIds?: string[]; vpcIds?: string[]; privateIps?: string[] }): Promise<EniInfo[]>;
  describeSubnets(filter: { ids?: string[]; vpcIds?: string[] }): Promise<SubnetInfo[]>;
  describeVpcs(filter: { ids?: string[] }): Promise<VpcInfo[]>;
  createFlowLogs(request: CreateFlowLogsRequest): Promise<CreateFlowLogsResult>;
  /** EC2's DryRun: resolves when the call would have succeeded, throws the mapped error otherwise */
  dryRunCreateFlowLogs(request: CreateFlowLogsRequest): Promise<void>;
  describeFlowLogs(filter: DescribeFlowLogsFilter): Promise<FlowLogInfo[]>;
  /** ids AWS could not delete come back in `unsuccessful`; an id that no longer exists has code `InvalidFlowLogId.NotFound` */
  deleteFlowLogs(ids: string[]): Promise<{ unsuccessful: UnsuccessfulItem[] }>;
}

export function tagsOf(list: Tag[] | undefined): Tags {
  const tags: Tags = {};
  for (const tag of list ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  return tags;
}

function filters(entries: [string, string[] | undefined][]): Filter[] | undefined {
  const list = entries.filter(([, values]) => values && values.length > 0).map(([Name, Values]) => ({ Name, Values }));
  return list.length > 0 ? list : undefined;
}

function notFound(error: unknown): boolean {
  return /\.NotFound$/.test(awsErrorCode(error) ?? '');
}

export function createEc2Port(client: EC2Client, scope: AwsScope): Ec2Port {
  return {
    async describeInstances(filter) {
      return callAws(scope, { action: 'ec2:DescribeInstances', resource: filter.ids?.join(', ') }, async () => {
        const out: InstanceInfo[] = [];
        try {
          const pages = paginateDescribeInstances(
            { client },
            { InstanceIds: filter.ids, Filters: filters([['tag:Name', filter.nameTag]]) },
          );
          for await (const page of pages) {
            for (const reservation of page.Reservations ?? []) {
              for (const instance of reservation.Instances ?? []) {
                const tags = tagsOf(instance.Tags);
                const enis = [...(instance.NetworkInterfaces ?? [])].sort((a, b) => (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0));
                out.push({
                  id: instance.InstanceId ?? '',
                  name: tags.Name,
                  state: instance.State?.Name,
                  vpcId: instance.VpcId,
                  subnetId: instance.SubnetId,
                  privateIp: instance.PrivateIpAddress,
                  eniIds: enis.map((eni) => eni.NetworkInterfaceId ?? '').filter(Boolean),
                });
              }
            }
          }
        } catch (error) {
          if (filter.ids && notFound(error)) return [];
          throw error;
        }
        return out;
      });
    },

    async describeNetworkInterfaces(filter) {
      return callAws(scope, { action: 'ec2:DescribeNetworkInterfaces', resource: filter.ids?.join(', ') }, async () => {
        const out: EniInfo[] = [];
        try {
          const pages = paginateDescribeNetworkInterfaces(
            { client },
            {
              NetworkInterfaceIds: filter.ids,
              Filters: filters([
                ['attachment.instance-id', filter.instanceIds],
                ['subnet-id', filter.subnetIds],
                ['vpc-id', filter.vpcIds],
                ['addresses.private-ip-address', filter.privateIps],
              ]),
            },
          );
          for await (const page of pages) {
            for (const eni of page.NetworkInterfaces ?? []) {
              out.push({
                id: eni.NetworkInterfaceId ?? '',
                name: tagsOf(eni.TagSet).Name,
                description: eni.Description || undefined,
                subnetId: eni.SubnetId,
                vpcId: eni.VpcId,
                instanceId: eni.Attachment?.InstanceId,
                deviceIndex: eni.Attachment?.DeviceIndex,
                privateIps: (eni.PrivateIpAddresses ?? []).map((address) => address.PrivateIpAddress ?? '').filter(Boolean),
                status: eni.Status,
                interfaceType: eni.InterfaceType,
              });
            }
          }
        } catch (error) {
          if (filter.ids && notFound(error)) return [];
          throw error;
        }
        return out;
      });
    },

    async describeSubnets(filter) {
      return callAws(scope, { action: 'ec2:DescribeSubnets', resource: filter.ids?.join(', ') }, async () => {
        const out: SubnetInfo[] = [];
        try {
          for await (const page of paginateDescribeSubnets({ client }, { SubnetIds: filter.ids, Filters: filters([['vpc-id', filter.vpcIds]]) })) {
            for (const subnet of page.Subnets ?? []) {
              out.push({ id: subnet.SubnetId ?? '', name: tagsOf(subnet.Tags).Name, vpcId: subnet.VpcId, cidr: subnet.CidrBlock, availabilityZone: subnet.AvailabilityZone });
            }
          }
        } catch (error) {
          if (filter.ids && notFound(error)) return [];
          throw error;
        }
        return out;
      });
    },

    async describeVpcs(filter) {
      return callAws(scope, { action: 'ec2:DescribeVpcs', resource: filter.ids?.join(', ') }, async () => {
        const out: VpcInfo[] = [];
        try {
          for await (const page of paginateDescribeVpcs({ client }, { VpcIds: filter.ids })) {
            for (const vpc of page.Vpcs ?? []) out.push({ id: vpc.VpcId ?? '', name: tagsOf(vpc.Tags).Name, cidr: vpc.CidrBlock, isDefault: vpc.IsDefault === true });
          }
        } catch (error) {
          if (filter.ids && notFound(error)) return [];
          throw error;
        }
        return out;
      });
    },

    async createFlowLogs(request) {
      return callAws(scope, { action: 'ec2:CreateFlowLogs', resource: request.resourceIds.join(', ') }, async () => {
        const response = await client.send(new CreateFlowLogsCommand(createInput(request, false)));
        return {
          flowLogIds: response.FlowLogIds ?? [],
          // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html: per-resource failures
          // come back in Unsuccessful with HTTP 200, not as an exception
          unsuccessful: (response.Unsuccessful ?? []).map((item) => ({
            resourceId: item.ResourceId ?? '?',
            code: item.Error?.Code ?? 'Unknown',
            message: item.Error?.Message ?? '',
          })),
        };
      });
    },

    async dryRunCreateFlowLogs(request) {
      await callAws(scope, { action: 'ec2:CreateFlowLogs', resource: request.resourceIds.join(', ') }, async () => {
        try {
          await client.send(new CreateFlowLogsCommand(createInput(request, true)));
        } catch (error) {
          // DryRun answers "would have succeeded" with the DryRunOperation error
          if (awsErrorCode(error) === 'DryRunOperation') return;
          throw error;
        }
      });
    },

    async describeFlowLogs(filter) {
      return callAws(scope, { action: 'ec2:DescribeFlowLogs' }, async () => {
        const out: FlowLogInfo[] = [];
        try {
          const pages = paginateDescribeFlowLogs(
            { client },
            { FlowLogIds: filter.ids, Filter: filters([['tag-key', filter.tagKey ? [filter.tagKey] : undefined], ['resource-id', filter.resourceIds]]) },
          );
          for await (const page of pages) {
            for (const flowLog of page.FlowLogs ?? []) {
              out.push({
                id: flowLog.FlowLogId ?? '',
                resourceId: flowLog.ResourceId ?? '',
                destinationType: flowLog.LogDestinationType ?? 'cloud-watch-logs',
                destination: flowLog.LogDestination,
                logGroupName: flowLog.LogGroupName,
                logFormat: flowLog.LogFormat,
                trafficType: flowLog.TrafficType,
                status: flowLog.FlowLogStatus,
                deliverLogsStatus: flowLog.DeliverLogsStatus,
                deliverLogsError: flowLog.DeliverLogsErrorMessage,
                createdAt: flowLog.CreationTime,
                maxAggregationInterval: flowLog.MaxAggregationInterval,
                tags: tagsOf(flowLog.Tags),
              });
            }
          }
        } catch (error) {
          if (filter.ids && notFound(error)) return [];
          throw error;
        }
        // The server-side tag filter is not trusted (moto 5.2 ignores it): we select by our own tags
        return filter.tagKey ? out.filter((flowLog) => flowLog.tags[filter.tagKey as string] !== undefined) : out;
      });
    },

    async deleteFlowLogs(ids) {
      if (ids.length === 0) return { unsuccessful: [] };
      return callAws(scope, { action: 'ec2:DeleteFlowLogs', resource: ids.join(', ') }, async () => {
        try {
          const response = await client.send(new DeleteFlowLogsCommand({ FlowLogIds: ids }));
          // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteFlowLogs.html: HTTP 200 with Unsuccessful[]
          return {
            unsuccessful: (response.Unsuccessful ?? []).map((item) => ({
              resourceId: item.ResourceId ?? '?',
              code: item.Error?.Code ?? 'Unknown',
              message: item.Error?.Message ?? '',
            })),
          };
        } catch (error) {
          // Some implementations (moto) throw for the whole batch when one id is gone, after
          // deleting the others: report every id as not found; the caller verifies with DescribeFlowLogs.
          if (awsErrorCode(error) === 'InvalidFlowLogId.NotFound') {
            return { unsuccessful: ids.map((id) => ({ resourceId: id, code: 'InvalidFlowLogId.NotFound', message: (error as Error).message })) };
          }
          throw error;
        }
      });
    },
  };
}

function createInput(request: CreateFlowLogsRequest, dryRun: boolean) {
  const destination = request.destination;
  return {
    DryRun: dryRun || undefined,
    ClientToken: dryRun ? undefined : request.clientToken,
    ResourceType: request.resourceType,
    ResourceIds: request.resourceIds,
    TrafficType: request.trafficType,
    LogFormat: request.logFormat,
    MaxAggregationInterval: request.maxAggregationInterval,
    ...(destination.type === 's3'
      ? { LogDestinationType: 's3' as const, LogDestination: destination.arn, DestinationOptions: { FileFormat: destination.fileFormat } }
      : { LogDestinationType: 'cloud-watch-logs' as const, LogGroupName: destination.logGroupName, DeliverLogsPermissionArn: destination.roleArn }),
    TagSpecifications: [{ ResourceType: 'vpc-flow-log' as const, Tags: Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })) }],
  };
}
