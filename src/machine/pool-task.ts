// The host pool's task: one long-lived HGCM service loop per piscina worker. It serves the dispatch ring
// until a STOP item arrives, waiting with Atomics.waitAsync so that service timers keep firing.
import type { MessagePort } from 'node:worker_threads';
import { loadServices } from '../hgcm/registry.js';
import { asMachineWorkAsync, runAsync, runSync, wallClock } from '../runtime/proc.js';
import { TraceSlot, attachHostEnv, hostWorker, threadExec } from './assemble.js';
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
    clock: wallClock,
    spawn: (proc) => void runSync(proc, opts),
    setTimer: (ms, fn) => void setTimeout(fn, ms),
    log,
  });
  logPort.postMessage({ type: 'ready' });
  await asMachineWorkAsync(opts, () => runAsync(worker.run(), opts));
  logPort.close();
  return workerId;
}
