// The mutation self-test: every mutation in src/runtime/faults.ts is caught by an oracle within its
// budget, and only by runs that pass without it. Prints the runs-to-detection table.
import { expect, test, vi } from 'vitest';
import { WORK_BOUNDED } from './harness.js';
import { MUTATIONS } from '../../src/runtime/faults.js';
import { MUTATION_PLAN, mutationTable, runMutate } from '../../stress/mutate.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

test('every mutant is killed', async () => {
  const r = await runMutate({ seed: 0x5eed, budget: 300, strategy: 'mix', profile: 'mix' });
  console.log(mutationTable(r.rows).join('\n'));
  expect(Object.keys(MUTATION_PLAN).sort()).toEqual(Object.keys(MUTATIONS).sort());
  expect(r.rows.filter((x) => x.runs === undefined).map((x) => x.mutation)).toEqual([]);
  expect(r.rows.filter((x) => x.baselineFailures > 0).map((x) => x.mutation)).toEqual([]);
  expect(r.ok).toBe(true);
});

test('a second seed kills them too (the table is not one lucky seed)', async () => {
  const r = await runMutate({ seed: 2024, budget: 300, strategy: 'mix', profile: 'mix' });
  expect(r.rows.filter((x) => x.runs === undefined).map((x) => x.mutation)).toEqual([]);
});
