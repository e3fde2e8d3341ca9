// `hgcm stress`: run a campaign, explore the minimal race exhaustively, replay or shrink a failure, and
// the mutation self-test. Each subcommand is a spec of the options it takes (stress/args.ts) and a function;
// a new one is an entry in STRESS.commands. Exit codes: 0 passed, 1 a check failed (violations, surviving
// mutants, missing coverage, a replay that did not fail the same way), 2 a bad command line.
import { writeFileSync } from 'node:fs';
import {
  int,
  type Parsed,
  type Values,
  defineCommand,
  dispatch,
  type Group,
  alignTables,
} from '../src/cli/kit/index.js';
import { FAULT_NAMES } from '../src/runtime/index.js';
import { simStepsToChrome, type StepMark } from '../src/sim/index.js';
import type { TraceStep } from '../src/sim/index.js';
import { EXPLORE_PROFILE, OPTIONS as O, UsageError } from './args.js';
import { baselineCommand, BASELINE_OPTIONS } from './baseline-record.js';
import { formatFailure, formatTable, runCampaign, type CampaignOptions } from './campaign.js';
import { mergeCommand } from './merge.js';
import { THREADS_CLASSES } from './coverage.js';
import { EXPECTED_FAILURES, SCENARIOS } from './scenarios/index.js';
import { explore, minimalRace } from './explore.js';
import { describeViolation, type Violation } from './oracle/invariants.js';
import { MUTATION_PLAN, mutationTable, runMutate, type MutationName } from './mutate.js';
import { seedText, type RunSpec } from './run-spec.js';
import { readSchedule, replaySchedule, scheduleName, scheduleOf, writeSchedule } from './schedule.js';
import { shrinkSchedule } from './shrink.js';
import { runSpec } from './sim-run.js';
import { MachinePool, threadsExecute } from './threads-run.js';
import { controlledExecute, isDecisionFile, replayDecisions } from './controlled/run.js';

type Out = (line: string) => void;

/** Entry point (loaded by src/cli/stress.ts): returns the process exit code. */
export async function stressMain(
  argv: readonly string[],
  out: Out = console.log,
  err: Out = console.error,
): Promise<number> {
  // `--mutate` anywhere is the older spelling of the mutate subcommand.
  const args = argv.includes('--mutate') ? ['mutate', ...argv.filter((a) => a !== '--mutate')] : argv;
  return dispatch(STRESS, args, { out, err });
}

/** The options of `run`. */
const RUN = {
  scenario: O.scenario,
  executor: O.executor,
  seed: O.seed,
  iterations: O.iterations,
  duration: O.duration,
  shard: O.shard,
  strategy: O.strategy,
  profile: O.profile,
  fault: O.fault,
  flavor: O.flavor,
  leak: O.leak,
  json: O.json,
  failures: O.failures,
  weights: O.weights,
  quiet: O.quiet,
} as const;

/** The threads executors' progress: a line per run at most every 2 s (their runs take seconds each). */
function threadsProgress(err: Out, executor: string): (spec: RunSpec) => void {
  const t0 = performance.now();
  let runs = 0;
  let last = -Infinity;
  return (spec) => {
    runs++;
    const now = performance.now();
    if (runs > 1 && now - last < 2000) return;
    last = now;
    err(
      `[${((now - t0) / 1000).toFixed(1)}s] ${executor}: run ${runs}, ${spec.scenario} iteration ${spec.iteration}`,
    );
  };
}

