// The host pool's task: one long-lived HGCM service loop per piscina worker. It serves the dispatch ring
// until a STOP item arrives, waiting with Atomics.waitAsync so that service timers keep firing.
// Runs on a host pool worker (piscina).
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
}

/** Serve HGCM work until stopped. */
export default async function serve(task: PoolTask): Promise<number> {
  const { shared, workerId, logPort } = task;
  const log = (line: string): void => logPort.postMessage({ type: 'log', line: `host${workerId}: ${line}` });
  const env = attachHostEnv(shared, TraceSlot.host(shared, workerId));
  const services = await loadServices(shared.services);
  const opts = threadExec(shared, env.tracer);
  const worker = hostWorker(shared, workerId, env, services, {
    clock: machineClock(shared),
    spawn: (proc) => void runSync(proc, opts),
    setTimer: machineTimers(shared, workerId),
    watch: (cell, seen, fn) => void runAsync(watchCell(cell, seen, fn), opts),
    log,
  });
  logPort.postMessage({ type: 'ready' });
  await asMachineWorkAsync(opts, () => runAsync(worker.run(), opts));
  logPort.close();
  return workerId;
}
