// The protocol core's effect vocabulary and the threads executors. Step machines are generators that
// never block or touch threads themselves: they yield `point` (an interleaving point) and `wait` (block
// until a condition holds), and an executor decides what those mean. runSync/runAsync here are the
// real-thread executors; src/sim has the deterministic one. Same machines, two executors (design.md 3).
import type { AtomicCell } from './atomic-cell.js';
import { GateAt, type ThreadControl } from './control.js';
import { PointId, type PointName } from './points.js';
import type { SpinHistory } from './spin-history.js';

/** An interleaving point: `addr`/`gen` name the request it concerns (0 when none). */
export interface PointEffect {
  readonly k: 'point';
  readonly id: number;
  readonly addr: number;
  readonly gen: number;
}

/**
 * Block until `until()` holds. The waiter sleeps on `cell`; whoever makes `until()` true must change the
 * cell afterwards (AtomicCell.bump) so no wake-up is lost. After each wake the executor re-checks, in
 * order: the condition, a pending signal (if `signal` is given), the deadline.
 */
export interface WaitEffect {
  readonly k: 'wait';
  readonly cell: AtomicCell;
  readonly until: () => boolean;
  /** Absolute time in the executor's clock (ms), or Infinity. */
  readonly deadline: number;
  /** For interruptible waits: is a signal pending? */
  readonly signal: (() => boolean) | null;
  /** What kind of wait this is, for the executor's spin policy (WaitHint). */
  readonly hint: WaitHint;
}

/**
 * How soon a wait expects its answer: 'short' within microseconds (a port write's answer, a lock), 'long'
 * a call's completion, 'idle' a thread waiting for work (the device's doorbell, a pool worker's ring).
 * The threads executor spins a budget per kind before sleeping; the sim ignores it.
 */
export type WaitHint = 'short' | 'long' | 'idle';

/** What an effect can yield. */
export type Effect = PointEffect | WaitEffect;
/** How a wait ended. */
export type WaitOutcome = 'ok' | 'timeout' | 'signal';
/** A step machine returning T. */
export type Proc<T> = Generator<Effect, T, WaitOutcome | undefined>;

/** A clock in milliseconds: wall time under threads, virtual time under sim. */
export interface Clock {
  now(): number;
}

/** Yield an interleaving point. */
export function point(name: PointName, addr = 0, gen = 0): PointEffect {
  return { k: 'point', id: PointId[name], addr, gen };
}

/** Build a wait effect. */
export function waitFor(
  cell: AtomicCell,
  until: () => boolean,
  opts: { deadline?: number; signal?: () => boolean; hint?: WaitHint } = {},
): WaitEffect {
  return {
    k: 'wait',
    cell,
    until,
    deadline: opts.deadline ?? Infinity,
    signal: opts.signal ?? null,
    hint: opts.hint ?? 'long',
  };
}

/**
 * Wait until `cell` no longer holds `seen`, then call `fn`: a watch (ServiceContext.watch) as a step
 * machine, so that both executors run it (threads: runAsync; sim: an actor).
 */
export function* watchCell(cell: AtomicCell, seen: number, fn: () => void): Proc<void> {
  yield waitFor(cell, () => cell.load() !== seen, { hint: 'idle' });
  fn();
}

/** Yield `wait` and return its outcome (a helper so callers need no cast). */
export function* wait(e: WaitEffect): Proc<WaitOutcome> {
  return (yield e) ?? 'ok';
}

/**
 * A step machine that is over (it returned undefined): what `lock` hands back for a lock it took at once.
 * One object serves every such call: a finished generator answers every next() with done and undefined.
 */
const FINISHED: Proc<void> = (function* finished(): Proc<void> {})();
FINISHED.next();

/**
 * The step machine of a step that has nothing to do (already done, or done in the call): `yield*` it
 * and nothing is yielded. For a function that is a step machine only on some paths (a tail call to another
 * one on the others): it need not be a generator of its own, one allocation and resume level fewer.
 */
