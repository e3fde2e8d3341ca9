// A test service for host pools kept between machines (machine/spare-pools.ts): function 1 answers the
// pool thread it runs on (u32 out); function 2 leaves a timer pending for an hour (the thread then holds
// something of its machine and must not serve another); function 3 ends its worker thread.
import { threadId } from 'node:worker_threads';
import { Status } from '../../../src/abi/index.js';
import { defineService } from '../../../src/hgcm/service.js';

export default defineService({
  call(ctx, call) {
    if (call.fn === 1) {
      const [out] = call.parms;
      if (out?.type !== 1) return Status.VERR_INVALID_PARAMETER;
      out.u32 = threadId;
      return Status.VINF_SUCCESS;
    }
    if (call.fn === 2) {
      ctx.setTimer(3_600_000, () => undefined);
      return Status.VINF_SUCCESS;
    }
    if (call.fn === 3) {
      setImmediate(() => process.exit(1));
      return Status.VINF_HGCM_ASYNC_EXECUTE;
    }
    return Status.VERR_NOT_SUPPORTED;
  },
});
