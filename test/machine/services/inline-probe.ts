// An inline test service (HgcmService.inline) that breaks its contract on purpose: function 1 returns
// VINF_HGCM_ASYNC_EXECUTE, function 2 asks for a timer, function 3 completes inside its call with a status.
import { Status } from '../../../src/abi/index.js';
import { defineService } from '../../../src/hgcm/service.js';

export default defineService({
  inline: true,
  call(ctx, call) {
    switch (call.fn) {
      case 1:
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      case 2:
        ctx.setTimer(1, () => call.complete(Status.VINF_SUCCESS));
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      case 3:
        call.complete(Status.VERR_ACCESS_DENIED);
        return Status.VINF_HGCM_ASYNC_EXECUTE;
      default:
        return Status.VINF_SUCCESS;
    }
  },
});
