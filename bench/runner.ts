// The benchmark's model and its runner: suites measure rows; a row is one figure held against a limit
// (what the machine can do) and against peers (what a user would otherwise reach for), all from one run.
import os from 'node:os';
import {
  DEFAULT_SPIN,
  type DevicePlacement,
  type ServicePlacement,
  type SpinPolicy,
} from '../src/machine/index.js';
import { BUDGETS, type Budget, type Summary } from './measure.js';

/** Which figure of a row its ratios compare: time per call (lower is better) or a rate (higher is better). */
export type RowKind = 'latency' | 'rate';

/** One measured figure. */
export interface Row {
  /** Stable key, e.g. "limit.doorbell.block"; --compare matches rows by it. */
  readonly id: string;
  readonly suite: string;
  readonly label: string;
  readonly kind: RowKind;
  readonly medianUs?: number;
  readonly p99Us?: number;
  /** Operations per second (calls, round trips, file operations). */
  readonly rate?: number;
  /** Payload megabytes (10^6 bytes) per second, for rows that move data. */
  readonly mbps?: number;
  readonly samples?: number;
  /** CPU microseconds per call (or operation), every thread of the process together: both sides. */
  readonly cpuUs?: number;
  /** With --repeat: the lowest and highest of the repeats' primary figure (median, or rate). */
  readonly spread?: readonly [number, number];
  /** Id of the row this one is held against as its limit. */
  readonly limit?: string;
  /** Ids of peer rows: the best of them is the reference. */
  readonly peers?: readonly string[];
  /** Why the row was not measured (it is still printed). */
  readonly skipped?: string;
  readonly note?: string;
}

/** What a suite gets. */
export interface SuiteContext {
  readonly quick: boolean;
  readonly budget: Budget;
  /** The runtime's spin policy the machine rows and the "policy" limit rows use. */
  readonly policy: SpinPolicy;
  /** Where the machines handle port writes (MachineConfig.device). */
  readonly device: DevicePlacement;
  /** Where services run their calls (MachineConfig.servicePlacement). */
  readonly placement: ServicePlacement;
  /** Where interrupts go (MachineConfig.irqDelivery). */
  readonly irq: 'one' | 'all';
  /** Where to write the Chrome trace of the traced pool calls (the hgcm suite's tracing rows), if set. */
  readonly traceFile?: string | undefined;
  /** Progress lines (stderr). */
  log(line: string): void;
}

/** A named group of rows. */
export interface Suite {
  readonly name: string;
  readonly about: string;
  /** Part of a run that names no suites. */
  readonly byDefault: boolean;
  run(ctx: SuiteContext): Promise<Row[]>;
}

/** Facts about the machine and the run, printed with the table and kept in the JSON. */
export interface RunInfo {
  readonly date: string;
  readonly node: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly loadAvg: readonly number[];
  readonly quick: boolean;
  readonly repeat: number;
  readonly policy: SpinPolicy;
  /** Absent in runs from before the option. */
  readonly device?: DevicePlacement;
  /** Absent in runs from before the option (they ran every call in the pool). */
  readonly placement?: ServicePlacement;
  /** Absent in runs from before the option (they woke every vCPU). */
  readonly irq?: 'one' | 'all';
  readonly suites: readonly string[];
  readonly command: string;
}

/** A whole run: what --json writes and --compare reads. */
export interface RunResult {
  readonly info: RunInfo;
  readonly rows: readonly Row[];
  /** The goals the rows form (report.ts); absent in runs from before issue 14. */
  readonly goals?: readonly GoalOutcome[];
}

/** A goal's outcome as the JSON carries it (report.ts computes it). */
export interface GoalOutcome {
  readonly goal: string;
  readonly target: string;
  readonly value: number | undefined;
  readonly how: string;
  readonly met: boolean | undefined;
  readonly cpuUs?: number;
  /** The best this ratio could be on this machine, from limit rows of the same run, and how it was formed. */
  readonly bound?: number;
  readonly boundHow?: string;
}

