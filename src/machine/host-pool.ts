// The host pool's service loops, seen from the main thread (cf. the HGCM host service threads): one
// long-lived piscina task per pool worker, its readiness, and the replacement of a worker that died.
import { MessageChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { failOwnedCommands } from '../host/index.js';
import { runSync, WorkerError } from '../runtime/index.js';
import { attachHostEnv, threadExec } from './assemble.js';
import type { MachineShared } from './config.js';
import { isWorkerMessage } from './messages.js';
import type { PoolTask } from './pool-task.js';

/**
 * The host pool's long-lived service loops. A worker that dies (a service crashed its thread) has its
 * commands failed with VERR_HGCM_INTERNAL, so no guest waits forever, and is replaced.
 */
export class HostPool {
  private readonly pool: Piscina;
  private readonly shared: MachineShared;
  private readonly log: (line: string) => void;
  private readonly loops = new Map<number, Promise<void>>();
  private readonly ready = new Map<number, Promise<void>>();
  private firstError: Error | undefined;
  private readonly onReady: () => void;
  /** Set while the machine stops: a loop ending then is expected. */
  stopping = false;

  constructor(pool: Piscina, shared: MachineShared, log: (line: string) => void, onReady: () => void) {
    this.pool = pool;
    this.shared = shared;
    this.log = log;
    this.onReady = onReady;
  }

  /** Start (or restart) the service loop of pool worker `workerId`. */
  serve(workerId: number): void {
    const { port1, port2 } = new MessageChannel();
    let markReady: () => void = () => undefined;
    this.ready.set(workerId, new Promise<void>((resolve) => (markReady = resolve)));
    port1.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === 'log') this.log(m.line);
      else if (m.type === 'ready') {
        markReady();
        this.onReady();
      }
    });
    port1.unref();
    const task: PoolTask = { shared: this.shared, workerId, logPort: port2 };
    const loop = this.pool.run(task, { transferList: [port2] }).then(
      () => port1.close(),
      (e: unknown) => {
        port1.close();
        markReady();
        this.died(workerId, e instanceof Error ? e : new Error(String(e)));
      },
    );
    this.loops.set(workerId, loop);
  }

  private died(workerId: number, e: Error): void {
    this.log(`host worker ${workerId} died: ${e.message}`);
    this.firstError ??= new WorkerError(`host worker ${workerId} failed: ${e.stack ?? e.message}`);
    if (this.stopping) return;
    const env = attachHostEnv(this.shared);
    env.stats.add('host.workerDeaths');
    const failed = runSync(failOwnedCommands(env, workerId), threadExec(this.shared));
    this.log(
      `host worker ${workerId}: ${failed} of its commands failed with VERR_HGCM_INTERNAL; restarting it`,
    );
    this.serve(workerId);
  }

  /** Resolves when every loop has loaded its services; the first failure if one died meanwhile. */
  async started(): Promise<Error | undefined> {
    await Promise.all(this.ready.values());
    return this.firstError;
  }

  /** Resolves when every loop has ended. */
  async allDone(): Promise<void> {
    await Promise.all(this.loops.values());
  }
}
