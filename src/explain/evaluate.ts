/**
 * Security groups and network ACLs, evaluated the way AWS does, over plain data:
 * - a security group allows what any of its rules allows (there are no deny rules), and it is
 *   stateful: the reply of an allowed connection is always allowed;
 * - a network ACL takes its entries in rule-number order, the first match decides, nothing
 *   matching is denied (rule `*`, 32767), and it is stateless: replies are judged on their own.
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html
 * https://docs.aws.amazon.com/vpc/latest/userguide/nacl-basics.html
 */
import { cidrContains } from './cidr.js';
import type { AclEntry, Direction, NetworkAclConfig, Packet, SecurityGroupConfig, SecurityGroupRule } from './model.js';

const PROTOCOL_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };
const PROTOCOL_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmpv6' };

/** The default rule of every network ACL (`*` in the console): denies what no numbered rule matched. */
export const DEFAULT_ACL_RULE = 32767;

/** A protocol as a number, -1 for "all" (security groups say "tcp", network ACLs "6"). */
export function protocolNumber(protocol: string): number {
  const lower = protocol.toLowerCase();
  if (lower === '-1' || lower === 'all') return -1;
  return PROTOCOL_NUMBERS[lower] ?? Number(lower);
}

export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES[protocol] ?? `protocol ${protocol}`;
}

const hasPorts = (protocol: number): boolean => protocol === 6 || protocol === 17;
const isIcmp = (protocol: number): boolean => protocol === 1 || protocol === 58;

function inRange(value: number | undefined, from: number | undefined, to: number | undefined): boolean {
  if (from === undefined || from === -1) return true;
  if (value === undefined) return false;
  return value >= from && value <= (to === undefined || to === -1 ? from : to);
}

/** What a rule is matched against besides the packet: prefix-list entries, and the groups of the interface that owns an address. */
export interface MatchContext {
  prefixLists: Record<string, string[]>;
  /** the security groups of the interface owning `address` (empty when no interface in the VPC owns it) */
  groupsOf(address: string): string[];
  /** every group read, for names in messages */
  allGroups?: SecurityGroupConfig[];
}

/**
 * Whether one security-group rule matches a packet. Inbound rules look at the source, outbound
 * at the destination; the port range is always the destination port; for ICMP fromPort is the
 * type and toPort the code, -1 meaning any.
 */
export function securityGroupRuleMatches(rule: SecurityGroupRule, packet: Packet, direction: Direction, context: MatchContext): boolean {
  return ruleCoversTraffic(rule, packet) && ruleCoversPeer(rule, direction === 'inbound' ? packet.src : packet.dst, context);
}

/** Protocol and port (or ICMP type and code) only. */
export function ruleCoversTraffic(rule: SecurityGroupRule, packet: Packet): boolean {
  const protocol = protocolNumber(rule.protocol);
  if (protocol === -1) return true;
  if (protocol !== packet.protocol) return false;
  if (hasPorts(protocol)) return inRange(packet.dstPort, rule.fromPort ?? -1, rule.toPort);
  if (isIcmp(protocol)) return inRange(packet.icmpType, rule.fromPort ?? -1, rule.fromPort) && inRange(packet.icmpCode, rule.toPort ?? -1, rule.toPort);
  return true;
}

/** The source (inbound) or destination (outbound) only. */
export function ruleCoversPeer(rule: SecurityGroupRule, address: string, context: MatchContext): boolean {
  if (rule.cidr !== undefined) return cidrContains(rule.cidr, address);
  if (rule.prefixListId !== undefined) return (context.prefixLists[rule.prefixListId] ?? []).some((cidr) => cidrContains(cidr, address));
  if (rule.groupId !== undefined) return context.groupsOf(address).includes(rule.groupId);
  return false;
}

export interface GroupsDecision {
  allowed: boolean;
  /** the group and rule that allowed it */
  group?: SecurityGroupConfig;
  rule?: SecurityGroupRule;
}

/** An interface's groups allow what any rule of any of them allows. */
export function evaluateSecurityGroups(groups: SecurityGroupConfig[], direction: Direction, packet: Packet, context: MatchContext): GroupsDecision {
  for (const group of groups) {
    for (const rule of direction === 'inbound' ? group.inbound : group.outbound) {
      if (securityGroupRuleMatches(rule, packet, direction, context)) return { allowed: true, group, rule };
    }
  }
  return { allowed: false };
}

/** Whether one ACL entry matches (protocol, the remote side's block, the destination port or ICMP type/code). */
export function aclEntryMatches(entry: AclEntry, packet: Packet): boolean {
  const protocol = protocolNumber(entry.protocol);
  if (protocol !== -1 && protocol !== packet.protocol) return false;
  if (!cidrContains(entry.cidr, entry.egress ? packet.dst : packet.src)) return false;
  if (protocol === -1) return true;
  if (hasPorts(protocol)) return entry.fromPort === undefined || inRange(packet.dstPort, entry.fromPort, entry.toPort);
  if (isIcmp(protocol)) return inRange(packet.icmpType, entry.icmpType ?? -1, entry.icmpType) && inRange(packet.icmpCode, entry.icmpCode ?? -1, entry.icmpCode);
  return true;
}

export interface AclDecision {
  allowed: boolean;
  /** the rule number that decided: DEFAULT_ACL_RULE when no numbered rule matched */
  ruleNumber: number;
  entry?: AclEntry;
}

/** The first entry in rule-number order that matches decides; none: the default deny. */
export function evaluateNetworkAcl(acl: NetworkAclConfig, direction: Direction, packet: Packet): AclDecision {
  const entries = acl.entries.filter((entry) => entry.egress === (direction === 'outbound')).sort((a, b) => a.ruleNumber - b.ruleNumber);
  for (const entry of entries) {
    if (aclEntryMatches(entry, packet)) return { allowed: entry.action === 'allow', ruleNumber: entry.ruleNumber, entry };
  }
  return { allowed: false, ruleNumber: DEFAULT_ACL_RULE };
}

/** tcp/5432, udp/53, icmp type 8 code 0, all traffic. */
export function describeTraffic(rule: { protocol: string; fromPort?: number; toPort?: number; icmpType?: number; icmpCode?: number }): string {
  const protocol = protocolNumber(rule.protocol);
  if (protocol === -1) return 'all traffic';
  const name = protocolName(protocol);
  if (hasPorts(protocol)) {
    const from = rule.fromPort;
    if (from === undefined || from === -1 || (from === 0 && rule.toPort === 65535)) return `${name}/all ports`;
    return rule.toPort === undefined || rule.toPort === from ? `${name}/${from}` : `${name}/${from}-${rule.toPort}`;
  }
  if (isIcmp(protocol)) {
    const type = rule.icmpType ?? rule.fromPort;
    const code = rule.icmpCode ?? rule.toPort;
    if (type === undefined || type === -1) return `${name} (all types)`;
    return `${name} type ${type}${code === undefined || code === -1 ? '' : ` code ${code}`}`;
  }
  return name;
}