const run = defineCommand(
  {
    name: 'hgcm stress run',
    summary: 'a campaign over the scenario catalogue (the default command)',
    options: RUN,
    more: () =>
      [
        `scenarios: ${SCENARIOS.map((x) => x.id).join(' ')} (fail: ${EXPECTED_FAILURES.map((x) => x.id).join(' ')})`,
        `faults: ${FAULT_NAMES.join(' ')}`,
      ].join('\n'),
  },
  async ({ values: v }, { out, err }) => {
    const executor = v.executor;
    const pool = executor === 'sim' ? undefined : new MachinePool(25, executor === 'controlled');
    const started = pool === undefined || v.quiet ? undefined : threadsProgress(err, executor);
    const opts: CampaignOptions = {
      scenarios: v.scenario,
      seed: v.seed,
      ...(v.iterations === undefined ? {} : { iterations: v.iterations }),
      ...(v.duration === undefined ? {} : { durationMs: v.duration }),
      shard: v.shard,
      strategy: v.strategy,
      profile: v.profile,
      faults: v.fault,
      ...(v.flavor === undefined ? {} : { flavor: v.flavor }),
      ...(v.leak === undefined ? {} : { leakScope: v.leak }),
      failuresDir: v.failures,
      ...(v.weights === undefined ? {} : { weighting: v.weights }),
      ...(v.quiet ? {} : { progress: err }),
      ...(pool === undefined
        ? {}
        : {
            execute: (spec: RunSpec) => {
              started?.(spec);
              return executor === 'controlled'
                ? controlledExecute(spec, pool, v.failures)
                : threadsExecute(spec, pool, v.failures);
            },
            observable: THREADS_CLASSES,
            coverage: 'union' as const,
            executor,
          }),
    };
    out(
      `hgcm stress: ${v.executor} executor, ${v.scenario.length} scenarios, seed ${seedText(v.seed)}, shard ${v.shard.index}/${v.shard.count}, strategy ${v.strategy}, profile ${v.profile}`,
    );
    const report = await runCampaign(opts).finally(() => pool?.stop());
    for (const s of report.scenarios)
      if (s.firstFailure !== undefined) formatFailure(s.firstFailure).forEach((l) => out(l));
    formatTable(report).forEach((l) => out(l));
    for (const p of report.problems) out(`PROBLEM ${p}`);
    if (v.json !== undefined) writeFileSync(v.json, `${JSON.stringify(report, null, 1)}\n`);
    out(report.ok ? 'OK' : 'FAILED');
    return report.ok ? 0 : 1;
  },
);

const exploreCommand = defineCommand(
  {
    name: 'hgcm stress explore',
    summary: 'every schedule of the minimal core race within a preemption bound',
    options: {
      preemptions: O.preemptions,
      max: O.max,
      fault: O.fault,
      profile: EXPLORE_PROFILE,
      flavor: O.flavor,
      json: O.json,
      quiet: O.quiet,
    },
  },
  async ({ values: v }, { out, err }) => {
    const r = await explore({
      workload: minimalRace(v.flavor),
      preemptions: v.preemptions,
      faults: v.fault,
      profile: v.profile,
      ...(v.max === undefined ? {} : { maxSchedules: v.max }),
      ...(v.quiet ? {} : { progress: err }),
    });
    out(`explore: minimal core race (2 calls, 1 host worker, timeout 0), preemption bound ${v.preemptions}`);
    out(
      `  ${r.schedules} schedules ${r.exhausted ? '(every schedule within the bound)' : '(stopped before the end)'} in ${(r.elapsedMs / 1000).toFixed(1)} s, up to ${r.maxSteps} steps each`,
    );
    out(`  classes reached: ${[...r.tags].sort().join(' ')}`);
    if (r.first !== undefined) {
      out(`  FAIL ${describeViolation(r.first.violation)}`);
      out(`  decisions: ${r.first.decisions.join(' ')}`);
    }
    if (v.json !== undefined)
      writeFileSync(v.json, `${JSON.stringify({ ...r, tags: [...r.tags] }, null, 1)}\n`);
    return r.violations === 0 && r.exhausted ? 0 : 1;
  },
);

/** With --chrome, write a replay's steps, its first violation and any divergence as a Chrome trace. */
function writeChrome(
  file: string | undefined,
  out: Out,
  steps: readonly TraceStep[],
  v: Violation | undefined,
  meta: Record<string, unknown>,
  divergence?: { step: number; message: string },
): void {
  if (file === undefined) return;
  const marks: StepMark[] = [];
  if (v !== undefined && v.phase === 'main')
    marks.push({ step: v.step, actor: v.actor, name: `${v.inv} violated`, detail: v.detail });
  if (divergence !== undefined)
    marks.push({ step: divergence.step, actor: 'replay', name: 'diverged', detail: divergence.message });
  writeFileSync(file, JSON.stringify(simStepsToChrome(steps, { marks, meta })));
  out(`Chrome trace (Perfetto, chrome://tracing): ${file}`);
}

