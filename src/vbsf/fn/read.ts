// SHFL_FN_READ: positional read into a buffer or a no-bounce page list; models the svcCall case, vbsfRead
// and vbsfReadPages (vbsf.cpp).
import { ParmDirection, Status } from '../../abi/index.js';
import { rtFileReadAt, rtFileSgReadAt } from '../../runtime/iprt/index.js';
import { HandleType } from '../handles.js';
import { decodeIo, defineFn, type IoArgs } from '../handler.js';

/** READ: root, handle, offset, count (in/out), buffer. */
export default defineFn({
  decode: decodeIo,
  handle(a: IoArgs, env) {
    const want = a.count.u32;
    a.count.u32 = 0;
    return env.withHandle(a.handle, a.root, HandleType.FILE, 'read', (h) => {
      if (want === 0) return Status.VINF_SUCCESS;
      if (a.buffer.type === 3) {
        const dst = a.buffer.buf.subarray(0, want);
        const r = env.ctx.trace.span('RTFileRead', want, () => rtFileReadAt(h.fd, dst, a.offset.u64));
        a.count.u32 = r.cb;
        return r.rc;
      }
      if (a.buffer.pages.runs.length === 0) return Status.VERR_INTERNAL_ERROR_3;
      // A page list the guest did not hand over for writing cannot receive data (upstream would write anyway).
      if ((a.buffer.dir & ParmDirection.FROM_HOST) === 0) return Status.VERR_INVALID_PARAMETER;
      const off = a.offset.u64;
      // vbsfReadPages: straight into guest RAM where no cancel can overtake the call (on the EMT)...
      const direct = a.buffer.pages.landing(0, want);
      if (direct !== undefined) {
        const r = env.ctx.trace.span('RTFileRead', want, () => rtFileSgReadAt(h.fd, direct, off));
        a.count.u32 = r.cb;
        return r.rc;
      }
      // ...else into a host buffer, whose bytes land in guest memory at completion, never for a cancelled call.
      const tmp = a.buffer.pages.scratch(want);
      const r = env.ctx.trace.span('RTFileRead', want, () => rtFileReadAt(h.fd, tmp, off));
      if (r.cb > 0) a.buffer.pages.write(0, tmp.subarray(0, r.cb));
      a.count.u32 = r.cb;
      return r.rc;
    });
  },
});
