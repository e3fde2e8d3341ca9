// Test service "delay": completes asynchronously after a given time, like a slow host operation.
//
// Function 1 (SLEEP): parms [u32 milliseconds] or [u32 milliseconds, u32 status]: completes after the
// delay with the given status (default VINF_SUCCESS); a call the guest cancelled meanwhile completes with
// VERR_CANCELLED (and its completion is never written back).
// Function 2 (SLEEP_ECHO): parms [u32 milliseconds, in buffer, out buffer]: SLEEP, then copy in to out.
import { Status } from '../../abi/index.js';
import { defineService } from '../service.js';

/** Delay function numbers. */
export const DelayFn = { SLEEP: 1, SLEEP_ECHO: 2 } as const;

export default defineService({
  call(ctx, call) {
    const ms = call.parms[0];
    if (ms?.type !== 1) return Status.VERR_INVALID_PARAMETER;
    if (call.fn === DelayFn.SLEEP) {
      const st = call.parms[1];
      const rc = st?.type === 1 ? st.u32 | 0 : Status.VINF_SUCCESS;
      ctx.setTimer(ms.u32, () => call.complete(call.isCancelled() ? Status.VERR_CANCELLED : rc));
      return Status.VINF_HGCM_ASYNC_EXECUTE;
    }
    if (call.fn === DelayFn.SLEEP_ECHO) {
      const src = call.parms[1];
      const dst = call.parms[2];
      if (src?.type !== 3 || dst?.type !== 3) return Status.VERR_INVALID_PARAMETER;
      ctx.setTimer(ms.u32, () => {
        const n = Math.min(src.buf.length, dst.buf.length);
        dst.buf.set(src.buf.subarray(0, n));
        dst.size = n;
        call.complete(call.isCancelled() ? Status.VERR_CANCELLED : Status.VINF_SUCCESS);
      });
      return Status.VINF_HGCM_ASYNC_EXECUTE;
    }
    return Status.VERR_NOT_IMPLEMENTED;
  },
});
