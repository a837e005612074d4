import { expect, test } from 'vitest';
import { loadPolicyActions } from '../../src/aws/errors.js';

/** Every read --explain makes (src/aws/network-config.ts), by IAM action. */
const EXPLAIN_ACTIONS = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups', 'ec2:DescribeNetworkAcls', 'ec2:GetManagedPrefixListEntries'];

test.each(['flowdump-analyze.json', 'flowdump-capture-s3.json', 'flowdump-capture-logs.json'])('%s allows every read of --explain, and no write to security groups or ACLs', (file) => {
  const actions = loadPolicyActions().get(file) ?? [];
  for (const action of EXPLAIN_ACTIONS) expect(actions).toContain(action);
  expect(actions.filter((action) => /SecurityGroup|NetworkAcl|PrefixList/.test(action) && !/^ec2:(Describe|Get)/.test(action))).toEqual([]);
});
