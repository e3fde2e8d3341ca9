// SHFL_FN_LIST: list a directory handle, resumably; models the svcCall case (see ../dirlist.ts).
import { Status } from '../../abi/index.js';
import type { SvcParmPtr, SvcParmU32 } from '../../hgcm/service-api.js';
import { MIN_LIST_BYTES, listDirectory } from '../dirlist.js';
import { HandleType } from '../handles.js';
import { defineFn } from '../handler.js';
import { shflStringInOrNull } from '../strings.js';

interface Args {
  root: number;
  handle: bigint;
  flags: number;
  count: SvcParmU32;
  filter: Uint8Array | null;
  buffer: SvcParmPtr;
  resume: SvcParmU32;
  files: SvcParmU32;
}

/** LIST: root, dir handle, flags, count (in/out), filter (size 0 = none), buffer, resume (in/out), files (out). */
export default defineFn({
  decode(p, env) {
    const count = p.u32(3);
    const buffer = p.ptr(5);
    const filter = shflStringInOrNull(p.ptr(4).buf, env.client.utf8);
    if (count.u32 < MIN_LIST_BYTES || count.u32 > buffer.size || filter === undefined)
      return Status.VERR_INVALID_PARAMETER;
    return {
      root: p.u32(0).u32,
      handle: p.u64(1).u64,
      flags: p.u32(2).u32,
      count,
      filter,
      buffer,
      resume: p.u32(6),
      files: p.u32(7),
    };
  },
  handle(a: Args, env) {
    let files = 0;
    const rc = env.withHandle(a.handle, a.root, HandleType.DIR, 'read', (ref, m) => {
      const r = listDirectory(env, m, ref, {
        flags: a.flags,
        cb: a.count.u32,
        filter: a.filter,
        buffer: a.buffer.buf,
      });
      files = r.files;
      if (r.rc >= 0) {
        a.count.u32 = r.cb;
        a.resume.u32 = r.resume;
      }
      return r.rc;
    });
    if (rc < 0) {
      a.count.u32 = 0;
      a.resume.u32 = 0;
    }
    a.files.u32 = files;
    return rc;
  },
});
