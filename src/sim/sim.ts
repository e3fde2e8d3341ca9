// The deterministic sim executor: runs the protocol core's step machines on one thread under a seeded
// scheduler. At every effect (a point or a wait) the scheduler picks which enabled actor runs next;
// virtual time advances only when every actor is blocked (or, in the 'any-order' profile, whenever the
// scheduler picks the clock); timers and timeouts fire in virtual time. Same seed, same run: the trace
// (actor + effect per step) and its hash repeat exactly.
import {
  type AtomicCell,
  type Clock,
  type Effect,
  fnv1aWords,
  PointId,
  type PointName,
  POINTS,
  type Proc,
  type WaitEffect,
  type WaitOutcome,
} from '../runtime/index.js';
import type { SimOptions, SimResult, StepEvent, Strategy, TraceStep } from './types.js';

interface Actor {
  readonly id: string;
  /** Spawn order: what the run's hash names the actor by. */
  readonly index: number;
  readonly proc: Proc<unknown>;
  /** Daemons (device, host workers) may stay blocked forever; the run ends when the others are done. */
  readonly daemon: boolean;
  effect: Effect | undefined;
  started: boolean;
  done: boolean;
  result: unknown;
  error: unknown;
  /** 'cell' waits: the cell value the sleeper last saw, and the outcome once it has woken. */
  seen: number;
  ready: WaitOutcome | undefined;
}

interface Hold {
  readonly actor: (id: string) => boolean;
  readonly point: number;
  readonly until: () => boolean;
  /** Soft: also let go when nothing else could run (the run would otherwise end). */
  readonly soft: boolean;
  /** A soft hold that was let go, or whose condition held once (soft holds are one-shot). */
  done: boolean;
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** A point to rewind a sim to (Sim.mark). */
export interface SimMark {
  readonly now: number;
  readonly timerSeq: number;
  readonly hash: number;
}

/**
 * A sleeper's word, read plainly: every actor runs on the sim's one thread, so no other thread writes
 * it between two steps and this is what Atomics.load would return, without a runtime call (gather reads
 * the word of every sleeper at every step).
 */
function peek(cell: AtomicCell): number {
  return cell.i32[cell.index]!;
}

/** A wait outcome's number in the run's hash. */
const OUTCOME: Readonly<Record<string, number>> = { ok: 1, timeout: 2, signal: 3 };

/** What an actor did in a step, as the trace and observers name it ("start", "point guest.alloc", "wait ok"). */
function describe(passed: Effect | undefined, input: WaitOutcome | undefined): string {
  if (passed === undefined) return 'start';
  if (passed.k === 'point') return `point ${POINTS[passed.id] ?? passed.id}`;
  return `wait ${input ?? '?'}`;
}

/** One step as an observer sees it; what it did is spelled out only if the observer asks. */
class Step implements StepEvent {
  step = 0;
  actor = '';
  passed: Effect | undefined = undefined;
  next: Effect | undefined = undefined;
  outcome: WaitOutcome | undefined = undefined;
  at = 0;
  /** For a timer step its number, for a clock step the time it moved to. */
  private code = 0;

  /** Fill it in for a step (a transient observer's one event is filled again at every step). */
  set(
    step: number,
    actor: string,
    passed: Effect | undefined,
    next: Effect | undefined,
    outcome: WaitOutcome | undefined,
    at: number,
    code: number,
  ): this {
    this.step = step;
    this.actor = actor;
    this.passed = passed;
    this.next = next;
    this.outcome = outcome;
    this.at = at;
    this.code = code;
    return this;
  }

