// What names one run exactly: scenario, campaign seed, iteration, strategy, time profile, faults and
// pinned knobs. Everything else (the workload, the schedule's random stream, PCT's change points) is
// derived from these with split PRNG streams, so `--seed S --iteration I` replays a run by itself.
import { type FaultName, fnv1a, Prng } from '../src/runtime/index.js';
import { pctStrategy, randomStrategy, type Strategy, type TimeProfile } from '../src/sim/index.js';
import type { GuestFlavorName } from '../src/vcpu/index.js';
import type { GenOptions } from './scenario.js';
import { scenario } from './scenarios/index.js';
import type { Workload } from './workload.js';

/** How schedules are chosen: one strategy, or a mix that cycles random, PCT depth 2 and PCT depth 3. */
export type StrategyName = 'random' | 'pct:1' | 'pct:2' | 'pct:3' | 'mix';
/** A time profile, or a mix drawn per run. */
export type ProfileName = TimeProfile | 'mix';

/** Everything that names one run. */
export interface RunSpec {
  readonly scenario: string;
  readonly seed: number;
  readonly iteration: number;
  readonly strategy: StrategyName;
  readonly profile: ProfileName;
  readonly faults: readonly FaultName[];
  readonly flavor?: GuestFlavorName | undefined;
  readonly leakScope?: 'strict' | 'faithful' | undefined;
}

/** PCT's horizon: change points fall in the first this many steps (a run of the catalogue takes ~100-600). */
export const PCT_STEPS = 400;

/** The run's own seed, from the campaign seed, scenario and iteration. */
export function runSeed(seed: number, scenarioId: string, iteration: number): number {
  return new Prng(fnv1a(`${scenarioId}#${iteration}`, (seed ^ 0x9e3779b9) >>> 0)).next();
}

/** A run spec resolved into what the executors take. */
export interface ResolvedRun {
  readonly workload: Workload;
  readonly strategy: Strategy;
  /** The strategy actually used (a mix resolved). */
  readonly strategyName: Exclude<StrategyName, 'mix'>;
  readonly profile: TimeProfile;
}

/** Resolve a spec: generate the workload and build the strategy (fresh state: call once per run). */
export function resolveRun(spec: RunSpec): ResolvedRun {
  const root = new Prng(runSeed(spec.seed, spec.scenario, spec.iteration));
  const gen: GenOptions = { flavor: spec.flavor, leakScope: spec.leakScope };
  const workload = scenario(spec.scenario).generate(root.split('workload'), gen);
  const pick = root.split('choices');
  const strategyName =
    spec.strategy === 'mix' ? (['random', 'pct:2', 'pct:3'] as const)[spec.iteration % 3]! : spec.strategy;
  const profile: TimeProfile =
    spec.profile === 'mix' ? (pick.int(3) === 0 ? 'realistic' : 'any-order') : spec.profile;
  const schedSeed = root.split('schedule').next();
  const strategy =
    strategyName === 'random'
      ? randomStrategy(schedSeed)
      : pctStrategy(schedSeed, Number(strategyName.slice(4)), PCT_STEPS);
  return { workload, strategy, strategyName, profile };
}

/** Seeds print as hex (what the replay command takes back). */
export function seedText(seed: number): string {
  return `0x${(seed >>> 0).toString(16)}`;
}

/** The command that replays a run. */
export function replayCommand(spec: RunSpec): string {
  const parts = [
    'hgcm stress replay',
    `--scenario ${spec.scenario}`,
    `--seed ${seedText(spec.seed)}`,
    `--iteration ${spec.iteration}`,
    `--strategy ${spec.strategy}`,
    `--profile ${spec.profile}`,
  ];
  if (spec.faults.length > 0) parts.push(`--fault ${spec.faults.join(',')}`);
  if (spec.flavor !== undefined) parts.push(`--flavor ${spec.flavor}`);
  if (spec.leakScope !== undefined) parts.push(`--leak ${spec.leakScope}`);
  return parts.join(' ');
}
