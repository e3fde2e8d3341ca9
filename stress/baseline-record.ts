// `hgcm stress baseline`: record the coverage baseline (baseline.ts) from sim campaigns over several seeds,
// one run per scenario and round (uniform: the rates do not depend on the weights they will set), with the
// spread of every class's rate between seeds. The committed file is what the default campaign's weights and
// coverage check read; regenerate it when a scenario's generator or the model changes what runs reach.
import { UsageError } from './args.js';
import {
  BASELINE_FILE,
  BASELINE_FORMAT,
  scenarioBaseline,
  writeBaseline,
  type CoverageBaseline,
  type ScenarioBaseline,
} from './baseline.js';
import { runCampaign } from './campaign.js';
import type { Options } from './args.js';
import { resolveRun } from './run-spec.js';
import { PASSING } from './scenarios/index.js';

/** Workloads per scenario sampled for its old-host share. */
const SAMPLE = 200;

/** Record a baseline over `seeds`, `rounds` runs of every passing scenario each. */
export async function recordBaseline(
  seeds: readonly number[],
  rounds: number,
  progress?: (line: string) => void,
): Promise<CoverageBaseline> {
  const campaigns = [];
  for (const seed of seeds) {
    const r = await runCampaign({
      scenarios: PASSING,
      seed,
      iterations: rounds,
      strategy: 'mix',
      profile: 'mix',
      weighting: 'uniform',
    });
    progress?.(`seed ${seed}: ${r.runs} runs in ${(r.elapsedMs / 1000).toFixed(1)} s`);
    campaigns.push(r);
  }
  const scenarios: Record<string, ScenarioBaseline> = {};
  for (const [k, s] of PASSING.entries()) {
    let old = 0;
    for (let it = 0; it < SAMPLE; it++) {
      const w = resolveRun({
        scenario: s.id,
        seed: 1,
        iteration: it,
        strategy: 'mix',
        profile: 'mix',
        faults: [],
      });
      if (w.workload.config.cancel2 === false) old++;
    }
    scenarios[s.id] = scenarioBaseline(
      campaigns.map((c) => c.scenarios[k]!),
      old / SAMPLE,
    );
  }
  return { format: BASELINE_FORMAT, strategy: 'mix', profile: 'mix', seeds: [...seeds], rounds, scenarios };
}

/** --seeds a-b or a,b,c. */
function parseSeeds(v: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(v);
  if (range !== null) {
    const [a, b] = [Number(range[1]), Number(range[2])];
    if (b < a || b - a > 255) throw new UsageError(`--seeds ${v}: a range of at most 256 seeds`);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  }
  const list = v.split(',').map(Number);
  if (list.some((n) => !Number.isSafeInteger(n) || n < 0))
    throw new UsageError(`--seeds takes 1-8 or 1,2,3 (got ${v})`);
  return list;
}

/** The subcommand; the exit code. */
export async function baselineCommand(
  o: Options,
  out: (l: string) => void,
  err: (l: string) => void,
): Promise<number> {
  const seeds = parseSeeds(o.string('seeds', '1-8'));
  const rounds = o.int('iterations', 100);
  const path = o.string('out', BASELINE_FILE);
  const b = await recordBaseline(seeds, rounds, o.has('quiet') ? undefined : err);
  writeBaseline(path, b);
  out(
    `coverage baseline: ${seeds.length} seeds x ${rounds} rounds of ${Object.keys(b.scenarios).length} scenarios -> ${path}`,
  );
  return 0;
}
