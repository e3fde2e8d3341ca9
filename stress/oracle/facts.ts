// What the sim's monitor records of each call for the outcome oracle (outcome.ts): when its wait began
// (the deadline's base), how each of its waits ended and whether a signal was pending then, why it went
// to the cancel path, and the result the host wrote into each command's request.
import { VMMDevHGCMRequestHeader } from '../../src/abi/index.js';
import { gpa, type WaitOutcome } from '../../src/runtime/index.js';
import type { CallRecord } from '../workload.js';
import type { CallFacts } from './outcome.js';
import type { World } from './world.js';

/** A request's key: guest-physical address and heap generation. */
const key = (addr: number, gen: number): string => `${addr >>> 0}:${gen >>> 0}`;

/** Per-call facts and the results the host wrote, as a run goes on. */
export class CallTimeline {
  private readonly facts = new Map<CallRecord, CallFacts>();
  /** Result word the host wrote into a request, by request key. */
  private readonly results = new Map<string, number>();

  private of(c: CallRecord): CallFacts {
    let f = this.facts.get(c);
    if (f === undefined) {
      f = { base: undefined, last: undefined, cancelled: undefined };
      this.facts.set(c, f);
    }
    return f;
  }

  /** The call reached its first DONE check: its deadline was computed from now. */
  checking(c: CallRecord, at: number): void {
    const f = this.of(c);
    f.base ??= at;
  }

  /** One of the call's waits for DONE ended. */
  waited(c: CallRecord, how: WaitOutcome, at: number, signalled: boolean): void {
    this.of(c).last = { how, at, signalled };
  }

  /** The call sends its cancel: the reason is how its last wait ended (none: it never waited). */
  cancelling(c: CallRecord, at: number): void {
    const f = this.of(c);
    f.cancelled = f.last ?? { how: 'none', at, signalled: false };
  }

  /** The host has written command results into the request at (addr, gen). */
  wroteHeader(w: World, addr: number, gen: number): void {
    this.results.set(key(addr, gen), w.mem.readI32(gpa(addr), VMMDevHGCMRequestHeader.off.result));
  }

  /** The facts of a call (undefined: it never reached a wait). */
  get(c: CallRecord): CallFacts | undefined {
    return this.facts.get(c);
  }

  /** The result the host wrote back into the call's request, if it wrote one. */
  written(c: CallRecord): number | undefined {
    return c.request === undefined ? undefined : this.results.get(key(c.request.addr, c.request.gen));
  }
}
