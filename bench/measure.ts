// One measured figure with tinybench, on whatever thread runs it (main, a raw worker, a vCPU): the task is
// timed call by call, and the summary (median, p99, rate) is plain data that crosses threads.
import { Bench } from 'tinybench';

/** How long to measure one task. */
export interface Budget {
  /** Time budget of the measured phase (ms). */
  readonly timeMs: number;
  /** Warm-up time (ms): JIT, caches, threads that have just started. */
  readonly warmupMs: number;
  /** At least this many measured calls. */
  readonly minIterations?: number;
}

/** What one task measured. Latencies are per call of the task function. */
export interface Summary {
  readonly medianUs: number;
  readonly p99Us: number;
  /** Calls per second: calls / summed call time (a serial rate). */
  readonly rate: number;
  readonly samples: number;
  /**
   * CPU microseconds per call, every thread of the process together (process.cpuUsage over the whole
   * measurement, warm-up included, over every call made): what one call costs the machine, both sides.
   */
  readonly cpuUs?: number;
}

/** The full budget, and the --quick one. */
export const BUDGETS = {
  full: { timeMs: 1500, warmupMs: 300 },
  quick: { timeMs: 150, warmupMs: 50 },
} as const satisfies Record<string, Budget>;

function bench(budget: Budget): Bench {
  return new Bench({
    time: budget.timeMs,
    warmupTime: budget.warmupMs,
    iterations: budget.minIterations ?? 64,
    // The ~40 ns performance.now() pair is subtracted: it matters only for sub-microsecond rows.
    subtractTimerOverhead: true,
    throws: true,
  });
}

/** A function that counts its calls, for CPU per call. */
function counted<F extends (...a: never[]) => unknown>(fn: F): { fn: F; calls: () => number } {
  let n = 0;
  // SAFETY: the wrapper passes its arguments through and returns what fn returns.
  const wrapped = ((...a: never[]) => {
    n++;
    return fn(...a);
  }) as F;
  return { fn: wrapped, calls: () => n };
}

/** CPU microseconds (user + system, every thread of the process) since `from`. */
export function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return d.user + d.system;
}

function summarize(b: Bench, cpuUs?: number, calls?: number): Summary {
  const task = b.tasks[0]!;
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`benchmark task ${task.name} ended ${r.state}`);
  return {
    medianUs: r.latency.p50 * 1000,
    p99Us: r.latency.p99 * 1000,
    rate: r.latency.mean > 0 ? 1000 / r.latency.mean : 0,
    samples: r.latency.samplesCount,
    ...(cpuUs !== undefined && calls !== undefined && calls > 0 ? { cpuUs: cpuUs / calls } : {}),
  };
}

/** Measure a synchronous function (blocking round trips on worker threads). */
export function measureSync(fn: () => unknown, budget: Budget): Summary {
  const c = counted(fn);
  const b = bench(budget).add('task', c.fn);
  const cpu0 = process.cpuUsage();
  b.runSync();
  return summarize(b, cpuSince(cpu0), c.calls());
}

/** Measure an asynchronous function (round trips that await an event loop). */
export async function measureAsync(fn: () => Promise<unknown>, budget: Budget): Promise<Summary> {
  const c = counted(fn);
  const b = bench(budget).add('task', c.fn);
  const cpu0 = process.cpuUsage();
  await b.run();
  return summarize(b, cpuSince(cpu0), c.calls());
}

/** Summarise per-call samples (ms) taken by hand, e.g. by a deadline-bounded loop on several threads. */
export function summarizeSamples(samplesMs: Float64Array, n: number): Summary {
  const s = samplesMs.slice(0, n).sort();
  let sum = 0;
  for (const v of s) sum += v;
  const q = (p: number): number => (n === 0 ? 0 : s[Math.min(n - 1, Math.floor(p * n))]!);
  return { medianUs: q(0.5) * 1000, p99Us: q(0.99) * 1000, rate: sum > 0 ? (n * 1000) / sum : 0, samples: n };
}

/** What a deadline-bounded loop reports from one thread. */
export interface ThroughputReport {
  readonly calls: number;
  readonly wallMs: number;
  readonly summary: Summary;
  /** CPU microseconds of the whole process (every thread) over this thread's measured loop. */
  readonly cpuUs: number;
}

/** When a deadline-bounded loop starts and how long it runs; threads measured together share the barrier. */
export interface LoopWindow {
  readonly warmupMs: number;
  readonly ms: number;
  /** Word 0 counts the threads that have arrived. */
  readonly barrier: SharedArrayBuffer;
  readonly parties: number;
}

/**
 * Call `fn` for `w.warmupMs`, meet the other threads at the barrier, then call it for `w.ms`, timing each
 * call: the loops of every party run over the same window (calls/s rows with several threads at once).
 */
export function timedLoop(fn: () => void, w: LoopWindow): ThroughputReport {
  for (const end = performance.now() + w.warmupMs; performance.now() < end;) fn();
  const b = new Int32Array(w.barrier);
  Atomics.add(b, 0, 1);
  Atomics.notify(b, 0);
  const giveUp = performance.now() + 30_000;
  for (let n = Atomics.load(b, 0); n < w.parties; n = Atomics.load(b, 0)) {
    // Another party failed before the barrier: do not wait for it forever.
    if (performance.now() > giveUp) throw new Error(`only ${n} of ${w.parties} threads reached the start`);
    Atomics.wait(b, 0, n, 100);
  }
  let samples = new Float64Array(1 << 16);
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + w.ms;
  for (let t = t0; t < end;) {
    fn();
    const t1 = performance.now();
    if (n === samples.length) {
      const more = new Float64Array(n * 2);
      more.set(samples);
      samples = more;
    }
    samples[n++] = t1 - t;
    t = t1;
  }
  const wallMs = performance.now() - t0;
  return { calls: n, wallMs, summary: summarizeSamples(samples, n), cpuUs: cpuSince(cpu0) };
}
