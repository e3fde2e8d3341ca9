// `hgcm stress baseline`: record the coverage baseline (baseline.ts) from sim campaigns over several seeds,
// one run per scenario and round (uniform: the rates do not depend on the weights they will set), with the
// spread of every class's rate between seeds. The committed file is what the default campaign's weights and
// coverage check read; regenerate it when a scenario's generator or the model changes what runs reach.
import { custom, int, type Values } from '../src/cli/kit/index.js';
import { OPTIONS, UsageError } from './args.js';
import {
  BASELINE_FILE,
  BASELINE_FORMAT,
  scenarioBaseline,
  writeBaseline,
  type CoverageBaseline,
  type ScenarioBaseline,
} from './baseline.js';
import { runCampaign } from './campaign.js';
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

/** The options of `hgcm stress baseline`. */
export const BASELINE_OPTIONS = {
  seeds: custom(
    'campaign seeds, a range a-b or a list a,b,c',
    { arg: 'SEEDS', parse: parseSeeds, defaultText: '1-8' },
    () => parseSeeds('1-8'),
  ),
  iterations: int('rounds per seed (one run of every passing scenario each)', {
    min: 1,
    max: 1e9,
    default: 100,
  }),
  out: custom(
    'where to write the baseline',
    { arg: 'FILE', parse: (t) => t, defaultText: 'stress/baseline/coverage.json' },
    () => BASELINE_FILE,
  ),
  quiet: OPTIONS.quiet,
} as const;

/** The subcommand; the exit code. */
export async function baselineCommand(
  v: Values<typeof BASELINE_OPTIONS>,
  out: (l: string) => void,
  err: (l: string) => void,
): Promise<number> {
  const b = await recordBaseline(v.seeds, v.iterations, v.quiet ? undefined : err);
  writeBaseline(v.out, b);
  out(
    `coverage baseline: ${v.seeds.length} seeds x ${v.iterations} rounds of ${Object.keys(b.scenarios).length} scenarios -> ${v.out}`,
  );
  return 0;
}
