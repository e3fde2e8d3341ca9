// A machine-wide count of spinning threads: with N cores, at most N - 1 threads of a machine spin at
// once, so a spinner never holds the core the thread it waits for needs (design.md 2.6: "on 2 cores at
// most one side should spin"). One shared word; a thread that cannot enter sleeps instead of spinning.
import type { AtomicCell } from './atomic-cell.js';
import type { SpinLimiter } from './proc.js';

/** The gate over one shared word counting the threads spinning now. */
export class SpinGate implements SpinLimiter {
  private readonly cell: AtomicCell;
  private readonly max: number;

  constructor(cell: AtomicCell, max: number) {
    this.cell = cell;
    this.max = max;
  }

  /** Take a spinning slot; false (and nothing taken) when `max` threads already spin. */
  tryEnter(): boolean {
    // RACE: two threads may both pass the add; the one that overshoots backs out, so the count never
    // stays above max and no thread spins beyond it.
    if (this.cell.add(1) < this.max) return true;
    this.cell.add(-1);
    return false;
  }

  /** Give the slot back. */
  exit(): void {
    this.cell.add(-1);
  }
}
