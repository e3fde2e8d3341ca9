// SHFL_FN_WAIT_FOR_MAPPINGS_CHANGES: wait until the mappings change; models the svcCall case and
// vbsfMappingsWaitForChanges (see ../waits.ts for how a wait is held across pool workers).
import type { SvcParmU32 } from '../../hgcm/service-api.js';
import { defineFn } from '../handler.js';

/** WAIT_FOR_MAPPINGS_CHANGES: version (in: last seen; out: current). Completes asynchronously. */
export default defineFn({
  decode: (p) => ({ version: p.u32(0) }),
  handle(a: { version: SvcParmU32 }, env, call) {
    return env.w.waits.wait(env.ctx, env.client, env.clientId, call, a.version);
  },
});
