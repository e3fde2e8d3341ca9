// Who may spin: a machine-wide view of its threads, so a spinner never holds a core a working thread
// needs (design.md 2.6: "on 2 cores at most one side should spin"). Two shared words: the threads of the
// machine doing work now (not parked in Atomics.wait), and the threads spinning now. A wait may spin only
// while every active thread has a core of its own and fewer than `maxSpinners` spin; a spinner stops
// early when more threads become active than there are cores. Measured: with one vCPU calling, the
// guest's spin on DONE saves the wake-up (about half the call); with two, the same spin would take the
// core the other vCPU's host worker needs, and the gate turns it into a sleep.
import type { AtomicCell } from './atomic-cell.js';
import type { SpinLimiter } from './proc.js';

/** The gate over a machine's two words. */
export class SpinGate implements SpinLimiter {
  private readonly spinners: AtomicCell;
  private readonly active: AtomicCell;
  private readonly maxSpinners: number;
  private readonly cores: number;

  /** `cores`: how many threads may be active (spinning ones included) for a wait to spin. */
  constructor(cells: { spinners: AtomicCell; active: AtomicCell }, maxSpinners: number, cores: number) {
    this.spinners = cells.spinners;
    this.active = cells.active;
    this.maxSpinners = maxSpinners;
    this.cores = cores;
  }

  /** Take a spinning slot; false (and nothing taken) when spinning would take a busy thread's core. */
  tryEnter(): boolean {
    if (!this.worthSpinning()) return false;
    // RACE: two threads may both pass the add; the one that overshoots backs out, so the count never
    // stays above the limit and no thread spins beyond it.
    if (this.spinners.add(1) < this.maxSpinners) return true;
    this.spinners.add(-1);
    return false;
  }

  /** Give the slot back. */
  exit(): void {
    this.spinners.add(-1);
  }

  /** Does every active thread (this spinner included) still have a core? */
  worthSpinning(): boolean {
    return this.active.load() <= this.cores;
  }

  /** This thread starts work for the machine (a program, a device loop, a pool worker's loop). */
  enterThread(): void {
    this.active.add(1);
  }
  /** This thread's work ends. */
  exitThread(): void {
    this.active.add(-1);
  }
  /** Before Atomics.wait: this thread no longer needs a core. */
  park(): void {
    this.active.add(-1);
  }
  /** After the wait: it does again. */
  unpark(): void {
    this.active.add(1);
  }
}
