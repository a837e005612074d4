/**
 * `analyze --explain` against moto: security groups with a missing rule and a referenced group,
 * a subnet's network ACL denying a port, a host that ignores a port — each failing peer is
 * pointed at the group, the ACL and its rule number, the referenced group, or "not blocked".
 * The flow-log data is a local file whose addresses are the moto interfaces' private IPs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateNetworkAclCommand,
  CreateNetworkAclEntryCommand,
  CreateNetworkInterfaceCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNetworkAclsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  ReplaceNetworkAclAssociationCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';
import { describe, expect, test } from 'vitest';
import { scratchDir } from '../helpers/scratch.js';
import { bucketName, cliEnv, flowdumpFlowLogs, HANDSHAKE_HEADER, runCli, sdk, seedS3FlowLogFile, windowStart, INTEGRATION_TIMEOUT } from './helpers.js';

interface Vpc {
  vpcId: string;
  sgApp: string;
  sgBatch: string;
  sgDb: string;
  aclB: string;
  eniApp: string;
  eniBatch: string;
  eniDb: string;
}

/**
 * vpc 10.20.0.0/16: app 10.20.1.10 (sg app) and batch 10.20.1.11 (sg batch) in subnet A;
 * db 10.20.2.20 (sg db) in subnet B. sg db: tcp/5432 only from sg app, tcp/8080 and tcp/9200
 * from the VPC, nothing for tcp/6379. Subnet B's ACL: rule 90 denies tcp/9200, rule 100 allows all.
 */
async function buildVpc(ec2: EC2Client): Promise<Vpc> {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  const subnetA = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.1.0/24' }))).Subnet!.SubnetId!;
  const subnetB = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.2.0/24' }))).Subnet!.SubnetId!;
  const group = async (name: string) => (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId }))).GroupId!;
  const sgApp = await group('app');
  const sgBatch = await group('batch');
  const sgDb = await group('db');
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: sgDb,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: sgApp }] },
        { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: '10.20.0.0/16' }] },
        { IpProtocol: 'tcp', FromPort: 9200, ToPort: 9200, IpRanges: [{ CidrIp: '10.20.0.0/16' }] },
      ],
    }),
  );
  const aclB = (await ec2.send(new CreateNetworkAclCommand({ VpcId: vpcId }))).NetworkAcl!.NetworkAclId!;
  const entry = (RuleNumber: number, Egress: boolean, RuleAction: 'allow' | 'deny', Protocol: string, port?: number) =>
    ec2.send(new CreateNetworkAclEntryCommand({ NetworkAclId: aclB, RuleNumber, Egress, RuleAction, Protocol, CidrBlock: '0.0.0.0/0', ...(port ? { PortRange: { From: port, To: port } } : {}) }));
  await entry(90, false, 'deny', '6', 9200);
  await entry(100, false, 'allow', '-1');
  await entry(100, true, 'allow', '-1');
  const defaults = (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetB] }] }))).NetworkAcls![0];
  const association = defaults.Associations!.find((a) => a.SubnetId === subnetB)!.NetworkAclAssociationId!;
  await ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: association, NetworkAclId: aclB }));
  const eni = async (SubnetId: string, PrivateIpAddress: string, group: string) =>
    (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId, PrivateIpAddress, Groups: [group] }))).NetworkInterface!.NetworkInterfaceId!;
  return {
    vpcId,
    sgApp,
    sgBatch,
    sgDb,
    aclB,
    eniApp: await eni(subnetA, '10.20.1.10', sgApp),
    eniBatch: await eni(subnetA, '10.20.1.11', sgBatch),
    eniDb: await eni(subnetB, '10.20.2.20', sgDb),
  };
}

