// `hgcm stress`: run a campaign, explore the minimal race exhaustively, replay or shrink a failure, and
// the mutation self-test. Exit codes: 0 passed, 1 a check failed (violations, surviving mutants, missing
// coverage, a replay that did not fail the same way), 2 a bad command line.
import { writeFileSync } from 'node:fs';
import { simStepsToChrome, type StepMark } from '../src/sim/chrome.js';
import type { TraceStep } from '../src/sim/types.js';
import { Options, UsageError, parseArgs } from './args.js';
import { baselineCommand } from './baseline-record.js';
import { formatFailure, formatTable, parseWeighting, runCampaign, type CampaignOptions } from './campaign.js';
import { mergeCommand } from './merge.js';
import { THREADS_CLASSES } from './coverage.js';
import { explore, minimalRace } from './explore.js';
import { describeViolation, type Violation } from './oracle/invariants.js';
import { MUTATION_PLAN, mutationTable, runMutate, type MutationName } from './mutate.js';
import { seedText, type RunSpec } from './run-spec.js';
import { readSchedule, replaySchedule, scheduleName, scheduleOf, writeSchedule } from './schedule.js';
import { scenarios } from './scenarios/index.js';
import { shrinkSchedule } from './shrink.js';
import { runSpec } from './sim-run.js';
import { MachinePool, threadsExecute } from './threads-run.js';

export const USAGE = `usage: hgcm stress [run] [options]       a campaign over the scenario catalogue (default)
       hgcm stress explore [options]     every schedule of the minimal core race within a preemption bound
       hgcm stress replay FILE | --scenario S --seed X --iteration N [options]
       hgcm stress shrink FILE [--budget N]
       hgcm stress mutate [--budget N] [--mutation a,b]   (or: hgcm stress --mutate)
       hgcm stress merge SHARD.json... [--json FILE]   shards' --json reports as one campaign
       hgcm stress baseline [--seeds 1-8] [--iterations N] [--out FILE]   record the coverage baseline
options:
  --scenario all|fail|every|S1,S5,...   --executor sim|threads   --seed N (0x hex ok)
  --iterations N   --duration 90s|10m|2h   --shard i/n   --strategy mix|random|pct:1|pct:2|pct:3
  --profile mix|realistic|any-order   --fault a,b   --flavor linux|vbox-7.0|vbox-trunk   --leak strict|faithful
  --json FILE (a JSON report)   --failures DIR (schedule files; default stress-failures)   --quiet
  --weights need|uniform (runs per round: by the coverage baseline's need, the sim's default; or one each)
  explore: --preemptions N (default 2) --max N;  mutate: --budget N (default 2000)
  replay (sim): --chrome FILE   write the replayed steps as a Chrome trace (Perfetto), one lane per actor`;

type Out = (line: string) => void;

/** Entry point: returns the process exit code. */
export async function stressMain(
  argv: readonly string[],
  out: Out = console.log,
  err: Out = console.error,
): Promise<number> {
  try {
    const p = parseArgs(argv);
    const o = new Options(p);
    if (o.has('help')) {
      out(USAGE);
      return 0;
    }
    const sub = o.has('mutate') ? 'mutate' : (p.positional[0] ?? 'run');
    const rest = o.has('mutate') ? p.positional : p.positional.slice(1);
    let code: number;
    switch (sub) {
      case 'run':
        code = await run(o, out, err);
        break;
      case 'explore':
        code = await exploreCmd(o, out, err);
        break;
      case 'replay':
        code = await replay(o, rest[0], out);
        break;
      case 'shrink':
        code = await shrink(o, rest[0], out);
        break;
      case 'mutate':
        code = await mutate(o, out, err);
        break;
      case 'merge':
        code = mergeCommand(rest, o.optional('json'), out);
        break;
      case 'baseline':
        code = await baselineCommand(o, out, err);
        break;
      default:
        throw new UsageError(`unknown subcommand ${sub}`);
    }
    const unused = o.unused();
    if (unused.length > 0)
      err(`note: options not used by "${sub}": ${unused.map((u) => `--${u}`).join(' ')}`);
    return code;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`hgcm stress: ${e.message}\n${USAGE}`);
      return 2;
    }
    throw e;
  }
}

