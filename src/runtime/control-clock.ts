// The clock and the host timers of a controlled machine (issue 17): while a coordinator decides, time is
// virtual and moves only when the coordinator advances it (when nothing can run, as the sim's 'realistic'
// profile), so a run's deadlines and service timers fall at the same steps in its replay; otherwise it runs
// at wall rate from where virtual time left it. `ControlClock` runs on every thread of a controlled machine
// and on the coordinating thread; `ControlTimers` on a host pool worker (HostWorkerRuntime.setTimer). No
// upstream source: the threads counterpart of src/sim's virtual clock and timers.
import { CtlF64, CtlWord, controlViews, ring, wallEpoch, type ControlViews } from './control-layout.js';
import type { Clock } from './proc.js';

/** How long a thread asleep in virtual time sleeps in one real wait before it looks again (ms). */
export const VIRTUAL_SLICE_MS = 250;

/**
 * A controlled machine's clock, in ms since the epoch on every thread (one frame for the whole machine: a
 * deadline a thread publishes is the very number the coordinator moves the clock to). Virtual time is
 * whole milliseconds, and timeouts are too, so a deadline's sum and a wait's length are exact.
 */
export class ControlClock implements Clock {
  private readonly v: ControlViews;

  constructor(sab: SharedArrayBuffer) {
    this.v = controlViews(sab);
  }

  /** Is time virtual now (a coordinator decides)? */
  get virtual(): boolean {
    return Atomics.load(this.v.w, CtlWord.ENABLED) === 1;
  }

  /** Bumped whenever the clock moves or changes mode. */
  get generation(): number {
    return Atomics.load(this.v.w, CtlWord.CLOCK);
  }

  now(): number {
    const { w, f } = this.v;
    // RACE: a Float64 has no Atomics; an aligned 8-byte load is not torn on the platforms Node runs on, and
    // VNOW is written only while every controlled thread is stopped or asleep (the coordinator advances it
    // when nothing can run), OFFSET only when the coordinator starts or stops deciding.
    return Atomics.load(w, CtlWord.ENABLED) === 1 ? f[CtlF64.VNOW]! : wallEpoch() + f[CtlF64.OFFSET]!;
  }

  /**
   * A real timeout for a wait until `deadline` (this clock's ms): in virtual time the coordinator wakes the
   * sleeper when time reaches its deadline, so it sleeps in slices (see `sleepAgain`), else the time left.
   */
  realTimeout(deadline: number): number {
    if (deadline === Infinity) return Infinity;
    return this.virtual ? VIRTUAL_SLICE_MS : Math.max(0, deadline - this.now());
  }

  /**
   * A slice of a real wait ran out: sleep on without a wake (no gate, so no decision the coordinator did not
   * make) while time is still virtual, the word unchanged and the deadline not reached. Once the
   * coordinator stopped deciding, the sleeper re-checks on wall time.
   */
  sleepAgain(changed: boolean, deadline: number): boolean {
    return !changed && this.virtual && this.now() < deadline;
  }
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/**
 * A host worker's service timers on the machine's clock: in wall time a setTimeout, in virtual time fired
 * when the coordinator moves the clock past them. The earliest is published in the worker's slot, so the
 * coordinator knows what time to move to and waits while a due timer has not fired.
 */
export class ControlTimers {
  private readonly v: ControlViews;
  private readonly clock: ControlClock;
  private readonly index: number;
  private readonly timers: Timer[] = [];
  private seq = 0;
  private wallTimer: ReturnType<typeof setTimeout> | undefined;
  private listening = false;

  constructor(sab: SharedArrayBuffer, slot: number) {
    this.v = controlViews(sab);
    this.clock = new ControlClock(sab);
    this.index = this.v.timer + slot;
    this.v.f[this.index] = Infinity;
  }

  /** Run `fn` after `ms` of the machine's clock. */
  set(ms: number, fn: () => void): void {
    this.timers.push({ at: this.clock.now() + Math.max(0, ms), seq: this.seq++, fn });
    this.arm();
  }

  private arm(): void {
    clearTimeout(this.wallTimer);
    this.wallTimer = undefined;
    // Earliest first, ties in the order they were set (as the sim's timers).
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = this.timers[0]?.at ?? Infinity;
    // ORDER: the clock's generation before its time: a move after this read ends the wait below at once.
    const gen = this.clock.generation;
    this.v.f[this.index] = next;
    if (next === Infinity) return;
    const left = next - this.clock.now();
    if (!this.clock.virtual || left <= 0) this.wallTimer = setTimeout(() => this.tick(), Math.max(0, left));
    if (this.listening) return;
    this.listening = true;
    const r = Atomics.waitAsync(this.v.w, CtlWord.CLOCK, gen);
    const again = (): void => {
      this.listening = false;
      this.tick();
    };
    if (r.async) void r.value.then(again);
    else setTimeout(again, 0);
  }

  /** Fire every due timer, publish the next one, and ring the coordinator's bell. */
  private tick(): void {
    const now = this.clock.now();
    while (this.timers.length > 0 && this.timers[0]!.at <= now) this.timers.shift()!.fn();
    this.arm();
    // ORDER: the new earliest timer is published (arm) before the bell: the coordinator that hears it no
    // longer finds this worker's timer due.
    ring(this.v.w, CtlWord.CHANGE);
  }
}
