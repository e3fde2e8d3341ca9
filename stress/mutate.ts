// The mutation self-test (cancel-race.md section 6): each mutation in src/runtime/faults.ts breaks one
// rule the protocol depends on; it is run with the scenarios that should expose it until an oracle
// notices, within a budget of runs. A detection counts only if the same run without the mutation passes
// (so the oracle saw the mutation, not some other failure). Runs-to-detection measure the harness's power.
import { type FaultName, MUTATIONS } from '../src/runtime/index.js';
import type { Violation } from './oracle/invariants.js';
import { replayCommand, type ProfileName, type RunSpec, type StrategyName } from './run-spec.js';
import { runSpec } from './sim-run.js';

/** A mutation's name. */
export type MutationName = keyof typeof MUTATIONS;

/** For each mutation, the scenarios that should expose it and the rule it breaks. */
export const MUTATION_PLAN: Readonly<
  Record<MutationName, { readonly scenarios: readonly string[]; readonly rule: string }>
> = {
  'skip-leak': {
    scenarios: ['S10', 'S9'],
    rule: 'a request whose cancel failed and whose DONE never came is leaked',
  },
  'host-ignores-cancel': { scenarios: ['S4'], rule: 'a cancelled command is never written back' },
  'check-before-remove': {
    scenarios: ['S5', 'S4'],
    rule: 'completion removes the command, then checks the mark',
  },
  'cancel-without-lock': { scenarios: ['S5', 'S4'], rule: 'cancel finds and marks under the list lock' },
  'done-before-results': { scenarios: ['S3'], rule: 'DONE is set after every result word' },
  'plain-flags-store': { scenarios: ['S7'], rule: 'flags change only by atomic OR' },
  'no-grace': { scenarios: ['S9', 'S10'], rule: 'a failed cancel is followed by a grace wait' },
  'wrong-grace': { scenarios: ['S9', 'S10'], rule: '500 ms grace after NOT_FOUND, 2000 ms otherwise' },
  'no-recheck-done': { scenarios: ['S2', 'S15'], rule: 'the sleep re-checks DONE (no lost wake-up)' },
  'isr-no-wake': { scenarios: ['S15'], rule: 'the ISR wakes every HGCM waiter' },
  'timeout-as-done': { scenarios: ['S4'], rule: 'a timed-out wait goes to the cancel path' },
  'double-complete': { scenarios: ['S11'], rule: 'a command is completed at most once' },
  'free-before-cancel': {
    scenarios: ['S4', 'S5'],
    rule: 'the request is not freed before the cancel answered',
  },
  'quarantine-reuse': { scenarios: ['S10', 'S9'], rule: 'quarantined blocks are never reused' },
  'cancel-oldest': { scenarios: ['S11'], rule: 'cancel hits the newest uncancelled command at the address' },
  'signal-ignored': { scenarios: ['S6'], rule: 'interruptible waits end on a signal' },
  'irq-no-raise': { scenarios: ['S3', 'S2'], rule: 'completion raises the HGCM interrupt' },
  'legacy-cancel-no-mark': { scenarios: ['S7'], rule: 'the legacy cancel marks what it reports cancelled' },
  'start-cancelled': {
    scenarios: ['S19'],
    rule: 'a call cancelled before the host took it is never started',
  },
  'infinite-timeout-expires': {
    scenarios: ['S18', 'S2'],
    rule: 'O1: an infinite timeout never ends by timeout',
  },
  'timeout-unit-short': {
    scenarios: ['S4', 'S18'],
    rule: 'O2: a timed-out wait waited its timeout, no less',
  },
  'timeout-unit-long': {
    scenarios: ['S4', 'S12'],
    rule: 'O3: in realistic time a timed-out wait ends at its deadline, no later',
  },
  'uninterruptible-signalled': {
    scenarios: ['S17', 'S6'],
    rule: 'O4: a signal ends only an interruptible wait',
  },
  'phantom-signal': { scenarios: ['S6', 'S19'], rule: 'O5: a wait ends by a signal only if one was sent' },
  'no-fallback': {
    scenarios: ['S7'],
    rule: 'L1: a call leaks only after a cancel failure its flavour and host allow',
  },
  'disconnect-keeps-handle': {
    scenarios: ['S12'],
    rule: "D1: no call of a client reaches the service after the client's disconnect was accepted",
  },
  'disconnect-drops-pending': {
    scenarios: ['S12'],
    rule: 'L2: a call leaves the pending list only by its completion or a counted drop',
  },
  'cancel2-gone-no-mark': {
    scenarios: ['S12'],
    rule: "D2: a gone client's command still listed was given up by its guest (marked cancelled)",
  },
  'isr-wakes-nobody': { scenarios: ['S15'], rule: 'the ISR wakes the waiters whose requests are done' },
  'isr-wrong-waiter': { scenarios: ['S15'], rule: 'the ISR wakes the waiter whose request completed' },
  'isr-coalesced-drop': {
    scenarios: ['S15'],
    rule: 'the ISR wakes every waiter whose request is done, however many completions one interrupt stands for',
  },
};