/** What the flow log of the db interface saw: three rejected SYNs, one ignored, one healthy handshake. */
function flowLines(vpc: Vpc): string[] {
  const at = 1_780_000_000;
  const t = (offset: number) => `${at + offset} ${at + offset + 50}`;
  const eni = vpc.eniDb;
  return [
    `5 ${eni} ingress 10.20.1.10 40001 10.20.2.20 6379 10.20.1.10 10.20.2.20 6 2 1 60 ${t(0)} REJECT OK`,
    `5 ${eni} ingress 10.20.1.10 40002 10.20.2.20 9200 10.20.1.10 10.20.2.20 6 2 1 60 ${t(1)} REJECT OK`,
    `5 ${eni} ingress 10.20.1.11 40003 10.20.2.20 5432 10.20.1.11 10.20.2.20 6 2 1 60 ${t(2)} REJECT OK`,
    `5 ${eni} ingress 10.20.1.10 40004 10.20.2.20 8080 10.20.1.10 10.20.2.20 6 2 3 180 ${t(3)} ACCEPT OK`,
    `5 ${eni} ingress 10.20.1.10 40005 10.20.2.20 5432 10.20.1.10 10.20.2.20 6 2 1 60 ${t(4)} ACCEPT OK`,
    `5 ${eni} egress 10.20.2.20 5432 10.20.1.10 40005 10.20.2.20 10.20.1.10 6 18 1 60 ${t(4)} ACCEPT OK`,
  ];
}

