/**
 * Why a failing peer failed: each rejected or unanswered connection's path, checked against the
 * security groups and network ACLs in force — the client's interface outbound, its subnet's ACL
 * outbound, the server subnet's ACL inbound, the server's groups inbound, and the way back through
 * both ACLs (stateless) on the client's port. Plain functions over plain data.
 */
import { displayEndpoint } from '../analyze/fold.js';
import type { ConnectionReport, Summary } from '../analyze/summary.js';
import { hostCidr, isIpv6 } from './cidr.js';
import {
  DEFAULT_ACL_RULE,
  describeTraffic,
  evaluateNetworkAcl,
  evaluateSecurityGroups,
  protocolName,
  ruleCoversTraffic,
  type MatchContext,
} from './evaluate.js';
import type { Direction, Explanation, FlowVerdict, InterfaceConfig, NetworkAclConfig, NetworkConfig, Packet, SecurityGroupConfig, SecurityGroupRule } from './model.js';

export type { FlowVerdict } from './model.js';

/** The client port assumed for a reply when the records do not show it: the start of the IANA ephemeral range. */
export const ASSUMED_CLIENT_PORT = 49152;

export interface FlowQuestion {
  client: string;
  clientPort?: number | null;
  server: string;
  port: number;
  class: 'rejected' | 'unanswered';
  /** 6 (tcp) unless said otherwise */
  protocol?: number;
}


export const NOT_BLOCKED_UNANSWERED = 'nothing in security groups or network ACLs blocks it; the host did not answer: not listening, a host firewall, or overloaded';

/** The interface that owns an address; one named in the flow log is preferred when several do. */
export function findInterface(config: NetworkConfig, address: string, preferred: ReadonlySet<string> = new Set()): InterfaceConfig | undefined {
  const owners = config.interfaces.filter((eni) => eni.addresses.includes(address));
  return owners.find((eni) => preferred.has(eni.id)) ?? owners[0];
}

const groupLabel = (group: SecurityGroupConfig | undefined, id: string): string => (group?.name ? `${id} (${group.name})` : id);

interface Side {
  eni?: InterfaceConfig;
  groups: SecurityGroupConfig[];
  /** groups of the interface that could not be read */
  missingGroups: string[];
  acl?: NetworkAclConfig;
}

export interface ExplainOptions {
  /** interface ids the flow log named: preferred owners of an address */
  flowLogInterfaces?: ReadonlySet<string>;
  /** for the suggested commands */
  region?: string;
}

