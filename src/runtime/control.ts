// Controlled threads (issue 17): real worker threads that stop at every protocol point until a
// coordinator grants them a step, so a scheduler (the sim's strategies) decides the interleaving of the
// real machine. `ThreadControl` is the gate each thread of a controlled machine passes (runs on the device,
// vCPU and host worker threads, called from proc.ts); `ControlBlock` is the coordinator's view of the same
// shared words (runs on the coordinating thread, the stress harness's main thread). No upstream source:
// VirtualBox has no such mode; it is the threads counterpart of src/sim's scheduler.
//
// Words (Int32), then one Float64 deadline per slot:
//   0 ENABLED   1 while a coordinator decides; 0: every gate is open (threads run free)
//   1 CHANGE    bumped (and notified) by a thread whenever its state leaves RUNNING: the coordinator's bell
//   slot s at 4 + 8 s: STATE, AT, ADDR, GEN, GRANT, CELL_BUF, CELL_WORD, CELL_SEEN
// A slot is a thread, numbered as its trace-ring slot (machine/assemble.ts TraceSlot).

/** A thread's state as the coordinator sees it. */
export const ThreadState = {
  /** Not inside a step machine (a vCPU between programs), or never seen. */
  outside: 0,
  /** Granted a step (or running on its own: a thread the coordinator does not hold yet). */
  running: 1,
  /** Stopped at a gate, waiting for a grant: the coordinator may choose it. */
  parked: 2,
  /** Asleep in a real wait (Atomics.wait / waitAsync); it parks at WAKE once its wait returns. */
  blocked: 3,
} as const;
/** One of ThreadState's values. */
export type ThreadStateValue = (typeof ThreadState)[keyof typeof ThreadState];

/** Gates that are not protocol points: a step machine's start, the return of a real wait. */
export const GateAt = { start: -1, wake: -2 } as const;

const ENABLED = 0;
const CHANGE = 1;
const HEADER = 4;
const SLOT_WORDS = 8;
const STATE = 0;
const AT = 1;
const ADDR = 2;
const GEN = 3;
const GRANT = 4;
const CELL_BUF = 5;
const CELL_WORD = 6;
const CELL_SEEN = 7;

const wordsFor = (slots: number): number => HEADER + SLOT_WORDS * slots;
/** Slots of a block: its words, then two words (one Float64) per slot. */
const slotsOf = (sab: SharedArrayBuffer): number => (sab.byteLength / 4 - HEADER) / (SLOT_WORDS + 2);

/** Where a blocked thread sleeps: which of the machine's buffers, which word, the value it saw. */
export interface SleepCell {
  readonly i32: Int32Array;
  readonly index: number;
}

/**
 * The gate of one thread of a controlled machine. It always publishes the thread's state (so a coordinator
 * that starts later sees who sleeps where), and while ENABLED it stops the thread at every gate until
 * granted. Only controlled machines build one: elsewhere proc.ts pays one undefined test per step machine.
 */
export class ThreadControl {
  private readonly w: Int32Array;
  private readonly deadlines: Float64Array;
  private readonly base: number;
  /** This thread's slot (its trace-ring slot). */
  readonly slot: number;
  /** The machine's buffers in the coordinator's order: a sleep cell is named by its index here. */
  private readonly buffers: readonly SharedArrayBuffer[];
  /** Step machines running synchronously on this thread now (nested runSync inside a step counts twice). */
  private depth = 0;
  /** runAsync step machines asleep in waitAsync. */
  private asyncWaits = 0;

  constructor(sab: SharedArrayBuffer, slot: number, buffers: readonly SharedArrayBuffer[]) {
    this.slot = slot;
    this.buffers = buffers;
    const slots = slotsOf(sab);
    this.w = new Int32Array(sab, 0, wordsFor(slots));
    this.deadlines = new Float64Array(sab, 4 * wordsFor(slots), slots);
    this.base = HEADER + SLOT_WORDS * slot;
  }

  /** A step machine starts (runSync, runAsync) or an async one resumes. */
  enter(): void {
    this.depth++;
  }

