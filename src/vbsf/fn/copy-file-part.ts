// SHFL_FN_COPY_FILE_PART: copy a range between two open files; models the svcCall case and
// vbsfCopyFilePart (RTFileCopyPart). Overlapping ranges of one file are refused (VERR_INVALID_PARAMETER, as
// copy_file_range's EINVAL) instead of being copied in an order-dependent way.
import { Status } from '../../abi/index.js';
import type { SvcParmU64 } from '../../hgcm/service-api.js';
import { rtFileCopyPart, rtFileQueryInfo } from '../../runtime/iprt/index.js';
import { sameObject } from '../confine.js';
import { HandleType } from '../handles.js';
import { defineFn } from '../handler.js';

interface Args {
  rootSrc: number;
  handleSrc: bigint;
  offSrc: bigint;
  rootDst: number;
  handleDst: bigint;
  offDst: bigint;
  count: SvcParmU64;
}

/** 1 EiB: the most one call may copy (_1E). */
const MAX_COPY = 1n << 60n;
const INT64_MIN = 1n << 63n;

/** COPY_FILE_PART: source root/handle/offset, destination root/handle/offset, count (in/out), flags (0). */
export default defineFn({
  decode(p) {
    const offSrc = p.u64(2).u64;
    if (offSrc >= INT64_MIN) return Status.VERR_NEGATIVE_SEEK;
    const offDst = p.u64(5).u64;
    if (offDst >= INT64_MIN) return Status.VERR_NEGATIVE_SEEK;
    const count = p.u64(6);
    if (count.u64 >= MAX_COPY) return Status.VERR_OUT_OF_RANGE;
    if (p.u32(7).u32 !== 0) return Status.VERR_INVALID_FLAGS;
    return {
      rootSrc: p.u32(0).u32,
      handleSrc: p.u64(1).u64,
      offSrc,
      rootDst: p.u32(3).u32,
      handleDst: p.u64(4).u64,
      offDst,
      count,
    };
  },
  handle(a: Args, env) {
    const want = a.count.u64;
    a.count.u64 = 0n;
    return env.withHandle(a.handleSrc, a.rootSrc, HandleType.FILE, 'read', (src) =>
      env.withHandle(a.handleDst, a.rootDst, HandleType.FILE, 'write', (dst) => {
        const s = rtFileQueryInfo(src.fd).info;
        const d = rtFileQueryInfo(dst.fd).info;
        const same = sameObject(s, d);
        if (same && a.offSrc < a.offDst + want && a.offDst < a.offSrc + want)
          return Status.VERR_INVALID_PARAMETER;
        const r = rtFileCopyPart(src.fd, a.offSrc, dst.fd, a.offDst, want);
        a.count.u64 = r.cb;
        return r.rc;
      }),
    );
  },
});
