// FUSE_INTERRUPT as a signal to the vCPU serving the interrupted request, so the guest library's
// interruptible wait, the cancel race, the grace wait and the leak path run as they would for a program
// signalled in a real guest (fs/fuse/dev.c queues the INTERRUPT; the server answers the original request
// with -EINTR). Runs on the vCPUs serving the mount.
//
// Each vCPU has one 64-bit in-flight word: 0 when idle, else `unique * 8 + state` for the request it
// serves. States:
//   UNINTERRUPTIBLE  an operation whose host calls wait uninterruptibly: an INTERRUPT for it is ignored
//   OPEN             READ or WRITE, interruptible: an interrupter may claim it
//   CLAIMED          an interrupter won the CAS and is about to post the signal
//   SIGNALLED        the signal is posted
// RACE: the interrupter claims by compare-and-swap on the whole word (request id and state), so it can never
// claim a later request that vCPU serves; the vCPU clears its word by exchange when it is done and, if it
// finds CLAIMED or SIGNALLED, waits for the signal to be posted and consumes it, so no signal outlives the
// request it was meant for.
import { type SharedWords64 } from '../runtime/index.js';
import { waitFor, type Proc } from '../runtime/index.js';
import type { AtomicCell } from '../runtime/index.js';
import { FrontWords } from './layout.js';

const State = { UNINTERRUPTIBLE: 1n, OPEN: 2n, CLAIMED: 3n, SIGNALLED: 4n } as const;

/** What an INTERRUPT found. */
export type InterruptOutcome = 'signalled' | 'ignored' | 'absent';

/** The signal side of one vCPU's bus. */
export interface SignalBus {
  readonly wake: AtomicCell;
  signalPending(): boolean;
  consumeSignals(): number;
}

/** The in-flight words of every vCPU of a mount. */
export class Inflight {
  private readonly wide: SharedWords64;
  private readonly vcpus: number;

  constructor(wide: SharedWords64, vcpus: number) {
    this.wide = wide;
    this.vcpus = vcpus;
  }

  /** vCPU `vcpu` starts serving `unique`; returns how many vCPUs serve a request now (this one included). */
  begin(vcpu: number, unique: bigint, interruptible: boolean): number {
    this.wide.store(
      FrontWords.inflightWord(vcpu),
      unique * 8n + (interruptible ? State.OPEN : State.UNINTERRUPTIBLE),
    );
    let busy = 0;
    for (let v = 0; v < this.vcpus; v++) if (this.wide.load(FrontWords.inflightWord(v)) !== 0n) busy++;
    return busy;
  }

  /**
   * vCPU `vcpu` is done with its request (its reply is written): clear the word. True if an interrupter had
   * claimed the request and may not have posted its signal yet: then run `drain` before the next request.
   */
  end(vcpu: number): boolean {
    const old = this.wide.exchange(FrontWords.inflightWord(vcpu), 0n);
    return (old & 7n) === State.CLAIMED;
  }

  /**
   * After `end` said so: wait (bounded) for the claimed signal and consume it. Every pending signal is
   * consumed either way (drain, or SignalBus.consumeSignals on the fast path): the request it could have
   * been for is over.
   */
  *drain(bus: SignalBus, clock: { now(): number }): Proc<void> {
    // ORDER: the interrupter posts the signal right after its CAS; wait for it so it cannot reach the next
    // request. Bounded: an interrupter that died between the two steps must not hang this vCPU.
    yield waitFor(bus.wake, () => bus.signalPending(), { deadline: clock.now() + 1000, hint: 'short' });
    bus.consumeSignals();
  }

  /**
   * The requests being served now: each busy vCPU, the request's unique id, and whether it was interrupted
   * (claimed or signalled: its call is being cancelled, so it ends within the guest library's bounds).
   */
  serving(): { vcpu: number; unique: bigint; interrupted: boolean }[] {
    const out: { vcpu: number; unique: bigint; interrupted: boolean }[] = [];
    for (let v = 0; v < this.vcpus; v++) {
      const cur = this.wide.load(FrontWords.inflightWord(v));
      if (cur === 0n) continue;
      const state = cur & 7n;
      out.push({
        vcpu: v,
        unique: cur >> 3n,
        interrupted: state === State.CLAIMED || state === State.SIGNALLED,
      });
    }
    return out;
  }

  /**
   * An INTERRUPT for `unique`: find the vCPU serving it and, if its request is interruptible, claim it and
   * post it a signal. 'ignored': in flight but uninterruptible (or already interrupted); 'absent': not in
   * flight on any vCPU (not yet started, or already answered).
   */
  interrupt(
    unique: bigint,
    signal: (vcpu: number) => void,
    claimed: () => void = () => undefined,
  ): InterruptOutcome {
    for (let v = 0; v < this.vcpus; v++) {
      const w = FrontWords.inflightWord(v);
      const cur = this.wide.load(w);
      if (cur === 0n || cur >> 3n !== unique) continue;
      if ((cur & 7n) !== State.OPEN) return 'ignored';
      const mine = unique * 8n + State.CLAIMED;
      // RACE: the CAS fails if the vCPU finished meanwhile (its word changed): then there is nothing left to
      // interrupt on it.
      if (this.wide.cas(w, cur, mine) !== cur) return 'absent';
      // Counted before the signal: once it is posted, the program may be gone before we look again.
      claimed();
      signal(v);
      this.wide.cas(w, mine, unique * 8n + State.SIGNALLED);
      return 'signalled';
    }
    return 'absent';
  }
}
