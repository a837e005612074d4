import { CreateRoleCommand, GetRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand, type IAMClient } from '@aws-sdk/client-iam';
import { awsErrorCode, callAws, type AwsScope } from './errors.js';
import type { Tags } from './ec2.js';

export interface RoleInfo {
  name: string;
  arn: string;
  /** the trust policy, decoded */
  trustPolicy?: string;
}

/** The IAM calls `flowdump setup` makes (the CloudWatch Logs delivery role). */
export interface IamPort {
  getRole(name: string): Promise<RoleInfo | undefined>;
  createRole(name: string, trustPolicy: string, description: string, tags: Tags): Promise<RoleInfo>;
  getRolePolicy(role: string, policyName: string): Promise<string | undefined>;
  putRolePolicy(role: string, policyName: string, document: string): Promise<void>;
}

/** IAM returns policy documents URL-encoded: https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRolePolicy.html */
function decodePolicy(document: string | undefined): string | undefined {
  if (document === undefined) return undefined;
  try {
    return decodeURIComponent(document);
  } catch {
    return document;
  }
}

export function createIamPort(client: IAMClient, scope: AwsScope): IamPort {
  const missing = (error: unknown) => awsErrorCode(error) === 'NoSuchEntity' || awsErrorCode(error) === 'NoSuchEntityException';
  return {
    async getRole(name) {
      return callAws(scope, { action: 'iam:GetRole', resource: name }, async () => {
        try {
          const role = (await client.send(new GetRoleCommand({ RoleName: name }))).Role;
          return role ? { name, arn: role.Arn ?? '', trustPolicy: decodePolicy(role.AssumeRolePolicyDocument) } : undefined;
        } catch (error) {
          if (missing(error)) return undefined;
          throw error;
        }
      });
    },
    async createRole(name, trustPolicy, description, tags) {
      return callAws(scope, { action: 'iam:CreateRole', resource: name }, async () => {
        const role = (
          await client.send(
            new CreateRoleCommand({
              RoleName: name,
              AssumeRolePolicyDocument: trustPolicy,
              Description: description,
              Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
            }),
          )
        ).Role;
        return { name, arn: role?.Arn ?? '', trustPolicy };
      });
    },
    async getRolePolicy(role, policyName) {
      return callAws(scope, { action: 'iam:GetRolePolicy', resource: `${role}/${policyName}` }, async () => {
        try {
          return decodePolicy((await client.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policyName }))).PolicyDocument);
        } catch (error) {
          if (missing(error)) return undefined;
          throw error;
        }
      });
    },
    async putRolePolicy(role, policyName, document) {
      await callAws(scope, { action: 'iam:PutRolePolicy', resource: `${role}/${policyName}` }, async () => {
        await client.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: policyName, PolicyDocument: document }));
      });
    },
  };
}
