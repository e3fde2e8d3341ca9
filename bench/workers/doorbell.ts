// Raw Atomics doorbells between worker threads: the limit the call path is held against. A guest rings a
// host and waits for the answer (one hop, what a port write needs), or rings a device that forwards to a
// pool worker that answers the guest (two hops, what an HGCM call needs). Every wait spins a given number
// of loads, then sleeps in Atomics.wait; the guest times each round trip with tinybench.
import { parentPort, workerData } from 'node:worker_threads';
import { AtomicCell, SpinGate } from '../../src/runtime/index.js';
import { measureSync, type Budget, type Summary } from '../measure.js';
import { Word, type DoorbellJob } from './protocol.js';

/** The value the guest rings to end the run; every relay passes it on and returns. */
const STOP = -1;

/**
 * Wait until a[i] != old: `spins` loads first (when the gate lets this thread spin, as the runtime's
 * SpinGate does), then Atomics.wait. Returns the new value.
 */
function waitChange(a: Int32Array, i: number, old: number, spins: number): number {
  if (spins > 0 && (gate === undefined || gate.tryEnter())) {
    try {
      for (let k = 0; k < spins; k++) {
        const v = Atomics.load(a, i);
        if (v !== old) return v;
      }
    } finally {
      gate?.exit();
    }
  }
  for (;;) {
    Atomics.wait(a, i, old);
    const v = Atomics.load(a, i);
    if (v !== old) return v;
  }
}

function ring(a: Int32Array, i: number, v: number): void {
  Atomics.store(a, i, v);
  Atomics.notify(a, i, 1);
}

/** A host-side role: wait for `from` to change, pass the value on to `to`, until STOP. */
function relay(a: Int32Array, from: number, to: number, spin: number): void {
  let last = 0;
  for (;;) {
    const v = waitChange(a, from, last, spin);
    last = v;
    ring(a, to, v);
    if (v === STOP) return;
  }
}

function guest(a: Int32Array, spin: number, budget: Budget): Summary {
  let seq = 0;
  const summary = measureSync(() => {
    seq++;
    ring(a, Word.REQ, seq);
    let v = Atomics.load(a, Word.REP);
    while (v !== seq) v = waitChange(a, Word.REP, v, spin);
  }, budget);
  ring(a, Word.REQ, STOP);
  return summary;
}

const job = workerData as DoorbellJob;
const a = new Int32Array(job.sab);
// The runtime's gate on spinners alone: the raw relays count no working threads (that word stays 0).
const gate =
  job.spinners > 0
    ? new SpinGate(
        { spinners: new AtomicCell(a, Word.GATE), active: new AtomicCell(a, Word.GATE + 1) },
        job.spinners,
        Infinity,
      )
    : undefined;
switch (job.role) {
  case 'host':
    relay(a, Word.REQ, Word.REP, job.spin);
    break;
  case 'dev':
    relay(a, Word.REQ, Word.FWD, job.spin);
    break;
  case 'pool':
    relay(a, Word.FWD, Word.REP, job.spin);
    break;
  case 'guest':
    parentPort!.postMessage(guest(a, job.spin, job.budget));
    break;
}
