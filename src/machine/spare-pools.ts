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

interface Spare {
  readonly key: string;
  readonly pool: Piscina;
  readonly timer: NodeJS.Timeout;
}

const spares: Spare[] = [];

/** What must match for a pool to be reused: its thread count, its task module and workers' options. */
export function poolKey(threads: number, filename: string, execArgv: readonly string[]): string {
  return JSON.stringify([threads, filename, execArgv]);
}

/** A spare pool for `key`, taken out of the spares; undefined if there is none. */
export function takeSparePool(key: string): Piscina | undefined {
  const i = spares.findIndex((s) => s.key === key);
  if (i < 0) return undefined;
  const [s] = spares.splice(i, 1);
  clearTimeout(s!.timer);
  return s!.pool;
}

/** Keep `pool` (idle: every task it ran has ended) for the next machine with `key`. */
export function keepSparePool(key: string, pool: Piscina): void {
  const timer = setTimeout(() => {
    const i = spares.findIndex((s) => s.pool === pool);
    if (i >= 0) void dropSpare(spares.splice(i, 1)[0]!);
  }, SPARE_MS).unref();
  spares.push({ key, pool, timer });
  while (spares.length > MAX_SPARES) void dropSpare(spares.shift()!);
}

/** Destroy every spare pool and vCPU thread now; resolves when their threads have ended. */
export async function destroySparePools(): Promise<void> {
  await Promise.all([...spares.splice(0).map(dropSpare), ...vcpus.splice(0).map(dropVcpu)]);
}

/** Spare pools kept now. */
export function sparePools(): number {
  return spares.length;
}

/** Spare vCPU threads kept now. */
export function spareVcpus(): number {
  return vcpus.length;
}

const vcpus: { readonly v: SpareVcpu; readonly timer: NodeJS.Timeout }[] = [];

/**
 * A spare vCPU thread started on `entry` (it serves no machine: attach it), taken out of the spares;
 * undefined if none.
 */
export function takeSpareVcpu(entry: string): SpareVcpu | undefined {
  const i = vcpus.findIndex((s) => s.v.entry === entry);
  if (i < 0) return undefined;
  const [s] = vcpus.splice(i, 1);
  clearTimeout(s!.timer);
  return s!.v;
}

/** Keep `v` (detached from its machine, no program running) for the next machine. */
export function keepSpareVcpu(v: SpareVcpu): void {
  v.worker.unref();
  const timer = setTimeout(() => {
    const i = vcpus.findIndex((s) => s.v === v);
    if (i >= 0) void dropVcpu(vcpus.splice(i, 1)[0]!);
  }, SPARE_MS).unref();
  vcpus.push({ v, timer });
  while (vcpus.length > MAX_SPARE_VCPUS) void dropVcpu(vcpus.shift()!);
}

function dropVcpu(s: { readonly v: SpareVcpu; readonly timer: NodeJS.Timeout }): Promise<void> {
  clearTimeout(s.timer);
  s.v.api[releaseProxy]();
  return s.v.worker.terminate().then(
    () => undefined,
    () => undefined,
  );
}

function dropSpare(s: Spare): Promise<void> {
  clearTimeout(s.timer);
  // A pool's destroy() settles once its threads have ended; nothing awaits this but destroySparePools().
  return s.pool.destroy().catch(() => undefined);
}
