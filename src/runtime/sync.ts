// Locks for short critical sections that never yield (allocators, tables): "sealed" against the sim
// scheduler, which runs them atomically; on real threads they spin briefly, then sleep on the word.
// Locks whose holder yields interleaving points are step-machine locks: proc.ts lock()/unlock().
import type { AtomicCell } from './atomic-cell.js';

const SPINS = 200;

/** Acquire a 0/1 lock word, blocking the thread if needed. Never call from a step machine that yields inside. */
export function lockSync(cell: AtomicCell): void {
  if (cell.cas(0, 1) === 0) return;
  for (;;) {
    for (let i = 0; i < SPINS; i++) {
      if (cell.load() === 0 && cell.cas(0, 1) === 0) return;
    }
    // ORDER: mark contended (2) so the holder's unlock knows to notify; then sleep while it stays 2.
    if (cell.exchange(2) === 0) return;
    cell.wait(2);
    if (cell.exchange(2) === 0) return;
  }
}

/** Release a lock taken by lockSync. */
export function unlockSync(cell: AtomicCell): void {
  if (cell.exchange(0) === 2) cell.notify(1);
}

/** Run `fn` holding the lock. */
export function withLock<T>(cell: AtomicCell, fn: () => T): T {
  lockSync(cell);
  try {
    return fn();
  } finally {
    unlockSync(cell);
  }
}
