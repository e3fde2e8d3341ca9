// Scheduling strategies for the sim: which enabled actor runs next. Random and PCT search for bugs;
// replay follows a recorded decision list exactly and stops at the first divergence; guided follows one
// where it can (what shrinking needs); first and sticky are the plain deterministic choices.
// Reference: cancel-race.md section 4.3 (PCT: Burckhardt et al., ASPLOS'10; Shuttle's PctScheduler).
import { Prng } from '../runtime/index.js';
import type { Strategy } from './types.js';

/** Uniformly random choice from a seed. */
export function randomStrategy(seed: number): Strategy {
  const rng = new Prng(seed);
  return { pick: (enabled) => rng.int(enabled.length) };
}

/** Always the first enabled actor (boot, set-up phases). */
export const firstStrategy: Strategy = { pick: () => 0 };

/** Keep running the last actor while it can run; otherwise the first enabled one (no preemptions). */
export function stickyStrategy(): Strategy {
  let last: string | undefined;
  return {
    pick(enabled) {
      const i = last === undefined ? -1 : enabled.indexOf(last);
      const choice = i >= 0 ? i : 0;
      last = enabled[choice];
      return choice;
    },
  };
}

/**
 * PCT with bug depth `depth`: every actor gets a random priority when first seen (all above `depth`),
 * and d-1 change points drawn uniformly in [0, steps) lower the priority of the actor running at that
 * step below every initial one. The highest-priority enabled actor always runs. A bug of depth d among n
 * actors and k steps is found with probability >= 1/(n k^(d-1)) per run.
 */
export function pctStrategy(seed: number, depth: number, steps: number): Strategy {
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`PCT depth must be >= 1, got ${depth}`);
  const rng = new Prng(seed);
  const changeAt = new Map<number, number>();
  const horizon = Math.max(1, steps);
  while (changeAt.size < Math.min(depth - 1, horizon)) {
    const at = rng.int(horizon);
    // The i-th change point lowers to priority depth - 1 - i: later changes sink below earlier ones.
    if (!changeAt.has(at)) changeAt.set(at, depth - 1 - changeAt.size);
  }
  const prio = new Map<string, number>();
  return {
    pick(enabled, step) {
      let best = 0;
      let bestPrio = -Infinity;
      for (let i = 0; i < enabled.length; i++) {
        const id = enabled[i]!;
        let p = prio.get(id);
        if (p === undefined) {
          p = depth + rng.float();
          prio.set(id, p);
        }
        if (p > bestPrio) {
          best = i;
          bestPrio = p;
        }
      }
      const lowered = changeAt.get(step);
      if (lowered !== undefined) prio.set(enabled[best]!, lowered);
      return best;
    },
  };
}

/** A replay met a state the recording did not: the run is not the recorded one. */
export class DivergenceError extends Error {
  readonly code = 'SIM_DIVERGENCE';
  readonly step: number;
  constructor(step: number, message: string) {
    super(`schedule diverged at step ${step}: ${message}`);
    this.name = 'DivergenceError';
    this.step = step;
  }
}

/**
 * Follow `decisions` (the actor chosen at each step) exactly. A recorded actor that is not enabled, or a
 * run longer than the recording, throws DivergenceError at that step.
 */
export function replayStrategy(decisions: readonly string[]): Strategy {
  return {
    pick(enabled, step) {
      const want = decisions[step];
      if (want === undefined)
        throw new DivergenceError(step, `the recording ends (${decisions.length} steps) but the run goes on`);
      const i = enabled.indexOf(want);
      if (i < 0) throw new DivergenceError(step, `recorded ${want}, enabled [${enabled.join(', ')}]`);
      return i;
    },
  };
}

/**
 * Follow `decisions` where the recorded actor can run; otherwise (a hole, an actor that cannot run, or
 * past the end) keep the last actor going if it can, else choose like `fallback`. How a shrinker tries an
 * edited schedule: small edits stay close to the original run, and holes add no preemptions.
 */
export function guidedStrategy(
  decisions: readonly (string | undefined)[],
  fallback: Strategy = firstStrategy,
): Strategy {
  let last: string | undefined;
  return {
    pick(enabled, step) {
      const want = decisions[step];
      let i = want === undefined ? -1 : enabled.indexOf(want);
      if (i < 0) {
        // Keep the last actor going if it can (fewest new preemptions), else ask the fallback.
        const j = last === undefined ? -1 : enabled.indexOf(last);
        i = j >= 0 ? j : fallback.pick(enabled, step);
      }
      last = enabled[i];
      return i;
    },
  };
}

/** Record the actor each step chose, around any strategy. */
export function recording(inner: Strategy): { strategy: Strategy; decisions: string[] } {
  const decisions: string[] = [];
  return {
    decisions,
    strategy: {
      pick(enabled, step) {
        const i = inner.pick(enabled, step);
        decisions[step] = enabled[i]!;
        return i;
      },
    },
  };
}
