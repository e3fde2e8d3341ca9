// SHFL_FN_COPY_FILE: copy a file to a new name (possibly on another root); models the svcCall case and
// vbsfCopyFile (RTFileCopy: the destination must not exist; a failed copy leaves no destination).
//
// Upstream 7.0 passes the wrong parameters to vbsfCopyFile (the destination root from the source path
// parameter) and checks no write access at all, so a guest could copy into a read-only share
// (vbsf-semantics.md 4.1 S8). Here both roots must be mapped by the client and the destination writable.
import { Status, type StatusCode } from '../../abi/index.js';
import {
  RtFileAction,
  rtFileClose,
  rtFileCopyPart,
  rtFileDeleteAt,
  rtFileOpenAt,
  rtFileQueryInfo,
} from '../../runtime/iprt/index.js';
import { resolve } from '../confine.js';
import type { VbsfEnv } from '../env.js';
import { defineFn } from '../handler.js';
import { shflStringIn } from '../strings.js';
import type { Mapping } from '../config.js';
import type { GuestPath } from '../path.js';

interface Args {
  rootSrc: number;
  pathSrc: Uint8Array;
  rootDst: number;
  pathDst: Uint8Array;
}

function copy(env: VbsfEnv, ms: Mapping, src: GuestPath, md: Mapping, dst: GuestPath): StatusCode {
  return env.withScope(ms, (ss) =>
    env.withScope(md, (ds) => {
      const s = resolve(ss, src.comps, { follow: true, icase: env.icase(ms), dirSlash: src.dirSlash });
      if (typeof s === 'number') return s;
      if (s.kind === 'dir') return Status.VERR_IS_A_DIRECTORY;
      const d = resolve(ds, dst.comps, { follow: false, icase: env.icase(md) });
      if (typeof d === 'number') return d;
      if (d.kind === 'dir') return Status.VERR_ALREADY_EXISTS;
      // The copy is a file: a destination "name/" is open("name/", O_CREAT), EISDIR on Linux.
      if (dst.dirSlash) return Status.VERR_IS_A_DIRECTORY;
      const read = { read: true, write: false, append: false, action: RtFileAction.OPEN, mode: 0 };
      const fs = rtFileOpenAt(s.dirFd, s.name, read);
      if (fs.rc !== Status.VINF_SUCCESS) return fs.rc;
      try {
        const info = rtFileQueryInfo(fs.fd).info;
        if (info === undefined) return Status.VERR_INVALID_HANDLE;
        const create = {
          read: false,
          write: true,
          append: false,
          action: RtFileAction.CREATE,
          mode: info.mode,
        };
        const fd = rtFileOpenAt(d.dirFd, d.name, create);
        if (fd.rc !== Status.VINF_SUCCESS) return fd.rc;
        const r = rtFileCopyPart(fs.fd, 0n, fd.fd, 0n, info.cbObject);
        rtFileClose(fd.fd);
        const rc = r.rc === Status.VINF_SUCCESS && r.cb !== info.cbObject ? Status.VERR_DISK_FULL : r.rc;
        if (rc !== Status.VINF_SUCCESS) rtFileDeleteAt(d.dirFd, d.name);
        return rc;
      } finally {
        rtFileClose(fs.fd);
      }
    }),
  );
}

/** COPY_FILE: source root, source path, destination root, destination path, flags (0). */
export default defineFn({
  decode(p, env) {
    const pathSrc = shflStringIn(p.ptr(1).buf, env.client.utf8);
    if (pathSrc === undefined) return Status.VERR_INVALID_PARAMETER;
    const pathDst = shflStringIn(p.ptr(3).buf, env.client.utf8);
    if (pathDst === undefined) return Status.VERR_INVALID_PARAMETER;
    if (p.u32(4).u32 !== 0) return Status.VERR_INVALID_FLAGS;
    return { rootSrc: p.u32(0).u32, pathSrc, rootDst: p.u32(2).u32, pathDst };
  },
  handle(a: Args, env) {
    const ms = env.pathMapping(a.rootSrc);
    if (typeof ms === 'number') return ms;
    const md = env.pathMapping(a.rootDst);
    if (typeof md === 'number') return md;
    const src = env.guestPath(a.pathSrc);
    if (typeof src === 'number') return src;
    const dst = env.guestPath(a.pathDst);
    if (typeof dst === 'number') return dst;
    if (!md.writable) return Status.VERR_WRITE_PROTECT;
    return copy(env, ms, src, md, dst);
  },
});
