// What every stress test file shares: its time limit, and removing the host directories the process's
// machine pool keeps for S19 (a vitest worker may never reach the process's exit hook).
import { afterAll } from 'vitest';
import { simMachines } from '../../stress/sim-pool.js';

// The vitest time limit of the stress tests. Their work is bounded (so many runs, each ended by the sim's
// step limit or the threads executor's watchdog), never the clock: the limit only stops a harness that
// hangs, and leaves a loaded 2-core machine the time it needs (a 120 s limit failed there, issue 13).
export const WORK_BOUNDED = 30 * 60_000;

afterAll(() => simMachines.clear());