const REPLAY = {
  scenario: O.scenario,
  seed: O.seed,
  iteration: O.iteration,
  strategy: O.strategy,
  profile: O.profile,
  fault: O.fault,
  flavor: O.flavor,
  leak: O.leak,
  executor: O.executor,
  chrome: O.chrome,
  failures: O.failures,
} as const;

/** Replay a schedule file step by step. */
async function replayFile(file: string, v: Values<typeof REPLAY>, out: Out): Promise<number> {
  const s = readSchedule(file);
  const r = await replaySchedule(s);
  out(
    `replayed ${r.run.steps} of ${s.decisions.length} recorded steps of ${s.workload.scenario} (${s.strategy}, ${s.profile})`,
  );
  writeChrome(
    v.chrome,
    out,
    r.run.trace,
    r.run.violations[0],
    { schedule: file, scenario: s.workload.scenario },
    r.divergence,
  );
  if (r.divergence !== undefined) {
    out(`DIVERGED ${r.divergence.message}`);
    return 1;
  }
  const violation = r.run.violations[0];
  out(violation === undefined ? 'the run passed' : `FAIL ${describeViolation(violation)}`);
  if (s.violation !== undefined)
    out(
      r.sameFailure
        ? 'the same failure at the same step, as recorded'
        : `recorded: ${describeViolation(s.violation)}`,
    );
  return violation === undefined || (s.violation !== undefined && !r.sameFailure) ? 1 : 0;
}

/** Replay a run by its name (scenario, seed, iteration ...): the sim exactly, threads its workload. */
async function replaySpec({ values: v, argv }: Parsed<typeof REPLAY>, out: Out): Promise<number> {
  const [scenario] = v.scenario;
  if (!argv.some((a) => a.startsWith('--scenario')) || v.iteration === undefined || v.scenario.length !== 1)
    throw new UsageError('replay takes a schedule file, or --scenario S (one), --seed and --iteration');
  const spec: RunSpec = {
    scenario: scenario!.id,
    seed: v.seed,
    iteration: v.iteration,
    strategy: v.strategy,
    profile: v.profile,
    faults: v.fault,
    flavor: v.flavor,
    leakScope: v.leak,
  };
  if (v.executor !== 'sim') {
    const pool = new MachinePool(1, v.executor === 'controlled');
    const execute = v.executor === 'controlled' ? controlledExecute : threadsExecute;
    const r = await execute(spec, pool, v.failures).finally(() => pool.stop());
    const violation = r.violations[0];
    out(
      violation === undefined
        ? `the run passed (${v.executor}: the same workload, a new interleaving)`
        : `FAIL ${describeViolation(violation)}`,
    );
    r.context.forEach((l) => out(`  ${l}`));
    return violation === undefined ? 0 : 1;
  }
  const r = await runSpec(spec, true);
  const sim = r.run;
  out(
    `replayed ${spec.scenario} iteration ${spec.iteration}: ${sim.strategyName}, ${sim.profile}, ${r.steps} steps`,
  );
  writeChrome(v.chrome, out, r.trace, r.violations[0], { ...spec, seed: `0x${spec.seed.toString(16)}` });
  const violation = r.violations[0];
  if (violation === undefined) {
    out('the run passed');
    return 0;
  }
  out(`FAIL ${describeViolation(violation)}`);
  const file = scheduleName(v.failures, spec);
  writeSchedule(
    file,
    scheduleOf(r, {
      spec,
      strategy: sim.strategyName,
      profile: sim.profile,
      faults: spec.faults,
      workload: sim.workload,
    }),
  );
  out(`schedule: ${file}`);
  return 1;
}

const replay = defineCommand(
  {
    name: 'hgcm stress replay',
    summary:
      'replay a failure: its schedule file step by step, or its run by --scenario, --seed and --iteration',
    positionals: { name: 'schedule file', usage: '[FILE]', max: 1 },
    options: REPLAY,
  },
  async (args, { out }) => {
    const file = args.positionals[0];
    if (file !== undefined && isDecisionFile(file)) return replayDecisions(file, out);
    return file === undefined ? replaySpec(args, out) : replayFile(file, args.values, out);
  },
);

