// A campaign: many runs of a set of scenarios under one executor, iteration by iteration (every scenario
// once per iteration, so a time-boxed campaign covers all of them), with per-scenario totals, coverage
// against the catalogue, the first failure of each scenario written as a schedule file, and a progress
// line. `--shard i/n` takes the iterations congruent to i mod n: shards need no coordination.
import type { FaultName } from '../src/runtime/index.js';
import type { GuestFlavorName } from '../src/vcpu/index.js';
import { describeViolation, type Violation } from './oracle/invariants.js';
import { replayCommand, seedText, type ProfileName, type RunSpec, type StrategyName } from './run-spec.js';
import type { Scenario } from './scenario.js';
import { scheduleName, scheduleOf, writeSchedule } from './schedule.js';
import { runSpec } from './sim-run.js';

/** How a campaign runs. */
export interface CampaignOptions {
  readonly scenarios: readonly Scenario[];
  readonly seed: number;
  /** Iterations per scenario (across all shards); default 100 unless `durationMs` bounds the campaign. */
  readonly iterations?: number;
  readonly durationMs?: number;
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

/** The first failure of a scenario. */
export interface FailureReport {
  readonly spec: RunSpec;
  readonly violation: Violation;
  readonly replay: string;
  readonly scheduleFile: string | undefined;
  readonly context: readonly string[];
}

/** Per-scenario totals. */
export interface ScenarioReport {
  readonly id: string;
  readonly expect: 'pass' | 'fail';
  runs: number;
  fails: number;
  steps: number;
  ms: number;
  readonly tags: Record<string, number>;
  missing: string[];
  firstFailure: FailureReport | undefined;
}

/** A campaign's outcome. */
export interface CampaignReport {
  readonly seed: string;
  readonly shard: string;
  readonly strategy: StrategyName;
  readonly profile: ProfileName;
  readonly faults: readonly FaultName[];
  readonly scenarios: ScenarioReport[];
  runs: number;
  elapsedMs: number;
  /** Failures of scenarios expected to pass, expected failures never seen, classes never reached. */
  problems: string[];
  ok: boolean;
}

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
  const iterations = o.iterations ?? (o.durationMs === undefined ? 100 : Infinity);
  const execute = o.execute ?? ((spec: RunSpec) => simExecute(spec, o.failuresDir));
  const t0 = performance.now();
  const deadline = o.durationMs === undefined ? Infinity : t0 + o.durationMs;
  const reports: ScenarioReport[] = o.scenarios.map((s) => ({
    id: s.id,
    expect: s.expect,
    runs: 0,
    fails: 0,
    steps: 0,
    ms: 0,
    tags: {},
    missing: [],
    firstFailure: undefined,
  }));
  const report: CampaignReport = {
    seed: seedText(o.seed),
    shard: `${shard.index}/${shard.count}`,
    strategy: o.strategy,
    profile: o.profile,
    faults: o.faults ?? [],
    scenarios: reports,
    runs: 0,
    elapsedMs: 0,
    problems: [],
    ok: true,
  };
  let lastProgress = t0;
  for (let it = shard.index; it < iterations && performance.now() < deadline; it += shard.count) {
    for (const [k, s] of o.scenarios.entries()) {
      const rep = reports[k]!;
      const spec: RunSpec = {
        scenario: s.id,
        seed: o.seed,
        iteration: it,
        strategy: o.strategy,
        profile: o.profile,
        faults: o.faults ?? [],
        flavor: o.flavor,
        leakScope: o.leakScope,
      };
      const r0 = performance.now();
      const r = await execute(spec);
      rep.ms += performance.now() - r0;
      rep.runs++;
      rep.steps += r.steps;
      report.runs++;
      for (const t of r.tags) rep.tags[t] = (rep.tags[t] ?? 0) + 1;
      const v = r.violations[0];
      if (v !== undefined) {
        rep.fails++;
        rep.firstFailure ??= {
          spec,
          violation: v,
          replay: r.replay ?? replayCommand(spec),
          scheduleFile: r.scheduleFile,
          context: r.context,
        };
      }
    }
    if (o.progress !== undefined && performance.now() - lastProgress >= (o.progressMs ?? 2000)) {
      lastProgress = performance.now();
      o.progress(progressLine(report, performance.now() - t0));
    }
  }
  report.elapsedMs = performance.now() - t0;
  judge(report, o.scenarios, o.observable, o.coverage ?? 'per-scenario');
  return report;
}

