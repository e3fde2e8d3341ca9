// Bounded exhaustive search over schedules (stateless, CHESS / loom style): depth-first over the choice
// made at every step, with a preemption bound. A preemption is a step that switches away from the actor
// that ran last while it could still run; switches forced by that actor blocking or finishing are free.
// Each run replays the prefix of the previous one up to the deepest choice with an untried alternative.

import type { Strategy } from './types.js';

interface Frame {
  readonly enabled: readonly string[];
  /** Alternatives in the order tried: the non-preemptive default first. */
  readonly order: readonly number[];
  pos: number;
  /** Preemptions spent before this step. */
  readonly before: number;
  /** Actor that ran the step before, if any. */
  readonly prev: string | undefined;
}

/** Options of an exhaustive search. */
export interface DfsOptions {
  /** Most preemptions in one schedule (CHESS: 2 finds most bugs). */
  readonly preemptions: number;
}

/** Drives runs one after another until every schedule within the bound was tried. */
export class DfsExplorer {
  private readonly bound: number;
  private stack: Frame[] = [];
  private started = false;
  private exhausted = false;
  /** Schedules handed out so far. */
  runs = 0;

  constructor(opts: DfsOptions) {
    this.bound = opts.preemptions;
  }

  /** The strategy for the next schedule, or undefined once the space within the bound is covered. */
  next(): Strategy | undefined {
    if (this.started && !this.backtrack()) this.exhausted = true;
    if (this.exhausted) return undefined;
    this.started = true;
    this.runs++;
    return this.strategy();
  }

  /** The decisions of the schedule handed out last (actor per step). */
  decisions(): string[] {
    return this.stack.map((f) => f.enabled[f.order[f.pos]!]!);
  }

  private preempts(f: Frame, choice: number): boolean {
    return f.prev !== undefined && f.enabled.includes(f.prev) && f.enabled[choice] !== f.prev;
  }

  /** Move to the next untried alternative of the deepest frame that has one; false when none is left. */
  private backtrack(): boolean {
    while (this.stack.length > 0) {
      const f = this.stack[this.stack.length - 1]!;
      while (++f.pos < f.order.length) {
        if (f.before + (this.preempts(f, f.order[f.pos]!) ? 1 : 0) <= this.bound) return true;
      }
      this.stack.pop();
    }
    return false;
  }

  private strategy(): Strategy {
    const prefix = this.stack.length;
    return {
      pick: (enabled, step) => {
        if (step < prefix) {
          const f = this.stack[step]!;
          // The same prefix must lead to the same choices: anything else is hidden nondeterminism.
          if (f.enabled.length !== enabled.length || f.enabled.some((id, i) => enabled[i] !== id))
            throw new Error(
              `dfs: step ${step} offers [${enabled.join(', ')}], an earlier run offered [${f.enabled.join(', ')}]`,
            );
          return f.order[f.pos]!;
        }
        const last = this.stack[this.stack.length - 1];
        const prev = last === undefined ? undefined : last.enabled[last.order[last.pos]!];
        const before =
          last === undefined ? 0 : last.before + (this.preempts(last, last.order[last.pos]!) ? 1 : 0);
        const stay = prev === undefined ? -1 : enabled.indexOf(prev);
        const first = stay >= 0 ? stay : 0;
        const order = [first, ...enabled.keys()].filter((i, k) => k === 0 || i !== first);
        this.stack.push({ enabled: [...enabled], order, pos: 0, before, prev });
        return first;
      },
    };
  }
}
