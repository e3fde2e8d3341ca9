// SHFL_FN_WRITE: positional (or appending) write from a buffer or a no-bounce page list; models the
// svcCall case, vbsfWrite and vbsfWritePages (vbsf.cpp).
//
// Upstream's bounce-buffer path reports the requested count even when the host wrote less; here the
// count is always what the host wrote, so a short write is never reported as complete.
// Runs on a host worker thread.
import { ParmDirection, Status } from '../../abi/index.js';
import type { GuestPages } from '../../hgcm/service-api.js';
import {
  rtFileQueryInfo,
  rtFileSgWriteAt,
  rtFileWrite,
  rtFileWriteAt,
  type RtIoResult,
} from '../../runtime/iprt/index.js';
import { FileFlag, HandleType } from '../handles.js';
import { decodeIo, defineFn, type IoArgs } from '../handler.js';

/** WRITE: root, handle, offset (in/out), count (in/out), buffer. */
export default defineFn({
  decode: decodeIo,
  handle(a: IoArgs, env) {
    const want = a.count.u32;
    a.count.u32 = 0;
    return env.withHandle(a.handle, a.root, HandleType.FILE, 'write', (h) => {
      if (want === 0) return Status.VINF_SUCCESS;
      let data: Uint8Array | readonly Uint8Array[];
      if (a.buffer.type === 3) {
        data = a.buffer.buf.subarray(0, want);
      } else {
        if (a.buffer.pages.runs.length === 0) return Status.VERR_INTERNAL_ERROR_3;
        if ((a.buffer.dir & ParmDirection.TO_HOST) === 0) return Status.VERR_INVALID_PARAMETER;
        // vbsfWritePages: straight from guest RAM (RTFileSgWriteAt), copied only where it is not plain RAM.
        data = a.buffer.pages.views(0, want) ?? copyOf(a.buffer.pages, want);
      }
      const off = a.offset.u64;
      const append = (h.flags & FileFlag.APPEND) !== 0;
      // O_APPEND writes land at the end whatever the position; IPRT seeks first only on other hosts.
      const r: RtIoResult = env.ctx.trace.span('RTFileWrite', want, () =>
        data instanceof Uint8Array
          ? append
            ? rtFileWrite(h.fd, data)
            : rtFileWriteAt(h.fd, data, off)
          : append
            ? rtFileWrite(h.fd, data.length === 1 ? data[0]! : Buffer.concat(data, want))
            : rtFileSgWriteAt(h.fd, data, off),
      );
      if (r.rc !== Status.VINF_SUCCESS) return r.rc;
      a.count.u32 = r.cb;
      let end = off + BigInt(r.cb);
      if (append) {
        // vbsfWriteCalcPostAppendFilePosition: tell the guest where the end of the file really is.
        const size = rtFileQueryInfo(h.fd).info?.cbObject;
        if (size !== undefined && size >= end) end = size;
      }
      a.offset.u64 = end;
      return Status.VINF_SUCCESS;
    });
  },
});

function copyOf(pages: GuestPages, n: number): Uint8Array {
  const data = new Uint8Array(n);
  pages.read(0, data);
  return data;
}
