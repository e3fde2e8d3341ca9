// SHFL_FN_READ: positional read into a buffer or a no-bounce page list; models the svcCall case, vbsfRead
// and vbsfReadPages (vbsf.cpp).
import { ParmDirection, Status } from '../../abi/index.js';
import type { SvcParmPages, SvcParmPtr, SvcParmU32 } from '../../hgcm/service.js';
import { rtFileReadAt } from '../../runtime/iprt/index.js';
import { HandleType } from '../handles.js';
import { checkHandleValue, defineFn } from '../handler.js';

interface Args {
  root: number;
  handle: bigint;
  offset: bigint;
  count: SvcParmU32;
  buffer: SvcParmPtr | SvcParmPages;
}

/** READ: root, handle, offset, count (in/out), buffer. */
export default defineFn({
  decode(p) {
    const handle = p.u64(1).u64;
    const count = p.u32(3);
    const buffer = p.buffer(4);
    const rc = checkHandleValue(handle);
    if (rc !== Status.VINF_SUCCESS) return rc;
    // Upstream's statuses: a plain buffer too small is VERR_INVALID_HANDLE (sic), a page list VERR_OUT_OF_RANGE.
    if (count.u32 > buffer.size)
      return buffer.type === 3 ? Status.VERR_INVALID_HANDLE : Status.VERR_OUT_OF_RANGE;
    return { root: p.u32(0).u32, handle, offset: p.u64(2).u64, count, buffer };
  },
  handle(a: Args, env) {
    const want = a.count.u32;
    a.count.u32 = 0;
    return env.withHandle(a.handle, a.root, HandleType.FILE, 'read', (h) => {
      if (want === 0) return Status.VINF_SUCCESS;
      if (a.buffer.type === 3) {
        const r = rtFileReadAt(h.fd, a.buffer.buf.subarray(0, want), a.offset);
        a.count.u32 = r.cb;
        return r.rc;
      }
      if (a.buffer.pages.runs.length === 0) return Status.VERR_INTERNAL_ERROR_3;
      // A page list the guest did not hand over for writing cannot receive data (upstream would write anyway).
      if ((a.buffer.dir & ParmDirection.FROM_HOST) === 0) return Status.VERR_INVALID_PARAMETER;
      const tmp = new Uint8Array(want);
      const r = rtFileReadAt(h.fd, tmp, a.offset);
      if (r.cb > 0) a.buffer.pages.write(0, tmp.subarray(0, r.cb));
      a.count.u32 = r.cb;
      return r.rc;
    });
  },
});
