// Test service "faulty": a host service that breaks its contract in the ways issue 13 lists, one function
// per misbehaviour, so the harness can hold the host to "every call ends once, nothing leaks uncounted"
// whatever a service does. Upstream has no such service; it stands for a buggy one (HGCM services are
// third-party code running in the VM process). Runs on a host worker (its timers on the same thread).
//
// Every function takes [u32 ms, u64 value]:
// 1 THROW       call() throws.
// 2 NEVER       returns VINF_HGCM_ASYNC_EXECUTE and never completes (not even once cancelled).
// 3 TWICE       completes after `ms`, then again `ms` later.
// 4 BAD_OUTPUT  after `ms`, leaves a number where the u64 output needs a bigint, then completes.
// 5 BAD_STATUS  returns something that is not a status (a string).
// 6 THROW_LATER throws from its timer `ms` later, never completing.
import { Status, type StatusCode } from '../../src/abi/index.js';
import { defineService } from '../../src/hgcm/service-api.js';

/** The misbehaviours, by function number. */
export const FAULTY_FN = {
  THROW: 1,
  NEVER: 2,
  TWICE: 3,
  BAD_OUTPUT: 4,
  BAD_STATUS: 5,
  THROW_LATER: 6,
} as const;

export default defineService({
  call(ctx, call) {
    const [ms, value] = call.parms;
    if (ms?.type !== 1 || value?.type !== 2) return Status.VERR_INVALID_PARAMETER;
    switch (call.fn) {
      case FAULTY_FN.THROW:
        throw new Error('faulty: THROW');
      case FAULTY_FN.NEVER:
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      case FAULTY_FN.TWICE:
        ctx.setTimer(ms.u32, () => {
          call.complete(Status.VINF_SUCCESS);
          ctx.setTimer(ms.u32, () => call.complete(Status.VINF_SUCCESS));
        });
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      case FAULTY_FN.BAD_OUTPUT:
        ctx.setTimer(ms.u32, () => {
          // SAFETY: deliberately not: the wrong JavaScript type a careless service leaves (issue 13, item 1).
          (value as { u64: unknown }).u64 = Number(value.u64) + 1;
          call.complete(Status.VINF_SUCCESS);
        });
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      case FAULTY_FN.BAD_STATUS:
        // SAFETY: deliberately not a status (issue 13, item 7).
        return 'done' as unknown as StatusCode;
      case FAULTY_FN.THROW_LATER:
        ctx.setTimer(ms.u32, () => {
          throw new Error('faulty: THROW_LATER');
        });
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      default:
        return Status.VERR_NOT_SUPPORTED;
    }
  },
});
