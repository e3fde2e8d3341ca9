// The controlled-threads executor (issue 17): a threads run on a controlled machine, the main phase's steps
// granted one at a time by a coordinator using the sim's strategies; a failing run's decisions are written
// as a decision file that `hgcm stress replay FILE` follows on real threads. Runs on the main thread.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunResult } from '../campaign.js';
import { describeViolation, type Violation } from '../oracle/invariants.js';
import { replayCommand, resolveRun, type RunSpec } from '../run-spec.js';
import { scheduleName } from '../schedule.js';
import { MachinePool, runThreads, threadsResult, type ThreadsRunReport } from '../threads-run.js';
import type { Decision } from './coordinator.js';

/** The decision file's format tag. */
export const DECISIONS_FORMAT = 'hgcm-controlled-decisions/2';

/** A controlled run's decisions: what `replay FILE` follows on real threads. */
export interface DecisionFile {
  readonly format: typeof DECISIONS_FORMAT;
  readonly spec: RunSpec;
  /** The violation the run broke first. */
  readonly violation: Violation | undefined;
  readonly decisions: readonly Decision[];
}

/** Is `path` a decision file (rather than a sim schedule)? */
export function isDecisionFile(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { format?: unknown }).format === DECISIONS_FORMAT;
  } catch {
    return false;
  }
}

/** Read a decision file. */
export function readDecisions(path: string): DecisionFile {
  const d = JSON.parse(readFileSync(path, 'utf8')) as DecisionFile;
  if (d.format !== DECISIONS_FORMAT) throw new Error(`${path}: not a ${DECISIONS_FORMAT} file`);
  return d;
}

function writeDecisions(path: string, d: DecisionFile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(d)}\n`);
}

/** The decision file's name for a run (beside its sim schedule's). */
export function decisionsName(dir: string, spec: RunSpec): string {
  return scheduleName(dir, spec, '-controlled').replace(/\.schedule\.json$/, '.decisions.json');
}

/** One controlled run of `spec` (following `follow` when replaying). Never throws. */
export async function runControlled(
  spec: RunSpec,
  pool: MachinePool,
  follow?: readonly Decision[],
): Promise<ThreadsRunReport> {
  const run = resolveRun(spec);
  return runThreads(
    {
      workload: run.workload,
      faults: spec.faults,
      control: {
        strategy: run.strategy,
        follow,
        anyOrder: run.profile === 'any-order',
        holds: run.workload.holds,
      },
    },
    pool,
  );
}

/**
 * The campaign's executor for controlled threads: one run; on a failure its context (the coordinator's
 * picture of a stuck run, or the log's tail), the run lifted into the sim, and its decision file.
 */
export async function controlledExecute(
  spec: RunSpec,
  pool: MachinePool,
  failuresDir?: string,
): Promise<RunResult> {
  const r = await runControlled(spec, pool);
  const c = r.control;
  const head = `executor=controlled (${c?.steps ?? 0} steps granted, ${c?.decisions.length ?? 0} decisions)`;
  const res = await threadsResult(spec, r, head, failuresDir);
  const first = r.violations[0];
  if (first === undefined || c === undefined || failuresDir === undefined) return res;
  const file = decisionsName(failuresDir, spec);
  writeDecisions(file, { format: DECISIONS_FORMAT, spec, violation: first, decisions: c.decisions });
  return {
    ...res,
    context: [...res.context, `decisions: ${file} (replay it: hgcm stress replay ${file})`],
    replay: `hgcm stress replay ${file}`,
  };
}

/** Replay a decision file on real threads: does the run break the same invariant again? */
export async function replayDecisions(file: string, out: (line: string) => void): Promise<number> {
  const d = readDecisions(file);
  const pool = new MachinePool(1, true);
  const r = await runControlled(d.spec, pool, d.decisions).finally(() => pool.stop());
  const c = r.control;
  out(
    `replayed ${d.spec.scenario} on controlled threads: ${c?.followed ?? 0} of ${d.decisions.length} recorded ` +
      `decisions taken as recorded, ${c?.mismatches ?? 0} not (${replayCommand(d.spec)} --executor controlled)`,
  );
  if (c?.divergence !== undefined) out(`first difference: ${c.divergence}`);
  const v = r.violations[0];
  out(v === undefined ? 'the run passed' : `FAIL ${describeViolation(v)}`);
  if (d.violation !== undefined && v !== undefined)
    out(
      v.inv === d.violation.inv
        ? 'the same invariant as recorded'
        : `recorded: ${describeViolation(d.violation)}`,
    );
  return v !== undefined && v.inv === d.violation?.inv ? 0 : 1;
}
