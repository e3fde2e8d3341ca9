// A full garbage collection of a worker thread that serves a machine after another (spare-pools.ts).
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * A full garbage collection of this thread. A thread kept for the next machine (spare-pools.ts) holds the
 * last one's shared memory only through garbage, but an idle thread allocates too little to collect it:
 * over 20 machines started and stopped in turn, 100 MB of old guest RAM stayed reachable until the pool
 * ended. `gc` comes from a context made while --expose-gc is set; unless it was set already, the flag is
 * put back at once, so nothing else (a later worker, a user's context) sees it. V8's flags belong to the
 * process: the workers take turns with `lock` (one word, spare-pools.ts), or one would put the flag
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

/** Collect this thread's garbage (`lock`: spare-pools.ts GC_LOCK, for the first call's flag change). */
export function collectGarbage(lock: SharedArrayBuffer): void {
  (collect ??= collector(new Int32Array(lock)))();
}
