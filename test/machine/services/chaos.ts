// A service that misbehaves as its caller asks, for the fault-injection test: parameter 0 (u32) says how
// this call goes (Chaos below); the guest draws it from a seeded PRNG, so a run replays whichever worker
// serves each call. Parameter 1 (u32) comes back incremented when the call succeeds.
import { Status } from '../../../src/abi/index.js';
import { defineService } from '../../../src/hgcm/service.js';

/** How a call goes. */
export const Chaos = {
  OK: 0,
  THROW: 1,
  WRONG_TYPE: 2,
  NEVER: 3,
  TWICE: 4,
  EXIT_WORKER: 5,
  LATER: 6,
  NO_STATUS: 7,
} as const;

/** Behaviours, for drawing one. */
export const CHAOS_KINDS = Object.keys(Chaos).length;

export const chaos = defineService({
  call(ctx, call) {
    const [how, v] = call.parms;
    if (how?.type !== 1 || v?.type !== 1) return Status.VERR_INVALID_PARAMETER;
    switch (how.u32) {
      case Chaos.OK:
        v.u32 = (v.u32 + 1) >>> 0;
        return Status.VINF_SUCCESS;
      case Chaos.THROW:
        throw new Error('chaos throws');
      case Chaos.WRONG_TYPE:
        // SAFETY: breaking the type is the point.
        (v as unknown as { u32: unknown }).u32 = 'not a number';
        return Status.VINF_SUCCESS;
      case Chaos.NEVER:
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      case Chaos.TWICE:
        ctx.setTimer(1, () => {
          v.u32 = (v.u32 + 1) >>> 0;
          call.complete(Status.VINF_SUCCESS);
          call.complete(Status.VERR_GENERAL_FAILURE);
        });
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      case Chaos.EXIT_WORKER:
        // An uncaught exception on the pool worker's thread: the worker dies with the calls it holds.
        setTimeout(() => {
          throw new Error(`chaos kills worker ${ctx.workerId}`);
        }, 1);
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      case Chaos.LATER:
        ctx.setTimer(2, () => {
          v.u32 = (v.u32 + 1) >>> 0;
          call.complete(Status.VINF_SUCCESS);
        });
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      default:
        return undefined as unknown as number;
    }
  },
});
