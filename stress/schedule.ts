// Schedule files: what a failing sim run writes so it replays exactly - the run's spec, its workload (so a
// changed generator cannot change the run), the time profile and faults, the decision list (the actor
// chosen at each main-phase step) and the trace to compare against. Replay follows the decisions and stops
// at the first step whose actor, effect, address or generation differs from the recording.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FaultName } from '../src/runtime/index.js';
import { DivergenceError, replayStrategy, type TimeProfile, type TraceStep } from '../src/sim/index.js';
import type { Violation } from './oracle/invariants.js';
import { seedText, type RunSpec } from './run-spec.js';
import { runSim, type SimRunReport } from './sim-run.js';
import type { Workload } from './workload.js';

/** The file format's name and version. */
export const SCHEDULE_FORMAT = 'hgcm-stress-schedule/1';

/** A recorded schedule. */
export interface ScheduleFile {
  readonly format: typeof SCHEDULE_FORMAT;
  /** How the run was made (undefined for a shrunk or hand-made schedule). */
  readonly spec: RunSpec | undefined;
  /** The strategy that chose the decisions ("pct:3", "shrunk", ...). */
  readonly strategy: string;
  readonly profile: TimeProfile;
  /** Faults switched on besides the workload's own (mutations under test). */
  readonly faults: readonly FaultName[];
  readonly workload: Workload;
  readonly violation: Violation | undefined;
  readonly decisions: readonly string[];
  /** [actor, what, addr, gen] per main-phase step. */
  readonly trace: readonly (readonly [string, string, number, number])[];
}

/** Build the file for a run. */
export function scheduleOf(
  r: SimRunReport,
  o: {
    spec: RunSpec | undefined;
    strategy: string;
    profile: TimeProfile;
    faults: readonly FaultName[];
    workload: Workload;
  },
): ScheduleFile {
  return {
    format: SCHEDULE_FORMAT,
    spec: o.spec,
    strategy: o.strategy,
    profile: o.profile,
    faults: o.faults,
    workload: o.workload,
    violation: r.violations[0],
    decisions: r.decisions,
    trace: r.trace.map((t) => [t.actor, t.what, t.addr, t.gen] as const),
  };
}

/** The file name a failing run's schedule gets in `dir`. */
export function scheduleName(dir: string, spec: RunSpec, suffix = ''): string {
  const faults = spec.faults.length > 0 ? `-${spec.faults.join('+')}` : '';
  return join(
    dir,
    `${spec.scenario}-${seedText(spec.seed)}-${spec.iteration}${faults}${suffix}.schedule.json`,
  );
}

export function writeSchedule(path: string, s: ScheduleFile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(s, null, 1)}\n`);
}

export function readSchedule(path: string): ScheduleFile {
  const s = JSON.parse(readFileSync(path, 'utf8')) as ScheduleFile;
  if (s.format !== SCHEDULE_FORMAT)
    throw new Error(`${path}: not a ${SCHEDULE_FORMAT} file (format ${String(s.format)})`);
  return s;
}

/** What a replay found. */
export interface ReplayResult {
  readonly run: SimRunReport;
  /** The first step that differs from the recording, if any. */
  readonly divergence: DivergenceError | undefined;
  /** The replay broke the same invariant at the same step as the recording. */
  readonly sameFailure: boolean;
}

/** Replay a schedule exactly. */
export async function replaySchedule(s: ScheduleFile): Promise<ReplayResult> {
  const run = await runSim({
    workload: s.workload,
    strategy: replayStrategy(s.decisions),
    profile: s.profile,
    faults: s.faults,
    trace: true,
  });
  let divergence = run.divergence;
  if (divergence === undefined) {
    const n = Math.min(run.trace.length, s.trace.length);
    for (let i = 0; i < n && divergence === undefined; i++) {
      const got = stepKey(run.trace[i]!);
      const want = s.trace[i]!.join(' ');
      if (got !== want) divergence = new DivergenceError(i, `recorded "${want}", replay did "${got}"`);
    }
    if (divergence === undefined && run.trace.length !== s.trace.length)
      divergence = new DivergenceError(
        n,
        `recorded ${s.trace.length} steps, replay took ${run.trace.length}`,
      );
  }
  const a = run.violations[0];
  const b = s.violation;
  const sameFailure =
    a !== undefined && b !== undefined && a.inv === b.inv && a.phase === b.phase && a.step === b.step;
  return { run, divergence, sameFailure };
}

function stepKey(t: TraceStep): string {
  return `${t.actor} ${t.what} ${t.addr} ${t.gen}`;
}
