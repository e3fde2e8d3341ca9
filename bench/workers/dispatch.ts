// A stand-in device thread choosing how to hand work to the host pool: a piscina run() per item, or a
// shared-memory ring served by long-lived piscina tasks (what the runtime does). It times both with
// tinybench, one item at a time and 16 in flight, and posts the summaries.
import { parentPort, workerData } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { DispatchRing, Work } from '../../src/hgcm/index.js';
import { poolExecArgv } from '../../src/machine/index.js';
import { besideModule } from '../../src/runtime/index.js';
import { measureAsync, measureSync, type Budget, type Summary } from '../measure.js';

/** What the dispatch worker is told. */
export interface DispatchJob {
  readonly budget: Budget;
  readonly threads: number;
  /** Spins of the device waiting for a completion, and of an idle pool task. */
  readonly spin: { readonly device: number; readonly pool: number };
}

/** The summaries, by row key. */
export type DispatchResult = Record<'run' | 'run16' | 'ring' | 'ring16', Summary>;

const job = workerData as DispatchJob;
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 150));
const pool = (file: string): Piscina =>
  new Piscina({
    filename: besideModule(import.meta.url, file).href,
    minThreads: job.threads,
    maxThreads: job.threads,
    idleTimeout: Infinity,
    execArgv: poolExecArgv(),
  });

// 1. piscina run() per item.
const runPool = pool('./noop-task');
await runPool.run(0);
await settle();
const run = await measureAsync(() => runPool.run(1), job.budget);
const run16 = await measureAsync(
  () => Promise.all(Array.from({ length: 16 }, (_, i) => runPool.run(i))),
  job.budget,
);
await runPool.destroy();

// 2. A ring served by long-lived tasks; the device blocks (spinning first) until its items are done.
const ring = DispatchRing.create(64);
const doneSab = new SharedArrayBuffer(4);
const done = new Int32Array(doneSab);
const ringPool = pool('./ring-task');
const tasks = Array.from({ length: job.threads }, () =>
  ringPool.run({ ring: ring.sab, done: doneSab, spin: job.spin.pool }),
);
await settle();
let target = 0;
const dispatch = (n: number): void => {
  for (let i = 0; i < n; i++) ring.push(Work.CALL, i);
  target += n;
  for (let d = Atomics.load(done, 0); d < target; d = Atomics.load(done, 0)) {
    let k = 0;
    while (k < job.spin.device && Atomics.load(done, 0) === d) k++;
    if (k === job.spin.device) Atomics.wait(done, 0, d);
  }
};
const ringOne = measureSync(() => dispatch(1), job.budget);
const ring16 = measureSync(() => dispatch(16), job.budget);
for (let i = 0; i < job.threads; i++) ring.push(Work.STOP, 0);
await Promise.all(tasks);
await ringPool.destroy();

const result: DispatchResult = { run, run16, ring: ringOne, ring16 };
parentPort!.postMessage(result);
