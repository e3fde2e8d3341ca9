// The host pool's task: one long-lived HGCM service loop per piscina worker. It serves the dispatch ring
// until a STOP item arrives, waiting with Atomics.waitAsync so that service timers keep firing.
// Runs on a host pool worker (piscina).
import v8 from 'node:v8';
import vm from 'node:vm';
import type { MessagePort } from 'node:worker_threads';
import { loadServices } from '../hgcm/index.js';
import { asMachineWorkAsync, runAsync, runSync, watchCell } from '../runtime/index.js';
import { TraceSlot, attachHostEnv, hostWorker, machineClock, machineTimers, threadExec } from './assemble.js';
import type { MachineShared } from './config.js';

/** What the machine sends each pool task. */
export interface PoolTask {
  readonly shared: MachineShared;
  readonly workerId: number;
  readonly logPort: MessagePort;
  /** The process's lock for V8's flags (spare-pools.ts GC_LOCK). */
  readonly gcLock: SharedArrayBuffer;
}

/**
 * How a loop ended: `clean` when no service timer or watch it set is still pending, so the thread holds
 * nothing of this machine and may serve the next one (spare-pools.ts).
 */
export interface PoolTaskEnd {
  readonly workerId: number;
  readonly clean: boolean;
}

/**
 * A full garbage collection of this thread. A thread kept for the next machine (spare-pools.ts) holds the
 * last one's shared memory only through garbage, but an idle thread allocates too little to collect it:
 * over 20 machines started and stopped in turn, 100 MB of old guest RAM stayed reachable until the pool
 * ended. `gc` comes from a context made while --expose-gc is set; unless it was set already, the flag is
 * put back at once, so nothing else (a later worker, a user's context) sees it. V8's flags belong to the
 * process: the pool workers take turns with `lock` (one word, spare-pools.ts), or one would put the flag
 * back between another's setting it and making its context.
 */
function collector(lock: Int32Array): () => void {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  const probe = (): (() => void) | undefined =>
    // SAFETY: the expression is a function or undefined.
    vm.runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined;
  while (Atomics.compareExchange(lock, 0, 0, 1) !== 0) Atomics.wait(lock, 0, 1, 1);
  try {
    const on = probe();
    if (on !== undefined) return on;
    v8.setFlagsFromString('--expose-gc');
    try {
      return probe() ?? ((): void => undefined);
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
  } finally {
    Atomics.store(lock, 0, 0);
    Atomics.notify(lock, 0);
  }
}

let collect: (() => void) | undefined;
/** Tasks this thread has run: from the second on, it serves a machine after another. */
let served = 0;

/** Serve HGCM work until stopped. */
export default async function serve(task: PoolTask): Promise<PoolTaskEnd> {
  const { shared, workerId, logPort } = task;
  if (served++ > 0) (collect ??= collector(new Int32Array(task.gcLock)))();
  const log = (line: string): void => logPort.postMessage({ type: 'log', line: `host${workerId}: ${line}` });
  const env = attachHostEnv(shared, TraceSlot.host(shared, workerId));
  const services = await loadServices(shared.services);
  const opts = threadExec(shared, env.tracer);
  const timers = machineTimers(shared, workerId);
  // Timers and watches set and not yet fired: after the loop, what would still run for this machine.
  let pending = 0;
  const once = (fn: () => void): (() => void) => {
    pending++;
    return () => {
      pending--;
      fn();
    };
  };
  const worker = hostWorker(shared, workerId, env, services, {
    clock: machineClock(shared),
    spawn: (proc) => void runSync(proc, opts),
    setTimer: (ms, fn) => timers(ms, once(fn)),
    watch: (cell, seen, fn) => void runAsync(watchCell(cell, seen, once(fn)), opts),
    log,
  });
  logPort.postMessage({ type: 'ready' });
  await asMachineWorkAsync(opts, () => runAsync(worker.run(), opts));
  logPort.close();
  return { workerId, clean: pending === 0 };
}
