// Test service "delay": completes asynchronously after a given time, like a slow host operation.
//
// Function 1 (SLEEP): parms [u32 milliseconds] or [u32 milliseconds, u32 status]: completes after the
// delay with the given status (default VINF_SUCCESS); a call the guest cancelled meanwhile completes with
// VERR_CANCELLED (and its completion is never written back).
// Function 2 (SLEEP_ECHO): parms [u32 milliseconds, in buffer, out buffer]: SLEEP, then copy in to out.
// Function 3 (FILL_SLEEP): parms [u32 milliseconds, u32 byte, out buffer or page list]: fill the buffer with
// the byte at once, then SLEEP; what a cancelled call filled must never reach guest memory.
import { Status } from '../../abi/index.js';
import { defineService } from '../service-api.js';

/** Delay function numbers. */
export const DelayFn = { SLEEP: 1, SLEEP_ECHO: 2, FILL_SLEEP: 3 } as const;

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
    if (call.fn === DelayFn.FILL_SLEEP) {
      const v = call.parms[1];
      const dst = call.parms[2];
      if (v?.type !== 1) return Status.VERR_INVALID_PARAMETER;
      if (dst?.type === 3) dst.buf.fill(v.u32 & 0xff);
      else if (dst?.type === 4) dst.pages.write(0, dst.pages.scratch(dst.size).fill(v.u32 & 0xff));
      else return Status.VERR_INVALID_PARAMETER;
      ctx.setTimer(ms.u32, () =>
        call.complete(call.isCancelled() ? Status.VERR_CANCELLED : Status.VINF_SUCCESS),
      );
      return Status.VINF_HGCM_ASYNC_EXECUTE;
    }
    return Status.VERR_NOT_IMPLEMENTED;
  },
});
