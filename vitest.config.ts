import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the build from the current source (test/build-setup.ts), then one moto server (AWS API
    // emulator) for the run (test/integration/global-setup.ts)
    globalSetup: ['test/build-setup.ts', 'test/integration/global-setup.ts'],
    setupFiles: ['test/setup-env.ts'],
    // The JSON report is what .ci/run counts ("N passed, N failed").
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest-results.json' }]],
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