/** Checks one client → server path; the first thing that blocks it is the verdict. */
export function explainFlow(config: NetworkConfig, question: FlowQuestion, options: ExplainOptions = {}): FlowVerdict {
  const preferred = options.flowLogInterfaces ?? new Set<string>();
  const protocol = question.protocol ?? 6;
  const byId = new Map(config.groups.map((group) => [group.id, group]));
  const side = (address: string): Side => {
    const eni = findInterface(config, address, preferred);
    if (!eni) return { groups: [], missingGroups: [] };
    const groups = eni.groupIds.map((id) => byId.get(id)).filter((group): group is SecurityGroupConfig => group !== undefined);
    const missingGroups = eni.groupIds.filter((id) => !byId.has(id));
    const acl = eni.subnetId ? config.acls.find((candidate) => candidate.subnetIds.includes(eni.subnetId!)) : undefined;
    return { eni, groups, missingGroups, acl };
  };
  const client = side(question.client);
  const server = side(question.server);
  const context: MatchContext = {
    prefixLists: config.prefixLists,
    groupsOf: (address) => findInterface(config, address, preferred)?.groupIds ?? [],
    allGroups: config.groups,
  };
  const deniedNote = config.denied.length > 0 ? `; ${config.denied.map((denied) => `${denied.action}: ${denied.reason}`).join('; ')}` : '';
  const interfacesUnread = config.denied.find((denied) => denied.action === 'ec2:DescribeNetworkInterfaces');
  if (!client.eni && !server.eni && interfacesUnread) {
    return { verdict: 'unknown', detail: `the network interfaces of ${question.client} and ${question.server} could not be read (ec2:DescribeNetworkInterfaces): ${interfacesUnread.reason}` };
  }
  if (!client.eni && !server.eni) {
    return {
      verdict: 'unknown',
      detail: `neither ${question.client} nor ${question.server} belongs to a network interface that could be read${options.region ? ` in ${options.region}` : ''}: outside the VPC, in another account or region${deniedNote}`,
    };
  }
  const forward: Packet = { protocol, src: question.client, dst: question.server, srcPort: question.clientPort ?? undefined, dstPort: question.port };
  const traffic = describeTraffic({ protocol: String(protocol), fromPort: question.port });
  const sameSubnet = client.eni?.subnetId !== undefined && client.eni.subnetId === server.eni?.subnetId;
  const unchecked: string[] = [];

  // 1. the client's groups, outbound (an interface with no group — a NAT gateway's, a Transit
  // Gateway attachment's — is not filtered by security groups)
  if (client.eni && client.eni.groupIds.length > 0) {
    if (client.missingGroups.length > 0) unchecked.push(`the security groups ${client.missingGroups.join(', ')} of ${client.eni.id}`);
    else if (!evaluateSecurityGroups(client.groups, 'outbound', forward, context).allowed) {
      return missingGroupRule(client, 'outbound', forward, question, context, options);
    }
  }
  // 2. the client subnet's ACL, outbound; 3. the server subnet's ACL, inbound (traffic inside one subnet meets no ACL)
  if (!sameSubnet) {
    const blocked = checkAcl(client, 'outbound', forward, question.client, unchecked) ?? checkAcl(server, 'inbound', forward, question.server, unchecked);
    if (blocked) return blocked;
  }
  // 4. the server's groups, inbound
  if (server.eni && server.eni.groupIds.length > 0) {
    if (server.missingGroups.length > 0) unchecked.push(`the security groups ${server.missingGroups.join(', ')} of ${server.eni.id}`);
    else if (!evaluateSecurityGroups(server.groups, 'inbound', forward, context).allowed) {
      return missingGroupRule(server, 'inbound', forward, question, context, options);
    }
  }
  // 5. the reply: network ACLs are stateless (security groups are not). An unanswered SYN may be a
  // dropped SYN-ACK; a rejected one whose way there is open may be a rejected SYN-ACK.
  const replyPort = question.clientPort ?? ASSUMED_CLIENT_PORT;
  if (!sameSubnet) {
    const reply: Packet = { protocol, src: question.server, dst: question.client, srcPort: question.port, dstPort: replyPort };
    const blocked = checkAcl(server, 'outbound', reply, question.server, unchecked, true, question.clientPort == null) ?? checkAcl(client, 'inbound', reply, question.client, unchecked, true, question.clientPort == null);
    if (blocked) return blocked;
  }
  if (unchecked.length > 0) {
    return { verdict: 'unknown', detail: `nothing read blocks ${traffic} from ${question.client} to ${question.server}, but ${unchecked.join(' and ')} could not be read${deniedNote}` };
  }
  if (!server.eni) {
    return {
      verdict: 'unknown',
      detail: `${question.client}'s side allows ${traffic} to ${question.server}; ${question.server} belongs to no network interface that could be read (outside the VPC, or in another account or region), so its side cannot be checked`,
    };
  }
  if (question.class === 'unanswered') return { verdict: 'not-blocked', detail: NOT_BLOCKED_UNANSWERED };
  return {
    verdict: 'not-blocked',
    detail: `nothing in security groups or network ACLs blocks ${traffic} from ${question.client} to ${question.server} now: the configuration may have changed since the traffic`,
  };
}

function checkAcl(side: Side, direction: Direction, packet: Packet, owner: string, unchecked: string[], reply = false, assumedPort = false): FlowVerdict | undefined {
  if (!side.eni?.subnetId) return undefined;
  if (!side.acl) {
    unchecked.push(`the network ACL of ${side.eni.subnetId}`);
    return undefined;
  }
  const decision = evaluateNetworkAcl(side.acl, direction, packet);
  if (decision.allowed) return undefined;
  const traffic = `${protocolName(packet.protocol)} ${displayEndpoint({ address: packet.src, port: packet.srcPort ?? null })} → ${displayEndpoint({ address: packet.dst, port: packet.dstPort ?? null })}`;
  const what = reply ? `the reply ${traffic}` : traffic;
  const why =
    decision.ruleNumber === DEFAULT_ACL_RULE
      ? `no numbered rule matches, so the default rule * denies it`
      : `rule ${decision.ruleNumber} denies ${describeTraffic(decision.entry!)} ${direction === 'inbound' ? 'from' : 'to'} ${decision.entry!.cidr}`;
  const where = `${direction === 'inbound' ? 'entering' : 'leaving'} ${side.eni.subnetId} (${owner}'s subnet)`;
  const ephemeral = reply ? `; network ACLs are stateless: the ${direction} rules must allow the reply on the client's ${assumedPort ? `ephemeral ports (1024-65535; ${ASSUMED_CLIENT_PORT} checked)` : 'port'}` : '';
  return { verdict: 'network-acl', resource: side.acl.id, rule: decision.ruleNumber, direction, detail: `${side.acl.id} ${direction}: ${what} ${where}: ${why}${ephemeral}` };
}

