// A user-defined test service: counts calls per client in its shared memory (the same in every pool
// worker) and answers with the pool worker that ran the call.
import { Status } from '../../../src/abi/index.js';
import { defineService } from '../../../src/hgcm/service.js';

export const tally = defineService({
  sharedBytes: 8,
  clientStateBytes: 4,
  init(shared) {
    // Prove init ran on the machine's thread before any worker: a marker the calls check.
    new Int32Array(shared!)[1] = 0x7a11;
  },
  connect(ctx, client) {
    new Int32Array(
      ctx.clientState(client.clientId).buffer,
      ctx.clientState(client.clientId).byteOffset,
      1,
    )[0] = 0;
    return Status.VINF_SUCCESS;
  },
  call(ctx, call) {
    const shared = new Int32Array(ctx.shared!);
    if (shared[1] !== 0x7a11) return Status.VERR_INVALID_STATE;
    const st = ctx.clientState(call.clientId);
    const mine = new Int32Array(st.buffer, st.byteOffset, 1);
    const total = Atomics.add(shared, 0, 1) + 1;
    const perClient = Atomics.add(mine, 0, 1) + 1;
    const [a, b, c] = call.parms;
    if (a?.type !== 1 || b?.type !== 1 || c?.type !== 1) return Status.VERR_INVALID_PARAMETER;
    a.u32 = total;
    b.u32 = perClient;
    c.u32 = ctx.workerId;
    return Status.VINF_SUCCESS;
  },
});