const shrink = defineCommand(
  {
    name: 'hgcm stress shrink',
    summary: 'shrink a failing schedule to fewer steps and switches that break the same invariant',
    positionals: { name: 'schedule file', usage: 'FILE', min: 1, max: 1 },
    options: { budget: int('replays the shrinker may try', { min: 1, max: 1e9, default: 400 }) },
  },
  async ({ values: v, positionals }, { out }) => {
    const file = positionals[0]!;
    const r = await shrinkSchedule(readSchedule(file), v.budget);
    const to = file.replace(/(\.min)?\.schedule\.json$/, '') + '.min.schedule.json';
    writeSchedule(to, r.schedule);
    out(
      `shrunk ${r.before.steps} steps / ${r.before.switches} switches to ${r.after.steps} steps / ${r.after.switches} switches in ${r.attempts} runs`,
    );
    out(`still: ${r.schedule.violation === undefined ? '?' : describeViolation(r.schedule.violation)}`);
    out(`schedule: ${to}`);
    return 0;
  },
);

const mutate = defineCommand(
  {
    name: 'hgcm stress mutate',
    summary: 'the mutation self-test: every mutant must be killed (the older spelling: hgcm stress --mutate)',
    options: {
      budget: int('runs per mutant before it counts as surviving', { min: 1, max: 1e9, default: 2000 }),
      mutation: O.mutation,
      seed: O.seed,
      strategy: O.strategy,
      profile: O.profile,
      json: O.json,
      quiet: O.quiet,
    },
    more: () => `mutants: ${Object.keys(MUTATION_PLAN).join(', ')}`,
  },
  async ({ values: v }, { out, err }) => {
    // SAFETY: every name is checked against MUTATION_PLAN on the next line, before use.
    const names = v.mutation?.split(',') as MutationName[] | undefined;
    for (const n of names ?? []) if (!(n in MUTATION_PLAN)) throw new UsageError(`unknown mutation ${n}`);
    const budget = v.budget;
    const r = await runMutate({
      seed: v.seed,
      budget,
      strategy: v.strategy,
      profile: v.profile,
      ...(names === undefined ? {} : { mutations: names }),
      ...(v.quiet ? {} : { progress: err }),
    });
    out(alignTables(mutationTable(r.rows).join('\n')));
    for (const row of r.rows) {
      if (row.runs === undefined) out(`SURVIVED ${row.mutation} (${budget} runs)`);
      if (row.baselineFailures > 0)
        out(`PROBLEM ${row.mutation}: ${row.baselineFailures} failures also happen without the mutation`);
    }
    if (v.json !== undefined) writeFileSync(v.json, `${JSON.stringify(r, null, 1)}\n`);
    out(r.ok ? 'every mutant killed' : 'FAILED');
    return r.ok ? 0 : 1;
  },
);

const merge = defineCommand(
  {
    name: 'hgcm stress merge',
    summary: "shards' --json reports as one campaign: coverage union, failures, runs/s",
    positionals: { name: 'shard report', usage: 'SHARD.json...', min: 1 },
    options: { json: O.json },
  },
  async ({ values: v, positionals }, { out }) => mergeCommand(positionals, v.json, out),
);

const baseline = defineCommand(
  {
    name: 'hgcm stress baseline',
    summary: 'record the coverage baseline the default campaign budgets by and checks against',
    options: BASELINE_OPTIONS,
  },
  async ({ values: v }, { out, err }) => baselineCommand(v, out, err),
);

/** `hgcm stress` and its subcommands. */
export const STRESS: Group = {
  name: 'hgcm stress',
  summary:
    'the cancel-race stress harness: campaigns over the scenario catalogue under the sim or on real threads, ' +
    'exhaustive exploration, replay and shrinking of failures, and the mutation self-test',
  commands: { run, explore: exploreCommand, replay, shrink, mutate, merge, baseline },
  defaultCommand: 'run',
};
