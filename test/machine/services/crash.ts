// A misbehaving test service: function 1 throws inside svcCall; function 2 accepts the call and then
// kills its pool worker from a timer (an uncaught exception on the worker's thread); 3 answers at once.
import { Status } from '../../../src/abi/index.js';
import { defineService } from '../../../src/hgcm/service.js';

export const crash = defineService({
  call(ctx, call) {
    if (call.fn === 1) throw new Error('svcCall bug');
    if (call.fn === 2) {
      setTimeout(() => {
        throw new Error(`worker ${ctx.workerId} dies`);
      }, 5);
      return Status.VINF_HGCM_ASYNC_EXECUTE;
    }
    return Status.VINF_SUCCESS;
  },
});
