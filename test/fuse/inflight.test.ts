// The in-flight words behind FUSE_INTERRUPT, one thread playing both sides: an interrupt reaches only the
// request it names, only while that request is interruptible; a vCPU that finishes a request an interrupter
// has claimed waits for the signal and consumes it, so it cannot reach the vCPU's next request.
import { describe, expect, test } from 'vitest';
import { AtomicCell } from '../../src/runtime/atomic-cell.js';
import { SharedWords64 } from '../../src/runtime/atomic-cell64.js';
import { Inflight, type SignalBus } from '../../src/fuse/inflight.js';
import { FrontWords } from '../../src/fuse/layout.js';
import { testFront } from './mounted.js';

function fixture(vcpus: number): {
  inflight: Inflight;
  wide: SharedWords64;
  buses: (SignalBus & { pending: number })[];
} {
  const front = testFront(1);
  const wide = new SharedWords64(front.wide);
  const buses = Array.from({ length: vcpus }, () => {
    const b = {
      pending: 0,
      wake: new AtomicCell(new Int32Array(new SharedArrayBuffer(4)), 0),
      signalPending: () => b.pending > 0,
      consumeSignals: () => {
        const n = b.pending;
        b.pending = 0;
        return n;
      },
    };
    return b;
  });
  return { inflight: new Inflight(wide, vcpus), wide, buses };
}

const clock = { now: () => 0 };

describe('Inflight', () => {
  test('an interrupt signals the vCPU serving the request, once, and only if it is interruptible', () => {
    const { inflight, buses } = fixture(3);
    const signal = (v: number): void => void buses[v]!.pending++;
    inflight.begin(0, 10n, false);
    inflight.begin(2, 12n, true);
    expect(inflight.interrupt(10n, signal)).toBe('ignored');
    expect(inflight.interrupt(14n, signal)).toBe('absent');
    let claimed = 0;
    expect(inflight.interrupt(12n, signal, () => claimed++)).toBe('signalled');
    expect(claimed).toBe(1);
    expect(buses.map((b) => b.pending)).toEqual([0, 0, 1]);
    // A second INTERRUPT of the same request (the kernel may requeue one) does not signal again.
    expect(inflight.interrupt(12n, signal)).toBe('ignored');
    expect(buses[2]!.pending).toBe(1);
  });

  test('a finished request cannot be interrupted, and its signal never reaches the next one', () => {
    const { inflight, buses } = fixture(1);
    const bus = buses[0]!;
    inflight.begin(0, 20n, true);
    expect(inflight.interrupt(20n, () => bus.pending++)).toBe('signalled');
    // SIGNALLED: nothing to wait for; the signal is consumed with the others.
    expect(inflight.end(0)).toBe(false);
    bus.consumeSignals();
    expect(bus.pending).toBe(0);
    inflight.begin(0, 22n, true);
    // An INTERRUPT for the finished request finds nothing; the new request is not touched.
    expect(inflight.interrupt(20n, () => bus.pending++)).toBe('absent');
    expect(bus.pending).toBe(0);
  });

  test('a vCPU that finishes between the claim and the signal waits for the signal and consumes it', () => {
    const { inflight, wide, buses } = fixture(1);
    const bus = buses[0]!;
    inflight.begin(0, 30n, true);
    // The interrupter's claim, frozen before its signal: state CLAIMED.
    const word = FrontWords.inflightWord(0);
    expect(wide.cas(word, 30n * 8n + 2n, 30n * 8n + 3n)).toBe(30n * 8n + 2n);
    expect(inflight.end(0)).toBe(true);
    const drain = inflight.drain(bus, clock);
    const step = drain.next();
    expect(step.done).toBe(false);
    // The vCPU waits (for the signal) before taking its next request...
    expect(step.value).toMatchObject({ k: 'wait' });
    expect(wide.load(word)).toBe(0n);
    // ...the interrupter posts it (its CAS to SIGNALLED fails: the word is 0 now), the vCPU consumes it.
    bus.pending++;
    expect(drain.next('ok').done).toBe(true);
    expect(bus.pending).toBe(0);
  });
});