async function run(o: Options, out: Out, err: Out): Promise<number> {
  const executor = o.executor();
  const list = scenarios(o.string('scenario', 'all'));
  const seed = o.seed();
  const quiet = o.has('quiet');
  const pool = executor === 'threads' ? new MachinePool() : undefined;
  const failuresDir = o.string('failures', 'stress-failures');
  const opts: CampaignOptions = {
    scenarios: list,
    seed,
    ...(o.has('iterations') ? { iterations: o.int('iterations', 100) } : {}),
    ...(o.duration() === undefined ? {} : { durationMs: o.duration()! }),
    shard: o.shard(),
    strategy: o.strategy(),
    profile: o.profile(),
    faults: o.faults(),
    ...(o.flavor() === undefined ? {} : { flavor: o.flavor()! }),
    ...(o.leakScope() === undefined ? {} : { leakScope: o.leakScope()! }),
    failuresDir,
    ...(o.has('weights') ? { weighting: parseWeighting(o.string('weights', 'need')) } : {}),
    ...(quiet ? {} : { progress: err }),
    ...(pool === undefined
      ? {}
      : {
          execute: (spec: RunSpec) => threadsExecute(spec, pool, failuresDir),
          observable: THREADS_CLASSES,
          coverage: 'union' as const,
          executor: 'threads' as const,
        }),
  };
  out(
    `hgcm stress: ${executor} executor, ${list.length} scenarios, seed ${seedText(seed)}, shard ${opts.shard!.index}/${opts.shard!.count}, strategy ${opts.strategy}, profile ${opts.profile}`,
  );
  const report = await runCampaign(opts).finally(() => pool?.stop());
  for (const s of report.scenarios)
    if (s.firstFailure !== undefined) formatFailure(s.firstFailure).forEach((l) => out(l));
  formatTable(report).forEach((l) => out(l));
  for (const p of report.problems) out(`PROBLEM ${p}`);
  const json = o.optional('json');
  if (json !== undefined) writeFileSync(json, `${JSON.stringify(report, null, 1)}\n`);
  out(report.ok ? 'OK' : 'FAILED');
  return report.ok ? 0 : 1;
}

async function exploreCmd(o: Options, out: Out, err: Out): Promise<number> {
  const pb = o.int('preemptions', 2);
  const r = await explore({
    workload: minimalRace(o.flavor()),
    preemptions: pb,
    faults: o.faults(),
    profile: o.profile() === 'any-order' ? 'any-order' : 'realistic',
    ...(o.has('max') ? { maxSchedules: o.int('max', 0) } : {}),
    ...(o.has('quiet') ? {} : { progress: err }),
  });
  out(`explore: minimal core race (2 calls, 1 host worker, timeout 0), preemption bound ${pb}`);
  out(
    `  ${r.schedules} schedules ${r.exhausted ? '(every schedule within the bound)' : '(stopped before the end)'} in ${(r.elapsedMs / 1000).toFixed(1)} s, up to ${r.maxSteps} steps each`,
  );
  out(`  classes reached: ${[...r.tags].sort().join(' ')}`);
  if (r.first !== undefined) {
    out(`  FAIL ${describeViolation(r.first.violation)}`);
    out(`  decisions: ${r.first.decisions.join(' ')}`);
  }
  const json = o.optional('json');
  if (json !== undefined) writeFileSync(json, `${JSON.stringify({ ...r, tags: [...r.tags] }, null, 1)}\n`);
  return r.violations === 0 && r.exhausted ? 0 : 1;
}

/** With --chrome, write a replay's steps, its first violation and any divergence as a Chrome trace. */
function writeChrome(
  o: Options,
  out: Out,
  steps: readonly TraceStep[],
  v: Violation | undefined,
  meta: Record<string, unknown>,
  divergence?: { step: number; message: string },
): void {
  const path = o.optional('chrome');
  if (path === undefined) return;
  const marks: StepMark[] = [];
  if (v !== undefined && v.phase === 'main')
    marks.push({ step: v.step, actor: v.actor, name: `${v.inv} violated`, detail: v.detail });
  if (divergence !== undefined)
    marks.push({ step: divergence.step, actor: 'replay', name: 'diverged', detail: divergence.message });
  writeFileSync(path, JSON.stringify(simStepsToChrome(steps, { marks, meta })));
  out(`Chrome trace (Perfetto, chrome://tracing): ${path}`);
}