  /** A step machine ends or an async one goes to sleep: with none left running, the thread is idle. */
  leave(): void {
    if (--this.depth === 0) this.publish(this.asyncWaits > 0 ? ThreadState.blocked : ThreadState.outside);
  }

  /**
   * Stop here until granted, when a coordinator decides (else return at once). `at` is a point id or a
   * GateAt value; `addr`/`gen` name the request, as in the point.
   */
  gate(at: number, addr: number, gen: number): void {
    const w = this.w;
    const b = this.base;
    // No coordinator: run on, and say so (after a real wait the slot still reads BLOCKED).
    if (Atomics.load(w, ENABLED) === 0) {
      Atomics.store(w, b + STATE, ThreadState.running);
      return;
    }
    Atomics.store(w, b + AT, at);
    Atomics.store(w, b + ADDR, addr);
    Atomics.store(w, b + GEN, gen);
    const g = Atomics.load(w, b + GRANT);
    // ORDER: where it stopped, then PARKED, then the bell: a coordinator that sees PARKED reads AT right.
    this.publish(ThreadState.parked);
    // The coordinator stores RUNNING before it adds to GRANT, or opens every gate by disabling (ENABLED 0,
    // then GRANT + 1): a thread that read GRANT after that addition sees ENABLED 0 here, so none waits on.
    while (Atomics.load(w, b + GRANT) === g && Atomics.load(w, ENABLED) === 1) Atomics.wait(w, b + GRANT, g);
    // Let go by a disable rather than a grant, it runs free: say so, or the next coordinator of this machine
    // would take it for parked.
    Atomics.store(w, b + STATE, ThreadState.running);
  }

  /** About to sleep on `cell` (holding `seen`) until `deadline` (this thread's clock, ms). */
  sleeping(cell: SleepCell, seen: number, deadline: number): void {
    this.note(cell, seen, deadline);
    this.publish(ThreadState.blocked);
  }

  /** Back from a real wait: stop at WAKE before re-checking anything. */
  woke(): void {
    this.gate(GateAt.wake, 0, 0);
  }

  /** An async step machine about to await a waitAsync on `cell`. */
  sleepingAsync(cell: SleepCell, seen: number, deadline: number): void {
    // Two async sleepers on one thread: the coordinator cannot say which one wakes; it names no cell.
    if (++this.asyncWaits === 1) this.note(cell, seen, deadline);
    else Atomics.store(this.w, this.base + CELL_BUF, -1);
    this.leave();
  }

  /** Its waitAsync resolved: running again, stopped at WAKE first. */
  wokeAsync(): void {
    this.asyncWaits--;
    this.enter();
    this.woke();
  }

  private note(cell: SleepCell, seen: number, deadline: number): void {
    const w = this.w;
    const b = this.base;
    const buf = this.buffers.indexOf(cell.i32.buffer as SharedArrayBuffer);
    Atomics.store(w, b + CELL_WORD, cell.i32.byteOffset / 4 + cell.index);
    Atomics.store(w, b + CELL_SEEN, seen);
    Atomics.store(w, b + CELL_BUF, buf);
    // Absolute wall time, comparable across threads (each worker's performance.now has its own origin).
    this.deadlines[this.slot] = deadline === Infinity ? Infinity : performance.timeOrigin + deadline;
  }

  private publish(state: ThreadStateValue): void {
    Atomics.store(this.w, this.base + STATE, state);
    Atomics.add(this.w, CHANGE, 1);
    Atomics.notify(this.w, CHANGE);
  }
}

/** What a coordinator sees of one thread. */
export interface ThreadView {
  readonly slot: number;
  readonly state: ThreadStateValue;
  /** Where it is parked (a point id or a GateAt value); meaningful when parked. */
  readonly at: number;
  readonly addr: number;
  readonly gen: number;
}

/** The coordinator's side of the control block: states, wake predictions, grants. */
export class ControlBlock {
  readonly sab: SharedArrayBuffer;
  readonly slots: number;
  private readonly w: Int32Array;
  private readonly deadlines: Float64Array;
  private buffers: readonly Int32Array[] = [];