function missingGroupRule(side: Side, direction: Direction, packet: Packet, question: FlowQuestion, context: MatchContext, options: ExplainOptions): FlowVerdict {
  const eni = side.eni!;
  const remote = direction === 'inbound' ? packet.src : packet.dst;
  const traffic = describeTraffic({ protocol: String(packet.protocol), fromPort: packet.dstPort });
  const rules = (group: SecurityGroupConfig): SecurityGroupRule[] => (direction === 'inbound' ? group.inbound : group.outbound);
  // the rules that come closest: the right protocol and port, another source or destination
  const close = side.groups.flatMap((group) => rules(group).filter((rule) => ruleCoversTraffic(rule, packet)).map((rule) => ({ group, rule })));
  const unreadList = close.find(({ rule }) => rule.prefixListId !== undefined && context.prefixLists[rule.prefixListId] === undefined);
  if (unreadList) {
    return {
      verdict: 'unknown',
      detail: `${groupLabel(unreadList.group, unreadList.group.id)} allows ${direction} ${traffic} ${direction === 'inbound' ? 'from' : 'to'} prefix list ${unreadList.rule.prefixListId}, whose entries could not be read (ec2:GetManagedPrefixListEntries)`,
    };
  }
  const target = close[0]?.group ?? side.groups[0];
  const known = context.allGroups ?? side.groups;
  const named = (id: string): string => groupLabel(known.find((group) => group.id === id), id);
  const peerOf = (rule: SecurityGroupRule): string => rule.cidr ?? (rule.prefixListId ? `prefix list ${rule.prefixListId}` : named(rule.groupId ?? '?'));
  const verb = direction === 'inbound' ? 'from' : 'to';
  let detail: string;
  if (side.groups.length === 0) detail = `${eni.id} has no security group that allows ${direction} ${traffic}`;
  else if (close.length > 0) {
    const holders = [...new Set(close.map(({ group }) => groupLabel(group, group.id)))].join(', ');
    const peers = [...new Set(close.map(({ rule }) => peerOf(rule)))].join(', ');
    const remoteGroups = context.groupsOf(remote);
    const membership = !close.some(({ rule }) => rule.groupId) ? '' : remoteGroups.length > 0 ? `; ${remote}'s interface is in ${remoteGroups.map(named).join(', ')}` : `; ${remote} is in none of them`;
    detail = `${holders} allow${holders.includes(',') ? '' : 's'} ${direction} ${traffic} only ${verb} ${peers}${membership}`;
  } else {
    const groupNames = side.groups.map((group) => groupLabel(group, group.id)).join(', ');
    detail = `no ${direction} rule of ${groupNames} (on ${eni.id}, ${direction === 'inbound' ? 'the server' : 'the client'} ${direction === 'inbound' ? question.server : question.client}) allows ${traffic} ${verb} ${remote}`;
  }
  const verdict: FlowVerdict = { verdict: 'security-group', ...(target ? { resource: target.id } : {}), direction, detail };
  if (target) verdict.suggestion = suggestRule(target.id, direction, packet, remote, context, options.region);
  return verdict;
}

/** `aws ec2 authorize-security-group-ingress …` (or -egress) that would add the missing rule: for a person to review and run. */
export function suggestRule(groupId: string, direction: Direction, packet: Packet, remote: string, context: MatchContext, region?: string): string {
  const verb = direction === 'inbound' ? 'authorize-security-group-ingress' : 'authorize-security-group-egress';
  const regionFlag = region ? ` --region ${region}` : '';
  const protocol = protocolName(packet.protocol);
  const ports = packet.protocol === 6 || packet.protocol === 17 ? `FromPort=${packet.dstPort},ToPort=${packet.dstPort}` : 'FromPort=-1,ToPort=-1';
  // a remote interface in the same VPC: allow its group rather than one address
  const remoteGroup = context.groupsOf(remote).find((id) => id !== groupId);
  const sameVpc = remoteGroup !== undefined && (context.allGroups ?? []).find((group) => group.id === remoteGroup)?.vpcId === (context.allGroups ?? []).find((group) => group.id === groupId)?.vpcId;
  if (direction === 'inbound' && (protocol === 'tcp' || protocol === 'udp')) {
    const source = remoteGroup && sameVpc ? `--source-group ${remoteGroup}` : !isIpv6(remote) ? `--cidr ${hostCidr(remote)}` : undefined;
    if (source) return `aws ec2 ${verb}${regionFlag} --group-id ${groupId} --protocol ${protocol} --port ${packet.dstPort} ${source}`;
  }
  const peer =
    remoteGroup && sameVpc ? `UserIdGroupPairs=[{GroupId=${remoteGroup}}]` : isIpv6(remote) ? `Ipv6Ranges=[{CidrIpv6=${hostCidr(remote)}}]` : `IpRanges=[{CidrIp=${hostCidr(remote)}}]`;
  return `aws ec2 ${verb}${regionFlag} --group-id ${groupId} --ip-permissions 'IpProtocol=${protocol},${ports},${peer}'`;
}

