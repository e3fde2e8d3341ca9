// SHFL_FN_FLUSH: flush a file to disk; models the svcCall case and vbsfFlush (which wants write access).
import { rtFileFlush } from '../../runtime/iprt/index.js';
import { HandleType } from '../handles.js';
import { decodeRootHandle, defineFn } from '../handler.js';

/** FLUSH: root, handle. */
export default defineFn({
  decode: decodeRootHandle,
  handle(a: { root: number; handle: bigint }, env) {
    return env.withHandle(a.handle, a.root, HandleType.FILE, 'write', (h) => rtFileFlush(h.fd));
  },
});
