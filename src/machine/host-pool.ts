// The host pool's service loops, seen from the main thread (cf. the HGCM host service threads): one
// long-lived piscina task per pool worker, its readiness, and the replacement of a worker that died.
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { failOwnedCommands } from '../host/index.js';
import { runSync, WorkerError } from '../runtime/index.js';
import { attachHostEnv, threadExec } from './assemble.js';
import type { MachineShared } from './config.js';
import { isWorkerMessage } from './messages.js';
import type { PoolTask, PoolTaskEnd } from './pool-task.js';

/** Restarts of one pool worker allowed within RESTART_WINDOW_MS; one more and the worker is given up. */
export const MAX_RESTARTS = 8;
/** The window restarts are counted in (ms). */
export const RESTART_WINDOW_MS = 60_000;
/** The delay before the n-th restart in a row: RESTART_DELAY_MS * 2^(n-1), at most 1 s. */
const RESTART_DELAY_MS = 10;

/**
 * The host pool's long-lived service loops. A worker that dies (a service crashed its thread) has its
 * commands failed with VERR_HGCM_INTERNAL, so no guest waits forever, and is replaced, after a delay that
 * doubles with each death in a row; a worker that dies more than MAX_RESTARTS times in RESTART_WINDOW_MS,
 * or whose services cannot be set up, is given up; with every worker given up nothing can serve a call,
 * and the machine fails (onFailure: it stops, its runs reject with the error). A worker that fails before
 * it is ready (a service cannot be loaded or its setup throws) is never restarted: start() fails with
 * that error.
 */
export class HostPool {
  private readonly pool: Piscina;
  private readonly shared: MachineShared;
  private readonly log: (line: string) => void;
  private readonly loops = new Map<number, Promise<void>>();
  private readonly ready = new Map<number, Promise<void>>();
  private readonly isReady = new Set<number>();
  /** Death times of each worker within the window. */
  private readonly deaths = new Map<number, number[]>();
  private readonly gaveUp = new Set<number>();
  private readonly workers: number;
  private startError: Error | undefined;
  private started_ = false;
  /** Loops that ended clean (pool-task.ts). */
  private cleanEnds = 0;
  private readonly onReady: () => void;
  private readonly onFailure: (e: Error) => void;
  /** Set when every worker was given up: the machine can serve no call any more. */
  failure: Error | undefined;
  /** Set while the machine stops: a loop ending then is expected. */
  stopping = false;

  constructor(
    pool: Piscina,
    shared: MachineShared,
    workers: number,
    log: (line: string) => void,
    onReady: () => void,
    onFailure: (e: Error) => void,
  ) {
    this.pool = pool;
    this.shared = shared;
    this.workers = workers;
    this.log = log;
    this.onReady = onReady;
    this.onFailure = onFailure;
  }

  /** Start (or restart) the service loop of pool worker `workerId`. */
  serve(workerId: number): void {
    const { port1, port2 } = new MessageChannel();
    let markReady: () => void = () => undefined;
    this.isReady.delete(workerId);
    this.ready.set(workerId, new Promise<void>((resolve) => (markReady = resolve)));
    const onMessage = (m: unknown): void => {
      if (!isWorkerMessage(m)) return;
      if (m.type === 'log') this.log(m.line);
      else if (m.type === 'ready') {
        this.isReady.add(workerId);
        markReady();
        this.onReady();
      }
    };
    port1.on('message', onMessage);
    port1.unref();
    const task: PoolTask = { shared: this.shared, workerId, logPort: port2 };
    const loop = this.pool.run(task, { transferList: [port2] }).then(
      (end: PoolTaskEnd | undefined) => {
        port1.close();
        if (end?.clean === true) this.cleanEnds++;
      },
      (e: unknown) => {
        // ORDER: the worker's death comes through piscina's port, its 'ready' and logs through port1, and
        // nothing orders the two: a worker that said ready and then died at once (its first call killed
        // it) could be taken for one that never got ready and be given up. What it posted before dying
        // is queued on port1 already: take it first.
        for (let q = receiveMessageOnPort(port1); q !== undefined; q = receiveMessageOnPort(port1))
          onMessage(q.message);
        port1.close();
        markReady();
        this.died(workerId, e instanceof Error ? e : new Error(String(e)));
      },
    );
    this.loops.set(workerId, loop);
  }

  private died(workerId: number, e: Error): void {
    if (this.stopping) return;
    if (!this.started_) {
      // The services could not be loaded or set up: start() reports the service's own error.
      this.log(`host worker ${workerId} could not start: ${e.message}`);
      this.startError ??= e;
      return;
    }
    const env = attachHostEnv(this.shared);
    env.stats.add('host.workerDeaths');
    const failed = runSync(failOwnedCommands(env, workerId), threadExec(this.shared));
    const now = Date.now();
    const recent = (this.deaths.get(workerId) ?? []).filter((t) => now - t < RESTART_WINDOW_MS);
    recent.push(now);
    this.deaths.set(workerId, recent);
    const wasReady = this.isReady.has(workerId);
    this.log(
      `host worker ${workerId} died: ${e.message}; ${failed} of its commands failed with VERR_HGCM_INTERNAL`,
    );
    if (!wasReady || recent.length > MAX_RESTARTS) {
      this.giveUp(
        workerId,
        wasReady
          ? `it died ${recent.length} times within ${RESTART_WINDOW_MS} ms`
          : `its services could not be set up again`,
        e,
      );
      return;
    }
    const wait = Math.min(1000, RESTART_DELAY_MS * 2 ** (recent.length - 1));
    setTimeout(() => {
      if (!this.stopping) this.serve(workerId);
    }, wait).unref();
  }

  /** Stop restarting `workerId`; once every worker is given up, the machine has failed. */
  private giveUp(workerId: number, why: string, e: Error): void {
    attachHostEnv(this.shared).stats.add('host.workerRestartsRefused');
    this.gaveUp.add(workerId);
    this.log(`host worker ${workerId} given up (not restarted): ${why}; last error: ${e.message}`);
    if (this.gaveUp.size < this.workers || this.failure !== undefined) return;
    this.failure = new WorkerError(
      `every host worker was given up; the last, worker ${workerId}: ${why}: ${e.message}`,
    );
    this.onFailure(this.failure);
  }

  /** Resolves when every loop has loaded its services; the first failure if one could not. */
  async started(): Promise<Error | undefined> {
    await Promise.all(this.ready.values());
    this.started_ = true;
    return this.startError;
  }

  /**
   * Every loop has ended clean, none died and none failed to start: the pool's threads hold nothing of
   * this machine and may serve another (spare-pools.ts). Read after allDone().
   */
  get reusable(): boolean {
    // A worker that died and was restarted may end clean: its death counts against the pool.
    return this.cleanEnds === this.workers && this.deaths.size === 0 && this.startError === undefined;
  }

  /** Resolves when every loop has ended. */
  async allDone(): Promise<void> {
    await Promise.all(this.loops.values());
  }
}
