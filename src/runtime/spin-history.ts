// How long one thread's recent 'long' waits (a call's completion) took, in loads of the wait word, so its
// next spin lasts about that long and no longer (cf. glibc's adaptive mutex, which spins twice its running
// average of successful spins). Runs on whichever thread owns the executor options (a vCPU, a host worker);
// never shared, so plain fields. A full-budget spin that still missed means the answer comes later than any
// spin may wait: the next waits park at once, with a full-budget probe every so often to notice when
// completions are quick again.

/** Loads spun at least, whatever the history: about a microsecond, below any wake-up's cost. */
const FLOOR = 256;
/** Waits that park at once after the first full-budget miss; doubles per further miss, up to MAX_SKIP. */
const FIRST_SKIP = 2;
const MAX_SKIP = 64;

/** One thread's history of 'long' spins, and the budget it gives the next one. */
export class SpinHistory {
  /** Running average (1/8 weight) of the loads after which recent spins saw the answer. */
  private avg: number;
  /** Waits still to park without spinning. */
  private skip = 0;
  /** The skip after the next full-budget miss. */
  private nextSkip = FIRST_SKIP;

  /** The policy's budget (SpinPolicy.long). */
  private readonly max: number;

  /** `max`: the policy's budget (SpinPolicy.long); the first spin gets all of it. */
  constructor(max: number) {
    this.max = max;
    this.avg = max / 2;
  }

  /** Loads the next spin may take: twice the recent average (at least FLOOR, at most `max`); 0 to park. */
  budget(): number {
    if (this.skip > 0) {
      this.skip--;
      return 0;
    }
    return Math.min(this.max, Math.max(FLOOR, Math.ceil(this.avg * 2)));
  }

  /** The spin given `budget` loads saw the answer after `loads`. */
  hit(loads: number): void {
    this.avg += (loads - this.avg) / 8;
    this.nextSkip = FIRST_SKIP;
  }

  /**
   * The spin given `budget` loads ended without the answer. Short of the policy's budget, the average grows
   * toward it (the answer may be just beyond); at the full budget, spinning is waste for a while.
   */
  miss(budget: number): void {
    if (budget === 0) return;
    if (budget < this.max) {
      this.avg += (budget - this.avg) / 8;
      return;
    }
    this.skip = this.nextSkip;
    this.nextSkip = Math.min(MAX_SKIP, this.nextSkip * 2);
    this.avg = this.max / 2;
  }
}
