import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { callAws, type AwsScope } from './errors.js';

export interface CallerIdentity {
  account: string;
  arn: string;
}

/** The STS call flowdump makes: who am I (the account names the setup bucket). */
export interface StsPort {
  getCallerIdentity(): Promise<CallerIdentity>;
}

export function createStsPort(client: STSClient, scope: AwsScope): StsPort {
  let cached: Promise<CallerIdentity> | undefined;
  return {
    getCallerIdentity() {
      cached ??= callAws(scope, { action: 'sts:GetCallerIdentity' }, async () => {
        const response = await client.send(new GetCallerIdentityCommand({}));
        return { account: response.Account ?? '', arn: response.Arn ?? '' };
      });
      // a failure is not cached: the next call asks again
      cached.catch(() => {
        cached = undefined;
      });
      return cached;
    },
  };
}
