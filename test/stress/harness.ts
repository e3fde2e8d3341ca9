// What every stress test file shares: its time limit, removing the host directories the process's machine
// pool keeps for S19 (a vitest worker may never reach the process's exit hook), and `hgcm stress` as a
// user runs it.
import { afterAll } from 'vitest';
import { stressMain } from '../../stress/cli.js';
import { simMachines } from '../../stress/sim-pool.js';

// The vitest time limit of the stress tests. Their work is bounded (so many runs, each ended by the sim's
// step limit or the threads executor's watchdog), never the clock: the limit only stops a harness that
// hangs, and leaves a loaded 2-core machine the time it needs (a 120 s limit failed there, issue 13).
export const WORK_BOUNDED = 30 * 60_000;

afterAll(() => simMachines.clear());

/** `hgcm stress ARGS` in this process: its exit code and every line it printed (out and err). */
export async function cli(argv: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const code = await stressMain(
    argv,
    (l) => out.push(l),
    (l) => out.push(l),
  );
  return { code, out };
}
