// Test service "sloppy": a host service that completes some calls twice, as a buggy service (or a host
// reset racing a completion) would. The host loop must ignore the second completion; with the
// double-complete mutation it does not, and the harness must notice.
//
// Function 1 (SLEEP_TWICE): parms [u32 ms]: completes after `ms`, then again `ms` later.
import { Status } from '../../src/abi/index.js';
import { defineService } from '../../src/hgcm/service-api.js';

export default defineService({
  call(ctx, call) {
    const ms = call.parms[0];
    if (call.fn !== 1 || ms?.type !== 1) return Status.VERR_INVALID_PARAMETER;
    ctx.setTimer(ms.u32, () => {
      call.complete(call.isCancelled() ? Status.VERR_CANCELLED : Status.VINF_SUCCESS);
      ctx.setTimer(ms.u32, () => call.complete(Status.VINF_SUCCESS));
    });
    return Status.VINF_HGCM_ASYNC_EXECUTE;
  },
});
