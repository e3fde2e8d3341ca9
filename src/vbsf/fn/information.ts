// SHFL_FN_INFORMATION: get or set object information, set the size, get volume information; models the
// svcCall case, vbsfQueryFSInfo / vbsfSetFSInfo and their workers in vbsf.cpp.
import { RtFs, SHFLFSOBJINFO, SHFLVOLINFO, ShflInfo, Status, type StatusCode } from '../../abi/index.js';
import type { SvcParmPtr, SvcParmU32 } from '../../hgcm/service-api.js';
import {
  rtFileQueryInfo,
  rtFileSetMode,
  rtFileSetSize,
  rtFileSetTimes,
  rtFsQuerySizes,
} from '../../runtime/iprt/index.js';
import type { VbsfEnv } from '../env.js';
import { HandleType, type HandleRef } from '../handles.js';
import { defineFn } from '../handler.js';
import { readObjInfo, writeObjInfo, writeVolInfo } from '../objinfo.js';

interface Args {
  root: number;
  handle: bigint;
  flags: number;
  count: SvcParmU32;
  info: SvcParmPtr;
}

/** Fresh information of an open handle into the guest's buffer. */
function queryInto(h: HandleRef, buf: Uint8Array): StatusCode {
  const q = rtFileQueryInfo(h.fd);
  if (q.info === undefined) return q.rc;
  writeObjInfo(buf, 0, q.info);
  return Status.VINF_SUCCESS;
}

/**
 * vbsfSetFileInfo: non-zero access/modification times are set; a mode with UNIX bits keeps the owner's
 * read (and, for directories, search) bit and loses SUID/SGID/sticky; a DOS-only mode is turned into
 * permissions. Failures of either are ignored, as upstream ("tends to fail with e.g. windows guest").
 */
function setFileInfo(h: HandleRef, buf: Uint8Array): StatusCode {
  const want = readObjInfo(buf, 0);
  const ns = (t: bigint): bigint | undefined => (t !== 0n ? t : undefined);
  if (want.accessTime !== 0n || want.modificationTime !== 0n)
    rtFileSetTimes(h.fd, ns(want.accessTime), ns(want.modificationTime));
  if (want.mode !== 0) {
    const dir = h.type === HandleType.DIR;
    let perms: number;
    if ((want.mode & RtFs.UNIX_MASK) !== 0) {
      perms = want.mode & 0o7777 & ~(RtFs.UNIX_ISUID | RtFs.UNIX_ISGID | RtFs.UNIX_ISTXT);
      perms |= RtFs.UNIX_IRUSR | (dir ? RtFs.UNIX_IXUSR : 0);
    } else {
      // rtFsModeFromDos: readable by all, writable unless read-only, directories searchable.
      perms = 0o444 | ((want.mode & RtFs.DOS_READONLY) === 0 ? 0o222 : 0) | (dir ? 0o111 : 0);
    }
    rtFileSetMode(h.fd, perms);
  }
  return queryInto(h, buf);
}

function get(a: Args, env: VbsfEnv, length: number): StatusCode {
  if ((a.flags & ShflInfo.FILE) !== 0) {
    const type = env.w.handles.typeOf(a.handle, env.clientId) & HandleType.ANY;
    if (type === 0 || length < SHFLFSOBJINFO.size) return Status.VERR_INVALID_PARAMETER;
    const rc = env.withHandle(a.handle, a.root, type, 'read', (h) => queryInto(h, a.info.buf));
    if (rc === Status.VINF_SUCCESS) a.count.u32 = SHFLFSOBJINFO.size;
    return rc;
  }
  if ((a.flags & ShflInfo.VOLUME) !== 0) {
    // Upstream answers for the root and ignores the handle (Linux guests pass 0 here).
    if (length < SHFLVOLINFO.size) return Status.VERR_INVALID_PARAMETER;
    const m = env.pathMapping(a.root);
    if (typeof m === 'number') return m;
    const rc = env.withScope(m, (scope) => {
      const q = rtFsQuerySizes(scope.rootFd);
      if (q.sizes === undefined) return q.rc;
      writeVolInfo(a.info.buf, q.sizes, { caseSensitive: !env.icase(m), readOnly: !m.writable });
      return Status.VINF_SUCCESS;
    });
    if (rc === Status.VINF_SUCCESS) a.count.u32 = SHFLVOLINFO.size;
    return rc;
  }
  return Status.VERR_INVALID_PARAMETER;
}

function set(a: Args, env: VbsfEnv, length: number): StatusCode {
  const type = env.w.handles.typeOf(a.handle, env.clientId) & HandleType.ANY;
  if (type === 0) return Status.VERR_INVALID_PARAMETER;
  let rc: StatusCode;
  if ((a.flags & ShflInfo.FILE) !== 0) {
    if (length < SHFLFSOBJINFO.size) return Status.VERR_INVALID_PARAMETER;
    rc = env.withHandle(a.handle, a.root, type, 'write', (h) => setFileInfo(h, a.info.buf));
  } else if ((a.flags & ShflInfo.SIZE) !== 0) {
    // vbsfSetEndOfFile: a file handle only; the new size is the buffer's cbObject.
    if (type !== HandleType.FILE || length < SHFLFSOBJINFO.size) return Status.VERR_INVALID_PARAMETER;
    rc = env.withHandle(a.handle, a.root, HandleType.FILE, 'write', (h) => {
      const r = rtFileSetSize(h.fd, readObjInfo(a.info.buf, 0).cbObject);
      return r !== Status.VINF_SUCCESS ? r : queryInto(h, a.info.buf);
    });
  } else {
    return Status.VERR_INVALID_PARAMETER;
  }
  if (rc === Status.VINF_SUCCESS) a.count.u32 = SHFLFSOBJINFO.size;
  return rc;
}

/** INFORMATION: root, handle, flags, count (in/out), buffer. */
export default defineFn({
  decode(p) {
    const count = p.u32(3);
    const info = p.ptr(4);
    if (count.u32 > info.size) return Status.VERR_INVALID_PARAMETER;
    return { root: p.u32(0).u32, handle: p.u64(1).u64, flags: p.u32(2).u32, count, info };
  },
  handle(a: Args, env) {
    // The count is what was used on success and 0 on any failure.
    const length = a.count.u32;
    a.count.u32 = 0;
    return (a.flags & ShflInfo.SET) !== 0 ? set(a, env, length) : get(a, env, length);
  },
});
