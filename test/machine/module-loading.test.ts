// Where a Machine's threads load their code from: under the tests' switch (vitest.config.ts) the test
// build's JavaScript copies, plain; without it, from source, each thread registering tsx through
// ts-boot.mjs (how a user runs the library and .ts guest programs from a checkout, with tsx).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { TEST_BUILD_VAR } from '../../src/runtime/modules.js';
import { BUILT_ROOT, SOURCE_ROOT, TEST_BUILD_VALUE } from '../../scripts/test-build.mjs';

const program = new URL('./programs/where.ts', import.meta.url);
const tally = { name: 'tally', module: new URL('./services/tally.ts', import.meta.url), export: 'tally' };

/** Start a machine with the tally service, run `where` once, stop it. */
async function whereOnce(): Promise<{ url: string; tsx: boolean; total: number }> {
  const m = await Machine.start({ vcpus: 1, hostWorkers: 1, services: [tally] });
  try {
    return await m.run({ module: program, export: 'where' });
  } finally {
    await m.stop();
  }
}

describe('module loading', () => {
  const saved = process.env[TEST_BUILD_VAR];
  afterEach(() => {
    if (saved === undefined) delete process.env[TEST_BUILD_VAR];
    else process.env[TEST_BUILD_VAR] = saved;
  });

  test("under the tests' switch a vCPU runs the test build's copy of a .ts program, without tsx", async () => {
    expect(saved).toBe(TEST_BUILD_VALUE);
    const r = await whereOnce();
    const rel = path.relative(SOURCE_ROOT, fileURLToPath(program)).replace(/\.ts$/, '.js');
    expect(r).toEqual({ url: pathToFileURL(path.join(BUILT_ROOT, rel)).href, tsx: false, total: 1 });
  });

  test('from source (switch off) a vCPU registers tsx through ts-boot and runs the .ts program', async () => {
    delete process.env[TEST_BUILD_VAR];
    const r = await whereOnce();
    expect(r).toEqual({ url: program.href, tsx: true, total: 1 });
  });
});