  get what(): string {
    if (this.actor === 'timer') return `fire #${this.code}`;
    if (this.actor === 'clock') return `advance ${this.code}`;
    return describe(this.passed, this.outcome);
  }
}

/**
 * What spawn() hands back: the actor's result once it is done. A class, not a closure per actor: runs
 * spawn completions and watches by the thousand (and tsx names every closure it creates).
 */
class Spawned<T> {
  private readonly actor: Actor;
  constructor(actor: Actor) {
    this.actor = actor;
  }
  result(): T {
    const a = this.actor;
    if (a.error !== undefined) throw a.error;
    if (!a.done) throw new Error(`sim actor ${a.id} has not finished`);
    // SAFETY: a.result is what the actor's proc returned, and spawn<T> took a Proc<T>.
    return a.result as T;
  }
}

/** Actor ids the sim uses for its own events. */
const RESERVED = new Set(['timer', 'clock']);

/** A deterministic single-thread world of actors. */
export class Sim {
  /** Every actor spawned, in spawn order. */
  private readonly actors: Actor[] = [];
  /** The actors not done yet, in spawn order (what every step looks through). */
  private readonly live: Actor[] = [];
  private readonly byId = new Map<string, Actor>();
  /**
   * The enabled set of the current step: ids for the strategy (one array per size, each exactly that long,
   * reused step after step), and the actors to step (a scratch array that only grows: its first entries
   * count; undefined for the pseudo-actors "timer" and "clock").
   */
  private enabledIds: readonly string[] = [];
  private readonly idsBySize: string[][] = [];
  private readonly enabledActors: (Actor | undefined)[] = [];
  /** The ids gathered for this step, in a scratch array that only grows (what enabledIds is copied from). */
  private readonly gathered: string[] = [];
  private readonly timers: Timer[] = [];
  private timerSeq = 0;
  private now = 0;
  /** The options, a copy of the constructor's that reconfigure() changes in place. */
  private readonly opts: { -readonly [K in keyof SimOptions]: SimOptions[K] };
  private strategy: Strategy;
  private readonly cellWaits: boolean;
  private traceSteps: TraceStep[] = [];
  private readonly holds: Hold[] = [];
  private hashState = 0x811c9dc5;
  /** The one event a transient observer is handed, step after step. */
  private readonly event = new Step();

  /** Virtual time in ms. */
  readonly clock: Clock = { now: () => this.now };

  constructor(opts: SimOptions) {
    this.opts = { ...opts };
    this.strategy = opts.strategy;
    this.cellWaits = opts.waits === 'cell';
  }

  /** Choose with another strategy from the next run() on (say, after a machine has booted). */
  setStrategy(strategy: Strategy): void {
    this.strategy = strategy;
  }

  /** Change the options a run may vary (a machine reused for another run: its profile, observer, trace). */
  reconfigure(o: Pick<SimOptions, 'time' | 'observer' | 'trace' | 'maxSteps'>): void {
    // In place, each option given (as a spread would: an option given as undefined is cleared); a machine
    // is reconfigured several times a run.
    const opts = this.opts;
    if ('time' in o) opts.time = o.time;
    if ('observer' in o) opts.observer = o.observer;
    if ('trace' in o) opts.trace = o.trace;
    if ('maxSteps' in o) opts.maxSteps = o.maxSteps;
  }

  /** The steps recorded so far (with the trace on), a run that threw included. */
  get steps(): readonly TraceStep[] {
    return this.traceSteps;
  }

  /** Where the sim stands: rewind() comes back here. */
  mark(): SimMark {
    return { now: this.now, timerSeq: this.timerSeq, hash: this.hashState };
  }

  /**
   * Forget every actor, timer, hold and trace step, and go back to a mark's clock, timer numbering and
   * hash: with the machine's memory restored as it was at the mark, the next run is the run a fresh
   * machine would make (the stress harness reuses machines this way).
   */
  rewind(m: SimMark): void {
    this.actors.length = 0;
    this.live.length = 0;
    this.byId.clear();
    this.timers.length = 0;
    this.holds.length = 0;
    this.traceSteps = [];
    this.now = m.now;
    this.timerSeq = m.timerSeq;
    this.hashState = m.hash;
  }

  /** Add an actor running `proc`. Ids must be unique and stable (they are what a schedule names). */
  spawn<T>(id: string, proc: Proc<T>, opts: { daemon?: boolean } = {}): { result: () => T } {
    // "timer" and "clock" name the sim's own events in the enabled set and the trace.
    if (RESERVED.has(id)) throw new Error(`sim actor id "${id}" is reserved for timer and clock events`);
    if (this.byId.has(id)) throw new Error(`duplicate sim actor ${id}`);
    const actor: Actor = {
      id,
      index: this.actors.length,
      proc,
      daemon: opts.daemon ?? false,
      effect: undefined,
      started: false,
      done: false,
      result: undefined,
      error: undefined,
      seen: 0,
      ready: undefined,
    };
    this.actors.push(actor);
    this.live.push(actor);
    this.byId.set(id, actor);
    return new Spawned<T>(actor);
  }

