import { defineConfig } from 'vitest/config';
import { TEST_BUILD_VALUE, TEST_BUILD_VAR } from './scripts/test-build.mjs';

/** The tests that run `hgcm` and the packed package as processes of their own (they use dist/). */
const PROCESS_TESTS = ['test/package/**/*.test.ts', 'test/cli/process.test.ts'];

export default defineConfig({
  test: {
    // Tests start real worker threads; on a 2-core machine two files at a time is the most that helps.
    pool: 'forks',
    maxWorkers: 2,
    // Only the guard against a hang: the tests bound their work, not the clock, and on a loaded 2-core
    // machine the demo's 300 operations have taken 68 s (60 s failed it). Files that need more say so.
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // Transformed modules kept on disk between runs (keyed by content and configuration): each test file's
    // fork then reads the src modules it imports from there instead of asking the main process for each;
    // about a tenth of the suite's CPU on 2 cores, measured on test/vbsf + test/machine.
    experimental: { fsModuleCache: true },
    projects: [
      {
        extends: true,
        test: {
          name: 'threads',
          include: ['test/**/*.test.ts', 'stress/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: PROCESS_TESTS,
          // The worker threads of these tests' Machines run the test build's JavaScript copies of the
          // sources (src/runtime/modules.ts): tsx on each thread cost ~2 s of CPU per Machine started.
          // The tests themselves, and everything on their main thread, still run from source.
          globalSetup: ['test/test-build-setup.ts'],
          env: { [TEST_BUILD_VAR]: TEST_BUILD_VALUE },
          // Files share each worker process and its module cache: vitest and the sources are imported
          // once per process, not once per file. Every file must stop what it starts (test/file-end.ts).
          isolate: false,
          setupFiles: ['test/file-end.ts'],
        },
      },
      {
        // Beside the rest, not after it: these are among the longest files (the package test packs and
        // installs the package, then runs the docs), and held to the end they ran alone on the two workers
        // for minutes. Files start longest first (vitest's own order, from the last run's durations;
        // this project, by its name, before 'threads'), so the short files fill the gaps at the end.
        extends: true,
        test: {
          name: 'processes',
          include: PROCESS_TESTS,
          // dist/ up to date for them, and the test build for the Machines of `hgcm stress --executor threads`
          // (test/cli/process.test.ts).
          globalSetup: ['test/global-setup.ts', 'test/test-build-setup.ts'],
        },
      },
    ],
  },
});
