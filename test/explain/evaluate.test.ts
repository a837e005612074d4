import { describe, expect, test } from 'vitest';
import { cidrContains } from '../../src/explain/cidr.js';
import { DEFAULT_ACL_RULE, describeTraffic, evaluateNetworkAcl, evaluateSecurityGroups, securityGroupRuleMatches, type MatchContext } from '../../src/explain/evaluate.js';
import type { AclEntry, NetworkAclConfig, Packet, SecurityGroupConfig, SecurityGroupRule } from '../../src/explain/model.js';

const tcp = (src: string, dst: string, dstPort: number): Packet => ({ protocol: 6, src, dst, srcPort: 40000, dstPort });

describe('cidrContains', () => {
  test.each([
    ['10.0.0.0/16', '10.0.255.255', true],
    ['10.0.0.0/16', '10.1.0.0', false],
    ['10.0.1.10/32', '10.0.1.10', true],
    ['10.0.1.10/32', '10.0.1.11', false],
    ['10.0.1.8/29', '10.0.1.15', true],
    ['10.0.1.8/29', '10.0.1.16', false],
    ['10.0.1.8/29', '10.0.1.7', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['::/0', '10.0.0.1', false],
    ['::/0', '2001:db8::1', true],
    ['2001:db8:1234::/48', '2001:db8:1234:ffff::1', true],
    ['2001:db8:1234::/48', '2001:db8:1235::1', false],
    ['2001:db8::10/128', '2001:DB8:0:0:0:0:0:10', true],
    ['::ffff:10.0.0.0/120', '::ffff:10.0.0.200', true],
    ['not-a-cidr', '10.0.0.1', false],
    ['10.0.0.0/33', '10.0.0.1', false],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    expect(cidrContains(cidr, address)).toBe(expected);
  });

  test('addresses that are not addresses are in no block', () => {
    expect(cidrContains('0.0.0.0/0', '10.0.0.256')).toBe(false);
    expect(cidrContains('::/0', '1::2::3')).toBe(false);
    expect(cidrContains('::/0', '1:2:3:4:5:6:7:8:9')).toBe(false);
    // a dotted quad with leading zeros is read as text, not as 10.0.0.1, wherever a record is read
    expect(cidrContains('0.0.0.0/0', '010.0.0.1')).toBe(false);
    expect(cidrContains('010.0.0.0/8', '10.0.0.1')).toBe(false);
  });
});

const noGroups: MatchContext = { prefixLists: {}, groupsOf: () => [] };

describe('security-group rules', () => {
  const context: MatchContext = {
    prefixLists: { 'pl-0a1b': ['192.168.0.0/24', '2001:db8:9::/48'] },
    groupsOf: (address) => (address === '10.0.1.10' ? ['sg-app'] : address === '10.0.1.11' ? ['sg-batch'] : []),
  };
  const cases: [string, SecurityGroupRule, Packet, 'inbound' | 'outbound', boolean][] = [
    ['tcp port inside the range', { protocol: 'tcp', fromPort: 5400, toPort: 5500, cidr: '0.0.0.0/0' }, tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', true],
    ['tcp port at the lower edge', { protocol: 'tcp', fromPort: 5432, toPort: 5500, cidr: '0.0.0.0/0' }, tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', true],
    ['tcp port at the upper edge', { protocol: 'tcp', fromPort: 5400, toPort: 5432, cidr: '0.0.0.0/0' }, tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', true],
    ['tcp port one above', { protocol: 'tcp', fromPort: 5400, toPort: 5431, cidr: '0.0.0.0/0' }, tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', false],
    ['udp rule, tcp packet', { protocol: 'udp', fromPort: 5432, toPort: 5432, cidr: '0.0.0.0/0' }, tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', false],
    ['protocol -1 admits anything', { protocol: '-1', cidr: '10.0.1.0/24' }, tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', true],
    ['protocol by number', { protocol: '6', fromPort: 22, toPort: 22, cidr: '10.0.1.0/24' }, tcp('10.0.1.10', '10.0.2.20', 22), 'inbound', true],
    ['inbound looks at the source', { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '10.0.2.20/32' }, tcp('10.0.1.10', '10.0.2.20', 22), 'inbound', false],
    ['outbound looks at the destination', { protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '10.0.2.20/32' }, tcp('10.0.1.10', '10.0.2.20', 22), 'outbound', true],
    ['IPv4 block, IPv6 source', { protocol: '-1', cidr: '0.0.0.0/0' }, tcp('2001:db8::5', '2001:db8::20', 443), 'inbound', false],
    ['IPv6 block, IPv6 source', { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '::/0' }, tcp('2001:db8::5', '2001:db8::20', 443), 'inbound', true],
    ['referenced group: member', { protocol: 'tcp', fromPort: 5432, toPort: 5432, groupId: 'sg-app' }, tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', true],
    ['referenced group: not a member', { protocol: 'tcp', fromPort: 5432, toPort: 5432, groupId: 'sg-app' }, tcp('10.0.1.11', '10.0.2.20', 5432), 'inbound', false],
    ['referenced group: outside the VPC', { protocol: 'tcp', fromPort: 5432, toPort: 5432, groupId: 'sg-app' }, tcp('198.51.100.7', '10.0.2.20', 5432), 'inbound', false],
    ['prefix list: an entry contains it', { protocol: 'tcp', fromPort: 443, toPort: 443, prefixListId: 'pl-0a1b' }, tcp('192.168.0.77', '10.0.2.20', 443), 'inbound', true],
    ['prefix list: IPv6 entry', { protocol: 'tcp', fromPort: 443, toPort: 443, prefixListId: 'pl-0a1b' }, tcp('2001:db8:9::1', '2001:db8::20', 443), 'inbound', true],
    ['prefix list: no entry contains it', { protocol: 'tcp', fromPort: 443, toPort: 443, prefixListId: 'pl-0a1b' }, tcp('192.168.1.77', '10.0.2.20', 443), 'inbound', false],
    ['prefix list not read', { protocol: 'tcp', fromPort: 443, toPort: 443, prefixListId: 'pl-other' }, tcp('192.168.0.77', '10.0.2.20', 443), 'inbound', false],
    ['icmp: all types', { protocol: 'icmp', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }, { protocol: 1, src: '10.0.1.10', dst: '10.0.2.20', icmpType: 8, icmpCode: 0 }, 'inbound', true],
    ['icmp: echo request only, echo request', { protocol: 'icmp', fromPort: 8, toPort: -1, cidr: '0.0.0.0/0' }, { protocol: 1, src: '10.0.1.10', dst: '10.0.2.20', icmpType: 8, icmpCode: 0 }, 'inbound', true],
    ['icmp: echo request only, unreachable', { protocol: 'icmp', fromPort: 8, toPort: -1, cidr: '0.0.0.0/0' }, { protocol: 1, src: '10.0.1.10', dst: '10.0.2.20', icmpType: 3, icmpCode: 4 }, 'inbound', false],
    ['icmp: type 3 code 4 only, code 4', { protocol: 'icmp', fromPort: 3, toPort: 4, cidr: '0.0.0.0/0' }, { protocol: 1, src: '10.0.1.10', dst: '10.0.2.20', icmpType: 3, icmpCode: 4 }, 'inbound', true],
    ['icmp: type 3 code 4 only, code 1', { protocol: 'icmp', fromPort: 3, toPort: 4, cidr: '0.0.0.0/0' }, { protocol: 1, src: '10.0.1.10', dst: '10.0.2.20', icmpType: 3, icmpCode: 1 }, 'inbound', false],
    ['icmp rule, icmpv6 packet', { protocol: 'icmp', fromPort: -1, toPort: -1, cidr: '::/0' }, { protocol: 58, src: '2001:db8::5', dst: '2001:db8::20', icmpType: 128, icmpCode: 0 }, 'inbound', false],
    ['icmpv6 rule, icmpv6 packet', { protocol: 'icmpv6', fromPort: -1, toPort: -1, cidr: '::/0' }, { protocol: 58, src: '2001:db8::5', dst: '2001:db8::20', icmpType: 128, icmpCode: 0 }, 'inbound', true],
  ];
  test.each(cases)('%s', (_name, rule, packet, direction, expected) => {
    expect(securityGroupRuleMatches(rule, packet, direction, context)).toBe(expected);
  });

  test('an interface\'s groups allow what any rule of any of them allows; no rule, no entry', () => {
    const groups: SecurityGroupConfig[] = [
      { id: 'sg-web', inbound: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' }], outbound: [] },
      { id: 'sg-ssh', inbound: [{ protocol: 'tcp', fromPort: 22, toPort: 22, cidr: '10.0.0.0/8' }], outbound: [] },
    ];
    expect(evaluateSecurityGroups(groups, 'inbound', tcp('10.9.9.9', '10.0.2.20', 22), noGroups)).toMatchObject({ allowed: true, group: { id: 'sg-ssh' } });
    expect(evaluateSecurityGroups(groups, 'inbound', tcp('203.0.113.9', '10.0.2.20', 22), noGroups)).toEqual({ allowed: false });
    expect(evaluateSecurityGroups([], 'inbound', tcp('10.9.9.9', '10.0.2.20', 22), noGroups)).toEqual({ allowed: false });
  });
});

describe('network ACLs', () => {
  const entry = (ruleNumber: number, action: 'allow' | 'deny', more: Partial<AclEntry> = {}): AclEntry => ({ ruleNumber, egress: false, action, protocol: '-1', cidr: '0.0.0.0/0', ...more });
  const acl = (entries: AclEntry[]): NetworkAclConfig => ({ id: 'acl-1', subnetIds: ['subnet-1'], entries });
  const cases: [string, AclEntry[], Packet, 'inbound' | 'outbound', { allowed: boolean; ruleNumber: number }][] = [
    ['lower rule number wins whatever the order listed', [entry(100, 'allow'), entry(90, 'deny', { protocol: '6', fromPort: 5432, toPort: 5432 })], tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', { allowed: false, ruleNumber: 90 }],
    ['a deny for another port is passed over', [entry(90, 'deny', { protocol: '6', fromPort: 22, toPort: 22 }), entry(100, 'allow')], tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', { allowed: true, ruleNumber: 100 }],
    ['port range edges: 1024-65535 includes 1024', [entry(100, 'allow', { protocol: '6', fromPort: 1024, toPort: 65535 })], tcp('10.0.2.20', '10.0.1.10', 1024), 'inbound', { allowed: true, ruleNumber: 100 }],
    ['port range edges: 1024-65535 excludes 1023', [entry(100, 'allow', { protocol: '6', fromPort: 1024, toPort: 65535 })], tcp('10.0.2.20', '10.0.1.10', 1023), 'inbound', { allowed: false, ruleNumber: DEFAULT_ACL_RULE }],
    ['nothing matches: the default deny', [entry(100, 'allow', { cidr: '10.9.0.0/16' })], tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', { allowed: false, ruleNumber: DEFAULT_ACL_RULE }],
    ['the explicit * entry AWS returns', [entry(32767, 'deny')], tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', { allowed: false, ruleNumber: DEFAULT_ACL_RULE }],
    ['egress entries do not judge inbound traffic', [{ ...entry(100, 'allow'), egress: true }], tcp('10.0.1.10', '10.0.2.20', 5432), 'inbound', { allowed: false, ruleNumber: DEFAULT_ACL_RULE }],
    ['outbound looks at the destination', [{ ...entry(100, 'allow', { cidr: '10.0.2.0/24' }), egress: true }], tcp('10.0.1.10', '10.0.2.20', 5432), 'outbound', { allowed: true, ruleNumber: 100 }],
    ['IPv6 traffic needs an IPv6 entry', [entry(100, 'allow'), entry(101, 'allow', { cidr: '::/0' })], tcp('2001:db8::5', '2001:db8::20', 443), 'inbound', { allowed: true, ruleNumber: 101 }],
    ['IPv6 traffic, IPv4 entries only', [entry(100, 'allow')], tcp('2001:db8::5', '2001:db8::20', 443), 'inbound', { allowed: false, ruleNumber: DEFAULT_ACL_RULE }],
    ['icmp type/code: echo request allowed', [entry(100, 'allow', { protocol: '1', icmpType: 8, icmpCode: -1 })], { protocol: 1, src: '10.0.1.10', dst: '10.0.2.20', icmpType: 8, icmpCode: 0 }, 'inbound', { allowed: true, ruleNumber: 100 }],
    ['icmp type/code: unreachable not', [entry(100, 'allow', { protocol: '1', icmpType: 8, icmpCode: -1 })], { protocol: 1, src: '10.0.1.10', dst: '10.0.2.20', icmpType: 3, icmpCode: 4 }, 'inbound', { allowed: false, ruleNumber: DEFAULT_ACL_RULE }],
    ['icmp all types (-1)', [entry(100, 'allow', { protocol: '1', icmpType: -1, icmpCode: -1 })], { protocol: 1, src: '10.0.1.10', dst: '10.0.2.20', icmpType: 3, icmpCode: 4 }, 'inbound', { allowed: true, ruleNumber: 100 }],
    ['udp entry, tcp packet', [entry(100, 'allow', { protocol: '17', fromPort: 0, toPort: 65535 })], tcp('10.0.1.10', '10.0.2.20', 53), 'inbound', { allowed: false, ruleNumber: DEFAULT_ACL_RULE }],
  ];
  test.each(cases)('%s', (_name, entries, packet, direction, expected) => {
    expect(evaluateNetworkAcl(acl(entries), direction, packet)).toMatchObject(expected);
  });
});

test('traffic is described the way a rule reads', () => {
  expect(describeTraffic({ protocol: 'tcp', fromPort: 5432, toPort: 5432 })).toBe('tcp/5432');
  expect(describeTraffic({ protocol: '6', fromPort: 1024, toPort: 65535 })).toBe('tcp/1024-65535');
  expect(describeTraffic({ protocol: '6', fromPort: 0, toPort: 65535 })).toBe('tcp/all ports');
  expect(describeTraffic({ protocol: '-1' })).toBe('all traffic');
  expect(describeTraffic({ protocol: '1', icmpType: 8, icmpCode: -1 })).toBe('icmp type 8');
  expect(describeTraffic({ protocol: 'icmp', fromPort: 3, toPort: 4 })).toBe('icmp type 3 code 4');
});
