// What a campaign reports (per scenario: runs, failures, steps, classes; the campaign's throughput and
// memory; its verdict), how the verdict is reached from the totals alone (so shards merged are judged as
// one campaign), and how it prints.
import type { FaultName } from '../src/runtime/index.js';
import type { GuestFlavorName } from '../src/vcpu/index.js';
import { coverageDrift, describeDrift, type CoverageBaseline, type Drift } from './baseline.js';
import { describeViolation, type Violation } from './oracle/invariants.js';
import { seedText, type ProfileName, type RunSpec, type StrategyName } from './run-spec.js';
import type { Scenario } from './scenario.js';

/** Which executor ran a campaign: the sim, free threads, or threads the coordinator steps. */
export type ExecutorName = 'sim' | 'threads' | 'controlled';

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

/** A campaign's outcome (one shard's, or shards merged). */
export interface CampaignReport {
  readonly executor: ExecutorName;
  readonly seed: string;
  /** "i/n" for one shard, "n shards" once merged. */
  shard: string;
  readonly strategy: StrategyName;
  readonly profile: ProfileName;
  readonly faults: readonly FaultName[];
  readonly flavor: GuestFlavorName | undefined;
  readonly leakScope: 'strict' | 'faithful' | undefined;
  /** How runs were spread: 'need' (from the coverage baseline) or 'uniform'. */
  readonly weighting: 'need' | 'uniform';
  /** Runs per round of each scenario. */
  readonly weights: Readonly<Record<string, number>>;
  /** 'per-scenario': each scenario reaches its classes; 'union': some run reaches each (threads). */
  readonly coverage: 'per-scenario' | 'union';
  /** Classes the executor can see at all (undefined: every class). */
  readonly observable: readonly string[] | undefined;
  readonly scenarios: ScenarioReport[];
  rounds: number;
  runs: number;
  /** Main-phase steps of every run. */
  steps: number;
  elapsedMs: number;
  runsPerSec: number;
  stepsPerSec: number;
  /** The process's peak resident set (MB); merged: the largest shard's. */
  peakRssMb: number;
  /** The coverage check against the baseline: 'passed', 'skipped (why)' or how many classes moved. */
  coverageCheck: string;
  drift: Drift[];
  /** Failures of scenarios expected to pass, expected failures never seen, classes never reached or moved. */
  problems: string[];
  ok: boolean;
}

/** The options a baseline was recorded with; a campaign pinned otherwise is not compared. */
function comparable(r: CampaignReport, b: CoverageBaseline | undefined): string | undefined {
  if (b === undefined) return 'no baseline';
  if (r.executor !== 'sim') return "the baseline is the sim executor's";
  if (r.strategy !== b.strategy || r.profile !== b.profile)
    return `recorded with --strategy ${b.strategy} --profile ${b.profile}`;
  if (r.flavor !== undefined || r.leakScope !== undefined) return 'recorded without --flavor or --leak';
  return undefined;
}

/**
 * The verdict from the totals: failures of scenarios expected to pass, expected failures never seen,
 * classes never reached, class counts that moved beyond their spread (against `baseline`).
 */
export function judge(
  r: CampaignReport,
  scenarios: readonly Scenario[],
  baseline: CoverageBaseline | undefined,
): void {
  const seen = (c: string): boolean => r.observable === undefined || r.observable.includes(c);
  const reached = new Set(r.scenarios.flatMap((s) => Object.keys(s.tags)));
  r.problems = [];
  for (const rep of r.scenarios) {
    const s = scenarios.find((x) => x.id === rep.id);
    if (s === undefined) continue;
    rep.missing = s.classes.filter(
      (c) => seen(c) && (r.coverage === 'union' ? !reached.has(c) : (rep.tags[c] ?? 0) === 0),
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
  const skip = comparable(r, baseline);
  r.drift = skip === undefined ? coverageDrift(baseline!, r.scenarios) : [];
  r.coverageCheck =
    skip !== undefined
      ? `skipped (${skip})`
      : r.drift.length === 0
        ? 'passed'
        : `${r.drift.length} classes moved`;
  for (const d of r.drift) r.problems.push(`coverage moved: ${describeDrift(d)}`);
  r.ok = r.problems.length === 0;
}

/** Throughput and memory, from the totals. */
export function rates(r: CampaignReport): void {
  r.runs = r.scenarios.reduce((a, s) => a + s.runs, 0);
  r.steps = r.scenarios.reduce((a, s) => a + s.steps, 0);
  const s = Math.max(1, r.elapsedMs) / 1000;
  r.runsPerSec = Math.round(r.runs / s);
  r.stepsPerSec = Math.round(r.steps / s);
}

/** The process's peak resident set so far, in MB. */
export function peakRssMb(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
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
    `${r.runs} runs, ${r.steps} steps in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.runsPerSec} runs/s, ${r.stepsPerSec} steps/s, peak RSS ${r.peakRssMb} MB), seed ${r.seed}, shard ${r.shard}`,
    `runs per round: ${
      r.weighting === 'uniform'
        ? 'uniform'
        : Object.entries(r.weights)
            .map(([k, v]) => `${k}:${v}`)
            .join(' ')
    }; coverage against the baseline: ${r.coverageCheck}`,
  );
  return rows;
}
