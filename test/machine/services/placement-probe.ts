// A test service for service placement (ServiceConfig.placement): function 1 answers inside its call and
// says so (completesInCall); function 2 completes later from a timer, so it must stay in the pool.
import { Status } from '../../../src/abi/index.js';
import { defineService } from '../../../src/hgcm/service.js';

export default defineService({
  completesInCall: (fn) => fn === 1,
  call(ctx, call) {
    if (call.fn !== 2) return Status.VINF_SUCCESS;
    ctx.setTimer(1, () => call.complete(Status.VINF_SUCCESS));
    return Status.VINF_HGCM_ASYNC_EXECUTE;
  },
});
