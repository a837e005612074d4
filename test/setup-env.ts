/**
 * Runs in every test worker before the tests: no test can reach real AWS. Fake credentials,
 * no profile files, no instance metadata, and the only endpoint is the local moto server.
 */
import { afterAll, inject } from 'vitest';
import { removeScratchDirs } from './helpers/scratch.js';

const endpoint = inject('motoEndpoint');
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(endpoint ?? '')) throw new Error(`refusing to run: the AWS endpoint for tests must be moto on 127.0.0.1, not ${endpoint}`);
process.env.AWS_ENDPOINT_URL = endpoint;
process.env.AWS_ACCESS_KEY_ID = 'testing';
process.env.AWS_SECRET_ACCESS_KEY = 'testing';
process.env.AWS_SESSION_TOKEN = 'testing';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_CONFIG_FILE = '/nonexistent/flowdump-test-aws-config';
process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/flowdump-test-aws-credentials';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
delete process.env.AWS_PROFILE;
delete process.env.AWS_DEFAULT_PROFILE;

// temporary directories the file's tests made (test/helpers/scratch.ts) go when its tests end
afterAll(removeScratchDirs);
