// One helper for every worker entry, so the same source runs built (dist/*.js under plain node) and from
// source (src/*.ts under tsx or vitest). Node 20 cannot start a worker from a .ts file, and `--import tsx`
// in a Worker's execArgv does not apply to its ESM entry, so from source we start ts-boot.mjs, which
// registers tsx inside the worker and then imports the .ts entry. Under the tests' switch (runtime/modules.ts)
// a .ts module's JavaScript copy in the test build is started instead, plain.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { besideModule, testBuildCopy } from '../runtime/index.js';

/** True when this module runs from its .ts source. */
export const fromSource = import.meta.url.endsWith('.ts');

/** URL of a module in this folder by base name (its test-build copy under the tests' switch). */
export function moduleUrl(base: string): URL {
  return besideModule(import.meta.url, `./${base}`);
}

/**
 * Start a worker on a module of this folder, built or from source. Its file descriptors are the
 * process's (trackUnmanagedFds false): a Shared Folders handle a vCPU or the device opens running a call
 * on the EMT (servicePlacement 'emt') is used and closed by other threads and outlives this one.
 */
export function spawnWorker(base: string, options: WorkerOptions = {}): Worker {
  return spawnModuleWorker(moduleUrl(base), { trackUnmanagedFds: false, ...options });
}

/**
 * Start a worker on any module: a .js module directly, a .ts module through ts-boot.mjs (which needs tsx,
 * so only from source). `workerData` must be an object (or absent): ts-boot's `__entry` is added to it.
 */
export function spawnModuleWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, options);
  const copy = testBuildCopy(url.href);
  if (copy !== undefined) return new Worker(new URL(copy), options);
  const data: unknown = options.workerData;
  const workerData = { ...(typeof data === 'object' && data !== null ? data : {}), __entry: url.href };
  return new Worker(new URL('./ts-boot.mjs', import.meta.url), { ...options, workerData });
}

/**
 * Extra piscina options: from source, tsx's loader (piscina require()s the task module first), by path so
 * that a process started in another directory finds it. None under the tests' switch: the task module
 * named by moduleUrl or besideModule is then the test build's JavaScript copy.
 */
export function poolExecArgv(): string[] {
  if (!fromSource || testBuildCopy(import.meta.url) !== undefined) return [];
  return ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];
}