export function finished(): Proc<void> {
  return FINISHED;
}

/** A step machine that returns `value` without an effect (a tail-calling function's early answer). */
export function* returning<T>(value: T): Proc<T> {
  return value;
}

/**
 * Acquire a 0/1 mutex word; a step machine's lock (cf. RTCritSect). Release with `unlock`. Use it as
 * `yield* lock(cell)`: a free lock is taken in the call itself, without a step machine of its own (one
 * allocation and one resume fewer for the common case; the same steps either way, since taking a free
 * lock yields nothing), a held one through `lockWait`.
 */
export function lock(cell: AtomicCell): Proc<void> {
  // ORDER: CAS 0 -> 1 is the acquire; waiters sleep on the word itself and unlock() bumps it with notify.
  return cell.cas(0, 1) === 0 ? FINISHED : lockWait(cell);
}

/** A held lock: wait until it is free, then take it (trying again, as it may have been freed meanwhile). */
function* lockWait(cell: AtomicCell): Proc<void> {
  while (cell.cas(0, 1) !== 0) {
    yield waitFor(cell, () => cell.load() === 0, { hint: 'short' });
  }
}

/** Release a mutex taken by `lock`. */
export function unlock(cell: AtomicCell): void {
  cell.store(0);
  cell.notify(1);
}

/** Options of the threads executors. */
export interface ThreadExecOptions {
  readonly clock: Clock;
  /** Loads of the wait word before Atomics.wait for 'short' waits (0 = never spin). */
  readonly spin: number;
  /** Loads before sleeping for 'long' waits. */
  readonly spinLong: number;
  /** Loads before sleeping for 'idle' waits (default 0). */
  readonly spinIdle?: number;
  /** Called at every point (tests' hooks, tracing). */
  readonly onPoint?: ((p: PointEffect) => void) | undefined;
  /** Who may spin right now (runtime/spin-gate.ts); without one, every wait spins its budget. */
  readonly gate?: SpinLimiter | undefined;
  /**
   * This thread's recent 'long' waits (runtime/spin-history.ts): with one, a 'long' spin lasts about as
   * long as recent completions took, and none while they took longer than `spinLong`; without, `spinLong`.
   */
  readonly history?: SpinHistory | undefined;
  /**
   * A controlled machine's gate (runtime/control.ts): the executor reports its sleeps and wakes and stops
   * at the start of each step machine; the points' gate is in `onPoint`. Undefined elsewhere.
   */
  readonly control?: ThreadControl | undefined;
}

/** A machine-wide say over who spins (runtime/spin-gate.ts). */
export interface SpinLimiter {
  /** Take a spinning slot; false (and nothing taken) when this thread should sleep at once. */
  tryEnter(): boolean;
  exit(): void;
  /** Checked while spinning: false when the spin should stop (another thread needs the core). */
  worthSpinning(): boolean;
  /** Around Atomics.wait: this thread stops and starts needing a core. */
  park(): void;
  unpark(): void;
  /** Around a thread's work for the machine (a guest program, the device loop, a pool worker's loop). */
  enterThread(): void;
  exitThread(): void;
}

/** Run `fn` between `enter` and `exit` (a spin-gate bracket), exiting whatever `fn` does. */
function bracket<T>(enter: (() => void) | undefined, exit: (() => void) | undefined, fn: () => T): T {
  enter?.();
  try {
    return fn();
  } finally {
    exit?.();
  }
}

/** Run `fn` as work of the machine on this thread (counted by the spin gate, if any). */
export function asMachineWork<T>(opts: ThreadExecOptions, fn: () => T): T {
  const g = opts.gate;
  return bracket(g && (() => g.enterThread()), g && (() => g.exitThread()), fn);
}

/** asMachineWork for asynchronous work (a pool worker's loop). */
export async function asMachineWorkAsync<T>(opts: ThreadExecOptions, fn: () => Promise<T>): Promise<T> {
  opts.gate?.enterThread();
  try {
    return await fn();
  } finally {
    opts.gate?.exitThread();
  }
}

