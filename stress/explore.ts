// Bounded exhaustive exploration: every schedule of a small workload within a preemption bound (the DFS of
// src/sim/dfs.ts), each checked by the same oracles as any run. The minimal configuration of the core race
// - two guest calls on one client, one host worker, timeouts that send each straight to its cancel while
// the host completes it - is what `hgcm stress explore` covers by default.
import type { FaultName } from '../src/runtime/index.js';
import { DfsExplorer, type TimeProfile } from '../src/sim/index.js';
import type { Violation } from './oracle/invariants.js';
import { GRACE, call, calls, shared, thread, workload } from './scenario.js';
import { runSim } from './sim-run.js';
import type { Workload } from './workload.js';

/**
 * The minimal core race: one guest thread makes two echo calls with timeout 0 on one client, one vCPU and
 * one host worker. Each call goes async and straight to its cancel, racing its own completion; the second
 * gets the first's address back (ABA). Linux guest (the preallocated, mutex-guarded Cancel2).
 */
export function minimalRace(flavor: 'linux' | 'vbox-7.0' | 'vbox-trunk' = 'linux'): Workload {
  const c = call({ op: 'echo', client: 0, bytes: 16, timeoutMs: 0, interruptible: false });
  return workload(
    'minimal',
    { hostWorkers: 1, vcpus: 1, guest: { flavor, leakScope: 'strict', ...GRACE } },
    [shared('echo')],
    [thread(0, calls([c, c]))],
  );
}

/** Options of an exploration. */
export interface ExploreOptions {
  readonly workload: Workload;
  readonly preemptions: number;
  readonly profile?: TimeProfile;
  readonly faults?: readonly FaultName[];
  /** Stop after this many schedules even if the space is not exhausted. */
  readonly maxSchedules?: number;
  /** Stop at the first violation (default true). */
  readonly stopOnViolation?: boolean;
  readonly progress?: (line: string) => void;
}

/** What an exploration covered. */
export interface ExploreReport {
  readonly schedules: number;
  /** Every schedule within the bound was run. */
  readonly exhausted: boolean;
  readonly violations: number;
  readonly first: { readonly violation: Violation; readonly decisions: readonly string[] } | undefined;
  readonly maxSteps: number;
  readonly tags: ReadonlySet<string>;
  readonly elapsedMs: number;
}

/** Run every schedule of the workload within the bound. */
export async function explore(o: ExploreOptions): Promise<ExploreReport> {
  const dfs = new DfsExplorer({ preemptions: o.preemptions });
  const t0 = performance.now();
  const tags = new Set<string>();
  let violations = 0;
  let first: ExploreReport['first'];
  let maxSteps = 0;
  let last = t0;
  const cap = o.maxSchedules ?? Infinity;
  let exhausted = true;
  let ran = 0;
  for (let s = dfs.next(); s !== undefined; s = dfs.next()) {
    if (ran >= cap) {
      exhausted = false;
      break;
    }
    ran++;
    const r = await runSim({
      workload: o.workload,
      strategy: s,
      profile: o.profile ?? 'realistic',
      faults: o.faults ?? [],
      trace: false,
    });
    maxSteps = Math.max(maxSteps, r.steps);
    for (const t of r.tags) tags.add(t);
    if (r.violations.length > 0) {
      violations++;
      first ??= { violation: r.violations[0]!, decisions: r.decisions };
      if (o.stopOnViolation !== false) {
        exhausted = false;
        break;
      }
    }
    if (o.progress !== undefined && performance.now() - last > 2000) {
      last = performance.now();
      o.progress(`[${((last - t0) / 1000).toFixed(1)}s] ${ran} schedules, ${violations} violating`);
    }
  }
  return { schedules: ran, exhausted, violations, first, maxSteps, tags, elapsedMs: performance.now() - t0 };
}