/** One mutant's fate. */
export interface MutantReport {
  readonly mutation: MutationName;
  readonly rule: string;
  readonly scenarios: readonly string[];
  /** Runs until an oracle caught it (undefined: it survived the budget). */
  readonly runs: number | undefined;
  readonly violation: Violation | undefined;
  readonly replay: string | undefined;
  /** Failures that also happen without the mutation (each one a harness or model bug to look at). */
  readonly baselineFailures: number;
}

/** Options of the self-test. */
export interface MutateOptions {
  readonly seed: number;
  readonly budget: number;
  readonly mutations?: readonly MutationName[];
  readonly strategy: StrategyName;
  readonly profile: ProfileName;
  readonly progress?: (line: string) => void;
  /** Hunt with only the oracles the harness had before I15-I17 (what those add, mutant by mutant). */
  readonly legacyOracles?: boolean;
}

async function fails(spec: RunSpec, legacy: boolean): Promise<Violation | undefined> {
  const r = await runSpec(spec, false, undefined, legacy);
  return r.violations[0];
}

/** Run every mutant (or the chosen ones) until caught or out of budget. */
export async function runMutate(o: MutateOptions): Promise<{ rows: MutantReport[]; ok: boolean }> {
  const rows: MutantReport[] = [];
  const names = o.mutations ?? (Object.keys(MUTATION_PLAN) as MutationName[]);
  for (const mutation of names) {
    const plan = MUTATION_PLAN[mutation];
    let found: { runs: number; v: Violation; spec: RunSpec } | undefined;
    let baselineFailures = 0;
    for (let i = 0; i < o.budget && found === undefined; i++) {
      const spec: RunSpec = {
        scenario: plan.scenarios[i % plan.scenarios.length]!,
        seed: o.seed,
        iteration: Math.floor(i / plan.scenarios.length),
        strategy: o.strategy,
        profile: o.profile,
        faults: [mutation as FaultName],
      };
      const v = await fails(spec, o.legacyOracles ?? false);
      if (v === undefined) continue;
      if ((await fails({ ...spec, faults: [] }, o.legacyOracles ?? false)) !== undefined) baselineFailures++;
      else found = { runs: i + 1, v, spec };
    }
    rows.push({
      mutation,
      rule: plan.rule,
      scenarios: plan.scenarios,
      runs: found?.runs,
      violation: found?.v,
      replay: found === undefined ? undefined : replayCommand(found.spec),
      baselineFailures,
    });
    o.progress?.(
      `${mutation}: ${found === undefined ? `SURVIVED ${o.budget} runs` : `caught after ${found.runs} runs by ${found.v.inv}`}`,
    );
  }
  return { rows, ok: rows.every((r) => r.runs !== undefined && r.baselineFailures === 0) };
}

/** The runs-to-detection table (markdown, as the README carries it). */
export function mutationTable(rows: readonly MutantReport[]): string[] {
  const out = [
    '| mutation | rule it breaks | scenarios | runs to detection | caught by |',
    '|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const by =
      r.violation === undefined ? 'SURVIVED' : `${r.violation.inv}: ${r.violation.detail.slice(0, 70)}`;
    out.push(
      `| ${r.mutation} | ${r.rule} | ${r.scenarios.join(', ')} | ${r.runs ?? '-'} | ${by.replace(/\|/g, '/')} |`,
    );
  }
  return out;
}
