// Controlled threads (issue 17): real worker threads that stop at every protocol point until a
// coordinator grants them a step, so a scheduler (the sim's strategies) decides the interleaving of the
// real machine. `ThreadControl` is the gate each thread of a controlled machine passes (runs on the device,
// vCPU and host worker threads, called from proc.ts); `ControlBlock` is the coordinator's view of the same
// shared words (runs on the coordinating thread, the stress harness's main thread). No upstream source:
// VirtualBox has no such mode; it is the threads counterpart of src/sim's scheduler.
//
// The block's layout is control-layout.ts; its clock and host timers, control-clock.ts.
import type { ControlClock } from './control-clock.js';
import { CtlF64, CtlWord, controlBytes, controlViews, ring, wallEpoch } from './control-layout.js';

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

const { ENABLED, CHANGE, CLOCK, HEADER, SLOT: SLOT_WORDS, STATE, AT, ADDR, GEN, GRANT } = CtlWord;
const { CELL_BUF, CELL_WORD, CELL_SEEN, LOOP, WAKES } = CtlWord;

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
  private readonly f: Float64Array;
  private readonly deadlineAt: number;
  private readonly base: number;
  /** This thread's slot (its trace-ring slot). */
  readonly slot: number;
  /** The machine's clock (virtual while a coordinator decides): the executor's clock on this thread. */
  readonly clock: ControlClock;
  /** The machine's buffers in the coordinator's order: a sleep cell is named by its index here. */
  private readonly buffers: readonly SharedArrayBuffer[];
  /** Step machines running synchronously on this thread now (nested runSync inside a step counts twice). */
  private depth = 0;
  /** runAsync step machines asleep in waitAsync. */
  private asyncWaits = 0;

  constructor(
    sab: SharedArrayBuffer,
    slot: number,
    buffers: readonly SharedArrayBuffer[],
    clock: ControlClock,
  ) {
    this.slot = slot;
    this.buffers = buffers;
    this.clock = clock;
    const v = controlViews(sab);
    this.w = v.w;
    this.f = v.f;
    this.deadlineAt = v.deadline + slot;
    this.base = HEADER + SLOT_WORDS * slot;
  }

  /**
   * A guest program starts on this thread (a vCPU): until it returns, its own code between its step
   * machines runs ungated, so the thread is running there, not outside (the coordinator waits for it to
   * reach its next gate rather than decide, or move time, without it).
   */
  beginProgram(): void {
    this.enter();
    this.publish(ThreadState.running);
  }

  /** The guest program returned. */
  endProgram(): void {
    this.leave();
  }

  /** A step machine starts (runSync, runAsync) or an async one resumes. */
  enter(): void {
    if (this.depth++ === 0) Atomics.store(this.w, this.base + LOOP, 0);
  }

  /**
   * A step machine ends or an async one goes to sleep: with none left running, the thread is idle and its
   * event loop free (a host worker's due timer can fire: the coordinator waits for it only then).
   */
  leave(): void {
    if (--this.depth > 0) return;
    Atomics.store(this.w, this.base + LOOP, 1);
    this.publish(this.asyncWaits > 0 ? ThreadState.blocked : ThreadState.outside);
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
    // ORDER: RUNNING before the count. ControlBlock.woken takes a moved count and no thread running for a
    // still machine; a thread caught between the count and its gate would still read BLOCKED, and a
    // coordinator enabled in that gap would find it parked at WAKE before its first decision, where a
    // replay on a fresh machine finds nothing (seen in CI: the replay of a kept machine's run diverged at
    // decision 0).
    Atomics.store(this.w, this.base + STATE, ThreadState.running);
    Atomics.add(this.w, this.base + WAKES, 1);
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
    // The machine's clock is in ms since the epoch on every thread (control-clock.ts).
    this.f[this.deadlineAt] = deadline;
  }

  private publish(state: ThreadStateValue): void {
    Atomics.store(this.w, this.base + STATE, state);
    ring(this.w, CHANGE);
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
  private readonly f: Float64Array;
  private readonly deadlineAt: number;
  private readonly timerAt: number;
  private buffers: readonly Int32Array[] = [];

  /** A fresh block for `slots` threads (all outside, disabled, no deadline or timer, no time gained). */
  static create(slots: number): ControlBlock {
    const b = new ControlBlock(new SharedArrayBuffer(controlBytes(slots)));
    b.f.fill(Infinity, CtlF64.DEADLINES);
    b.f[CtlF64.OFFSET] = 0;
    return b;
  }

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    const v = controlViews(sab);
    this.slots = v.slots;
    this.w = v.w;
    this.f = v.f;
    this.deadlineAt = v.deadline;
    this.timerAt = v.timer;
  }

  /** The machine's buffers, in the order the threads were given (to read the cells they sleep on). */
  watch(buffers: readonly SharedArrayBuffer[]): void {
    this.buffers = buffers.map((b) => new Int32Array(b));
  }

  get enabled(): boolean {
    return Atomics.load(this.w, ENABLED) === 1;
  }

  /**
   * Start deciding: from now on every gate stops its thread, and time is virtual, from where it was (the
   * next whole millisecond: virtual time stays whole, see ControlClock).
   */
  enable(): void {
    this.f[CtlF64.VNOW] = Math.ceil(wallEpoch() + this.f[CtlF64.OFFSET]!);
    // ORDER: VNOW before ENABLED: a clock that reads ENABLED 1 reads the virtual time set here.
    Atomics.store(this.w, ENABLED, 1);
    ring(this.w, CLOCK);
  }

  /**
   * Stop deciding: time runs at wall rate on from the virtual time reached; open every gate, let every
   * parked thread go, and wake every sleeper that knows its word, to re-check on wall time.
   */
  disable(): void {
    this.f[CtlF64.OFFSET] = this.f[CtlF64.VNOW]! - wallEpoch();
    Atomics.store(this.w, ENABLED, 0);
    ring(this.w, CLOCK);
    for (let s = 0; s < this.slots; s++) {
      ring(this.w, HEADER + SLOT_WORDS * s + GRANT);
      if (this.view(s).state === ThreadState.blocked) this.nudge(s);
    }
  }

  /** Virtual time (ms since the epoch) while deciding. */
  get now(): number {
    return this.f[CtlF64.VNOW]!;
  }

  /** Move virtual time on to `t` (ms since the epoch), when nothing can run; host timers hear it. */
  advance(t: number): void {
    if (t <= this.f[CtlF64.VNOW]!) return;
    this.f[CtlF64.VNOW] = t;
    ring(this.w, CLOCK);
  }

  /** The earliest service timer of slot `slot`'s host worker (ms since the epoch; Infinity when none). */
  timer(slot: number): number {
    return this.f[this.timerAt + slot]!;
  }

  /** Does some thread run (granted, or free while no coordinator decides)? */
  anyRunning(): boolean {
    for (let s = 0; s < this.slots; s++) if (this.view(s).state === ThreadState.running) return true;
    return false;
  }

  /** Can slot `slot`'s event loop run (no step machine runs or sleeps synchronously on the thread)? */
  loopFree(slot: number): boolean {
    return Atomics.load(this.w, HEADER + SLOT_WORDS * slot + LOOP) === 1;
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
   * (the clock's ms since the epoch)? Undefined when it sleeps on a cell the coordinator cannot read.
   */
  waking(slot: number, now: number): boolean | undefined {
    const b = HEADER + SLOT_WORDS * slot;
    const buf = this.buffers[Atomics.load(this.w, b + CELL_BUF)];
    if (this.f[this.deadlineAt + slot]! <= now) return true;
    if (buf === undefined) return undefined;
    return Atomics.load(buf, Atomics.load(this.w, b + CELL_WORD)) !== Atomics.load(this.w, b + CELL_SEEN);
  }

  /**
   * Wake blocked thread `slot` if its cell changed: a waker may notify fewer threads than sleep on a word
   * (the dispatch ring wakes one host worker), and the sim's 'cell' waits wake every sleeper whose word
   * changed; so does this. A spurious wake costs a re-check: every wait re-tests its condition. Returns
   * the blocked threads on that word (`slot` among them), which all wake.
   */
  nudge(slot: number): number[] {
    const cell = this.cell(slot);
    if (cell === undefined) return [];
    Atomics.notify(this.buffers[cell.buf]!, cell.word);
    // The notify wakes every sleeper on the word, due or not: each of them re-checks, at its WAKE gate.
    const woken: number[] = [];
    for (let s = 0; s < this.slots; s++) {
      const c = s === slot ? cell : this.cell(s);
      if (c?.buf === cell.buf && c.word === cell.word && this.view(s).state === ThreadState.blocked)
        woken.push(s);
    }
    return woken;
  }

  /**
   * While no coordinator decides: wake every blocked thread whose word the coordinator can read, so that
   * it re-checks and sleeps again on the word's value now (a word may have changed without a wake for a
   * sleeper: the dispatch ring wakes one host worker of two). Returns each woken thread's count of wakes
   * then: `woken` says when all have come back from that wait, after which no sleeper is due or has a wake
   * on its way, and a coordinator that starts finds every thread where its own steps left it.
   */
  freshen(): Map<number, number> {
    const before = new Map<number, number>();
    for (let s = 0; s < this.slots; s++)
      if (this.view(s).state === ThreadState.blocked && this.cell(s) !== undefined)
        before.set(s, Atomics.load(this.w, HEADER + SLOT_WORDS * s + WAKES));
    // One notify per word: a second could wake again a sleeper that had already come back and slept anew.
    const done = new Set<number>();
    for (const s of before.keys()) if (!done.has(s)) for (const t of this.nudge(s)) done.add(t);
    return before;
  }

  /** Has every thread of a `freshen` come back from its wait, and none runs now? */
  woken(before: ReadonlyMap<number, number>): boolean {
    for (const [s, n] of before)
      if (Atomics.load(this.w, HEADER + SLOT_WORDS * s + WAKES) === n) return false;
    return !this.anyRunning();
  }

  /** The cell blocked thread `slot` sleeps on, if the coordinator can read it. */
  private cell(slot: number): { buf: number; word: number } | undefined {
    const b = HEADER + SLOT_WORDS * slot;
    const buf = Atomics.load(this.w, b + CELL_BUF);
    return this.buffers[buf] === undefined ? undefined : { buf, word: Atomics.load(this.w, b + CELL_WORD) };
  }

  /** The deadline (the clock's ms since the epoch) blocked thread `slot` sleeps until. */
  deadline(slot: number): number {
    return this.f[this.deadlineAt + slot]!;
  }

  /** Let parked thread `slot` take one step (to its next gate, wait or end). */
  grant(slot: number): void {
    const b = HEADER + SLOT_WORDS * slot;
    // ORDER: RUNNING before the grant, so the coordinator never sees the slot still PARKED after it.
    Atomics.store(this.w, b + STATE, ThreadState.running);
    ring(this.w, b + GRANT);
  }
}
