import {
  paginateDescribeNetworkAcls,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSecurityGroups,
  paginateGetManagedPrefixListEntries,
  type EC2Client,
  type IpPermission,
  type NetworkAcl,
  type NetworkInterface,
  type SecurityGroup,
} from '@aws-sdk/client-ec2';
import type { AclEntry, InterfaceConfig, NetworkAclConfig, SecurityGroupConfig, SecurityGroupRule } from '../explain/model.js';
import { callAws, type AwsScope } from './errors.js';

/**
 * The read-only EC2 calls `--explain` makes (a port: docs/architecture.md): who owns an address, its security
 * groups, its subnet's network ACL, prefix-list entries. Nothing here changes anything in AWS.
 */
export interface NetworkConfigPort {
  /** interfaces owning any of these private IPv4 or IPv6 addresses */
  interfacesByAddress(addresses: string[]): Promise<InterfaceConfig[]>;
  interfacesById(ids: string[]): Promise<InterfaceConfig[]>;
  /** groups by id; an id that does not exist is left out (not an error) */
  securityGroups(ids: string[]): Promise<SecurityGroupConfig[]>;
  /** the network ACLs associated with these subnets */
  networkAcls(subnetIds: string[]): Promise<NetworkAclConfig[]>;
  prefixListEntries(id: string): Promise<string[]>;
}

/** EC2 takes at most 200 values per filter. */
const FILTER_VALUES = 200;

/** `read` over the values FILTER_VALUES at a time, the answers in order. */
async function inChunks<T>(values: string[], read: (part: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < values.length; i += FILTER_VALUES) out.push(...(await read(values.slice(i, i + FILTER_VALUES))));
  return out;
}

export function createNetworkConfigPort(client: EC2Client, scope: AwsScope): NetworkConfigPort {
  /** One `action` about `values` (nothing to ask for none; its first values name it in an error). */
  const describe = async <T>(action: string, values: string[], read: () => Promise<T[]>): Promise<T[]> =>
    values.length === 0 ? [] : callAws(scope, { action, resource: values.slice(0, 3).join(', ') }, read);
  const interfaces = async (filters: { Name: string; Values: string[] }[]): Promise<InterfaceConfig[]> => {
    const out: InterfaceConfig[] = [];
    for await (const page of paginateDescribeNetworkInterfaces({ client }, { Filters: filters })) {
      for (const eni of page.NetworkInterfaces ?? []) out.push(interfaceOf(eni));
    }
    return out;
  };
  return {
    async interfacesByAddress(addresses) {
      const v4 = addresses.filter((address) => !address.includes(':'));
      const v6 = addresses.filter((address) => address.includes(':'));
      return describe('ec2:DescribeNetworkInterfaces', addresses, async () => [
        ...(await inChunks(v4, (part) => interfaces([{ Name: 'addresses.private-ip-address', Values: part }]))),
        ...(await inChunks(v6, (part) => interfaces([{ Name: 'ipv6-addresses.ipv6-address', Values: part }]))),
      ]);
    },
    async interfacesById(ids) {
      // a filter, not NetworkInterfaceIds: an interface deleted since the capture is not an error
      return describe('ec2:DescribeNetworkInterfaces', ids, () => inChunks(ids, (part) => interfaces([{ Name: 'network-interface-id', Values: part }])));
    },
    async securityGroups(ids) {
      return describe('ec2:DescribeSecurityGroups', ids, () =>
        inChunks(ids, async (part) => {
          const out: SecurityGroupConfig[] = [];
          for await (const page of paginateDescribeSecurityGroups({ client }, { Filters: [{ Name: 'group-id', Values: part }] })) {
            for (const group of page.SecurityGroups ?? []) out.push(groupOf(group));
          }
          return out;
        }),
      );
    },
    async networkAcls(subnetIds) {
      return describe('ec2:DescribeNetworkAcls', subnetIds, () =>
        inChunks(subnetIds, async (part) => {
          const out: NetworkAclConfig[] = [];
          for await (const page of paginateDescribeNetworkAcls({ client }, { Filters: [{ Name: 'association.subnet-id', Values: part }] })) {
            for (const acl of page.NetworkAcls ?? []) out.push(aclOf(acl));
          }
          return out;
        }),
      );
    },
    async prefixListEntries(id) {
      return callAws(scope, { action: 'ec2:GetManagedPrefixListEntries', resource: id }, async () => {
        const out: string[] = [];
        for await (const page of paginateGetManagedPrefixListEntries({ client }, { PrefixListId: id })) {
          for (const entry of page.Entries ?? []) if (entry.Cidr) out.push(entry.Cidr);
        }
        return out;
      });
    },
  };
}

