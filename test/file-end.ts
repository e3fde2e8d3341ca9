// Setup for every file of the 'threads' project. Its files share worker processes (isolate: false), so
// what one file leaves running would run on into the next, costing it CPU and confusing its own counts:
// a file that ends with a machine still running fails here, and the machine is stopped.
import { afterAll, expect } from 'vitest';
import { runningMachines } from '../src/machine/index.js';

afterAll(async () => {
  const left = runningMachines();
  if (left.length === 0) return;
  await Promise.allSettled(left.map((m) => m.stop()));
  expect.fail(`${left.length} machine(s) still running when the file ended: a test must stop what it starts`);
});