  /**
   * A directed prefix: an actor matching `actor` that reaches `point` does not run on until `until()`
   * holds. This is how a scenario forces one interleaving (say, "completion lands between the guest's
   * DONE check and its sleep") and lets the scheduler explore around it. A soft hold is one-shot (gone once
   * its condition held) and is let go when nothing else could run and no time is left to pass, so a
   * forced order that cannot happen in a run costs nothing but the attempt.
   */
  holdAt(
    actor: string | ((id: string) => boolean),
    point: PointName,
    until: () => boolean,
    opts: { soft?: boolean } = {},
  ): void {
    const match = typeof actor === 'string' ? (id: string) => id === actor : actor;
    this.holds.push({ actor: match, point: PointId[point], until, soft: opts.soft ?? false, done: false });
  }

  /** The point an actor is stopped at (its next step passes it), or undefined. */
  pendingPoint(id: string): PointName | undefined {
    const e = this.byId.get(id)?.effect;
    return e?.k === 'point' ? POINTS[e.id] : undefined;
  }

  /** The effect an actor has yielded and not yet passed (undefined before its start and once done). */
  pendingEffect(id: string): Effect | undefined {
    return this.byId.get(id)?.effect;
  }

  /** Whether some actor whose id starts with `prefix` is stopped at point `point` (a hold's condition). */
  someAt(prefix: string, point: PointName): boolean {
    const id = PointId[point];
    for (const a of this.live)
      if (a.effect?.k === 'point' && a.effect.id === id && a.id.startsWith(prefix)) return true;
    return false;
  }

  /** Ids of every actor spawned so far, in spawn order. */
  actorIds(): string[] {
    return this.actors.map((a) => a.id);
  }

  /**
   * 'cell' waits only: actors asleep although their condition holds, that will still be asleep at
   * time `at` (their deadline is later). Nobody will wake them: a lost wake-up.
   */
  lostWakeups(at: number = this.now): string[] {
    if (!this.cellWaits) return [];
    const out: string[] = [];
    for (const a of this.live) {
      const e = a.effect;
      if (a.done || e?.k !== 'wait' || a.ready !== undefined || e.deadline <= at) continue;
      if (peek(e.cell) === a.seen && e.until()) out.push(a.id);
    }
    return out;
  }

  /** Is the actor parked at a hold whose condition is still false? */
  private held(a: Actor): boolean {
    const e = a.effect;
    if (e === undefined || e.k !== 'point' || this.holds.length === 0) return false;
    // A plain loop, not some(): this runs for every actor at a point, every step.
    for (const h of this.holds) {
      if (h.done || h.point !== e.id || !h.actor(a.id)) continue;
      if (!h.until()) return true;
      if (h.soft) h.done = true;
    }
    return false;
  }

  /** Let go of every soft hold that still holds an actor back; false if there was none. */
  private releaseSoftHolds(): boolean {
    let any = false;
    for (const a of this.live) {
      if (a.done || !this.held(a)) continue;
      for (const h of this.holds) {
        if (h.soft && !h.done && a.effect?.k === 'point' && h.point === a.effect.id && h.actor(a.id)) {
          h.done = true;
          any = true;
        }
      }
    }
    return any;
  }

  /** Run `fn` at virtual time now + ms. */
  setTimer(ms: number, fn: () => void): void {
    this.timers.push({ at: this.now + Math.max(0, ms), seq: this.timerSeq++, fn });
  }

  /** The checks a real thread makes when it (re)starts or wakes from a wait: condition, signal, deadline. */
  private check(e: WaitEffect): WaitOutcome | undefined {
    if (e.until()) return 'ok';
    if (e.signal !== null && e.signal()) return 'signal';
    if (this.now >= e.deadline) return 'timeout';
    return undefined;
  }

