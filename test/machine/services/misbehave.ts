// A test service that breaks the service contract on purpose, one way per function, so the host's
// boundary checks (issue 13) can be seen from a guest: wrong JavaScript types in outputs, results that are
// not statuses, sizes past 32 bits, calls never completed, a gate that holds its pool worker until the
// host opens it (host call 1), calls held until host call 2, and a setup that throws (config
// { failSetup: true }).
import { Status } from '../../../src/abi/index.js';
import { defineService, type SvcParm } from '../../../src/hgcm/service.js';
import { AtomicCell } from '../../../src/runtime/atomic-cell.js';

/** Misbehave function numbers. */
export const BadFn = {
  /** parm 0 (u64) gets a number. */
  U64_AS_NUMBER: 1,
  /** parm 0 (out buffer) gets a string for its buffer. */
  BUF_AS_STRING: 2,
  /** returns undefined. */
  RESULT_UNDEFINED: 3,
  /** returns a string. */
  RESULT_STRING: 4,
  /** parm 0 (out buffer) is filled and its size set to 2^32 + 4. */
  SIZE_PAST_32: 5,
  /** never completes. */
  NEVER: 6,
  /** answers VINF_SUCCESS at once. */
  OK: 7,
  /** holds its pool worker (Atomics.wait on the shared word) until host call 1 opens the gate. */
  GATE: 8,
  /** parm 0 (u32) gets a string. */
  U32_AS_STRING: 9,
  /**
   * completes with VINF_SUCCESS once host call 2 has opened the hold (at once if it is open already;
   * host call 3 closes it again). Level-triggered, so a call the pool reaches after the release still ends.
   */
  HOLD: 10,
} as const;

/** The shared word host call 2 sets (non-zero: HOLD calls end) and host call 3 clears. */
const held = (shared: SharedArrayBuffer): AtomicCell => new AtomicCell(new Int32Array(shared), 1);

// SAFETY (every cast below): breaking the types is this service's purpose.
function set(p: SvcParm | undefined, key: string, v: unknown): void {
  if (p !== undefined) (p as unknown as Record<string, unknown>)[key] = v;
}

export const misbehave = defineService({
  sharedBytes: 8,
  // Small limits, to see them applied per requestor category.
  maxCallsPerClient: { kernel: 64, root: 32, user: 2 },
  setup(ctx) {
    if ((ctx.config as { failSetup?: boolean } | undefined)?.failSetup === true)
      throw new Error('misbehave setup refuses to run');
  },
  call(ctx, call) {
    const p = call.parms[0];
    switch (call.fn) {
      case BadFn.U64_AS_NUMBER:
        set(p, 'u64', 5);
        return Status.VINF_SUCCESS;
      case BadFn.BUF_AS_STRING:
        set(p, 'buf', 'not bytes');
        return Status.VINF_SUCCESS;
      case BadFn.RESULT_UNDEFINED:
        return undefined as unknown as number;
      case BadFn.RESULT_STRING:
        return 'ok' as unknown as number;
      case BadFn.SIZE_PAST_32:
        if (p?.type === 3) {
          p.buf.fill(0xab);
          p.size = 2 ** 32 + 4;
        }
        return Status.VINF_SUCCESS;
      case BadFn.NEVER:
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      case BadFn.GATE:
        Atomics.wait(new Int32Array(ctx.shared!), 0, 0);
        return Status.VINF_SUCCESS;
      case BadFn.HOLD: {
        const cell = held(ctx.shared!);
        // RACE: opened between the load and the watch: the watch sees a value other than 0 and fires.
        if (cell.load() !== 0) return Status.VINF_SUCCESS;
        ctx.watch(cell, 0, () => call.complete(Status.VINF_SUCCESS));
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      }
      case BadFn.U32_AS_STRING:
        set(p, 'u32', 'seven');
        return Status.VINF_SUCCESS;
      default:
        return Status.VINF_SUCCESS;
    }
  },
  hostCall(host, fn) {
    if (fn === 2) {
      held(host.shared!).bump();
      return Status.VINF_SUCCESS;
    }
    if (fn === 3) {
      held(host.shared!).store(0);
      return Status.VINF_SUCCESS;
    }
    if (fn !== 1) return Status.VERR_NOT_SUPPORTED;
    const w = new Int32Array(host.shared!);
    Atomics.store(w, 0, 1);
    Atomics.notify(w, 0);
    return Status.VINF_SUCCESS;
  },
});
