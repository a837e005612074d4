import { describe, expect, test } from 'vitest';
import { checkRegion, resolveRegion, sdkClientConfig } from '../../src/aws/clients.js';
import { UsageError } from '../../src/errors.js';

describe('region', () => {
  test('an unknown region is an error naming where it came from, never a default', async () => {
    await expect(resolveRegion({ region: 'eu-wset-1', env: {} })).rejects.toThrow(UsageError);
    await expect(resolveRegion({ region: 'eu-wset-1', env: {} })).rejects.toThrow('unknown AWS region "eu-wset-1" (from --region); use a region code like us-east-1 or eu-west-1');
    await expect(resolveRegion({ env: { AWS_REGION: 'mars-1' } })).rejects.toThrow(/unknown AWS region "mars-1" \(from AWS_REGION\)/);
  });

  test('the flag wins over the environment', async () => {
    expect(await resolveRegion({ region: 'eu-central-1', env: { AWS_REGION: 'us-west-2' } })).toBe('eu-central-1');
    expect(await resolveRegion({ env: { AWS_DEFAULT_REGION: 'ap-southeast-2' } })).toBe('ap-southeast-2');
    expect(() => checkRegion('us-east-1')).not.toThrow();
  });
});

describe('client config', () => {
  test('AWS_ENDPOINT_URL and AWS_MAX_ATTEMPTS are honoured; retries are adaptive', () => {
    expect(sdkClientConfig('us-east-1', { env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000', AWS_MAX_ATTEMPTS: '2' } })).toEqual({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:5000',
      maxAttempts: 2,
      retryMode: 'adaptive',
    });
    expect(sdkClientConfig('us-east-1', { env: {}, profile: 'dev' })).toMatchObject({ profile: 'dev', maxAttempts: 5 });
  });
});
