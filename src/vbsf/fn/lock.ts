// SHFL_FN_LOCK: byte-range lock or unlock; models the svcCall case and vbsfLock / vbsfUnlock.
//
// As upstream on every non-Windows host, a valid request succeeds without locking anything (Node has no
// fcntl locks); SHFL_LOCK_WAIT is dropped because a service call must never block.
import { ShflLock, Status } from '../../abi/index.js';
import { HandleType } from '../handles.js';
import { decodeRootHandle, defineFn } from '../handler.js';

/** LOCK: root, handle, offset, length, flags. */
export default defineFn({
  decode(p) {
    const r = decodeRootHandle(p);
    return typeof r === 'number' ? r : { ...r, flags: p.u32(4).u32 & ~ShflLock.WAIT };
  },
  handle(a: { root: number; handle: bigint; flags: number }, env) {
    return env.withHandle(a.handle, a.root, HandleType.FILE, 'read', () => {
      const mode = a.flags & ShflLock.MODE_MASK;
      if ((a.flags & ShflLock.ENTIRE) !== 0) return Status.VERR_INVALID_PARAMETER;
      if (mode === ShflLock.CANCEL) return Status.VINF_SUCCESS;
      return mode === ShflLock.SHARED || mode === ShflLock.EXCLUSIVE
        ? Status.VINF_SUCCESS
        : Status.VERR_INVALID_PARAMETER;
    });
  },
});