export interface ExplainSummaryOptions extends ExplainOptions {
  /** at most this many failing peers (the summary's order: worst first) */
  top?: number;
}

/** The addresses whose interfaces an explanation needs: failing peers and their clients. */
export function addressesToExplain(summary: Summary, top = 10): string[] {
  const addresses = new Set<string>();
  for (const { peer, clients } of failingPeers(summary, top)) {
    addresses.add(peer.address);
    for (const client of clients) addresses.add(client.address);
  }
  return [...addresses];
}

interface FailingPeer {
  peer: Summary['peers'][number];
  cls: 'rejected' | 'unanswered';
  clients: { address: string; port: number | null }[];
}

function failingPeers(summary: Summary, top: number): FailingPeer[] {
  const result: FailingPeer[] = [];
  const peers = summary.peers.filter((peer) => peer.rejected + peer.unanswered > 0 && peer.port !== null).slice(0, top);
  for (const peer of peers) {
    for (const cls of ['rejected', 'unanswered'] as const) {
      if (peer[cls] === 0) continue;
      const seen = new Map<string, { address: string; port: number | null }>();
      for (const failure of summary.failures as ConnectionReport[]) {
        if (failure.class !== cls || failure.server.address !== peer.address || failure.server.port !== peer.port) continue;
        if (!seen.has(failure.client.address)) seen.set(failure.client.address, failure.client);
      }
      result.push({ peer, cls, clients: [...seen.values()] });
    }
  }
  return result;
}

/**
 * One explanation per failing peer and class (rejected, unanswered), split where its clients
 * fail for different reasons. The clients are those of the failed connections the summary lists.
 */
export function explainSummary(summary: Summary, config: NetworkConfig, options: ExplainSummaryOptions = {}): Explanation[] {
  const flowLogInterfaces = options.flowLogInterfaces ?? new Set(summary.interfaces.ids);
  const explanations: Explanation[] = [];
  for (const { peer, cls, clients } of failingPeers(summary, options.top ?? 10)) {
    if (clients.length === 0) {
      explanations.push({
        peer: peer.peer,
        class: cls,
        clients: [],
        verdict: 'unknown',
        detail: `none of its ${cls} connections is among the failed connections the summary lists, so no client is known to check`,
        readAt: config.readAt,
      });
      continue;
    }
    const groups = new Map<string, { verdict: FlowVerdict; clients: string[] }>();
    for (const client of clients) {
      const verdict = explainFlow(config, { client: client.address, clientPort: client.port, server: peer.address, port: peer.port!, class: cls }, { ...options, flowLogInterfaces });
      const key = [verdict.verdict, verdict.resource, verdict.rule, verdict.direction].join('|');
      const group = groups.get(key);
      if (group) group.clients.push(client.address);
      else groups.set(key, { verdict, clients: [client.address] });
    }
    for (const { verdict, clients: covered } of groups.values()) {
      const others = covered.length > 1 && verdict.detail.includes(covered[0]) ? ` (${covered[0]} shown; ${covered.length - 1} more client${covered.length === 2 ? '' : 's'} alike)` : '';
      explanations.push({
        peer: peer.peer,
        class: cls,
        clients: covered,
        verdict: verdict.verdict,
        ...(verdict.resource ? { resource: verdict.resource } : {}),
        ...(verdict.rule !== undefined ? { rule: verdict.rule } : {}),
        ...(verdict.direction ? { direction: verdict.direction } : {}),
        detail: verdict.detail + others,
        ...(verdict.suggestion ? { suggestion: verdict.suggestion } : {}),
        readAt: config.readAt,
      });
    }
  }
  return explanations;
}

/** Explanations for a summary that could not be given: every failing peer gets `unknown` with the reason. */
export function unexplained(summary: Summary, reason: string, readAt: string, top = 10): Explanation[] {
  return failingPeers(summary, top).map(({ peer, cls, clients }) => ({ peer: peer.peer, class: cls, clients: clients.map((client) => client.address), verdict: 'unknown' as const, detail: reason, readAt }));
}

/** What an explanation's verdict says in a few words (tables, the HTML peer column). */
export function verdictLabel(explanation: Pick<Explanation, 'verdict' | 'resource' | 'rule' | 'direction'>): string {
  switch (explanation.verdict) {
    case 'security-group':
      return `${explanation.resource ?? 'security group'} ${explanation.direction ?? ''}`.trim();
    case 'network-acl':
      return `${explanation.resource ?? 'network ACL'} rule ${explanation.rule === DEFAULT_ACL_RULE ? '*' : explanation.rule} ${explanation.direction ?? ''}`.trim();
    case 'not-blocked':
      return 'not blocked';
    default:
      return 'unknown';
  }
}
