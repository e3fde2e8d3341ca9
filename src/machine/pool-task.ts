// The host pool's task: one long-lived HGCM service loop per piscina worker. It serves the dispatch ring
// until a STOP item arrives, waiting with Atomics.waitAsync so that service timers keep firing.
// Runs on a host pool worker (piscina).
import type { MessagePort } from 'node:worker_threads';
import { loadServices } from '../hgcm/index.js';
import { asMachineWorkAsync, runAsync, runSync, watchCell } from '../runtime/index.js';
import { TraceSlot, attachHostEnv, hostWorker, machineClock, machineTimers, threadExec } from './assemble.js';
import type { MachineShared } from './config.js';
import { collectGarbage } from './collect.js';

/** What the machine sends each pool task. */
export interface PoolTask {
  readonly shared: MachineShared;
  readonly workerId: number;
  readonly logPort: MessagePort;
}

/**
 * How a loop ended: `clean` when no service timer or watch it set is still pending, so the thread holds
 * nothing of this machine and may serve the next one (spare-pools.ts).
 */
export interface PoolTaskEnd {
  readonly workerId: number;
  readonly clean: boolean;
}

/** Serve HGCM work until stopped. */
export default async function serve(task: PoolTask): Promise<PoolTaskEnd> {
  const { shared, workerId, logPort } = task;
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
  const clean = pending === 0;
  // The thread may serve the next machine (spare-pools.ts): collect what is left of this one once the
  // task has returned and nothing holds it, so that its memory is free before the next machine allocates
  // its own (an idle thread would not collect it: glibc's heap then grew by a machine's RAM every few
  // cycles).
  if (clean) setImmediate(collectGarbage);
  return { workerId, clean };
}
