// A guest workload for the cancel path: many delay calls with random delays, timeouts and buffers, on a
// seeded stream, each outcome recorded.
import { Status } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';
import { Prng } from '../../../src/runtime/prng.js';

/** Per-outcome totals of one vCPU's run. */
export interface WorkloadReport {
  readonly calls: number;
  readonly completed: number;
  readonly cancelled: number;
  readonly leaked: number;
  readonly sync: number;
  readonly timeouts: number;
  readonly interrupts: number;
  readonly fallbacks: number;
  readonly leakedBytes: number;
  /** Completed SLEEP_ECHO calls whose out buffer was not exactly the in buffer. */
  readonly badEchoes: number;
  /** Calls whose outcome fit none of the classes (must be 0). */
  readonly unclassified: number;
}

/** `calls` delay calls: delay 0-maxMs, timeout 0-maxTimeoutMs or forever, half with 256-byte echo buffers. */
export function workload(
  g: GuestContext,
  a: { calls: number; seed: number; maxMs: number; maxTimeoutMs: number },
): WorkloadReport {
  const c = g.connect('delay');
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect ${c.rc}`);
  const prng = new Prng(a.seed);
  const rnd = (n: number): number => prng.int(n);
  const r = {
    calls: 0,
    completed: 0,
    cancelled: 0,
    leaked: 0,
    sync: 0,
    timeouts: 0,
    interrupts: 0,
    fallbacks: 0,
    leakedBytes: 0,
    badEchoes: 0,
    unclassified: 0,
  };
  for (let i = 0; i < a.calls; i++) {
    const ms = rnd(a.maxMs + 1);
    const timeoutMs = rnd(4) === 0 ? 0xffffffff : rnd(a.maxTimeoutMs + 1);
    const echo = rnd(2) === 0;
    const src = echo ? g.alloc(256) : 0;
    const dst = echo ? g.alloc(256) : 0;
    const bytes = Uint8Array.from({ length: 256 }, () => rnd(256));
    if (echo) g.write(src, bytes);
    const res = echo
      ? g.call(
          c.clientId,
          2,
          [
            { type: 'u32', value: ms },
            { type: 'in', addr: src, size: 256 },
            { type: 'out', addr: dst, size: 256 },
          ],
          { timeoutMs, interruptible: true },
        )
      : g.call(c.clientId, 1, [{ type: 'u32', value: ms }], { timeoutMs, interruptible: true });
    r.calls++;
    if (res.rc === Status.VERR_TIMEOUT) r.timeouts++;
    if (res.rc === Status.VERR_INTERRUPTED) r.interrupts++;
    if (res.cancel?.fallback === true) r.fallbacks++;
    r.leakedBytes += res.leakedBytes;
    if (res.sync) r.sync++;
    else if (res.cancel === undefined || res.cancel.outcome === 'completed') {
      if (res.rc !== Status.VINF_SUCCESS) r.unclassified++;
      else {
        r.completed++;
        if (
          echo &&
          res.result === 0 &&
          Buffer.compare(Buffer.from(g.read(dst, 256)), Buffer.from(bytes)) !== 0
        )
          r.badEchoes++;
      }
    } else if (res.cancel.outcome === 'cancelled') r.cancelled++;
    else if (res.cancel.outcome === 'leaked') r.leaked++;
    else r.unclassified++;
    if (echo) {
      g.free(src);
      g.free(dst);
    }
  }
  g.disconnect(c.clientId);
  return r;
}
