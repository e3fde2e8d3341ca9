// Raw Atomics doorbells between worker threads: the limit the call path is held against. A guest rings a
// host and waits for the answer (one hop, what a port write needs), or rings a device that forwards to a
// pool worker that answers the guest (two hops, what an HGCM call needs); or several guest/host pairs ring
// at once, as vCPUs calling pool workers do. Every wait spins a given number of loads, then sleeps in
// Atomics.wait; a guest times each round trip (tinybench, or a loop over a window the pairs share).
import { parentPort, workerData } from 'node:worker_threads';
import { AtomicCell, SpinGate } from '../../src/runtime/index.js';
import { measureSync, timedLoop, type Budget, type Summary, type ThroughputReport } from '../measure.js';
import { Word, type DoorbellJob } from './protocol.js';

/** The value the guest rings to end the run; every relay passes it on and returns. */
const STOP = -1;

/**
 * Wait until a[i] != old: `spins` loads first (when the gate lets this thread spin, as the runtime's
 * SpinGate does, stopping early when it says so), then Atomics.wait, counted parked meanwhile. Returns
 * the new value.
 */
function waitChange(a: Int32Array, i: number, old: number, spins: number): number {
  if (spins > 0 && (gate === undefined || gate.tryEnter())) {
    try {
      for (let k = 0; k < spins; k++) {
        const v = Atomics.load(a, i);
        if (v !== old) return v;
        if ((k & 255) === 255 && gate !== undefined && !gate.worthSpinning()) break;
      }
    } finally {
      gate?.exit();
    }
  }
  for (;;) {
    gate?.park();
    Atomics.wait(a, i, old);
    gate?.unpark();
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

/** One round trip of a guest: ring the request word at `base`, wait for the answer word to echo it. */
function roundTrip(a: Int32Array, base: number, spin: number): () => void {
  let seq = 0;
  return () => {
    seq++;
    ring(a, base + Word.REQ, seq);
    let v = Atomics.load(a, base + Word.REP);
    while (v !== seq) v = waitChange(a, base + Word.REP, v, spin);
  };
}

function guest(a: Int32Array, spin: number, budget: Budget): Summary {
  const summary = measureSync(roundTrip(a, 0, spin), budget);
  ring(a, Word.REQ, STOP);
  return summary;
}

/** A guest of one of several pairs: round trips over the window the pairs share. */
function pairGuest(a: Int32Array, job: DoorbellJob & { role: 'pair-guest' }): ThroughputReport {
  const r = timedLoop(roundTrip(a, job.base, job.spin), job.window);
  ring(a, job.base + Word.REQ, STOP);
  return r;
}

const job = workerData as DoorbellJob;
const a = new Int32Array(job.sab);
// The runtime's gate. The one- and two-hop relays use its limit on spinners alone (they count no working
// threads: cores Infinity); pairs use all of it, each thread working but while parked, as a machine's do.
const pair = job.role === 'pair-guest' || job.role === 'pair-host';
const gate =
  job.spinners > 0
    ? new SpinGate(
        { spinners: new AtomicCell(a, Word.GATE), active: new AtomicCell(a, Word.GATE + 1) },
        job.spinners,
        pair ? job.cores : Infinity,
      )
    : undefined;
if (pair) gate?.enterThread();
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
  case 'pair-host':
    relay(a, job.base + Word.REQ, job.base + Word.REP, job.spin);
    break;
  case 'pair-guest':
    parentPort!.postMessage(pairGuest(a, job));
    break;
}
if (pair) gate?.exitThread();
