// Bounded exhaustive exploration of the minimal core race (two calls, one host worker, timeout 0): every
// schedule within the bound passes, and the same search finds the broken lock discipline at once.
import { expect, test, vi } from 'vitest';
import { WORK_BOUNDED } from './harness.js';
import { explore, minimalRace } from '../../stress/explore.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

test('preemption bound 1: every schedule of the minimal race, none violating', async () => {
  const r = await explore({ workload: minimalRace(), preemptions: 1 });
  console.log(`explored ${r.schedules} schedules in ${r.elapsedMs.toFixed(0)} ms`);
  expect(r.exhausted).toBe(true);
  expect(r.violations).toBe(0);
  // Pinned: a change in the count means the points of the core race changed (1,992 before the capture
  // window added the cancel's wait for an input copy in progress).
  expect(r.schedules).toBe(2136);
  // The core race's orders are all among them.
  for (const c of ['cancelAtRemove', 'doneBeforeCancel', 'graceCompleted', 'completedCancelled', 'abaReuse'])
    expect(r.tags.has(c), c).toBe(true);
});

test('the same search finds a cancel that marks without the list lock, and a check before the remove', async () => {
  for (const fault of ['cancel-without-lock', 'check-before-remove'] as const) {
    const r = await explore({ workload: minimalRace(), preemptions: 1, faults: [fault] });
    expect(r.first?.violation.inv, fault).toBe('I2');
    expect(r.schedules).toBeLessThan(500);
  }
});
