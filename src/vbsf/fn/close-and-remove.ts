// SHFL_FN_CLOSE_AND_REMOVE: close a handle, then remove a path (Windows delete-on-close); models the
// svcCall case. Upstream never checks the type of the handle parameter (it reads whatever is there as a
// 64-bit value); here the table requires a 64-bit value (VERR_WRONG_PARAMETER_TYPE otherwise).
import { SHFL_HANDLE_ROOT, Status } from '../../abi/index.js';
import { defineFn } from '../handler.js';
import { decodeRemove, removePath } from '../remove.js';

/** CLOSE_AND_REMOVE: root, path, flags, handle to close first (NIL: none; 0 is VERR_INVALID_HANDLE). */
export default defineFn({
  decode(p, env) {
    const r = decodeRemove(p, env);
    if (typeof r === 'number') return r;
    const handle = p.u64(3).u64;
    if (handle === SHFL_HANDLE_ROOT) return Status.VERR_INVALID_HANDLE;
    return { ...r, handle };
  },
  handle(a: { root: number; path: Uint8Array; flags: number; handle: bigint }, env) {
    return removePath(env, a.root, a.path, a.flags, a.handle);
  },
});
