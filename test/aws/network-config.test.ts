import { DescribeNetworkAclsCommand, DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, EC2Client, GetManagedPrefixListEntriesCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, test } from 'vitest';
import { createNetworkConfigPort } from '../../src/aws/network-config.js';
import { readNetworkConfig } from '../../src/explain/gather.js';
import { explainFlow } from '../../src/explain/explain.js';

const scope = { region: 'eu-west-1', policy: 'flowdump-analyze.json' };
const ec2Mock = mockClient(EC2Client);
const port = createNetworkConfigPort(new EC2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }), scope);
const now = () => new Date('2026-12-06T21:30:00.123Z');

function awsError(name: string, message: string, status = 400) {
  return Object.assign(new Error(message), { name, Code: name, $metadata: { httpStatusCode: status, attempts: 1 } });
}

beforeEach(() => ec2Mock.reset());

const dbInterface = {
  NetworkInterfaceId: 'eni-db',
  SubnetId: 'subnet-b',
  VpcId: 'vpc-1',
  PrivateIpAddress: '10.0.2.20',
  PrivateIpAddresses: [{ PrivateIpAddress: '10.0.2.20' }, { PrivateIpAddress: '10.0.2.21' }],
  Ipv6Addresses: [{ Ipv6Address: '2001:db8:2::20' }],
  Groups: [{ GroupId: 'sg-db', GroupName: 'db' }],
};

