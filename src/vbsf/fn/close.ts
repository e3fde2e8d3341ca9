// SHFL_FN_CLOSE: close a file or directory handle; models the svcCall case and vbsfClose.
import { Status } from '../../abi/index.js';
import { checkHandleValue, defineFn } from '../handler.js';

/** CLOSE: root, handle. */
export default defineFn({
  decode(p) {
    const handle = p.u64(1).u64;
    const rc = checkHandleValue(handle);
    return rc !== Status.VINF_SUCCESS ? rc : { root: p.u32(0).u32, handle };
  },
  handle(a: { root: number; handle: bigint }, env) {
    return env.w.handles.close(a.handle, env.clientId, a.root);
  },
});
