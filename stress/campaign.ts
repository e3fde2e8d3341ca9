// A campaign: many runs of a set of scenarios under one executor, round by round (every scenario its
// weight's worth of runs per round, so a time-boxed campaign covers all of them; the weights come from
// the coverage baseline: budget by need), with per-scenario totals, coverage against the catalogue and
// against the baseline, the first failure of each scenario written as a schedule file, and a progress
// line. `--shard i/n` takes the rounds congruent to i mod n: shards need no coordination, and merged
// (merge.ts) they are the unsharded campaign.
import type { FaultName } from '../src/runtime/index.js';
import type { GuestFlavorName } from '../src/vcpu/index.js';
import { loadBaseline, needWeights, type CoverageBaseline } from './baseline.js';
import type { Violation } from './oracle/invariants.js';
import {
  judge,
  peakRssMb,
  rates,
  type CampaignReport,
  type ExecutorName,
  type ScenarioReport,
} from './report.js';
import { replayCommand, seedText, type ProfileName, type RunSpec, type StrategyName } from './run-spec.js';
import type { Scenario } from './scenario.js';
import { scheduleName, scheduleOf, writeSchedule } from './schedule.js';
import { runSpec } from './sim-run.js';

/** How a campaign runs. */
export interface CampaignOptions {
  readonly scenarios: readonly Scenario[];
  readonly seed: number;
  /**
   * Rounds (across all shards); default 100 unless `durationMs` bounds the campaign. A scenario runs its
   * weight's worth of iterations per round.
   */
  readonly iterations?: number;
  /** Runs per round: by need (from the coverage baseline; the default for the sim) or uniform (1 each). */
  readonly weighting?: 'need' | 'uniform';
  /** The coverage baseline (default: the committed one). */
  readonly baseline?: CoverageBaseline;
  /** Which executor `execute` is (the report says so; the baseline is the sim's). */
  readonly executor?: ExecutorName;
  readonly durationMs?: number;
  /** The clock `durationMs` and the rates are measured on (ms); default performance.now. */
  readonly now?: () => number;
  readonly shard?: { readonly index: number; readonly count: number };
  readonly strategy: StrategyName;
  readonly profile: ProfileName;
  readonly faults?: readonly FaultName[];
  readonly flavor?: GuestFlavorName;
  readonly leakScope?: 'strict' | 'faithful';
  /** Where failing runs' schedules go (none written when undefined). */
  readonly failuresDir?: string;
  /** Called with a progress line every `progressMs` (default 2 s). */
  readonly progress?: (line: string) => void;
  readonly progressMs?: number;
  /** Runs one spec (default: the sim executor). The threads executor plugs in here. */
  readonly execute?: (spec: RunSpec) => Promise<RunResult>;
  /** Classes this executor can see at all (default: every class); the others are not required. */
  readonly observable?: ReadonlySet<string>;
  /**
   * 'per-scenario' (default): every scenario must reach each of its classes. 'union': each class some
   * scenario catalogues must be reached by some run (for the threads executor, where timing decides).
   */
  readonly coverage?: 'per-scenario' | 'union';
}

/** What a campaign needs from one run, whatever the executor. */
export interface RunResult {
  readonly violations: readonly Violation[];
  readonly steps: number;
  readonly tags: ReadonlySet<string>;
  /** Lines to print under a failure (the trace's tail, a hang's log tail). */
  readonly context: readonly string[];
  readonly scheduleFile: string | undefined;
  /** The command that replays it, when not the sim's default one. */
  readonly replay?: string;
}

export type { CampaignReport, FailureReport, ScenarioReport } from './report.js';
export { formatFailure, formatTable } from './report.js';

/** Run one spec under the sim; on failure re-run it with the trace on and write its schedule. */
export async function simExecute(spec: RunSpec, failuresDir: string | undefined): Promise<RunResult> {
  const r = await runSpec(spec);
  if (r.violations.length === 0)
    return { violations: [], steps: r.steps, tags: r.tags, context: [], scheduleFile: undefined };
  // Deterministic: the same spec, traced this time.
  const t = await runSpec(spec, true);
  const again = t.run;
  const tail = t.trace
    .slice(-12)
    .map(
      (s) =>
        `step ${s.step} ${s.actor.padEnd(11)} ${s.what}${s.addr || s.gen ? ` addr=0x${s.addr.toString(16)} gen=${s.gen}` : ''}`,
    );
  let file: string | undefined;
  if (failuresDir !== undefined) {
    file = scheduleName(failuresDir, spec);
    writeSchedule(
      file,
      scheduleOf(t, {
        spec,
        strategy: again.strategyName,
        profile: again.profile,
        faults: spec.faults,
        workload: again.workload,
      }),
    );
  }
  return {
    violations: t.violations,
    steps: t.steps,
    tags: t.tags,
    context: [`strategy=${again.strategyName} profile=${again.profile}`, ...tail],
    scheduleFile: file,
  };
}