  /** How an actor's pending wait would end now, or undefined if it is blocked. */
  private waitOutcome(a: Actor): WaitOutcome | undefined {
    const e = a.effect;
    if (e === undefined || e.k !== 'wait') return undefined;
    if (!this.cellWaits) return this.check(e);
    if (a.ready === undefined && (peek(e.cell) !== a.seen || this.now >= e.deadline)) {
      // Woken (the cell changed, or the deadline passed): re-read the cell, then re-check.
      a.seen = peek(e.cell);
      a.ready = this.check(e);
    }
    return a.ready;
  }

  /** A future instant someone waits for (a sleeper's deadline or a timer), or Infinity. */
  private nextInstant(): number {
    let next = Infinity;
    for (const a of this.live) {
      if (
        !a.done &&
        a.effect?.k === 'wait' &&
        a.effect.deadline > this.now &&
        this.waitOutcome(a) === undefined
      )
        next = Math.min(next, a.effect.deadline);
    }
    for (const t of this.timers) if (t.at > this.now) next = Math.min(next, t.at);
    return next;
  }

  /**
   * Gather the enabled set into enabledIds / enabledActors (the pseudo-actors "timer" and "clock" have no
   * actor). Returns whether the run is over instead: every program done, no timer pending, and every
   * daemon asleep in a wait it cannot leave now (not halfway through a step).
   */
  private gather(): boolean {
    const ids = this.gathered;
    const acts = this.enabledActors;
    let quiet = this.timers.length === 0;
    let next = Infinity;
    // The scratch arrays are overwritten in place and never cut: shrinking an array (pop, length =) trims
    // its backing store, a runtime call at every step. The strategy is handed an array of the exact size.
    let n = 0;
    const live = this.live;
    for (let i = 0; i < live.length; i++) {
      const a = live[i]!;
      const e = a.effect;
      if (!a.started || e === undefined) {
        quiet = false;
      } else if (e.k === 'point') {
        quiet = false;
        if (this.held(a)) continue;
      } else {
        const outcome = this.waitOutcome(a);
        if (outcome === undefined) {
          if (!a.daemon) quiet = false;
          if (e.deadline > this.now && e.deadline < next) next = e.deadline;
          continue;
        }
        quiet = false;
      }
      ids[n] = a.id;
      acts[n] = a;
      n++;
    }
    if (quiet) return true;
    let due = false;
    for (const t of this.timers) {
      if (t.at <= this.now) due = true;
      else if (t.at < next) next = t.at;
    }
    if (due) {
      ids[n] = 'timer';
      acts[n] = undefined;
      n++;
    }
    if (this.opts.time === 'any-order' && n > 0 && next < Infinity) {
      ids[n] = 'clock';
      acts[n] = undefined;
      n++;
    }
    const sized = this.idsBySize;
    while (sized.length <= n) sized.push(new Array<string>(sized.length).fill(''));
    const out = sized[n]!;
    // Mostly the same actors as the last step of this size: a store only where one changed.
    for (let i = 0; i < n; i++) if (out[i] !== ids[i]) out[i] = ids[i]!;
    this.enabledIds = out;
    return false;
  }

  /** Fold one step into the run's hash (FNV-1a over its numbers: same steps, same hash). */
  private hashStep(step: number, actor: number, kind: number, code: number): void {
    this.hashState = fnv1aWords(this.hashState, step, actor, kind, code);
  }

  /** Keep a step in the trace (when the trace is on). */
  private record(actor: string, what: string, step: number, addr = 0, gen = 0): void {
    if (this.opts.trace !== false) this.traceSteps.push({ step, actor, what, at: this.now, addr, gen });
  }

  /** Run until every non-daemon actor is done and no timer is pending, nothing can move, or the step limit. */
  run(): SimResult {
    const maxSteps = this.opts.maxSteps ?? 1_000_000;
    let step = 0;
    for (;;) {
      // Done at quiescence: every program finished, no timer pending (a late completion still lands), and
      // every daemon asleep in a wait it cannot leave (not halfway through a step).
      if (this.gather()) return this.finish('done', step);
      const enabled = this.enabledIds;
      if (enabled.length === 0) {
        // Soft holds force an order while it can be had; they never turn a run into a deadlock.
        if (this.nextInstant() === Infinity && this.releaseSoftHolds()) continue;
        const next = this.nextInstant();
        if (next === Infinity) return this.finish('deadlock', step);
        this.opts.observer?.beforeAdvance?.(next);
        this.now = next;
        continue;
      }
      if (step >= maxSteps) return this.finish('step-limit', step);
      const i = this.strategy.pick(enabled, step);
      const choice = enabled[i];
      if (choice === undefined) throw new Error('strategy picked outside the enabled set');
      const actor = this.enabledActors[i];
      if (actor !== undefined) this.stepActor(actor, step);
      else if (choice === 'timer') this.fireTimer(step);
      else this.advanceClock(step);
      step++;
    }
  }

