// Shrinking a failing schedule: find a shorter schedule, with fewer context switches, that breaks the same
// invariant. Candidates are edits of the decision list run with the guided strategy (a hole or a stale
// choice keeps the last actor going): first the shortest failing prefix, then chunks of choices dropped,
// halving the chunk size (delta debugging). Every accepted candidate is re-recorded, so the result
// replays exactly like any schedule.
import { guidedStrategy, recording } from '../src/sim/index.js';
import type { InvariantId } from './oracle/invariants.js';
import { scheduleOf, type ScheduleFile } from './schedule.js';
import { runSim } from './sim-run.js';

/** What shrinking did. */
export interface ShrinkResult {
  readonly schedule: ScheduleFile;
  /** Runs tried. */
  readonly attempts: number;
  readonly before: { readonly steps: number; readonly switches: number };
  readonly after: { readonly steps: number; readonly switches: number };
}

/** Context switches in a decision list (a proxy for preemptions: the shrinker's second measure). */
export function switches(d: readonly string[]): number {
  let n = 0;
  for (let i = 1; i < d.length; i++) if (d[i] !== d[i - 1]) n++;
  return n;
}

/** Shrink `s` (which must record a violation) within `budget` runs. */
export async function shrinkSchedule(s: ScheduleFile, budget = 400): Promise<ShrinkResult> {
  const target: InvariantId | undefined = s.violation?.inv;
  if (target === undefined) throw new Error('the schedule records no violation: nothing to shrink toward');
  let best = s;
  let attempts = 0;
  const score = (d: readonly string[]): [number, number] => [d.length, switches(d)];
  const better = (a: readonly string[], b: readonly string[]): boolean => {
    const [la, sa] = score(a);
    const [lb, sb] = score(b);
    return la < lb || (la === lb && sa < sb);
  };
  /** Run a candidate; the new schedule if it fails the same way and beats the best so far. */
  const attempt = async (cand: readonly (string | undefined)[]): Promise<boolean> => {
    if (attempts >= budget) return false;
    attempts++;
    const rec = recording(guidedStrategy(cand));
    const r = await runSim({
      workload: s.workload,
      strategy: rec.strategy,
      profile: s.profile,
      faults: s.faults,
    });
    if (r.violations[0]?.inv !== target || !better(r.decisions, best.decisions)) return false;
    best = scheduleOf(r, {
      spec: undefined,
      strategy: 'shrunk',
      profile: s.profile,
      faults: s.faults,
      workload: s.workload,
    });
    return true;
  };

  // The shortest prefix that still fails (the tail is left to the guided strategy).
  let lo = 0;
  let hi = best.decisions.length;
  while (lo < hi && attempts < budget) {
    const mid = (lo + hi) >> 1;
    if (await attempt(best.decisions.slice(0, mid))) hi = Math.min(mid, best.decisions.length);
    else lo = mid + 1;
  }
  // Then drop chunks of choices, halving the chunk size.
  for (let size = Math.max(1, best.decisions.length >> 1); size >= 1 && attempts < budget; size >>= 1) {
    for (let at = 0; at < best.decisions.length && attempts < budget; at += size) {
      const cand: (string | undefined)[] = [...best.decisions];
      for (let i = at; i < at + size && i < cand.length; i++) cand[i] = undefined;
      if (await attempt(cand)) at = Math.max(-size, at - size);
    }
  }
  return {
    schedule: best,
    attempts,
    before: { steps: s.decisions.length, switches: switches(s.decisions) },
    after: { steps: best.decisions.length, switches: switches(best.decisions) },
  };
}
