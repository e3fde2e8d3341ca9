import { defineConfig } from 'vitest/config';

/** The tests that run `hgcm` and the packed package as processes of their own (they use dist/). */
const PROCESS_TESTS = ['test/package/**/*.test.ts', 'test/cli/process.test.ts'];

export default defineConfig({
  test: {
    // Tests start real worker threads; on a 2-core machine two files at a time is the most that helps.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'threads',
          include: ['test/**/*.test.ts', 'stress/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: PROCESS_TESTS,
        },
      },
      {
        // After the rest (groupOrder): each of these starts many processes at once, which beside the
        // thread-timing tests (the threads campaign) would only slow both.
        extends: true,
        test: {
          name: 'processes',
          include: PROCESS_TESTS,
          sequence: { groupOrder: 1 },
          // dist/ up to date for them.
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
