// The deterministic sim executor: runs the protocol core's step machines on one thread under a seeded
// scheduler. At every effect (a point or a wait) the scheduler picks which enabled actor runs next;
// virtual time advances only when every actor is blocked (or, in the 'any-order' profile, whenever the
// scheduler picks the clock); timers and timeouts fire in virtual time. Same seed, same run: the trace
// (actor + effect per step) and its hash repeat exactly.
import { POINTS, PointId, type PointName } from '../runtime/points.js';
import type { Clock, Effect, Proc, WaitEffect, WaitOutcome } from '../runtime/proc.js';
import type { SimOptions, SimResult, Strategy, TraceStep } from './types.js';

export type {
  SimObserver,
  SimOptions,
  SimResult,
  StepEvent,
  Strategy,
  TimeProfile,
  TraceStep,
  WaitSemantics,
} from './types.js';
export { randomStrategy } from './strategies.js';

interface Actor {
  readonly id: string;
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

/** Actor ids the sim uses for its own events. */
const RESERVED = new Set(['timer', 'clock']);

/** A deterministic single-thread world of actors. */
export class Sim {
  private readonly actors: Actor[] = [];
  private readonly timers: Timer[] = [];
  private timerSeq = 0;
  private now = 0;
  private readonly opts: SimOptions;
  private strategy: Strategy;
  private readonly cellWaits: boolean;
  private readonly traceSteps: TraceStep[] = [];
  private readonly holds: Hold[] = [];
  private hashState = 0x811c9dc5;

  /** Virtual time in ms. */
  readonly clock: Clock = { now: () => this.now };

  constructor(opts: SimOptions) {
    this.opts = opts;
    this.strategy = opts.strategy;
    this.cellWaits = opts.waits === 'cell';
  }

  /** Choose with another strategy from the next run() on (say, after a machine has booted). */
  setStrategy(strategy: Strategy): void {
    this.strategy = strategy;
  }

