// The sim executor's vocabulary: what a run records and returns, how strategies and observers plug in,
// and its options (wait semantics, time profile).
import type { Effect, WaitOutcome } from '../runtime/index.js';

/** One scheduling decision, as recorded in the trace. */
export interface TraceStep {
  readonly step: number;
  readonly actor: string;
  /** What the actor did when it ran: the effect it had yielded, resolved ("point guest.alloc", "wait ok", ...). */
  readonly what: string;
  readonly at: number;
  /** For a point: the request address and generation (or command id) it named; 0 otherwise. */
  readonly addr: number;
  readonly gen: number;
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

/** What an observer learns after every step. */
export interface StepEvent {
  readonly step: number;
  /** The actor that ran, or "timer" / "clock". */
  readonly actor: string;
  readonly what: string;
  /** The effect the actor resumed from (undefined at its start and for timer/clock steps). */
  readonly passed: Effect | undefined;
  /** The actor's next pending effect (undefined once it is done). */
  readonly next: Effect | undefined;
  /** How the wait it resumed from ended ('ok', 'timeout', 'signal'); undefined when it passed no wait. */
  readonly outcome: WaitOutcome | undefined;
  readonly at: number;
}

/** Watches a run step by step (the stress harness's online oracles). */
export interface SimObserver {
  /**
   * The observer keeps no event past its afterStep call: the sim may hand it one event object, overwritten
   * at every step (no allocation per step). Default false: every step a new event.
   */
  readonly transient?: boolean;
  /** After every step. */
  afterStep?(e: StepEvent): void;
  /** Nothing can run: virtual time is about to advance to `to` on its own (not by a scheduler choice). */
  beforeAdvance?(to: number): void;
}

/**
 * How a blocked actor learns its condition changed. 'poll' (the default): the condition is re-evaluated
 * at every step, so a waiter wakes as soon as it holds. 'cell': as on real threads, a waiter checks once
 * when it starts waiting and then sleeps until its cell changes or its deadline passes; a waker that
 * forgets to bump the cell leaves it asleep (a lost wake-up the harness must see).
 */
export type WaitSemantics = 'poll' | 'cell';

/**
 * When virtual time may advance. 'realistic' (the default): only when every actor is blocked.
 * 'any-order': also whenever the scheduler picks the pseudo-actor "clock", so a deadline or timer may
 * pass while other actors could still run (an arbitrarily slow host or vCPU) - the bug-finding profile.
 */
export type TimeProfile = 'realistic' | 'any-order';

/** Options of a sim. */
export interface SimOptions {
  readonly strategy: Strategy;
  /** Stop (status 'step-limit') after this many steps. */
  readonly maxSteps?: number;
  /** Keep the trace (default true). */
  readonly trace?: boolean;
  readonly waits?: WaitSemantics;
  readonly time?: TimeProfile;
  readonly observer?: SimObserver;
}