function interfaceOf(eni: NetworkInterface): InterfaceConfig {
  const addresses = new Set<string>();
  if (eni.PrivateIpAddress) addresses.add(eni.PrivateIpAddress);
  for (const address of eni.PrivateIpAddresses ?? []) {
    if (address.PrivateIpAddress) addresses.add(address.PrivateIpAddress);
    if (address.Association?.PublicIp) addresses.add(address.Association.PublicIp);
  }
  for (const address of eni.Ipv6Addresses ?? []) if (address.Ipv6Address) addresses.add(address.Ipv6Address);
  if (eni.Association?.PublicIp) addresses.add(eni.Association.PublicIp);
  return {
    id: eni.NetworkInterfaceId ?? '',
    ...(eni.SubnetId ? { subnetId: eni.SubnetId } : {}),
    ...(eni.VpcId ? { vpcId: eni.VpcId } : {}),
    addresses: [...addresses],
    groupIds: (eni.Groups ?? []).map((group) => group.GroupId ?? '').filter(Boolean),
    ...(eni.Description ? { description: eni.Description } : {}),
    ...(eni.InterfaceType ? { interfaceType: eni.InterfaceType } : {}),
  };
}

/** One rule per source or destination, as DescribeSecurityGroupRules would list them. */
export function flattenPermissions(permissions: IpPermission[] | undefined): SecurityGroupRule[] {
  const rules: SecurityGroupRule[] = [];
  for (const permission of permissions ?? []) {
    const base: SecurityGroupRule = {
      protocol: permission.IpProtocol ?? '-1',
      ...(permission.FromPort !== undefined ? { fromPort: permission.FromPort } : {}),
      ...(permission.ToPort !== undefined ? { toPort: permission.ToPort } : {}),
    };
    const withDescription = (rule: SecurityGroupRule, description: string | undefined): SecurityGroupRule => (description ? { ...rule, description } : rule);
    for (const range of permission.IpRanges ?? []) if (range.CidrIp) rules.push(withDescription({ ...base, cidr: range.CidrIp }, range.Description));
    for (const range of permission.Ipv6Ranges ?? []) if (range.CidrIpv6) rules.push(withDescription({ ...base, cidr: range.CidrIpv6 }, range.Description));
    for (const list of permission.PrefixListIds ?? []) if (list.PrefixListId) rules.push(withDescription({ ...base, prefixListId: list.PrefixListId }, list.Description));
    for (const pair of permission.UserIdGroupPairs ?? []) if (pair.GroupId) rules.push(withDescription({ ...base, groupId: pair.GroupId }, pair.Description));
  }
  return rules;
}

function groupOf(group: SecurityGroup): SecurityGroupConfig {
  return {
    id: group.GroupId ?? '',
    ...(group.GroupName ? { name: group.GroupName } : {}),
    ...(group.VpcId ? { vpcId: group.VpcId } : {}),
    inbound: flattenPermissions(group.IpPermissions),
    outbound: flattenPermissions(group.IpPermissionsEgress),
  };
}

function aclOf(acl: NetworkAcl): NetworkAclConfig {
  const entries: AclEntry[] = [];
  for (const entry of acl.Entries ?? []) {
    const cidr = entry.CidrBlock ?? entry.Ipv6CidrBlock;
    if (entry.RuleNumber === undefined || !cidr) continue;
    entries.push({
      ruleNumber: entry.RuleNumber,
      egress: entry.Egress === true,
      action: entry.RuleAction === 'allow' ? 'allow' : 'deny',
      protocol: entry.Protocol ?? '-1',
      cidr,
      ...(entry.PortRange?.From !== undefined ? { fromPort: entry.PortRange.From } : {}),
      ...(entry.PortRange?.To !== undefined ? { toPort: entry.PortRange.To } : {}),
      ...(entry.IcmpTypeCode?.Type !== undefined ? { icmpType: entry.IcmpTypeCode.Type } : {}),
      ...(entry.IcmpTypeCode?.Code !== undefined ? { icmpCode: entry.IcmpTypeCode.Code } : {}),
    });
  }
  return {
    id: acl.NetworkAclId ?? '',
    ...(acl.VpcId ? { vpcId: acl.VpcId } : {}),
    ...(acl.IsDefault !== undefined ? { isDefault: acl.IsDefault } : {}),
    subnetIds: (acl.Associations ?? []).map((association) => association.SubnetId ?? '').filter(Boolean),
    entries,
  };
}
