import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { IamPort, RoleInfo } from '../../src/aws/iam.js';
import { bucketPolicyStatements, runSetup } from '../../src/capture/setup.js';
import { renderSafetyNetPolicies } from '../../src/schedule/safety-net.js';
import { FakeAws } from './fakes.js';

const templates = join(import.meta.dirname, '..', '..', 'templates', 'iam');

/** An IAM port that keeps what setup gives it. */
function memoryIam(): IamPort & { roles: Map<string, RoleInfo>; policies: Map<string, string> } {
  const roles = new Map<string, RoleInfo>();
  const policies = new Map<string, string>();
  return {
    roles,
    policies,
    getRole: async (name) => roles.get(name),
    createRole: async (name, trustPolicy) => {
      const role = { name, arn: `arn:aws-cn:iam::123456789012:role/${name}`, trustPolicy };
      roles.set(name, role);
      return role;
    },
    getRolePolicy: async (role, name) => policies.get(`${role}/${name}`),
    putRolePolicy: async (role, name, document) => void policies.set(`${role}/${name}`, document),
  };
}

describe('setup writes its documents in the caller\'s partition', () => {
  test('aws-cn: the bucket policy, the delivery role (trusted from every region, writing only to /flowdump/*) and the safety-net role name arn:aws-cn', async () => {
    const aws = new FakeAws();
    const iam = memoryIam();
    const safety = renderSafetyNetPolicies({ accountId: '123456789012', partition: 'aws-cn' });
    await runSetup(
      { s3: aws.s3, iam },
      {
        account: '123456789012',
        partition: 'aws-cn',
        region: 'cn-north-1',
        bucket: 'flowdump-123456789012-cn-north-1',
        deliveryTrustTemplate: readFileSync(join(templates, 'delivery-role-trust.json'), 'utf8'),
        deliveryPolicy: readFileSync(join(templates, 'delivery-role-policy.json'), 'utf8'),
        lifecycleDays: 7,
        skipRole: false,
        safetyNetRole: { name: safety.roleName, trustPolicy: JSON.stringify(safety.trustPolicy), rolePolicy: JSON.stringify(safety.rolePolicy) },
      },
    );
    const trust = JSON.parse(iam.roles.get('flowdump-flow-logs-delivery')!.trustPolicy!);
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': '123456789012' },
      ArnLike: { 'aws:SourceArn': 'arn:aws-cn:ec2:*:123456789012:vpc-flow-log/*' },
    });
    const delivery = JSON.parse(iam.policies.get('flowdump-flow-logs-delivery/flowdump-delivery')!);
    const writes = delivery.Statement.find((s: { Action: string[] }) => s.Action.includes('logs:PutLogEvents'));
    expect(writes.Resource).toEqual(['arn:aws-cn:logs:*:123456789012:log-group:/flowdump/*', 'arn:aws-cn:logs:*:123456789012:log-group:/flowdump/*:log-stream:*']);
    for (const document of [...iam.policies.values(), ...[...iam.roles.values()].map((role) => role.trustPolicy!)]) {
      expect(document).not.toMatch(/arn:aws:|\$\{|\{\{/);
    }
    const statements = bucketPolicyStatements('flowdump-123456789012-cn-north-1', '123456789012', 'cn-north-1', 'aws-cn');
    expect(JSON.stringify(statements)).not.toContain('arn:aws:');
    expect(statements[1].Resource).toBe('arn:aws-cn:s3:::flowdump-123456789012-cn-north-1/flowdump/*');
  });

  test('without a partition it is aws, as before', () => {
    expect(bucketPolicyStatements('b', '1', 'eu-west-1')[0].Resource).toEqual(['arn:aws:s3:::b', 'arn:aws:s3:::b/*']);
  });
});