async function replay(o: Options, file: string | undefined, out: Out): Promise<number> {
  if (file !== undefined) {
    const s = readSchedule(file);
    const r = await replaySchedule(s);
    out(
      `replayed ${r.run.steps} of ${s.decisions.length} recorded steps of ${s.workload.scenario} (${s.strategy}, ${s.profile})`,
    );
    writeChrome(
      o,
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
    const v = r.run.violations[0];
    out(v === undefined ? 'the run passed' : `FAIL ${describeViolation(v)}`);
    if (s.violation !== undefined)
      out(
        r.sameFailure
          ? 'the same failure at the same step, as recorded'
          : `recorded: ${describeViolation(s.violation)}`,
      );
    return v === undefined || (s.violation !== undefined && !r.sameFailure) ? 1 : 0;
  }
  if (!o.has('scenario') || !o.has('iteration'))
    throw new UsageError('replay takes a schedule file, or --scenario, --seed and --iteration');
  const spec: RunSpec = {
    scenario: o.string('scenario', ''),
    seed: o.seed(),
    iteration: o.int('iteration', 0),
    strategy: o.strategy(),
    profile: o.profile(),
    faults: o.faults(),
    flavor: o.flavor(),
    leakScope: o.leakScope(),
  };
  if (o.executor() === 'threads') {
    const pool = new MachinePool(1);
    const r = await threadsExecute(spec, pool).finally(() => pool.stop());
    const v = r.violations[0];
    out(
      v === undefined
        ? 'the run passed (threads: the same workload, a new interleaving)'
        : `FAIL ${describeViolation(v)}`,
    );
    r.context.forEach((l) => out(`  ${l}`));
    return v === undefined ? 0 : 1;
  }
  const r = await runSpec(spec, true);
  const run = r.run;
  out(
    `replayed ${spec.scenario} iteration ${spec.iteration}: ${run.strategyName}, ${run.profile}, ${r.steps} steps`,
  );
  writeChrome(o, out, r.trace, r.violations[0], { ...spec, seed: `0x${spec.seed.toString(16)}` });
  const v = r.violations[0];
  if (v === undefined) {
    out('the run passed');
    return 0;
  }
  out(`FAIL ${describeViolation(v)}`);
  const file2 = scheduleName(o.string('failures', 'stress-failures'), spec);
  writeSchedule(
    file2,
    scheduleOf(r, {
      spec,
      strategy: run.strategyName,
      profile: run.profile,
      faults: spec.faults,
      workload: run.workload,
    }),
  );
  out(`schedule: ${file2}`);
  return 1;
}

async function shrink(o: Options, file: string | undefined, out: Out): Promise<number> {
  if (file === undefined) throw new UsageError('shrink takes a schedule file');
  const r = await shrinkSchedule(readSchedule(file), o.int('budget', 400));
  const to = file.replace(/(\.min)?\.schedule\.json$/, '') + '.min.schedule.json';
  writeSchedule(to, r.schedule);
  out(
    `shrunk ${r.before.steps} steps / ${r.before.switches} switches to ${r.after.steps} steps / ${r.after.switches} switches in ${r.attempts} runs`,
  );
  out(`still: ${r.schedule.violation === undefined ? '?' : describeViolation(r.schedule.violation)}`);
  out(`schedule: ${to}`);
  return 0;
}

async function mutate(o: Options, out: Out, err: Out): Promise<number> {
  const names = o.optional('mutation')?.split(',') as MutationName[] | undefined;
  for (const n of names ?? []) if (!(n in MUTATION_PLAN)) throw new UsageError(`unknown mutation ${n}`);
  const budget = o.int('budget', 2000);
  const r = await runMutate({
    seed: o.seed(),
    budget,
    strategy: o.strategy(),
    profile: o.profile(),
    ...(names === undefined ? {} : { mutations: names }),
    ...(o.has('quiet') ? {} : { progress: err }),
  });
  mutationTable(r.rows).forEach((l) => out(l));
  for (const row of r.rows) {
    if (row.runs === undefined) out(`SURVIVED ${row.mutation} (${budget} runs)`);
    if (row.baselineFailures > 0)
      out(`PROBLEM ${row.mutation}: ${row.baselineFailures} failures also happen without the mutation`);
  }
  const json = o.optional('json');
  if (json !== undefined) writeFileSync(json, `${JSON.stringify(r, null, 1)}\n`);
  out(r.ok ? 'every mutant killed' : 'FAILED');
  return r.ok ? 0 : 1;
}