  private fireTimer(step: number): void {
    // The earliest due timer first (ties in creation order): timers are events, not actors.
    let best = -1;
    for (let i = 0; i < this.timers.length; i++) {
      const t = this.timers[i]!;
      if (t.at > this.now) continue;
      if (
        best < 0 ||
        t.at < this.timers[best]!.at ||
        (t.at === this.timers[best]!.at && t.seq < this.timers[best]!.seq)
      )
        best = i;
    }
    const [t] = this.timers.splice(best, 1);
    this.hashStep(step, -1, 0, t!.seq);
    const tracing = this.opts.trace !== false;
    if (tracing) this.record('timer', `fire #${t!.seq}`, step);
    t!.fn();
    this.notify(step, 'timer', undefined, undefined, undefined, t!.seq);
  }

  /** 'any-order': the scheduler lets time pass to the next instant someone waits for. */
  private advanceClock(step: number): void {
    this.now = this.nextInstant();
    this.hashStep(step, -2, 0, this.now);
    if (this.opts.trace !== false) this.record('clock', `advance ${this.now}`, step);
    this.notify(step, 'clock', undefined, undefined, undefined, this.now);
  }

  private notify(
    step: number,
    actor: string,
    passed: Effect | undefined,
    next: Effect | undefined,
    outcome: WaitOutcome | undefined,
    code: number,
  ): void {
    const o = this.opts.observer;
    if (o?.afterStep === undefined) return;
    const e = o.transient === true ? this.event : new Step();
    o.afterStep(e.set(step, actor, passed, next, outcome, this.now, code));
  }

  private stepActor(a: Actor, step: number): void {
    let input: WaitOutcome | undefined;
    const passed = a.started ? a.effect : undefined;
    if (!a.started) a.started = true;
    else if (passed?.k === 'wait') input = this.waitOutcome(a);
    const p = passed?.k === 'point' ? passed : undefined;
    this.hashStep(
      step,
      a.index,
      passed === undefined ? 0 : p !== undefined ? 1 : 2,
      p?.id ?? OUTCOME[input!] ?? 0,
    );
    if (this.opts.trace !== false)
      this.record(a.id, describe(passed, input), step, p?.addr ?? 0, p?.gen ?? 0);
    a.ready = undefined;
    try {
      const r = a.proc.next(input);
      if (r.done === true) {
        a.done = true;
        a.result = r.value;
        a.effect = undefined;
      } else {
        a.effect = r.value;
        if (this.cellWaits && r.value.k === 'wait') {
          // ORDER: as blockOn does - read the cell, then check once; after that only a change of the
          // cell (or the deadline) wakes the sleeper.
          a.seen = peek(r.value.cell);
          a.ready = this.check(r.value);
        }
      }
    } catch (e) {
      a.done = true;
      a.error = e;
      a.effect = undefined;
    }
    if (a.done) this.live.splice(this.live.indexOf(a), 1);
    this.notify(step, a.id, passed, a.effect, input, 0);
  }

  private finish(status: SimResult['status'], steps: number): SimResult {
    const failed = this.actors.find((a) => a.error !== undefined);
    if (failed !== undefined) {
      // An actor threw: surface it (a bug or a broken invariant), with the schedule so far. Whatever the
      // others did next (typically: block forever waiting for it) is a consequence, not the report.
      const err = failed.error instanceof Error ? failed.error : new Error(String(failed.error));
      throw Object.assign(err, { simActor: failed.id, simStep: steps, simHash: this.hash() });
    }
    return {
      status,
      steps,
      time: this.now,
      trace: this.traceSteps,
      hash: this.hash(),
      blocked: this.actors.filter((a) => !a.done && !a.daemon).map((a) => a.id),
    };
  }

  private hash(): string {
    return this.hashState.toString(16).padStart(8, '0');
  }
}
