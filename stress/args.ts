// Command-line options of `hgcm stress`, declared with the argument layer of every hgcm command
// (src/cli/kit/args.ts): each subcommand is a spec naming the options it takes, so a mistyped option is a usage
// error (exit 2), --help lists every option with its default, and values arrive typed.
import { choice, custom, flag, int, text, UsageError } from '../src/cli/kit/index.js';
import { FAULT_NAMES, type FaultName } from '../src/runtime/index.js';
import type { ProfileName, StrategyName } from './run-spec.js';
import type { Scenario } from './scenario.js';
import { scenarios } from './scenarios/index.js';

export { UsageError };

const STRATEGIES: readonly StrategyName[] = ['mix', 'random', 'pct:1', 'pct:2', 'pct:3'];
const PROFILES: readonly ProfileName[] = ['mix', 'realistic', 'any-order'];

/** --duration 90 / 90s / 10m / 2h, in ms. */
function parseDuration(v: string, f: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v);
  if (m === null) throw new UsageError(`${f} takes 90s, 10m, 2h (got ${v})`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Number(m[1]) * scale;
}

/** --shard i/n. */
function parseShard(v: string, f: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index >= count)
    throw new UsageError(`${f} takes i/n with 0 <= i < n (got ${v})`);
  return { index, count };
}

/** --fault a,b: names from the fault table. */
function parseFaults(v: string): FaultName[] {
  return v
    .split(',')
    .filter((f) => f !== '')
    .map((f) => {
      if (!(FAULT_NAMES as readonly string[]).includes(f))
        throw new UsageError(`unknown fault ${f} (known: ${FAULT_NAMES.join(', ')})`);
      // SAFETY: checked against FAULT_NAMES just above.
      return f as FaultName;
    });
}

/** --scenario all|fail|every|S1,S5. */
function parseScenarios(v: string): Scenario[] {
  try {
    return scenarios(v);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The options, each declared once; a subcommand's spec picks the ones it takes. */
export const OPTIONS = {
  scenario: custom(
    'scenarios: all (the passing catalogue), fail (the expected failures), every, or a list S1,S5',
    { arg: 'LIST', parse: parseScenarios, defaultText: 'all' },
    () => scenarios('all'),
  ),
  executor: choice(
    'the deterministic sim, real worker threads, or real threads whose every step the strategy chooses',
    ['sim', 'threads', 'controlled'] as const,
    'sim',
  ),
  seed: int('the campaign seed, decimal or 0x hex', {
    min: 0,
    max: 0xffff_ffff,
    hex: true,
    default: 0x5eed,
    defaultText: '0x5eed',
  }),
  iterations: int('iterations per scenario', {
    min: 0,
    max: 1e9,
    defaultText: '100, or unbounded with --duration',
  }),
  duration: custom<number | undefined>(
    'stop after this long (90s, 10m, 2h)',
    { arg: 'TIME', parse: parseDuration, defaultText: 'none' },
    () => undefined,
  ),
  shard: custom(
    'run iterations i, i+n, i+2n... of the campaign',
    { arg: 'i/n', parse: parseShard, defaultText: '0/1' },
    () => ({
      index: 0,
      count: 1,
    }),
  ),
  strategy: choice('scheduling strategy (mix: random, pct:2 and pct:3 by iteration)', STRATEGIES, 'mix'),
  profile: choice('time profile (mix: drawn per run)', PROFILES, 'mix'),
  fault: custom(
    'host faults or mutations switched on for the main phase',
    { arg: 'a,b', parse: parseFaults, defaultText: 'none' },
    () => [] as FaultName[],
  ),
  flavor: choice(
    'guest library flavour',
    ['linux', 'vbox-7.0', 'vbox-trunk'] as const,
    undefined,
    "each scenario's own",
  ),
  leak: choice('leak scope', ['strict', 'faithful'] as const, undefined, "each scenario's own"),
  json: text('write a JSON report to FILE', { arg: 'FILE' }),
  failures: text('where failing runs leave their schedule files', { arg: 'DIR', default: 'stress-failures' }),
  quiet: flag('no progress lines on stderr'),
  weights: choice(
    "runs per round: by the coverage baseline's need (the sim's default), or one per scenario",
    ['need', 'uniform'] as const,
    undefined,
    'need under the sim, uniform on threads',
  ),
  preemptions: int('preemption bound', { min: 0, max: 10, default: 2 }),
  max: int('stop after this many schedules', { min: 1, max: 1e9 }),
  iteration: int('the iteration to replay', { min: 0, max: 1e9 }),
  chrome: text('write the replayed steps as a Chrome trace (Perfetto), one lane per actor, to FILE', {
    arg: 'FILE',
  }),
  mutation: text('mutants to test, a,b (default: every one)', { arg: 'a,b' }),
} as const;

/** The options `explore` takes: its own profile choice (no mix: one profile per exploration). */
export const EXPLORE_PROFILE = choice('time profile', ['realistic', 'any-order'] as const, 'realistic');
