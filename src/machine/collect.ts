// A full garbage collection of a worker thread that serves a machine after another (spare-pools.ts).
import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * This thread's `gc`. A thread kept for the next machine holds the last one's shared memory only through
 * garbage, but an idle thread allocates too little to collect it: over 20 machines started and stopped in
 * turn, 100 MB of old guest RAM stayed reachable until the pool ended. `gc` comes from a context made once
 * --expose-gc is set. V8's flags belong to the process, so the flag stays set: contexts made afterwards
 * (a later worker's, a vm context) have a `gc` too. It is not set back: a first version did, under a lock
 * between threads, and a thread terminated while it held the lock left every other thread waiting for it.
 */
function collector(): () => void {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  v8.setFlagsFromString('--expose-gc');
  // SAFETY: with the flag set, `gc` is a function in new contexts.
  return vm.runInNewContext('gc') as () => void;
}

let collect: (() => void) | undefined;

/** Collect this thread's garbage. */
export function collectGarbage(): void {
  (collect ??= collector())();
}
