import { describe, expect, test } from 'vitest';
import { explainFlow, explainSummary, NOT_BLOCKED_UNANSWERED, type FlowQuestion } from '../../src/explain/explain.js';
import type { AclEntry, NetworkAclConfig, NetworkConfig, SecurityGroupConfig } from '../../src/explain/model.js';
import { analyzeLines, tcp } from '../helpers/flow-lines.js';

/**
 * A small VPC: app (10.0.1.10, sg-app) and batch (10.0.1.11, sg-batch) in subnet-a, db (10.0.2.20,
 * sg-db) in subnet-b, IPv6 web (2001:db8:2::20, sg-web) in subnet-b. Each test changes what it needs.
 */
const allowAll = (egress: boolean): AclEntry[] => [
  { ruleNumber: 100, egress, action: 'allow', protocol: '-1', cidr: '0.0.0.0/0' },
  { ruleNumber: 101, egress, action: 'allow', protocol: '-1', cidr: '::/0' },
  { ruleNumber: 32767, egress, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
];
const openAcl = (id: string, subnet: string): NetworkAclConfig => ({ id, subnetIds: [subnet], entries: [...allowAll(false), ...allowAll(true)] });
const egressAll = [{ protocol: '-1', cidr: '0.0.0.0/0' }, { protocol: '-1', cidr: '::/0' }];

function vpc(change: (config: NetworkConfig) => void = () => undefined): NetworkConfig {
  const groups: SecurityGroupConfig[] = [
    { id: 'sg-app', name: 'app', vpcId: 'vpc-1', inbound: [], outbound: egressAll },
    { id: 'sg-batch', name: 'batch', vpcId: 'vpc-1', inbound: [], outbound: egressAll },
    { id: 'sg-db', name: 'db', vpcId: 'vpc-1', inbound: [{ protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '10.0.0.0/16' }], outbound: egressAll },
    { id: 'sg-web', name: 'web', vpcId: 'vpc-1', inbound: [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '::/0' }], outbound: egressAll },
  ];
  const config: NetworkConfig = {
    readAt: '2026-12-06T21:30:00Z',
    interfaces: [
      { id: 'eni-app', subnetId: 'subnet-a', vpcId: 'vpc-1', addresses: ['10.0.1.10'], groupIds: ['sg-app'] },
      { id: 'eni-batch', subnetId: 'subnet-a', vpcId: 'vpc-1', addresses: ['10.0.1.11', '2001:db8:1::11'], groupIds: ['sg-batch'] },
      { id: 'eni-db', subnetId: 'subnet-b', vpcId: 'vpc-1', addresses: ['10.0.2.20'], groupIds: ['sg-db'] },
      { id: 'eni-web', subnetId: 'subnet-b', vpcId: 'vpc-1', addresses: ['2001:db8:2::20'], groupIds: ['sg-web'] },
    ],
    groups,
    acls: [openAcl('acl-a', 'subnet-a'), openAcl('acl-b', 'subnet-b')],
    prefixLists: {},
    denied: [],
  };
  change(config);
  return config;
}
const group = (config: NetworkConfig, id: string): SecurityGroupConfig => config.groups.find((g) => g.id === id)!;
const acl = (config: NetworkConfig, id: string): NetworkAclConfig => config.acls.find((a) => a.id === id)!;
const toDb = (more: Partial<FlowQuestion> = {}): FlowQuestion => ({ client: '10.0.1.10', clientPort: 40001, server: '10.0.2.20', port: 5432, class: 'rejected', ...more });

