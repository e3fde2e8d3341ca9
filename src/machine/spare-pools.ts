// Host pools kept warm between machines (main thread). A pool worker costs a thread, Node's bootstrap and
// its module graph (about 150 ms of CPU on a 2-core machine, more than the rest of a machine's start), and
// a process that starts machines one after another (a test file, a stress campaign, a benchmark) paid it
// again for every machine. A machine whose host loops all ended cleanly at stop() (no worker died, no
// service timer or watch left pending) hands its piscina pool here instead of destroying it; the next
// machine started with the same number of host workers and the same worker options takes it, and its
// loops run on threads that have the modules loaded. What is kept holds nothing of the stopped machine
// (its tasks ended; each loop attaches the new machine's shared memory from its task) and does not keep
// the process alive (piscina unrefs idle workers; the timer here is unref'd). A pool left unused for
// SPARE_MS is destroyed, and at most MAX_SPARES are kept (the oldest goes first).
import { releaseProxy, type Remote } from 'comlink';
import type { Worker } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import type { VcpuApi } from './vcpu-worker.js';

/** How long a spare pool waits for a machine (ms). */
export const SPARE_MS = 10_000;
/** Pools kept at most. */
export const MAX_SPARES = 4;
/** vCPU threads kept at most. */
export const MAX_SPARE_VCPUS = 8;

/** A vCPU thread kept from a stopped machine, with its control-plane proxy. */
export interface SpareVcpu {
  /** The module the thread was started on (the built copy or the source: worker-url.ts). */
  readonly entry: string;
  readonly worker: Worker;
  readonly api: Remote<VcpuApi>;
}

/** Things kept for a while, by key: the oldest goes first past `max`, each after SPARE_MS unused. */
class Shelf<T> {
  private readonly kept: { key: string; item: T; timer: NodeJS.Timeout; unwatch: () => void }[] = [];
  private readonly max: number;
  private readonly end: (item: T) => Promise<void>;
  private readonly watch: (item: T, lost: () => void) => () => void;

  /**
   * `end` ends an item for good; `watch` calls `lost` if a kept item breaks by itself (an error, an exit:
   * an EventEmitter's 'error' with no listener would throw) and returns what stops watching it.
   */
  constructor(
    max: number,
    end: (item: T) => Promise<void>,
    watch: (item: T, lost: () => void) => () => void,
  ) {
    this.max = max;
    this.end = end;
    this.watch = watch;
  }

  get size(): number {
    return this.kept.length;
  }

  take(key: string): T | undefined {
    const i = this.kept.findIndex((k) => k.key === key);
    if (i < 0) return undefined;
    const [k] = this.kept.splice(i, 1);
    clearTimeout(k!.timer);
    k!.unwatch();
    return k!.item;
  }

  keep(key: string, item: T): void {
    const drop = (): void => {
      const i = this.kept.findIndex((k) => k.item === item);
      if (i >= 0) void this.drop(this.kept.splice(i, 1)[0]!);
    };
    const timer = setTimeout(drop, SPARE_MS).unref();
    this.kept.push({ key, item, timer, unwatch: this.watch(item, drop) });
    while (this.kept.length > this.max) void this.drop(this.kept.shift()!);
  }

  /** End every kept item now. */
  clear(): Promise<void> {
    return Promise.all(this.kept.splice(0).map((k) => this.drop(k))).then(() => undefined);
  }

  private drop(k: { item: T; timer: NodeJS.Timeout; unwatch: () => void }): Promise<void> {
    clearTimeout(k.timer);
    k.unwatch();
    return this.end(k.item).catch(() => undefined);
  }
}

const pools = new Shelf<Piscina>(
  MAX_SPARES,
  // A pool's destroy() settles once its threads have ended.
  (pool) => pool.destroy(),
  (pool, lost) => {
    pool.on('error', lost);
    return () => pool.off('error', lost);
  },
);

const vcpus = new Shelf<SpareVcpu>(
  MAX_SPARE_VCPUS,
  async (v) => {
    v.api[releaseProxy]();
    await v.worker.terminate();
  },
  (v, lost) => {
    v.worker.on('error', lost);
    v.worker.on('exit', lost);
    return () => {
      v.worker.off('error', lost);
      v.worker.off('exit', lost);
    };
  },
);

/** What must match for a pool to be reused: its thread count, its task module and workers' options. */
export function poolKey(threads: number, filename: string, execArgv: readonly string[]): string {
  return JSON.stringify([threads, filename, execArgv]);
}

/** A spare pool for `key`, taken out of the spares; undefined if there is none. */
export function takeSparePool(key: string): Piscina | undefined {
  return pools.take(key);
}

/** Keep `pool` (idle: every task it ran has ended) for the next machine with `key`. */
export function keepSparePool(key: string, pool: Piscina): void {
  pools.keep(key, pool);
}

/**
 * A spare vCPU thread started on `entry` (it serves no machine: attach it), taken out of the spares;
 * undefined if none.
 */
export function takeSpareVcpu(entry: string): SpareVcpu | undefined {
  return vcpus.take(entry);
}

/** Keep `v` (detached from its machine, no program running) for the next machine. */
export function keepSpareVcpu(v: SpareVcpu): void {
  v.worker.unref();
  vcpus.keep(v.entry, v);
}

/** Destroy every spare pool and vCPU thread now; resolves when their threads have ended. */
export async function destroySparePools(): Promise<void> {
  await Promise.all([pools.clear(), vcpus.clear()]);
}

/** Spare pools kept now. */
export function sparePools(): number {
  return pools.size;
}

/** Spare vCPU threads kept now. */
export function spareVcpus(): number {
  return vcpus.size;
}
