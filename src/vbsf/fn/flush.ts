// SHFL_FN_FLUSH: flush a file to disk; models the svcCall case and vbsfFlush (which wants write access).
import { Status } from '../../abi/index.js';
import { rtFileFlush } from '../../runtime/iprt/index.js';
import { HandleType } from '../handles.js';
import { checkHandleValue, defineFn } from '../handler.js';

/** FLUSH: root, handle. */
export default defineFn({
  decode(p) {
    const handle = p.u64(1).u64;
    const rc = checkHandleValue(handle);
    return rc !== Status.VINF_SUCCESS ? rc : { root: p.u32(0).u32, handle };
  },
  handle(a: { root: number; handle: bigint }, env) {
    return env.withHandle(a.handle, a.root, HandleType.FILE, 'write', (h) => rtFileFlush(h.fd));
  },
});
