// The deterministic sim executor: runs the protocol core's step machines on one thread under a seeded
// scheduler. At every effect (a point or a wait) the scheduler picks which enabled actor runs next;
// virtual time advances only when every actor is blocked; timers and timeouts fire in virtual time.
// Same seed, same run: the trace (actor + effect per step) and its hash repeat exactly.
import { POINTS, PointId, type PointName } from '../runtime/points.js';
import type { Clock, Effect, Proc, WaitOutcome } from '../runtime/proc.js';
import { Prng } from './prng.js';

/** One scheduling decision, as recorded in the trace. */
export interface TraceStep {
  readonly step: number;
  readonly actor: string;
  /** What the actor did when it ran: the effect it had yielded, resolved ("point guest.alloc", "wait ok", ...). */
  readonly what: string;
  readonly at: number;
}

/** How a sim run ended. */
export interface SimResult {
  readonly status: 'done' | 'deadlock' | 'step-limit';
  readonly steps: number;
  readonly time: number;
  readonly trace: readonly TraceStep[];
  /** FNV-1a over the trace: equal hashes, equal schedules. */
  readonly hash: string;
  /** Actors still blocked at the end (for a deadlock report). */
  readonly blocked: readonly string[];
}

/** Chooses the next actor among the enabled ones (random, PCT, replay, ...). */
export interface Strategy {
  pick(enabled: readonly string[], step: number): number;
}

/** Uniformly random choice from a seed. */
export function randomStrategy(seed: number): Strategy {
  const rng = new Prng(seed);
  return { pick: (enabled) => rng.int(enabled.length) };
}

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
}

interface Hold {
  readonly actor: (id: string) => boolean;
  readonly point: number;
  readonly until: () => boolean;
}

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** Options of a sim. */
export interface SimOptions {
  readonly strategy: Strategy;
  /** Stop (status 'step-limit') after this many steps. */
  readonly maxSteps?: number;
  /** Keep the trace (default true). */
  readonly trace?: boolean;
}

/** A deterministic single-thread world of actors. */
export class Sim {
  private readonly actors: Actor[] = [];
  private readonly timers: Timer[] = [];
  private timerSeq = 0;
  private now = 0;
  private readonly opts: SimOptions;
  private readonly traceSteps: TraceStep[] = [];
  private readonly holds: Hold[] = [];
  private hashState = 0x811c9dc5;

  /** Virtual time in ms. */
  readonly clock: Clock = { now: () => this.now };

  constructor(opts: SimOptions) {
    this.opts = opts;
  }

  /** Add an actor running `proc`. Ids must be unique and stable (they are what a schedule names). */
  spawn<T>(id: string, proc: Proc<T>, opts: { daemon?: boolean } = {}): { result: () => T } {
    // "timer" names the timer events in the enabled set and the trace; an actor by that name would never run.
    if (id === 'timer') throw new Error('sim actor id "timer" is reserved for timer events');
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
   * DONE check and its sleep") and lets the scheduler explore around it.
   */
  holdAt(actor: string | ((id: string) => boolean), point: PointName, until: () => boolean): void {
    const match = typeof actor === 'string' ? (id: string) => id === actor : actor;
    this.holds.push({ actor: match, point: PointId[point], until });
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

  /** Is the actor parked at a hold whose condition is still false? */
  private held(a: Actor): boolean {
    const e = a.effect;
    if (e === undefined || e.k !== 'point') return false;
    return this.holds.some((h) => h.point === e.id && h.actor(a.id) && !h.until());
  }

  /** Run `fn` at virtual time now + ms. */
  setTimer(ms: number, fn: () => void): void {
    this.timers.push({ at: this.now + Math.max(0, ms), seq: this.timerSeq++, fn });
  }

  /** How an actor's pending wait would end now, or undefined if it is blocked. */
  private waitOutcome(a: Actor): WaitOutcome | undefined {
    const e = a.effect;
    if (e === undefined || e.k !== 'wait') return undefined;
    if (e.until()) return 'ok';
    if (e.signal !== null && e.signal()) return 'signal';
    if (this.now >= e.deadline) return 'timeout';
    return undefined;
  }

  private enabledIds(): string[] {
    const out: string[] = [];
    for (const a of this.actors) {
      if (a.done || this.held(a)) continue;
      if (!a.started || a.effect === undefined || a.effect.k === 'point' || this.waitOutcome(a) !== undefined)
        out.push(a.id);
    }
    if (this.timers.some((t) => t.at <= this.now)) out.push('timer');
    return out;
  }

  private record(actor: string, what: string, step: number): void {
    const s = `${step}|${actor}|${what}`;
    for (let i = 0; i < s.length; i++)
      this.hashState = Math.imul(this.hashState ^ s.charCodeAt(i), 0x01000193) >>> 0;
    if (this.opts.trace !== false) this.traceSteps.push({ step, actor, what, at: this.now });
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
        if (!this.advanceTime()) return this.finish('deadlock', step);
        continue;
      }
      if (step >= maxSteps) return this.finish('step-limit', step);
      const choice = enabled[this.opts.strategy.pick(enabled, step)];
      if (choice === undefined) throw new Error('strategy picked outside the enabled set');
      if (choice === 'timer') this.fireTimer(step);
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
    this.record('timer', `fire #${t!.seq}`, step);
    t!.fn();
  }

  private stepActor(a: Actor, step: number): void {
    let input: WaitOutcome | undefined;
    let what: string;
    if (!a.started) {
      a.started = true;
      what = 'start';
    } else if (a.effect?.k === 'point') {
      what = `point ${POINTS[a.effect.id] ?? a.effect.id}`;
    } else {
      input = this.waitOutcome(a);
      what = `wait ${input ?? '?'}`;
    }
    this.record(a.id, what, step);
    try {
      const r = a.proc.next(input);
      if (r.done === true) {
        a.done = true;
        a.result = r.value;
        a.effect = undefined;
      } else {
        a.effect = r.value;
      }
    } catch (e) {
      a.done = true;
      a.error = e;
      a.effect = undefined;
    }
  }

  /** Move virtual time to the next deadline or timer; false if there is none. */
  private advanceTime(): boolean {
    let next = Infinity;
    for (const a of this.actors) {
      if (!a.done && a.effect?.k === 'wait' && a.effect.deadline > this.now)
        next = Math.min(next, a.effect.deadline);
    }
    for (const t of this.timers) if (t.at > this.now) next = Math.min(next, t.at);
    if (next === Infinity) return false;
    this.now = next;
    return true;
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
