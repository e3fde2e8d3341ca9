// A long-lived piscina task serving a dispatch ring, as the runtime's pool workers do (pool-task.ts): pop
// work items, do nothing with them, count each one done and wake the dispatcher; wait on the ring's bell
// with Atomics.waitAsync (spinning first, per the policy) until a STOP item.
import { DispatchRing, Work } from '../../src/hgcm/index.js';

/** What the ring task is given. */
export interface RingTask {
  readonly ring: SharedArrayBuffer;
  /** Word 0: items done. */
  readonly done: SharedArrayBuffer;
  /** Loads of the bell before sleeping. */
  readonly spin: number;
}

export default async function serve(t: RingTask): Promise<number> {
  const ring = DispatchRing.attach(t.ring);
  const done = new Int32Array(t.done);
  let served = 0;
  for (;;) {
    const item = ring.pop();
    if (item === undefined) {
      const seen = ring.bell.load();
      if (ring.length > 0) continue;
      let changed = false;
      for (let i = 0; i < t.spin && !changed; i++) changed = ring.bell.load() !== seen;
      if (changed) continue;
      const w = Atomics.waitAsync(ring.bell.i32, ring.bell.index, seen);
      if (w.async) await w.value;
      continue;
    }
    if (item.kind === Work.STOP) return served;
    served++;
    Atomics.add(done, 0, 1);
    Atomics.notify(done, 0);
  }
}
