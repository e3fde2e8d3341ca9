// SHFL_FN_CLOSE: close a file or directory handle; models the svcCall case and vbsfClose.
import { decodeRootHandle, defineFn } from '../handler.js';

/** CLOSE: root, handle. */
export default defineFn({
  decode: decodeRootHandle,
  handle(a: { root: number; handle: bigint }, env) {
    return env.w.handles.close(a.handle, env.clientId, a.root);
  },
});