function progressLine(r: CampaignReport, ms: number): string {
  const fails = r.scenarios.reduce((a, s) => a + s.fails, 0);
  return `[${(ms / 1000).toFixed(1)}s] ${r.runs} runs (${((r.runs * 1000) / ms).toFixed(0)}/s), ${fails} failing`;
}

/** Decide whether the campaign passed: unexpected failures, expected ones not found, classes not reached. */
function judge(
  r: CampaignReport,
  scenarios: readonly Scenario[],
  observable: ReadonlySet<string> | undefined,
  coverage: 'per-scenario' | 'union',
): void {
  const seen = (c: string): boolean => observable === undefined || observable.has(c);
  const reached = new Set(r.scenarios.flatMap((s) => Object.keys(s.tags)));
  for (const [k, s] of scenarios.entries()) {
    const rep = r.scenarios[k]!;
    rep.missing = s.classes.filter(
      (c) => seen(c) && (coverage === 'union' ? !reached.has(c) : (rep.tags[c] ?? 0) === 0),
    );
    if (s.expect === 'pass' && rep.fails > 0)
      r.problems.push(
        `${s.id}: ${rep.fails} of ${rep.runs} runs broke an invariant; first: ${describeViolation(rep.firstFailure!.violation)}`,
      );
    if (s.expect === 'fail' && rep.runs > 0 && rep.fails === 0)
      r.problems.push(`${s.id}: expected to fail, but none of ${rep.runs} runs did`);
    if (rep.missing.length > 0 && rep.runs > 0)
      r.problems.push(`${s.id}: classes never reached: ${rep.missing.join(', ')}`);
  }
  r.ok = r.problems.length === 0;
}

/** Print a failure the way a user replays it. */
export function formatFailure(f: FailureReport): string[] {
  const s = f.spec;
  return [
    `FAIL ${describeViolation(f.violation)}`,
    `  scenario=${s.scenario} seed=${seedText(s.seed)} iteration=${s.iteration} faults=[${s.faults.join(',')}]`,
    ...f.context.map((l) => `  ${l}`),
    `  replay: ${f.replay}`,
    ...(f.scheduleFile === undefined ? [] : [`  schedule: hgcm stress replay ${f.scheduleFile}`]),
  ];
}

/** The summary table. */
export function formatTable(r: CampaignReport): string[] {
  const rows = [
    `${'scenario'.padEnd(8)} ${'runs'.padStart(6)} ${'fails'.padStart(6)} ${'steps/run'.padStart(9)} ${'runs/s'.padStart(7)}  classes`,
  ];
  for (const s of r.scenarios) {
    const rate = s.ms > 0 ? ((s.runs * 1000) / s.ms).toFixed(0) : '-';
    const reached = Object.keys(s.tags).length;
    const cls = s.missing.length > 0 ? `missing ${s.missing.join(',')}` : `${reached} reached`;
    const exp = s.expect === 'fail' ? ' (expected to fail)' : '';
    rows.push(
      `${s.id.padEnd(8)} ${String(s.runs).padStart(6)} ${String(s.fails).padStart(6)} ${(s.runs ? s.steps / s.runs : 0).toFixed(0).padStart(9)} ${rate.padStart(7)}  ${cls}${exp}`,
    );
  }
  rows.push(
    `${r.runs} runs in ${(r.elapsedMs / 1000).toFixed(1)} s (${((r.runs * 1000) / Math.max(1, r.elapsedMs)).toFixed(0)} runs/s), seed ${r.seed}, shard ${r.shard}`,
  );
  return rows;
}