  /** A fresh block for `slots` threads (all outside, disabled). */
  static create(slots: number): ControlBlock {
    // Words, then a Float64 per slot: (HEADER + 8 s) words + 2 s words, 8-byte aligned since HEADER is even.
    return new ControlBlock(new SharedArrayBuffer(4 * (wordsFor(slots) + 2 * slots)));
  }

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.slots = slotsOf(sab);
    this.w = new Int32Array(sab, 0, wordsFor(this.slots));
    this.deadlines = new Float64Array(sab, 4 * wordsFor(this.slots), this.slots);
  }

  /** The machine's buffers, in the order the threads were given (to read the cells they sleep on). */
  watch(buffers: readonly SharedArrayBuffer[]): void {
    this.buffers = buffers.map((b) => new Int32Array(b));
  }

  get enabled(): boolean {
    return Atomics.load(this.w, ENABLED) === 1;
  }

  /** Start deciding: from now on every gate stops its thread. */
  enable(): void {
    Atomics.store(this.w, ENABLED, 1);
  }

  /** Stop deciding: open every gate and let every parked thread go. */
  disable(): void {
    Atomics.store(this.w, ENABLED, 0);
    for (let s = 0; s < this.slots; s++) {
      const b = HEADER + SLOT_WORDS * s;
      Atomics.add(this.w, b + GRANT, 1);
      Atomics.notify(this.w, b + GRANT);
    }
  }

  /** The bell's count: changes whenever some thread parks, blocks or leaves. */
  get change(): number {
    return Atomics.load(this.w, CHANGE);
  }

  /** The bell as a word to wait on. */
  get bell(): { readonly i32: Int32Array; readonly index: number } {
    return { i32: this.w, index: CHANGE };
  }

  /** One thread's state and where it stopped. */
  view(slot: number): ThreadView {
    const b = HEADER + SLOT_WORDS * slot;
    const w = this.w;
    // SAFETY: only ThreadControl.publish writes STATE, always a ThreadState value.
    const state = Atomics.load(w, b + STATE) as ThreadStateValue;
    return {
      slot,
      state,
      at: Atomics.load(w, b + AT),
      addr: Atomics.load(w, b + ADDR),
      gen: Atomics.load(w, b + GEN),
    };
  }

  /**
   * Is blocked thread `slot` about to wake: its cell no longer holds what it saw, or its deadline passed
   * (wall time, ms since the epoch)? Undefined when it sleeps on a cell the coordinator cannot read.
   */
  waking(slot: number, now: number): boolean | undefined {
    const b = HEADER + SLOT_WORDS * slot;
    const buf = this.buffers[Atomics.load(this.w, b + CELL_BUF)];
    if (this.deadlines[slot]! <= now) return true;
    if (buf === undefined) return undefined;
    return Atomics.load(buf, Atomics.load(this.w, b + CELL_WORD)) !== Atomics.load(this.w, b + CELL_SEEN);
  }

  /**
   * Wake blocked thread `slot` if its cell changed: a waker may notify fewer threads than sleep on a word
   * (the dispatch ring wakes one host worker), and the sim's 'cell' waits wake every sleeper whose word
   * changed; so does this. A spurious wake costs a re-check: every wait re-tests its condition.
   */
  nudge(slot: number): void {
    const b = HEADER + SLOT_WORDS * slot;
    const buf = this.buffers[Atomics.load(this.w, b + CELL_BUF)];
    if (buf !== undefined) Atomics.notify(buf, Atomics.load(this.w, b + CELL_WORD));
  }

  /** The wall-time deadline (ms since the epoch) blocked thread `slot` sleeps until. */
  deadline(slot: number): number {
    return this.deadlines[slot]!;
  }

  /** Let parked thread `slot` take one step (to its next gate, wait or end). */
  grant(slot: number): void {
    const b = HEADER + SLOT_WORDS * slot;
    // ORDER: RUNNING before the grant, so the coordinator never sees the slot still PARKED after it.
    Atomics.store(this.w, b + STATE, ThreadState.running);
    Atomics.add(this.w, b + GRANT, 1);
    Atomics.notify(this.w, b + GRANT);
  }
}