async function snapshot(ec2: EC2Client): Promise<unknown> {
  return {
    groups: (await ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups,
    acls: (await ec2.send(new DescribeNetworkAclsCommand({}))).NetworkAcls,
    interfaces: (await ec2.send(new DescribeNetworkInterfacesCommand({}))).NetworkInterfaces,
  };
}

describe('flowdump analyze --explain', { timeout: INTEGRATION_TIMEOUT }, () => {
  test('names the group lacking a rule, the ACL and its rule number, the referenced group, and "not blocked"; changes nothing (ap-southeast-4)', async () => {
    const region = 'ap-southeast-4';
    const aws = sdk(region);
    const vpc = await buildVpc(aws.ec2);
    const dir = scratchDir('flowdump-explain-');
    const file = join(dir, 'db.log');
    writeFileSync(file, `${HANDSHAKE_HEADER}\n${flowLines(vpc).join('\n')}\n`);
    const env = cliEnv({ region });
    const before = await snapshot(aws.ec2);

    const run = await runCli(['analyze', file, '--explain', '--json'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.tcp).toMatchObject({ rejected: 3, unanswered: 1, established: 1 });
    const byPeer = Object.fromEntries(summary.explanations.map((e: { peer: string }) => [e.peer, e]));
    expect(Object.keys(byPeer).sort()).toEqual(['10.20.2.20:5432', '10.20.2.20:6379', '10.20.2.20:8080', '10.20.2.20:9200']);
    // a server group lacking a rule: the group, and the rule to add (printed, never run)
    expect(byPeer['10.20.2.20:6379']).toMatchObject({
      class: 'rejected',
      clients: ['10.20.1.10'],
      verdict: 'security-group',
      resource: vpc.sgDb,
      direction: 'inbound',
      detail: `no inbound rule of ${vpc.sgDb} (db) (on ${vpc.eniDb}, the server 10.20.2.20) allows tcp/6379 from 10.20.1.10`,
      suggestion: `aws ec2 authorize-security-group-ingress --region ${region} --group-id ${vpc.sgDb} --protocol tcp --port 6379 --source-group ${vpc.sgApp}`,
    });
    // the subnet's ACL denying the port: the ACL and its rule number
    expect(byPeer['10.20.2.20:9200']).toMatchObject({ class: 'rejected', verdict: 'network-acl', resource: vpc.aclB, rule: 90, direction: 'inbound' });
    expect(byPeer['10.20.2.20:9200'].suggestion).toBeUndefined();
    // a port allowed only from another group: the referenced group, and the client's own
    expect(byPeer['10.20.2.20:5432']).toMatchObject({ class: 'rejected', clients: ['10.20.1.11'], verdict: 'security-group', resource: vpc.sgDb, direction: 'inbound' });
    expect(byPeer['10.20.2.20:5432'].detail).toBe(`${vpc.sgDb} (db) allows inbound tcp/5432 only from ${vpc.sgApp} (app); 10.20.1.11's interface is in ${vpc.sgBatch} (batch)`);
    // a host that ignores the port
    expect(byPeer['10.20.2.20:8080']).toMatchObject({ class: 'unanswered', verdict: 'not-blocked', detail: expect.stringContaining('the host did not answer') });
    for (const explanation of summary.explanations) expect(Date.parse(explanation.readAt)).toBeGreaterThan(Date.now() - 600_000);
    // nothing in AWS was changed by reading it
    expect(await snapshot(aws.ec2)).toEqual(before);

    // text: a "Why" section after the peers, with the suggested fix
    const text = await runCli(['analyze', file, '--explain'], env);
    expect(text.code).toBe(0);
    const why = text.stdout.slice(text.stdout.indexOf('\nWhy'));
    expect(text.stdout.indexOf('Peers with failures')).toBeLessThan(text.stdout.indexOf('\nWhy'));
    expect(why).toContain(`10.20.2.20:9200 rejected from 10.20.1.10: ${vpc.aclB} rule 90 inbound`);
    expect(why).toContain(`10.20.2.20:8080 unanswered from 10.20.1.10: not blocked`);
    expect(why).toContain(`suggested fix (review, then run it yourself): aws ec2 authorize-security-group-ingress --region ${region} --group-id ${vpc.sgDb}`);
    // markdown and the HTML report carry it too
    const markdown = await runCli(['analyze', file, '--explain', '--markdown'], env);
    expect(markdown.stdout).toContain(`- \`10.20.2.20:6379\` rejected from 10.20.1.10: **${vpc.sgDb} inbound**`);
    const html = join(dir, 'report.html');
    expect((await runCli(['analyze', file, '--explain', '--html', html], env)).code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<section id="why">');
    expect(page).toContain(`<td class="why"><a href="#why">${vpc.aclB} rule 90 inbound</a></td>`);

    // without --explain: no AWS call, no new key, the same output as before
    const plain = await runCli(['analyze', file, '--json'], { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).explanations).toBeUndefined();
    const plainText = await runCli(['analyze', file], { ...env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect(plainText.stdout).not.toContain('Why');
  });

  test("a capture's summary explains by default (its target is known); stop --no-explain leaves it out (ca-west-1)", async () => {
    const region = 'ca-west-1';
    const aws = sdk(region);
    const vpc = await buildVpc(aws.ec2);
    const env = cliEnv({ region });
    expect((await runCli(['setup'], env)).code).toBe(0);
    const summaries: Record<string, unknown>[] = [];
    for (const stopFlags of [[], ['--no-explain']]) {
      const started = await runCli(['start', '--eni', vpc.eniDb, '--for', '30m', '--yes', '--detach'], env);
      expect(started.code).toBe(0);
      const id = started.stdout.split('\n')[0];
      const flowLog = (await flowdumpFlowLogs(aws)).find((f) => f.ResourceId === vpc.eniDb)!;
      await seedS3FlowLogFile(aws, { bucket: bucketName(region), prefix: `flowdump/${id}/`, flowLogId: flowLog.FlowLogId!, windowStart: windowStart(new Date()), lines: flowLines(vpc) });
      const stopped = await runCli(['stop', id, '--settle-timeout', '0s', '--json', ...stopFlags], env);
      expect(stopped.code).toBe(0);
      summaries.push(JSON.parse(stopped.stdout).captures[0].summary);
    }
    const [explained, plain] = summaries as { explanations?: { peer: string; verdict: string; resource?: string; rule?: number }[]; tcp: unknown }[];
    expect(explained.tcp).toMatchObject({ rejected: 3, unanswered: 1 });
    expect(explained.explanations?.find((e) => e.peer === '10.20.2.20:9200')).toMatchObject({ verdict: 'network-acl', resource: vpc.aclB, rule: 90 });
    expect(explained.explanations?.find((e) => e.peer === '10.20.2.20:6379')).toMatchObject({ verdict: 'security-group', resource: vpc.sgDb });
    expect(plain.tcp).toEqual(explained.tcp);
    expect(plain.explanations).toBeUndefined();
  });
});
