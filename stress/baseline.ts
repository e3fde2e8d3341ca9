// The coverage baseline: how often each scenario's runs reach each class, recorded from campaigns over
// several seeds (stress/baseline/coverage.json, committed; `hgcm stress baseline` regenerates it). Two
// uses. Budget by need: a scenario whose rarest class is rare gets more runs per round, and so does the
// old-host path (a fault there needs hundreds of its runs to show). And a statistical check: a campaign
// whose class counts moved far beyond their spread (|z| > 6 against the baseline's rate) is flagged,
// because a fault that breaks no invariant still shifts what the runs reach.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Scenario } from './scenario.js';

/** The file format's name. */
export const BASELINE_FORMAT = 'hgcm-stress-coverage/1';

/** One scenario's coverage in the baseline. */
export interface ScenarioBaseline {
  readonly runs: number;
  /** Runs that reached each class (every tag a run reported, catalogued or not). */
  readonly tags: Readonly<Record<string, number>>;
  /** The spread of a class's rate between seeds, per run (sd of the per-seed rate x sqrt(runs per seed)). */
  readonly spread: Readonly<Record<string, number>>;
  /** Share of its workloads on an old host (no HGCMCancel2). */
  readonly oldHost: number;
}

/** A recorded baseline. */
export interface CoverageBaseline {
  readonly format: typeof BASELINE_FORMAT;
  /** The campaign settings it was recorded with; a campaign with other pins is not compared. */
  readonly strategy: string;
  readonly profile: string;
  readonly seeds: readonly number[];
  readonly rounds: number;
  readonly scenarios: Readonly<Record<string, ScenarioBaseline>>;
}

/**
 * Where the committed baseline lives: beside this module in stress/, also when the harness runs built (from
 * dist/stress/, two levels below the checkout's root), so that `baseline` rewrites the committed file.
 */
export const BASELINE_FILE = fileURLToPath(
  new URL(
    import.meta.url.endsWith('.ts') ? './baseline/coverage.json' : '../../stress/baseline/coverage.json',
    import.meta.url,
  ),
);

/** The committed baseline (undefined if the file is missing). */
export function loadBaseline(path: string = BASELINE_FILE): CoverageBaseline | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const b = JSON.parse(text) as CoverageBaseline;
  if (b.format !== BASELINE_FORMAT) throw new Error(`${path}: not a ${BASELINE_FORMAT} file`);
  return b;
}

export function writeBaseline(path: string, b: CoverageBaseline): void {
  writeFileSync(path, `${JSON.stringify(b, null, 1)}\n`);
}

/** Per-seed coverage of one scenario: runs and tag counts. */
export interface SeedCoverage {
  readonly runs: number;
  readonly tags: Readonly<Record<string, number>>;
}

/** Fold per-seed campaigns into a scenario's baseline. */
export function scenarioBaseline(perSeed: readonly SeedCoverage[], oldHost: number): ScenarioBaseline {
  const runs = perSeed.reduce((a, s) => a + s.runs, 0);
  const names = new Set(perSeed.flatMap((s) => Object.keys(s.tags)));
  const tags: Record<string, number> = {};
  const spread: Record<string, number> = {};
  for (const t of [...names].sort()) {
    tags[t] = perSeed.reduce((a, s) => a + (s.tags[t] ?? 0), 0);
    const rates = perSeed.map((s) => (s.tags[t] ?? 0) / Math.max(1, s.runs));
    const mean = rates.reduce((a, r) => a + r, 0) / rates.length;
    const variance = rates.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, rates.length - 1);
    spread[t] = Math.sqrt(variance * (runs / perSeed.length));
  }
  return { runs, tags, spread, oldHost };
}

/** Expected hits of a scenario's rarest class in a default campaign (100 rounds): what its weight buys. */
const TARGET_HITS = 30;
/** The most runs per round a scenario gets. */
export const MAX_WEIGHT = 6;
/** Runs per round of a scenario mostly on an old host (its faults need hundreds of runs of it to show). */
export const OLD_HOST_WEIGHT = 5;

/**
 * Runs per round by need: enough that the rarest class a scenario catalogues is expected TARGET_HITS times
 * in 100 rounds (1 to MAX_WEIGHT), and at least OLD_HOST_WEIGHT for the old-host scenarios. A scenario the
 * baseline does not know gets 1.
 */
export function needWeights(
  b: CoverageBaseline | undefined,
  scenarios: readonly Scenario[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of scenarios) {
    const base = b?.scenarios[s.id];
    if (base === undefined || base.runs === 0) {
      out[s.id] = 1;
      continue;
    }
    const rarest = Math.min(1, ...s.classes.map((c) => (base.tags[c] ?? 0) / base.runs));
    const need = rarest === 0 ? MAX_WEIGHT : Math.ceil(TARGET_HITS / (100 * rarest));
    const w = Math.min(MAX_WEIGHT, Math.max(1, need));
    out[s.id] = base.oldHost >= 0.5 ? Math.max(w, OLD_HOST_WEIGHT) : w;
  }
  return out;
}

/** A class whose count moved far beyond its spread. */
export interface Drift {
  readonly scenario: string;
  readonly tag: string;
  readonly observed: number;
  readonly runs: number;
  readonly expected: number;
  readonly z: number;
}

/** |z| beyond which a count has moved (and it must be off by at least MIN_OFF runs). */
export const Z_LIMIT = 6;
const MIN_OFF = 5;

/**
 * Classes whose counts in a campaign (per scenario: runs and tag counts) moved beyond Z_LIMIT standard
 * deviations from the baseline's rate. Per run, the deviation is the larger of the binomial one and the
 * spread seen between the baseline's seeds; the baseline's rate is itself an estimate from its own runs,
 * which matters once a campaign has many more runs than it (a 10-minute campaign: sixteen times as many),
 * so both errors count: sd = per-run sd x sqrt(runs x (1 + runs / baseline runs)). A class the baseline
 * never saw counts as rate 3/runs (the rule of three), so one lucky hit is no alarm.
 */
export function coverageDrift(
  b: CoverageBaseline,
  campaign: readonly {
    readonly id: string;
    readonly runs: number;
    readonly tags: Readonly<Record<string, number>>;
  }[],
): Drift[] {
  const out: Drift[] = [];
  for (const s of campaign) {
    const base = b.scenarios[s.id];
    if (base === undefined || s.runs === 0) continue;
    for (const tag of new Set([...Object.keys(base.tags), ...Object.keys(s.tags)])) {
      const p = Math.max((base.tags[tag] ?? 0) / base.runs, 3 / base.runs);
      const perRun = Math.max(Math.sqrt(p * (1 - p)), base.spread[tag] ?? 0);
      const expected = s.runs * Math.min(1, (base.tags[tag] ?? 0) / base.runs);
      const observed = s.tags[tag] ?? 0;
      const sd = perRun * Math.sqrt(s.runs * (1 + s.runs / base.runs));
      const z = (observed - expected) / Math.max(1, sd);
      if (Math.abs(z) > Z_LIMIT && Math.abs(observed - expected) >= MIN_OFF)
        out.push({ scenario: s.id, tag, observed, runs: s.runs, expected, z });
    }
  }
  return out;
}

/** A drift as a report line. */
export function describeDrift(d: Drift): string {
  return `${d.scenario}: class ${d.tag} in ${d.observed} of ${d.runs} runs, the baseline expects ${d.expected.toFixed(1)} (z = ${d.z.toFixed(1)})`;
}