  /** Add an actor running `proc`. Ids must be unique and stable (they are what a schedule names). */
  spawn<T>(id: string, proc: Proc<T>, opts: { daemon?: boolean } = {}): { result: () => T } {
    // "timer" and "clock" name the sim's own events in the enabled set and the trace.
    if (RESERVED.has(id)) throw new Error(`sim actor id "${id}" is reserved for timer and clock events`);
    if (this.actors.some((a) => a.id === id)) throw new Error(`duplicate sim actor ${id}`);
    const actor: Actor = {
      id,
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
    return {
      result: () => {
        if (actor.error !== undefined) throw actor.error;
        if (!actor.done) throw new Error(`sim actor ${id} has not finished`);
        // SAFETY: actor.result is what `proc` returned, and proc is a Proc<T>.
        return actor.result as T;
      },
    };
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

  /** A daemon with nothing to do: blocked in a wait that cannot end now. */
  private idle(a: Actor): boolean {
    return a.started && a.effect?.k === 'wait' && this.waitOutcome(a) === undefined;
  }

  /** The point an actor is stopped at (its next step passes it), or undefined. */
  pendingPoint(id: string): PointName | undefined {
    const e = this.actors.find((a) => a.id === id)?.effect;
    return e?.k === 'point' ? POINTS[e.id] : undefined;
  }

  /** The effect an actor has yielded and not yet passed (undefined before its start and once done). */
  pendingEffect(id: string): Effect | undefined {
    return this.actors.find((a) => a.id === id)?.effect;
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
    for (const a of this.actors) {
      const e = a.effect;
      if (a.done || e?.k !== 'wait' || a.ready !== undefined || e.deadline <= at) continue;
      if (e.cell.load() === a.seen && e.until()) out.push(a.id);
    }
    return out;
  }

  /** Is the actor parked at a hold whose condition is still false? */
  private held(a: Actor): boolean {
    const e = a.effect;
    if (e === undefined || e.k !== 'point') return false;
    return this.holds.some((h) => {
      if (h.done || h.point !== e.id || !h.actor(a.id)) return false;
      if (!h.until()) return true;
      if (h.soft) h.done = true;
      return false;
    });
  }

  /** Let go of every soft hold that still holds an actor back; false if there was none. */
  private releaseSoftHolds(): boolean {
    let any = false;
    for (const a of this.actors) {
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
    if (a.ready === undefined && (e.cell.load() !== a.seen || this.now >= e.deadline)) {
      // Woken (the cell changed, or the deadline passed): re-read the cell, then re-check.
      a.seen = e.cell.load();
      a.ready = this.check(e);
    }
    return a.ready;
  }

  /** A future instant someone waits for (a sleeper's deadline or a timer), or Infinity. */
  private nextInstant(): number {
    let next = Infinity;
    for (const a of this.actors) {
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

  private enabledIds(): string[] {
    const out: string[] = [];
    for (const a of this.actors) {
      if (a.done || this.held(a)) continue;
      if (!a.started || a.effect === undefined || a.effect.k === 'point' || this.waitOutcome(a) !== undefined)
        out.push(a.id);
    }
    if (this.timers.some((t) => t.at <= this.now)) out.push('timer');
    if (this.opts.time === 'any-order' && out.length > 0 && this.nextInstant() < Infinity) out.push('clock');
    return out;
  }

  private record(actor: string, what: string, step: number, addr = 0, gen = 0): void {
    const s = `${step}|${actor}|${what}`;
    for (let i = 0; i < s.length; i++)
      this.hashState = Math.imul(this.hashState ^ s.charCodeAt(i), 0x01000193) >>> 0;
    if (this.opts.trace !== false) this.traceSteps.push({ step, actor, what, at: this.now, addr, gen });
  }

  /** Run until every non-daemon actor is done and no timer is pending, nothing can move, or the step limit. */
  run(): SimResult {
    const maxSteps = this.opts.maxSteps ?? 1_000_000;
    let step = 0;
    for (;;) {
      // Done at quiescence: every program finished, no timer pending (a late completion still lands), and
      // every daemon asleep in a wait it cannot leave (not halfway through a step).
      if (this.timers.length === 0 && this.actors.every((a) => a.done || (a.daemon && this.idle(a)))) {
        return this.finish('done', step);
      }
      const enabled = this.enabledIds();
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
      const choice = enabled[this.strategy.pick(enabled, step)];
      if (choice === undefined) throw new Error('strategy picked outside the enabled set');
      if (choice === 'timer') this.fireTimer(step);
      else if (choice === 'clock') this.advanceClock(step);
      else
        this.stepActor(
          this.actors.find((a) => a.id === choice)!,
          step,
        );
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
    const what = `fire #${t!.seq}`;
    this.record('timer', what, step);
    t!.fn();
    this.notify(step, 'timer', what, undefined, undefined, undefined);
  }

  /** 'any-order': the scheduler lets time pass to the next instant someone waits for. */
  private advanceClock(step: number): void {
    this.now = this.nextInstant();
    const what = `advance ${this.now}`;
    this.record('clock', what, step);
    this.notify(step, 'clock', what, undefined, undefined, undefined);
  }

  private notify(
    step: number,
    actor: string,
    what: string,
    passed: Effect | undefined,
    next: Effect | undefined,
    outcome: WaitOutcome | undefined,
  ): void {
    this.opts.observer?.afterStep?.({ step, actor, what, passed, next, outcome, at: this.now });
  }

  private stepActor(a: Actor, step: number): void {
    let input: WaitOutcome | undefined;
    let what: string;
    const passed = a.started ? a.effect : undefined;
    if (!a.started) {
      a.started = true;
      what = 'start';
    } else if (a.effect?.k === 'point') {
      what = `point ${POINTS[a.effect.id] ?? a.effect.id}`;
    } else {
      input = this.waitOutcome(a);
      what = `wait ${input ?? '?'}`;
    }
    const p = passed?.k === 'point' ? passed : undefined;
    this.record(a.id, what, step, p?.addr ?? 0, p?.gen ?? 0);
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
          a.seen = r.value.cell.load();
          a.ready = this.check(r.value);
        }
      }
    } catch (e) {
      a.done = true;
      a.error = e;
      a.effect = undefined;
    }
    this.notify(step, a.id, what, passed, a.effect, input);
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