/**
 * Run `fn`, a blocking system call outside the step machines (a guest program's read of a device), with
 * this thread counted as parked meanwhile, as in Atomics.wait: it needs no core while it blocks.
 */
export function asParked<T>(opts: ThreadExecOptions, fn: () => T): T {
  const g = opts.gate;
  return bracket(g && (() => g.park()), g && (() => g.unpark()), fn);
}

/**
 * The spin half of spin-then-park: load the wait word up to the hint's budget (when the gate lets this
 * thread spin at all); true if it changed from `seen`, so the caller re-checks instead of sleeping.
 */
function spinUntilChanged(e: WaitEffect, opts: ThreadExecOptions, seen: number): boolean {
  const adapt = e.hint === 'long' ? opts.history : undefined;
  const spin = adapt !== undefined ? adapt.budget() : fixedBudget(e.hint, opts);
  if (spin === 0) return false;
  const gate = opts.gate;
  if (gate !== undefined && !gate.tryEnter()) return false;
  try {
    const loads = spinLoads(e, gate, seen, spin);
    // A spin the gate cut short says nothing about how long completions take.
    if (loads >= 0) adapt?.hit(loads);
    else if (loads === SPIN_MISSED) adapt?.miss(spin);
    return loads >= 0;
  } finally {
    gate?.exit();
  }
}

/** The policy's loads for a wait of this kind. */
function fixedBudget(hint: WaitHint, opts: ThreadExecOptions): number {
  return hint === 'short' ? opts.spin : hint === 'idle' ? (opts.spinIdle ?? 0) : opts.spinLong;
}

/** spinLoads' answers when the word did not change: the budget ran out, or the gate stopped the spin. */
const SPIN_MISSED = -1;
const SPIN_STOPPED = -2;

/** Load the word up to `spin` times: the loads until it changed, else SPIN_MISSED or SPIN_STOPPED. */
function spinLoads(e: WaitEffect, gate: SpinLimiter | undefined, seen: number, spin: number): number {
  for (let i = 0; i < spin; i++) {
    if (e.cell.load() !== seen) return i;
    if ((i & 255) === 255 && gate !== undefined && !gate.worthSpinning()) return SPIN_STOPPED;
  }
  return SPIN_MISSED;
}

/** Atomics.wait, with the spin gate told this thread is parked meanwhile (and a coordinator, if any). */
function park(e: WaitEffect, opts: ThreadExecOptions, seen: number, timeout: number): void {
  const c = opts.control;
  c?.sleeping(e.cell, seen, e.deadline);
  opts.gate?.park();
  try {
    // Virtual time (a controlled machine's coordinator decides): a slice that ran out is no wake.
    let r = e.cell.wait(seen, timeout);
    while (r === 'timed-out' && c?.clock.sleepAgain(e.cell.load() !== seen, e.deadline) === true)
      r = e.cell.wait(seen, timeout);
  } finally {
    opts.gate?.unpark();
  }
  // A controlled thread stops before it re-checks: what it finds is the coordinator's choice of moment.
  c?.woke();
}

/**
 * One round of a real-thread wait up to its sleep: the outcome if the wait is over; else, after the spin,
 * the word's value to sleep on and the timeout (ms), or undefined when the spin saw a change.
 */
function waitRound(
  e: WaitEffect,
  opts: ThreadExecOptions,
): WaitOutcome | { seen: number; timeout: number } | undefined {
  // ORDER: read the word before testing the condition; a waker changes state, then the word, so a
  // change between our test and our sleep makes the sleep return at once (no lost wake-up).
  const seen = e.cell.load();
  if (e.until()) return 'ok';
  if (e.signal !== null && e.signal()) return 'signal';
  const now = opts.clock.now();
  if (now >= e.deadline) return 'timeout';
  if (spinUntilChanged(e, opts, seen)) return undefined;
  const c = opts.control;
  if (c !== undefined) return { seen, timeout: c.clock.realTimeout(e.deadline) };
  return { seen, timeout: e.deadline === Infinity ? Infinity : Math.max(0, e.deadline - now) };
}

