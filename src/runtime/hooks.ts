// Test hooks at interleaving points, for deterministic tests on real threads: arm a point, and the next
// thread to reach it stops there, signals its arrival through shared memory and waits for a release.
// "Cancel while inside svcCall" or "complete while the cancel is in flight" become exact tests.
//
//   word 0 ARMED_ANY   number of points armed (a single load when nothing is armed)
//   3*i + 1 ARMED(i)   stops still to make at point i
//   3*i + 2 ARRIVED(i) threads that have stopped at point i so far
//   3*i + 3 RELEASED(i) stops released so far
import { POINTS, PointId, type PointName } from './points.js';
import type { PointEffect } from './proc.js';

const ANY = 0;
const armedW = (i: number): number => 3 * i + 1;
const arrivedW = (i: number): number => 3 * i + 2;
const releasedW = (i: number): number => 3 * i + 3;

/** The hook table. */
export class HookTable {
  readonly sab: SharedArrayBuffer;
  private readonly w: Int32Array;

  constructor(sab: SharedArrayBuffer = new SharedArrayBuffer(4 * (3 * POINTS.length + 1))) {
    this.sab = sab;
    this.w = new Int32Array(sab);
  }

  /**
   * Called by a thread at every point (ThreadExecOptions.onPoint). When the point is armed, takes one
   * arming, announces its arrival and blocks until released.
   */
  readonly onPoint = (p: PointEffect): void => {
    const w = this.w;
    if (Atomics.load(w, ANY) === 0) return;
    const i = p.id;
    for (;;) {
      const armed = Atomics.load(w, armedW(i));
      if (armed <= 0) return;
      if (Atomics.compareExchange(w, armedW(i), armed, armed - 1) === armed) {
        // The thread that takes the last arming of this point takes it out of the count.
        if (armed === 1) Atomics.sub(w, ANY, 1);
        break;
      }
    }
    // ORDER: arrival number first, then wait for the release with the same number.
    const n = Atomics.add(w, arrivedW(i), 1) + 1;
    Atomics.notify(w, arrivedW(i));
    for (;;) {
      const released = Atomics.load(w, releasedW(i));
      if (released >= n) return;
      Atomics.wait(w, releasedW(i), released);
    }
  };

  /** Make the next `count` threads that reach `name` stop there. */
  arm(name: PointName, count = 1): void {
    const i = PointId[name];
    if (Atomics.add(this.w, armedW(i), count) === 0) Atomics.add(this.w, ANY, 1);
  }

  /** Disarm `name` (threads already stopped stay stopped until released). */
  disarm(name: PointName): void {
    const i = PointId[name];
    if (Atomics.exchange(this.w, armedW(i), 0) > 0) Atomics.sub(this.w, ANY, 1);
  }

  /** Threads that have stopped at `name` so far. */
  arrivals(name: PointName): number {
    return Atomics.load(this.w, arrivedW(PointId[name]));
  }

  /** Resolve when at least `n` threads have stopped at `name` (or reject after `timeoutMs`). */
  async arrived(name: PointName, n = 1, timeoutMs = 10_000): Promise<void> {
    const i = PointId[name];
    const end = Date.now() + timeoutMs;
    for (;;) {
      const now = Atomics.load(this.w, arrivedW(i));
      if (now >= n) return;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no thread reached point ${name} within ${timeoutMs} ms`);
      const r = Atomics.waitAsync(this.w, arrivedW(i), now, left);
      if (r.async) await r.value;
    }
  }

  /** Let `count` stopped threads at `name` go on. */
  release(name: PointName, count = 1): void {
    const i = PointId[name];
    Atomics.add(this.w, releasedW(i), count);
    Atomics.notify(this.w, releasedW(i));
  }
}
