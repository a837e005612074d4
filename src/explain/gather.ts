/**
 * Reads the configuration an explanation needs, through the read-only port: the interfaces of
 * the addresses (and of the flow log's interface ids), their security groups and the groups those
 * reference, the prefix lists the rules name, the network ACLs of their subnets. A read that fails
 * (denied, throttled) is recorded in `denied` and the rest goes on: never a failed analysis.
 */
import type { NetworkConfigPort } from '../aws/network-config.js';
import type { InterfaceConfig, NetworkConfig, SecurityGroupConfig } from './model.js';

export interface ReadNetworkConfigOptions {
  addresses: string[];
  /** the flow log's interface ids */
  interfaceIds?: string[];
  now: () => Date;
  region?: string;
}

/** At most this many flow-log interface ids are looked up (a VPC capture may name thousands; the addresses matter). */
export const MAX_INTERFACE_IDS = 1000;

export async function readNetworkConfig(port: NetworkConfigPort, options: ReadNetworkConfigOptions): Promise<NetworkConfig> {
  const readAt = options.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const denied: NetworkConfig['denied'] = [];
  const attempt = async <T>(action: string, run: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (!denied.some((entry) => entry.action === action)) denied.push({ action, reason: (error as Error)?.message ?? String(error) });
      return fallback;
    }
  };
  const byId = new Map<string, InterfaceConfig>();
  const found = [
    // IPv4 and IPv6 apart: one failing lookup does not lose the other's interfaces
    ...(await attempt('ec2:DescribeNetworkInterfaces', () => port.interfacesByAddress(options.addresses.filter((address) => !address.includes(':'))), [] as InterfaceConfig[])),
    ...(await attempt('ec2:DescribeNetworkInterfaces', () => port.interfacesByAddress(options.addresses.filter((address) => address.includes(':'))), [] as InterfaceConfig[])),
    ...(await attempt('ec2:DescribeNetworkInterfaces', () => port.interfacesById((options.interfaceIds ?? []).slice(0, MAX_INTERFACE_IDS)), [] as InterfaceConfig[])),
  ];
  for (const eni of found) byId.set(eni.id, eni);
  const interfaces = [...byId.values()];

  const groups = new Map<string, SecurityGroupConfig>();
  const readGroups = async (ids: string[]): Promise<void> => {
    const wanted = [...new Set(ids)].filter((id) => !groups.has(id));
    for (const group of await attempt('ec2:DescribeSecurityGroups', () => port.securityGroups(wanted), [] as SecurityGroupConfig[])) groups.set(group.id, group);
  };
  await readGroups(interfaces.flatMap((eni) => eni.groupIds));
  // referenced groups: read for their names (membership comes from the interfaces' own groups)
  const rules = () => [...groups.values()].flatMap((group) => [...group.inbound, ...group.outbound]);
  await readGroups(rules().flatMap((rule) => (rule.groupId ? [rule.groupId] : [])));

  const prefixLists: Record<string, string[]> = {};
  for (const id of new Set(rules().flatMap((rule) => (rule.prefixListId ? [rule.prefixListId] : [])))) {
    const entries = await attempt('ec2:GetManagedPrefixListEntries', () => port.prefixListEntries(id), undefined);
    if (entries) prefixLists[id] = entries;
  }

  const subnets = [...new Set(interfaces.flatMap((eni) => (eni.subnetId ? [eni.subnetId] : [])))];
  const acls = await attempt('ec2:DescribeNetworkAcls', () => port.networkAcls(subnets), []);
  return { readAt, ...(options.region ? { region: options.region } : {}), interfaces, groups: [...groups.values()], acls, prefixLists, denied };
}