/** Real-thread wait: spin a bounded number of loads, then Atomics.wait; re-check after every wake. */
export function blockOn(e: WaitEffect, opts: ThreadExecOptions): WaitOutcome {
  for (;;) {
    const r = waitRound(e, opts);
    if (typeof r === 'string') return r;
    if (r !== undefined) park(e, opts, r.seen, r.timeout);
  }
}

/**
 * Step `proc` on with `input`, through its points (each handed to opts.onPoint), to its next wait or its
 * end: what both real-thread executors do between two waits.
 */
function toNextWait<T>(
  proc: Proc<T>,
  input: WaitOutcome | undefined,
  opts: ThreadExecOptions,
): { readonly done: true; readonly value: T } | { readonly done: false; readonly value: WaitEffect } {
  for (;;) {
    const r = proc.next(input);
    if (r.done === true) return r;
    if (r.value.k === 'wait') return { done: false, value: r.value };
    opts.onPoint?.(r.value);
    input = undefined;
  }
}

/** Run a step machine to completion on this thread, blocking in Atomics.wait. */
export function runSync<T>(proc: Proc<T>, opts: ThreadExecOptions): T {
  const c = opts.control;
  if (c === undefined) return stepSync(proc, opts);
  c.enter();
  try {
    c.gate(GateAt.start, 0, 0);
    return stepSync(proc, opts);
  } finally {
    c.leave();
  }
}

function stepSync<T>(proc: Proc<T>, opts: ThreadExecOptions): T {
  for (let r = toNextWait(proc, undefined, opts); ; r = toNextWait(proc, blockOn(r.value, opts), opts)) {
    if (r.done) return r.value;
  }
}

/** Async wait: like blockOn, but sleeps with Atomics.waitAsync so the thread's event loop keeps running. */
export async function blockOnAsync(e: WaitEffect, opts: ThreadExecOptions): Promise<WaitOutcome> {
  for (;;) {
    const r = waitRound(e, opts);
    if (typeof r === 'string') return r;
    if (r === undefined) continue;
    const w = Atomics.waitAsync(e.cell.i32, e.cell.index, r.seen, r.timeout);
    if (!w.async) continue;
    const c = opts.control;
    c?.sleepingAsync(e.cell, r.seen, e.deadline);
    opts.gate?.park();
    try {
      // Virtual time: a slice that ran out is no wake (as in park).
      let v: 'ok' | 'not-equal' | 'timed-out' = await w.value;
      while (v === 'timed-out' && c?.clock.sleepAgain(e.cell.load() !== r.seen, e.deadline) === true) {
        const again = Atomics.waitAsync(e.cell.i32, e.cell.index, r.seen, r.timeout);
        v = again.async ? await again.value : again.value;
      }
    } finally {
      opts.gate?.unpark();
      c?.wokeAsync();
    }
  }
}

/** Run a step machine on this thread without blocking its event loop (pool workers: timers keep firing). */
export async function runAsync<T>(proc: Proc<T>, opts: ThreadExecOptions): Promise<T> {
  const c = opts.control;
  if (c === undefined) return stepAsync(proc, opts);
  c.enter();
  try {
    c.gate(GateAt.start, 0, 0);
    return await stepAsync(proc, opts);
  } finally {
    c.leave();
  }
}

async function stepAsync<T>(proc: Proc<T>, opts: ThreadExecOptions): Promise<T> {
  for (
    let r = toNextWait(proc, undefined, opts);
    ;
    r = toNextWait(proc, await blockOnAsync(r.value, opts), opts)
  ) {
    if (r.done) return r.value;
  }
}

/** The wall clock of this thread (ms, monotonic). */
export const wallClock: Clock = { now: () => performance.now() };
