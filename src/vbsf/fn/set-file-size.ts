// SHFL_FN_SET_FILE_SIZE: truncate or extend a file; models the svcCall case and vbsfSetFileSize.
import { rtFileSetSize } from '../../runtime/iprt/index.js';
import { HandleType } from '../handles.js';
import { defineFn } from '../handler.js';

/** SET_FILE_SIZE: root, file handle, new size (64-bit; past an off_t it is VERR_INVALID_PARAMETER). */
export default defineFn({
  decode: (p) => ({ root: p.u32(0).u32, handle: p.u64(1).u64, size: p.u64(2).u64 }),
  handle(a: { root: number; handle: bigint; size: bigint }, env) {
    return env.withHandle(a.handle, a.root, HandleType.FILE, 'write', (h) => rtFileSetSize(h.fd, a.size));
  },
});
