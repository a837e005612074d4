/**
 * The network configuration `--explain` reads (security groups, network ACLs, interfaces,
 * prefix lists) as plain data, and the explanations it gives. See docs/explain.md.
 */

/** A network interface: where an address lives, which groups guard it, which subnet (and ACL) it is in. */
export interface InterfaceConfig {
  id: string;
  subnetId?: string;
  vpcId?: string;
  /** private IPv4 and IPv6 addresses (and public IPv4 ones, when known) */
  addresses: string[];
  groupIds: string[];
  description?: string;
  interfaceType?: string;
}

/**
 * One security-group rule with one source or destination (DescribeSecurityGroups' IpPermissions
 * flattened). `protocol` is "-1" (all), "tcp", "udp", "icmp", "icmpv6" or a protocol number.
 * For ICMP, fromPort is the type and toPort the code (-1: all).
 */
export interface SecurityGroupRule {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidr?: string;
  prefixListId?: string;
  /** a referenced group: matches the traffic of every interface in it */
  groupId?: string;
  description?: string;
}

export interface SecurityGroupConfig {
  id: string;
  name?: string;
  vpcId?: string;
  inbound: SecurityGroupRule[];
  outbound: SecurityGroupRule[];
}

/** One network-ACL entry; rule 32767 is the default deny (`*` in the console). */
export interface AclEntry {
  ruleNumber: number;
  egress: boolean;
  action: 'allow' | 'deny';
  /** "-1" (all) or a protocol number ("6" tcp, "17" udp, "1" icmp, "58" icmpv6) */
  protocol: string;
  cidr: string;
  fromPort?: number;
  toPort?: number;
  icmpType?: number;
  icmpCode?: number;
}

export interface NetworkAclConfig {
  id: string;
  vpcId?: string;
  isDefault?: boolean;
  subnetIds: string[];
  entries: AclEntry[];
}

/** Everything read from AWS for an explanation, and what could not be read. */
export interface NetworkConfig {
  /** when it was read (ISO-8601 UTC): the configuration may have changed since the traffic */
  readAt: string;
  region?: string;
  interfaces: InterfaceConfig[];
  groups: SecurityGroupConfig[];
  acls: NetworkAclConfig[];
  /** prefix list id → its CIDR blocks */
  prefixLists: Record<string, string[]>;
  /** the reads that failed: the IAM action and why (`unknown` verdicts name them) */
  denied: { action: string; reason: string }[];
}

/** One packet to judge. Protocol by number: 6 tcp, 17 udp, 1 icmp, 58 icmpv6. */
export interface Packet {
  protocol: number;
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  icmpType?: number;
  icmpCode?: number;
}

export type Direction = 'inbound' | 'outbound';

export type Verdict = 'security-group' | 'network-acl' | 'not-blocked' | 'unknown';

/** What blocks one flow (or that nothing does): the verdict and its evidence. */
export interface FlowVerdict {
  verdict: Verdict;
  resource?: string;
  rule?: number;
  direction?: Direction;
  detail: string;
  /** a command that would add the missing security-group rule: printed for a person to review, never run */
  suggestion?: string;
}

/** One line of `explanations[]` (flowdump analyze --explain --json). */
export interface Explanation extends FlowVerdict {
  /** the server side, address:port */
  peer: string;
  class: 'rejected' | 'unanswered';
  /** the client addresses this explanation covers (from the failed connections listed in the summary) */
  clients: string[];
  /** when the configuration was read */
  readAt: string;
}
