// Which of a Machine's threads keep the process alive (main thread): only work a caller awaits. A script
// that forgets Machine.stop() then exits once its last program has returned, as a script that forgets to
// close an idle socket server does not, but one with an unref'd timer does.
//
// Three kinds of handle hold the event loop: the device worker (device 'thread' only), each vCPU worker,
// and each host-pool worker's piscina port. Workers are unref'd while idle and ref'd while a caller awaits
// them (a run on that vCPU). piscina keeps the port of a worker with a running task ref'd, and the host
// loops are tasks that run for the machine's life; piscina has no switch for that, so the ports are found
// through the worker objects its "workerCreate" event hands out (the WorkerInfo under its kWorkerData
// symbol) and unref'd once the loops run. If a piscina release moves them, nothing is unref'd: the process
// then lives until stop(), as before (test/machine/exit-without-stop.test.ts notices). While a machine
// starts, and while it stops, a timer of this policy's own holds the process instead.
import type { Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';

/** The part of a MessagePort this needs. */
interface Refable {
  ref(): void;
  unref(): void;
}

/** Finds the piscina port behind a worker object piscina emits; undefined if its shape is unknown. */
function piscinaPort(worker: unknown): Refable | undefined {
  if (typeof worker !== 'object' || worker === null) return undefined;
  const key = Object.getOwnPropertySymbols(worker).find((s) => s.description === 'Piscina.kWorkerData');
  // SAFETY: probed field by field below; nothing else is touched.
  const info = key === undefined ? undefined : (worker as Record<symbol, { port?: unknown }>)[key];
  const port = info?.port as Partial<Refable> | undefined;
  return typeof port?.unref === 'function' && typeof port.ref === 'function' ? (port as Refable) : undefined;
}

/** A machine's keep-alive policy. Owned by the Machine (main thread). */
export class KeepAlive {
  private readonly ports = new Set<Refable>();
  private readonly holds = new Map<Worker, number>();
  private pinned = false;
  private readonly pool: Piscina;
  /** Adds a piscina worker's port to those this policy refs and unrefs. */
  private readonly addPort = (w: unknown): void => {
    const port = piscinaPort(w);
    if (port !== undefined) this.ports.add(port);
  };
  /** A ref'd timer: holds the process while the machine starts and while it stops. */
  private holding: NodeJS.Timeout | undefined = setInterval(() => undefined, 1 << 30);

  /**
   * Watch `pool` for its workers' ports; call before the pool's first worker is created. The process is
   * held from here until release() (the machine is up) or letGo() (its start failed).
   */
  constructor(pool: Piscina) {
    this.pool = pool;
    // A pool kept from a stopped machine (spare-pools.ts) has its workers already.
    for (const w of pool.threads) this.addPort(w);
    pool.on('workerCreate', this.addPort);
  }

  /** The machine has let its pool go (to another machine, or destroyed): stop watching it. */
  detach(): void {
    this.pool.off('workerCreate', this.addPort);
    this.ports.clear();
  }

  /** The host loops run (a loop restarted): their ports no longer hold the process. */
  releasePorts(): void {
    if (!this.pinned) for (const p of this.ports) p.unref();
  }

  /** The machine is up: nothing holds the process but awaited work. */
  release(workers: readonly Worker[]): void {
    if (this.pinned) return;
    this.releasePorts();
    for (const w of workers) if ((this.holds.get(w) ?? 0) === 0) w.unref();
    this.letGo();
  }

  /** Hold the process while `work` runs on `worker`. */
  hold<T>(worker: Worker, work: Promise<T>): Promise<T> {
    this.holds.set(worker, (this.holds.get(worker) ?? 0) + 1);
    worker.ref();
    const done = (): void => {
      const n = (this.holds.get(worker) ?? 1) - 1;
      this.holds.set(worker, n);
      if (n === 0 && !this.pinned) worker.unref();
    };
    work.then(done, done);
    return work;
  }

  /**
   * The machine is stopping: hold the process until letGo(), whatever its threads do meanwhile (a script's
   * `await machine.stop()` must not find its process gone half-way, its await never settled).
   */
  pin(): void {
    this.pinned = true;
    this.holding ??= setInterval(() => undefined, 1 << 30);
  }

  /** The machine is up, has stopped or failed to start: this policy no longer holds the process itself. */
  letGo(): void {
    clearInterval(this.holding);
    this.holding = undefined;
  }
}