describe('NetworkConfigPort', () => {
  test('interfaces by address: IPv4 and IPv6 filters, every page, all addresses of each interface', async () => {
    ec2Mock
      .on(DescribeNetworkInterfacesCommand)
      .resolvesOnce({ NetworkInterfaces: [dbInterface], NextToken: 'page-2' })
      .resolvesOnce({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-app', SubnetId: 'subnet-a', PrivateIpAddress: '10.0.1.10', Groups: [{ GroupId: 'sg-app' }] }] })
      .resolves({ NetworkInterfaces: [] });
    const found = await port.interfacesByAddress(['10.0.2.20', '10.0.1.10', '2001:db8:2::20']);
    expect(found).toEqual([
      { id: 'eni-db', subnetId: 'subnet-b', vpcId: 'vpc-1', addresses: ['10.0.2.20', '10.0.2.21', '2001:db8:2::20'], groupIds: ['sg-db'] },
      { id: 'eni-app', subnetId: 'subnet-a', addresses: ['10.0.1.10'], groupIds: ['sg-app'] },
    ]);
    const calls = ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).map((call) => call.args[0].input);
    // (the paginator reuses one input object for a call's pages: its last NextToken shows in both)
    expect(calls).toHaveLength(3);
    expect(calls[1]).toMatchObject({ Filters: [{ Name: 'addresses.private-ip-address', Values: ['10.0.2.20', '10.0.1.10'] }], NextToken: 'page-2' });
    expect(calls[2]).toEqual({ Filters: [{ Name: 'ipv6-addresses.ipv6-address', Values: ['2001:db8:2::20'] }] });
  });

  test('more than 200 addresses are asked in batches of 200 (the filter limit)', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
    await port.interfacesByAddress(Array.from({ length: 450 }, (_, i) => `10.1.${i >> 8}.${i & 255}`));
    expect(ec2Mock.commandCalls(DescribeNetworkInterfacesCommand).map((call) => call.args[0].input.Filters![0].Values!.length)).toEqual([200, 200, 50]);
  });

  test('security groups: rules flattened to one source each (CIDR v4/v6, prefix list, group), paginated', async () => {
    ec2Mock
      .on(DescribeSecurityGroupsCommand)
      .resolvesOnce({
        SecurityGroups: [
          {
            GroupId: 'sg-db',
            GroupName: 'db',
            VpcId: 'vpc-1',
            IpPermissions: [
              { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, IpRanges: [{ CidrIp: '10.0.0.0/16', Description: 'vpc' }], Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32' }], UserIdGroupPairs: [{ GroupId: 'sg-app' }] },
              { IpProtocol: '-1', PrefixListIds: [{ PrefixListId: 'pl-office' }] },
            ],
            IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
          },
        ],
        NextToken: 'next',
      })
      .resolvesOnce({ SecurityGroups: [{ GroupId: 'sg-app', GroupName: 'app', IpPermissions: [], IpPermissionsEgress: [] }] });
    const groups = await port.securityGroups(['sg-db', 'sg-app']);
    expect(groups).toEqual([
      {
        id: 'sg-db',
        name: 'db',
        vpcId: 'vpc-1',
        inbound: [
          { protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '10.0.0.0/16', description: 'vpc' },
          { protocol: 'tcp', fromPort: 5432, toPort: 5432, cidr: '2001:db8::/32' },
          { protocol: 'tcp', fromPort: 5432, toPort: 5432, groupId: 'sg-app' },
          { protocol: '-1', prefixListId: 'pl-office' },
        ],
        outbound: [{ protocol: '-1', cidr: '0.0.0.0/0' }],
      },
      { id: 'sg-app', name: 'app', inbound: [], outbound: [] },
    ]);
    // a filter, so a group deleted since is left out instead of failing the call
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)[0].args[0].input).toMatchObject({ Filters: [{ Name: 'group-id', Values: ['sg-db', 'sg-app'] }] });
    expect(ec2Mock.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(2);
  });

  test('network ACLs: entries with ports, ICMP type/code, IPv6 blocks and the default rule; associations', async () => {
    ec2Mock.on(DescribeNetworkAclsCommand).resolves({
      NetworkAcls: [
        {
          NetworkAclId: 'acl-b',
          VpcId: 'vpc-1',
          IsDefault: false,
          Associations: [{ SubnetId: 'subnet-b' }],
          Entries: [
            { RuleNumber: 90, Egress: false, RuleAction: 'deny', Protocol: '6', CidrBlock: '0.0.0.0/0', PortRange: { From: 5432, To: 5432 } },
            { RuleNumber: 95, Egress: false, RuleAction: 'allow', Protocol: '1', CidrBlock: '10.0.0.0/16', IcmpTypeCode: { Type: 8, Code: -1 } },
            { RuleNumber: 100, Egress: true, RuleAction: 'allow', Protocol: '-1', Ipv6CidrBlock: '::/0' },
            { RuleNumber: 32767, Egress: false, RuleAction: 'deny', Protocol: '-1', CidrBlock: '0.0.0.0/0' },
          ],
        },
      ],
    });
    expect(await port.networkAcls(['subnet-b'])).toEqual([
      {
        id: 'acl-b',
        vpcId: 'vpc-1',
        isDefault: false,
        subnetIds: ['subnet-b'],
        entries: [
          { ruleNumber: 90, egress: false, action: 'deny', protocol: '6', cidr: '0.0.0.0/0', fromPort: 5432, toPort: 5432 },
          { ruleNumber: 95, egress: false, action: 'allow', protocol: '1', cidr: '10.0.0.0/16', icmpType: 8, icmpCode: -1 },
          { ruleNumber: 100, egress: true, action: 'allow', protocol: '-1', cidr: '::/0' },
          { ruleNumber: 32767, egress: false, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
        ],
      },
    ]);
    expect(ec2Mock.commandCalls(DescribeNetworkAclsCommand)[0].args[0].input).toEqual({ Filters: [{ Name: 'association.subnet-id', Values: ['subnet-b'] }] });
  });

  test('prefix-list entries, every page', async () => {
    ec2Mock
      .on(GetManagedPrefixListEntriesCommand)
      .resolvesOnce({ Entries: [{ Cidr: '198.51.100.0/24' }], NextToken: 'more' })
      .resolvesOnce({ Entries: [{ Cidr: '2001:db8:9::/48' }] });
    expect(await port.prefixListEntries('pl-office')).toEqual(['198.51.100.0/24', '2001:db8:9::/48']);
  });
});

describe('readNetworkConfig', () => {
  test('reads interfaces, their groups, referenced groups, prefix lists and ACLs; the time is the read time', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [dbInterface] });
    ec2Mock
      .on(DescribeSecurityGroupsCommand, { Filters: [{ Name: 'group-id', Values: ['sg-db'] }] })
      .resolves({ SecurityGroups: [{ GroupId: 'sg-db', GroupName: 'db', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: 'sg-app' }], PrefixListIds: [{ PrefixListId: 'pl-office' }] }] }] })
      .on(DescribeSecurityGroupsCommand, { Filters: [{ Name: 'group-id', Values: ['sg-app'] }] })
      .resolves({ SecurityGroups: [{ GroupId: 'sg-app', GroupName: 'app' }] });
    ec2Mock.on(GetManagedPrefixListEntriesCommand).resolves({ Entries: [{ Cidr: '198.51.100.0/24' }] });
    ec2Mock.on(DescribeNetworkAclsCommand).resolves({ NetworkAcls: [{ NetworkAclId: 'acl-b', Associations: [{ SubnetId: 'subnet-b' }], Entries: [] }] });
    const config = await readNetworkConfig(port, { addresses: ['10.0.2.20'], interfaceIds: ['eni-db'], now });
    expect(config.readAt).toBe('2026-12-06T21:30:00Z');
    expect(config.interfaces.map((eni) => eni.id)).toEqual(['eni-db']);
    expect(config.groups.map((group) => `${group.id} ${group.name}`)).toEqual(['sg-db db', 'sg-app app']);
    expect(config.prefixLists).toEqual({ 'pl-office': ['198.51.100.0/24'] });
    expect(config.acls.map((acl) => acl.id)).toEqual(['acl-b']);
    expect(config.denied).toEqual([]);
  });

  test('AccessDenied on a read: recorded with the permission, the other reads go on, the verdict is unknown naming it', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [dbInterface] });
    ec2Mock.on(DescribeSecurityGroupsCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403));
    ec2Mock.on(DescribeNetworkAclsCommand).resolves({ NetworkAcls: [] });
    const config = await readNetworkConfig(port, { addresses: ['10.0.2.20'], now });
    expect(config.denied).toEqual([{ action: 'ec2:DescribeSecurityGroups', reason: expect.stringContaining('AWS denied ec2:DescribeSecurityGroups') }]);
    expect(config.denied[0].reason).toContain('templates/iam/flowdump-analyze.json');
    expect(ec2Mock.commandCalls(DescribeNetworkAclsCommand)).toHaveLength(1);
    const verdict = explainFlow(config, { client: '198.51.100.7', clientPort: 40000, server: '10.0.2.20', port: 5432, class: 'rejected' });
    expect(verdict.verdict).toBe('unknown');
    expect(verdict.detail).toContain('ec2:DescribeSecurityGroups');
  });

  test('every read denied: no interfaces, and the reason says which permission', async () => {
    ec2Mock.on(DescribeNetworkInterfacesCommand).rejects(awsError('UnauthorizedOperation', 'no', 403));
    const config = await readNetworkConfig(port, { addresses: ['10.0.2.20'], interfaceIds: ['eni-db'], now });
    expect(config.denied.map((denied) => denied.action)).toEqual(['ec2:DescribeNetworkInterfaces']);
    const verdict = explainFlow(config, { client: '10.0.1.10', clientPort: 40000, server: '10.0.2.20', port: 5432, class: 'unanswered' });
    expect(verdict.verdict).toBe('unknown');
    expect(verdict.detail).toMatch(/^the network interfaces of 10\.0\.1\.10 and 10\.0\.2\.20 could not be read \(ec2:DescribeNetworkInterfaces\): AWS denied ec2:DescribeNetworkInterfaces .*templates\/iam\/flowdump-analyze\.json/);
  });
});