describe('explainFlow: the first thing on the path that blocks it', () => {
  test('the server\'s group lacks a rule: names the group and suggests the ingress rule (the client\'s group, same VPC)', () => {
    const verdict = explainFlow(vpc(), toDb({ port: 6379 }), { region: 'eu-west-1' });
    expect(verdict).toEqual({
      verdict: 'security-group',
      resource: 'sg-db',
      direction: 'inbound',
      detail: 'no inbound rule of sg-db (db) (on eni-db, the server 10.0.2.20) allows tcp/6379 from 10.0.1.10',
      suggestion: 'aws ec2 authorize-security-group-ingress --region eu-west-1 --group-id sg-db --protocol tcp --port 6379 --source-group sg-app',
    });
  });

  test('a client outside the VPC: the suggestion names its address', () => {
    const verdict = explainFlow(vpc(), toDb({ client: '198.51.100.7' }));
    expect(verdict).toMatchObject({ verdict: 'security-group', resource: 'sg-db', direction: 'inbound' });
    expect(verdict.detail).toBe('sg-db (db) allows inbound tcp/5432 only from 10.0.0.0/16');
    expect(verdict.suggestion).toBe('aws ec2 authorize-security-group-ingress --group-id sg-db --protocol tcp --port 5432 --cidr 198.51.100.7/32');
  });

  test('a group that allows the port only from another group names that group and the client\'s own', () => {
    const config = vpc((c) => (group(c, 'sg-db').inbound = [{ protocol: 'tcp', fromPort: 5432, toPort: 5432, groupId: 'sg-app' }]));
    expect(explainFlow(config, toDb()).verdict).toBe('not-blocked');
    const verdict = explainFlow(config, toDb({ client: '10.0.1.11' }));
    expect(verdict).toMatchObject({ verdict: 'security-group', resource: 'sg-db', direction: 'inbound' });
    expect(verdict.detail).toBe("sg-db (db) allows inbound tcp/5432 only from sg-app (app); 10.0.1.11's interface is in sg-batch (batch)");
    // a client outside the VPC is in no group at all
    expect(explainFlow(config, toDb({ client: '198.51.100.7' })).detail).toBe('sg-db (db) allows inbound tcp/5432 only from sg-app (app); 198.51.100.7 is in none of them');
  });

  test('the server subnet\'s ACL denies the port: the ACL and its rule number', () => {
    const config = vpc((c) => acl(c, 'acl-b').entries.push({ ruleNumber: 90, egress: false, action: 'deny', protocol: '6', cidr: '0.0.0.0/0', fromPort: 5432, toPort: 5432 }));
    const verdict = explainFlow(config, toDb());
    expect(verdict).toMatchObject({ verdict: 'network-acl', resource: 'acl-b', rule: 90, direction: 'inbound' });
    expect(verdict.detail).toContain('rule 90 denies tcp/5432 from 0.0.0.0/0');
    expect(verdict.suggestion).toBeUndefined();
  });

  test('the client subnet\'s ACL outbound is checked before the server\'s side', () => {
    const config = vpc((c) => {
      acl(c, 'acl-a').entries = acl(c, 'acl-a').entries.filter((e) => !e.egress || e.ruleNumber === 32767);
      group(c, 'sg-db').inbound = [];
    });
    expect(explainFlow(config, toDb())).toMatchObject({ verdict: 'network-acl', resource: 'acl-a', rule: 32767, direction: 'outbound' });
  });

  test('the client\'s own group, outbound, when its egress was narrowed', () => {
    const config = vpc((c) => (group(c, 'sg-app').outbound = [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' }]));
    const verdict = explainFlow(config, toDb());
    expect(verdict).toMatchObject({ verdict: 'security-group', resource: 'sg-app', direction: 'outbound' });
    expect(verdict.suggestion).toBe("aws ec2 authorize-security-group-egress --group-id sg-app --ip-permissions 'IpProtocol=tcp,FromPort=5432,ToPort=5432,UserIdGroupPairs=[{GroupId=sg-db}]'");
  });

  test('a reply the server subnet\'s ACL drops (stateless: ephemeral ports)', () => {
    const config = vpc((c) => {
      acl(c, 'acl-b').entries = [
        ...allowAll(false),
        { ruleNumber: 100, egress: true, action: 'allow', protocol: '6', cidr: '0.0.0.0/0', fromPort: 0, toPort: 1023 },
        { ruleNumber: 32767, egress: true, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
      ];
    });
    const unanswered = explainFlow(config, toDb({ class: 'unanswered', clientPort: 40001 }));
    expect(unanswered).toMatchObject({ verdict: 'network-acl', resource: 'acl-b', rule: 32767, direction: 'outbound' });
    expect(unanswered.detail).toContain('the reply tcp 10.0.2.20:5432 → 10.0.1.10:40001');
    // a rejected SYN whose way there is open: the rejected reply (SYN-ACK) is the answer too
    expect(explainFlow(config, toDb({ class: 'rejected' }))).toMatchObject({ verdict: 'network-acl', resource: 'acl-b', rule: 32767, direction: 'outbound' });
    // the client's inbound: its ACL lets the reply in only on low ports
    const clientSide = vpc((c) => {
      acl(c, 'acl-a').entries = [{ ruleNumber: 50, egress: false, action: 'allow', protocol: '6', cidr: '10.0.0.0/16', fromPort: 22, toPort: 22 }, ...allowAll(true)];
    });
    expect(explainFlow(clientSide, toDb({ class: 'unanswered', clientPort: null }))).toMatchObject({ verdict: 'network-acl', resource: 'acl-a', rule: 32767, direction: 'inbound' });
  });

  test('an interface without security groups (a NAT gateway\'s) is judged by its subnet\'s ACL only', () => {
    const config = vpc((c) => c.interfaces.push({ id: 'eni-nat', subnetId: 'subnet-b', vpcId: 'vpc-1', addresses: ['10.0.2.5'], groupIds: [], interfaceType: 'nat_gateway' }));
    expect(explainFlow(config, toDb({ server: '10.0.2.5', port: 443 })).verdict).toBe('not-blocked');
    acl(config, 'acl-b').entries.unshift({ ruleNumber: 10, egress: false, action: 'deny', protocol: '6', cidr: '10.0.1.0/24', fromPort: 443, toPort: 443 });
    expect(explainFlow(config, toDb({ server: '10.0.2.5', port: 443 }))).toMatchObject({ verdict: 'network-acl', resource: 'acl-b', rule: 10 });
  });

  test('nothing blocks an unanswered SYN: the host', () => {
    expect(explainFlow(vpc(), toDb({ class: 'unanswered' }))).toEqual({ verdict: 'not-blocked', detail: NOT_BLOCKED_UNANSWERED });
  });

  test('inside one subnet no network ACL applies', () => {
    const config = vpc((c) => {
      acl(c, 'acl-a').entries = [];
      group(c, 'sg-batch').inbound = [{ protocol: '-1', groupId: 'sg-app' }];
    });
    expect(explainFlow(config, { client: '10.0.1.10', clientPort: 40001, server: '10.0.1.11', port: 8080, class: 'unanswered' }).verdict).toBe('not-blocked');
  });

  test('IPv6: an IPv4-only rule does not admit it; the suggestion uses Ipv6Ranges', () => {
    const config = vpc((c) => (group(c, 'sg-web').inbound = [{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' }]));
    const verdict = explainFlow(config, { client: '2001:db8:ffff::1', clientPort: 50000, server: '2001:db8:2::20', port: 443, class: 'rejected' });
    expect(verdict).toMatchObject({ verdict: 'security-group', resource: 'sg-web' });
    expect(verdict.suggestion).toBe("aws ec2 authorize-security-group-ingress --group-id sg-web --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,Ipv6Ranges=[{CidrIpv6=2001:db8:ffff::1/128}]'");
    expect(explainFlow(vpc(), { client: '2001:db8:ffff::1', clientPort: 50000, server: '2001:db8:2::20', port: 443, class: 'rejected' }).verdict).toBe('not-blocked');
  });

  test('a prefix list: its entries decide; one that could not be read gives unknown', () => {
    const config = vpc((c) => {
      group(c, 'sg-db').inbound = [{ protocol: 'tcp', fromPort: 5432, toPort: 5432, prefixListId: 'pl-office' }];
      c.prefixLists['pl-office'] = ['198.51.100.0/24'];
    });
    expect(explainFlow(config, toDb({ client: '198.51.100.7' })).verdict).toBe('not-blocked');
    expect(explainFlow(config, toDb({ client: '203.0.113.7' }))).toMatchObject({ verdict: 'security-group', resource: 'sg-db' });
    delete config.prefixLists['pl-office'];
    expect(explainFlow(config, toDb({ client: '198.51.100.7' }))).toMatchObject({ verdict: 'unknown', detail: expect.stringContaining('pl-office') });
  });

  test('unknown: neither side in the VPC, or a read that was denied (naming the permission)', () => {
    expect(explainFlow(vpc(), toDb({ client: '198.51.100.7', server: '203.0.113.9' }))).toMatchObject({ verdict: 'unknown', detail: expect.stringContaining('outside the VPC') });
    const denied = vpc((c) => {
      c.groups = [];
      c.denied = [{ action: 'ec2:DescribeSecurityGroups', reason: 'AWS denied ec2:DescribeSecurityGroups' }];
    });
    const verdict = explainFlow(denied, toDb());
    expect(verdict.verdict).toBe('unknown');
    expect(verdict.detail).toContain('ec2:DescribeSecurityGroups');
    const noAcl = vpc((c) => (c.acls = []));
    expect(explainFlow(noAcl, toDb()).detail).toContain('the network ACL of subnet-a');
  });

  test('a server outside the VPC: the client side is checked, the rest is unknown', () => {
    expect(explainFlow(vpc(), toDb({ server: '203.0.113.9' }))).toMatchObject({ verdict: 'unknown', detail: expect.stringContaining('203.0.113.9 belongs to no network interface') });
  });
});

describe('explainSummary', () => {
  test('one explanation per failing peer and class, split where clients fail differently; none for healthy peers', async () => {
    const summary = await analyzeLines([
      tcp('10.0.1.10:40001', '10.0.2.20:5432', 2, { action: 'REJECT' }),
      tcp('10.0.1.11:40002', '10.0.2.20:5432', 2, { action: 'REJECT', at: 1 }),
      tcp('10.0.1.10:40003', '10.0.2.20:22', 2, { at: 2 }),
      tcp('10.0.1.10:40004', '10.0.2.20:443', 2, { at: 3 }),
      tcp('10.0.2.20:443', '10.0.1.10:40004', 18, { at: 3 }),
    ]);
    const config = vpc((c) => {
      group(c, 'sg-db').inbound = [
        { protocol: 'tcp', fromPort: 5432, toPort: 5432, groupId: 'sg-app' },
        { protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0' },
      ];
    });
    const explanations = explainSummary(summary, config);
    expect(explanations).toEqual([
      expect.objectContaining({ peer: '10.0.2.20:5432', class: 'rejected', clients: ['10.0.1.10'], verdict: 'not-blocked' }),
      expect.objectContaining({ peer: '10.0.2.20:5432', class: 'rejected', clients: ['10.0.1.11'], verdict: 'security-group', resource: 'sg-db', direction: 'inbound' }),
      expect.objectContaining({ peer: '10.0.2.20:22', class: 'unanswered', clients: ['10.0.1.10'], verdict: 'security-group', resource: 'sg-db', suggestion: expect.stringContaining('--port 22') }),
    ]);
    expect(explanations.every((e) => e.readAt === '2026-12-06T21:30:00Z')).toBe(true);
    // --top: only the worst peer
    expect(new Set(explainSummary(summary, config, { top: 1 }).map((e) => e.peer))).toEqual(new Set(['10.0.2.20:5432']));
  });
});