/** Run a campaign. */
export async function runCampaign(o: CampaignOptions): Promise<CampaignReport> {
  const shard = o.shard ?? { index: 0, count: 1 };
  const rounds = o.iterations ?? (o.durationMs === undefined ? 100 : Infinity);
  const execute = o.execute ?? ((spec: RunSpec) => simExecute(spec, o.failuresDir));
  const baseline = o.baseline ?? loadBaseline();
  const weighting = o.weighting ?? (o.execute === undefined ? 'need' : 'uniform');
  const weights =
    weighting === 'need'
      ? needWeights(baseline, o.scenarios)
      : Object.fromEntries(o.scenarios.map((s) => [s.id, 1]));
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  const deadline = o.durationMs === undefined ? Infinity : t0 + o.durationMs;
  const report: CampaignReport = {
    executor: o.executor ?? (o.execute === undefined ? 'sim' : 'threads'),
    seed: seedText(o.seed),
    shard: `${shard.index}/${shard.count}`,
    strategy: o.strategy,
    profile: o.profile,
    faults: o.faults ?? [],
    flavor: o.flavor,
    leakScope: o.leakScope,
    weighting,
    weights,
    coverage: o.coverage ?? 'per-scenario',
    observable: o.observable === undefined ? undefined : [...o.observable].sort(),
    scenarios: o.scenarios.map((s) => ({
      id: s.id,
      expect: s.expect,
      runs: 0,
      fails: 0,
      steps: 0,
      ms: 0,
      tags: {},
      missing: [],
      firstFailure: undefined,
    })),
    rounds: 0,
    runs: 0,
    steps: 0,
    elapsedMs: 0,
    runsPerSec: 0,
    stepsPerSec: 0,
    peakRssMb: 0,
    coverageCheck: '',
    drift: [],
    problems: [],
    ok: true,
  };
  let lastProgress = t0;
  for (let round = shard.index; round < rounds && now() < deadline; round += shard.count) {
    for (const [k, s] of o.scenarios.entries()) {
      const w = weights[s.id] ?? 1;
      // A scenario's iterations run in order, round after round: its first failure is its earliest.
      for (let j = 0; j < w; j++) await runOne(o, report.scenarios[k]!, s, round * w + j, execute, now);
    }
    report.rounds++;
    report.runs = report.scenarios.reduce((a, s) => a + s.runs, 0);
    if (o.progress !== undefined && now() - lastProgress >= (o.progressMs ?? 2000)) {
      lastProgress = now();
      o.progress(progressLine(report, now() - t0));
    }
  }
  report.elapsedMs = now() - t0;
  rates(report);
  report.peakRssMb = peakRssMb();
  judge(report, o.scenarios, baseline);
  return report;
}

/** One run of scenario `s`, its totals added to `rep`. */
async function runOne(
  o: CampaignOptions,
  rep: ScenarioReport,
  s: Scenario,
  iteration: number,
  execute: (spec: RunSpec) => Promise<RunResult>,
  now: () => number,
): Promise<void> {
  const spec: RunSpec = {
    scenario: s.id,
    seed: o.seed,
    iteration,
    strategy: o.strategy,
    profile: o.profile,
    faults: o.faults ?? [],
    flavor: o.flavor,
    leakScope: o.leakScope,
  };
  const r0 = now();
  const r = await execute(spec);
  rep.ms += now() - r0;
  rep.runs++;
  rep.steps += r.steps;
  for (const t of r.tags) rep.tags[t] = (rep.tags[t] ?? 0) + 1;
  const v = r.violations[0];
  if (v === undefined) return;
  rep.fails++;
  rep.firstFailure ??= {
    spec,
    violation: v,
    replay: r.replay ?? replayCommand(spec),
    scheduleFile: r.scheduleFile,
    context: r.context,
  };
}

function progressLine(r: CampaignReport, ms: number): string {
  const fails = r.scenarios.reduce((a, s) => a + s.fails, 0);
  return `[${(ms / 1000).toFixed(1)}s] ${r.runs} runs (${((r.runs * 1000) / ms).toFixed(0)}/s), ${fails} failing`;
}
