// A test service for service placement (ServiceConfig.placement): function 1 answers inside its call and
// says so (completesInCall); function 2 completes later from a timer, so it must stay in the pool;
// function 3 (parms: u32 out, page list) fills its page list with 0xa5 and says how in the u32: 1 in place
// (GuestPages.landing gave views), 0 staged for completion, 2 not at all (the guest gave no FROM_HOST).
import { ParmDirection, Status } from '../../../src/abi/index.js';
import { defineService } from '../../../src/hgcm/service.js';

export default defineService({
  completesInCall: (fn) => fn === 1 || fn === 3,
  call(ctx, call) {
    if (call.fn === 3) {
      const [how, buf] = call.parms;
      if (how?.type !== 1 || buf?.type !== 4) return Status.VERR_INVALID_PARAMETER;
      const views = buf.pages.landing(0, buf.size);
      if (views !== undefined) {
        for (const v of views) v.fill(0xa5);
        how.u32 = 1;
      } else if ((buf.dir & ParmDirection.FROM_HOST) !== 0) {
        buf.pages.write(0, buf.pages.scratch(buf.size).fill(0xa5));
        how.u32 = 0;
      } else {
        how.u32 = 2;
      }
      return Status.VINF_SUCCESS;
    }
    if (call.fn !== 2) return Status.VINF_SUCCESS;
    ctx.setTimer(1, () => call.complete(Status.VINF_SUCCESS));
    return Status.VINF_HGCM_ASYNC_EXECUTE;
  },
});