/** A row from a tinybench (or hand-timed) summary. `bytes`: payload per call, for an MB/s figure. */
export function rowOf(
  base: Omit<Row, 'medianUs' | 'p99Us' | 'rate' | 'samples' | 'mbps' | 'cpuUs'>,
  s: Summary,
  bytes = 0,
): Row {
  return {
    ...base,
    medianUs: s.medianUs,
    p99Us: s.p99Us,
    rate: s.rate,
    samples: s.samples,
    ...(s.cpuUs === undefined ? {} : { cpuUs: s.cpuUs }),
    ...(bytes > 0 ? { mbps: (s.rate * bytes) / 1e6 } : {}),
  };
}

/** A row that could not be measured, with the reason. */
export function skippedRow(base: Omit<Row, 'skipped'>, reason: string): Row {
  return { ...base, skipped: reason };
}

function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One row from its repeats: the median of each figure, and the spread of the primary one. */
export function mergeRepeats(reps: readonly Row[]): Row {
  const first = reps[0]!;
  if (reps.length === 1 || first.skipped !== undefined) return first;
  const pick = (f: 'medianUs' | 'p99Us' | 'rate' | 'mbps' | 'cpuUs'): number | undefined => {
    const xs = reps.map((r) => r[f]).filter((x): x is number => x !== undefined);
    return xs.length === reps.length ? medianOf(xs) : undefined;
  };
  const primary = reps.map((r) => (first.kind === 'latency' ? r.medianUs : (r.mbps ?? r.rate)) ?? 0);
  const merged: Row = { ...first, spread: [Math.min(...primary), Math.max(...primary)] };
  const out: Record<string, unknown> = { ...merged, samples: reps.reduce((n, r) => n + (r.samples ?? 0), 0) };
  for (const f of ['medianUs', 'p99Us', 'rate', 'mbps', 'cpuUs'] as const) {
    const v = pick(f);
    if (v !== undefined) out[f] = v;
  }
  // SAFETY: built from a Row with only its numeric figures replaced.
  return out as unknown as Row;
}

/** `p`, or an error saying `hang()` when it has not settled in `ms` (a lost wake-up, a dead thread). */
export async function withWatchdog<T>(p: Promise<T>, ms: number, hang: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(hang())), ms);
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Run the suites in order, one at a time (never two measurements at once on a 2-core machine); with
 * `repeat` > 1 the whole sequence runs again and each row keeps the median of its repeats, so a passing
 * burst of load on a shared machine moves one repeat, not the result.
 */
export async function runSuites(
  suites: readonly Suite[],
  opts: {
    quick: boolean;
    repeat?: number;
    policy?: SpinPolicy;
    device?: DevicePlacement;
    placement?: ServicePlacement;
    irq?: 'one' | 'all';
    traceFile?: string;
    command: string;
    log?: (line: string) => void;
  },
): Promise<RunResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const repeat = opts.repeat ?? 1;
  const ctx: SuiteContext = {
    quick: opts.quick,
    budget: opts.quick ? BUDGETS.quick : BUDGETS.full,
    policy: opts.policy ?? DEFAULT_SPIN,
    device: opts.device ?? 'emt',
    placement: opts.placement ?? 'emt',
    irq: opts.irq ?? 'one',
    traceFile: opts.traceFile,
    log,
  };
  const info: RunInfo = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAvg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    quick: opts.quick,
    repeat,
    policy: ctx.policy,
    device: ctx.device,
    placement: ctx.placement,
    irq: ctx.irq,
    suites: suites.map((s) => s.name),
    command: opts.command,
  };
  const byId = new Map<string, Row[]>();
  for (let rep = 1; rep <= repeat; rep++) {
    for (const suite of suites) {
      const t0 = performance.now();
      log(`suite ${suite.name}${repeat > 1 ? ` (${rep}/${repeat})` : ''}: ${suite.about}`);
      const ms = opts.quick ? 180_000 : 900_000;
      const suiteRows = await withWatchdog(
        suite.run(ctx),
        ms,
        () => `suite ${suite.name} did not finish in ${ms / 1000} s`,
      );
      for (const row of suiteRows) {
        const reps = byId.get(row.id) ?? [];
        reps.push(row);
        byId.set(row.id, reps);
      }
      log(`suite ${suite.name}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  return { info, rows: [...byId.values()].map(mergeRepeats) };
}
