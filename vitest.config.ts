import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'stress/**/*.test.ts', 'bench/**/*.test.ts'],
    // dist/ up to date for the tests that run the built command and package (test/cli, test/package).
    globalSetup: ['test/global-setup.ts'],
    // Tests start real worker threads; on a 2-core machine two files at a time is the most that helps.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
