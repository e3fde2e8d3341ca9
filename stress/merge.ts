// `hgcm stress merge`: the --json reports of a campaign's shards (`--shard i/n`, one process or machine
// each: a CI matrix, a Kubernetes Indexed Job) as one campaign - runs, steps and class counts summed,
// each scenario's first failure the earliest of any shard, throughput over the slowest shard's time (they
// ran side by side), and the verdict reached again from the totals (coverage, expected failures, the
// baseline check), so the merged campaign is judged exactly as the unsharded one would be.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadBaseline } from './baseline.js';
import { UsageError } from './args.js';
import { formatFailure, formatTable, judge, type CampaignReport, type ScenarioReport } from './report.js';
import { SCENARIOS } from './scenarios/index.js';

/** What shards must share to be one campaign. */
const SAME = [
  'executor',
  'seed',
  'strategy',
  'profile',
  'flavor',
  'leakScope',
  'weighting',
  'coverage',
] as const;

/** Merge shard reports into one campaign's; throws a UsageError for reports of different campaigns. */
export function mergeReports(shards: readonly CampaignReport[]): CampaignReport {
  const first = shards[0];
  if (first === undefined) throw new UsageError('merge takes at least one shard report');
  const n = shardCount(first);
  const seen = new Set<number>();
  for (const r of shards) {
    for (const k of SAME)
      if (JSON.stringify(r[k]) !== JSON.stringify(first[k]))
        throw new UsageError(
          `shard ${r.shard} has ${k} ${String(r[k])}, shard ${first.shard} ${String(first[k])}`,
        );
    for (const k of ['faults', 'weights', 'observable'] as const)
      if (JSON.stringify(r[k]) !== JSON.stringify(first[k])) throw new UsageError(`shards differ in ${k}`);
    if (r.scenarios.map((s) => s.id).join() !== first.scenarios.map((s) => s.id).join())
      throw new UsageError(`shard ${r.shard} ran other scenarios than shard ${first.shard}`);
    const i = shardIndex(r);
    if (shardCount(r) !== n || seen.has(i))
      throw new UsageError(`shard ${r.shard} does not fit ${n} distinct shards`);
    seen.add(i);
  }
  const scenarios: ScenarioReport[] = first.scenarios.map((s, k) =>
    mergeScenario(
      shards.map((r) => r.scenarios[k]!),
      s,
    ),
  );
  const merged: CampaignReport = {
    ...first,
    shard: seen.size === n ? `${n} shards` : `${seen.size} of ${n} shards`,
    scenarios,
    rounds: shards.reduce((a, r) => a + r.rounds, 0),
    runs: shards.reduce((a, r) => a + r.runs, 0),
    steps: shards.reduce((a, r) => a + r.steps, 0),
    // Side by side: the campaign took as long as its slowest shard.
    elapsedMs: Math.max(...shards.map((r) => r.elapsedMs)),
    runsPerSec: 0,
    stepsPerSec: 0,
    peakRssMb: Math.max(...shards.map((r) => r.peakRssMb)),
    coverageCheck: '',
    drift: [],
    problems: [],
    ok: true,
  };
  const s = Math.max(1, merged.elapsedMs) / 1000;
  merged.runsPerSec = Math.round(merged.runs / s);
  merged.stepsPerSec = Math.round(merged.steps / s);
  judge(merged, SCENARIOS, loadBaseline());
  return merged;
}

function mergeScenario(parts: readonly ScenarioReport[], like: ScenarioReport): ScenarioReport {
  const tags: Record<string, number> = {};
  for (const p of parts) for (const [t, c] of Object.entries(p.tags)) tags[t] = (tags[t] ?? 0) + c;
  const failures = parts.flatMap((p) => (p.firstFailure === undefined ? [] : [p.firstFailure]));
  failures.sort((a, b) => a.spec.iteration - b.spec.iteration);
  return {
    id: like.id,
    expect: like.expect,
    runs: parts.reduce((a, p) => a + p.runs, 0),
    fails: parts.reduce((a, p) => a + p.fails, 0),
    steps: parts.reduce((a, p) => a + p.steps, 0),
    ms: parts.reduce((a, p) => a + p.ms, 0),
    tags: Object.fromEntries(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : 1))),
    missing: [],
    firstFailure: failures[0],
  };
}

function shardIndex(r: CampaignReport): number {
  return Number(/^(\d+)\/\d+$/.exec(r.shard)?.[1] ?? Number.NaN);
}

function shardCount(r: CampaignReport): number {
  const m = /^\d+\/(\d+)$/.exec(r.shard);
  if (m === null) throw new UsageError(`not a shard's report (shard "${r.shard}")`);
  return Number(m[1]);
}

/** The subcommand: read the reports, print the merged campaign, write it as JSON; the exit code. */
export function mergeCommand(
  files: readonly string[],
  json: string | undefined,
  out: (l: string) => void,
): number {
  if (files.length === 0) throw new UsageError("merge takes the shards' --json files");
  const shards = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CampaignReport);
  const r = mergeReports(shards);
  out(`hgcm stress merge: ${files.length} reports, seed ${r.seed}, ${r.shard}`);
  for (const s of r.scenarios)
    if (s.firstFailure !== undefined) formatFailure(s.firstFailure).forEach((l) => out(l));
  formatTable(r).forEach((l) => out(l));
  for (const p of r.problems) out(`PROBLEM ${p}`);
  if (json !== undefined) writeFileSync(json, `${JSON.stringify(r, null, 1)}\n`);
  out(r.ok ? 'OK' : 'FAILED');
  return r.ok ? 0 : 1;
}
