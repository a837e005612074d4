import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report is what .ci/run counts ("N passed, N failed").
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest-results.json' }]],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'flowdump',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/audit/**'],
          // the build from the current source (test/build-setup.ts), then one moto server (AWS API
          // emulator) for the run (test/integration/global-setup.ts)
          globalSetup: ['test/build-setup.ts', 'test/integration/global-setup.ts'],
          setupFiles: ['test/setup-env.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        // after every other test: the shipped IAM policies, on a moto of its own with IAM enforcement,
        // and the AWS requests the integration tests recorded, against those policies
        extends: true,
        test: { name: 'iam-audit', include: ['test/audit/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
    ],
  },
});
