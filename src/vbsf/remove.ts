// Removing a file, directory or symlink (REMOVE and CLOSE_AND_REMOVE); models vbsfRemove (vbsf.cpp).
import { SHFL_HANDLE_NIL, ShflRemove, Status, type StatusCode } from '../abi/index.js';
import { rtDirRemoveAt, rtFileDeleteAt, rtSymlinkDeleteAt } from '../runtime/iprt/index.js';
import { resolve } from './confine.js';
import type { VbsfEnv } from './env.js';
import type { Parms } from './handler.js';
import { shflStringIn } from './strings.js';

/**
 * vbsfRemove: close `toClose` first (unless NIL), then remove `path` on a writable mapping: SYMLINK removes
 * a symlink, FILE a non-directory, anything else an empty directory. The share root itself is never
 * removed (VERR_ACCESS_DENIED); upstream would try an rmdir of the host directory.
 */
export function removePath(
  env: VbsfEnv,
  root: number,
  path: Uint8Array,
  flags: number,
  toClose: bigint,
): StatusCode {
  if (toClose !== SHFL_HANDLE_NIL) {
    const rc = env.w.handles.close(toClose, env.clientId, root);
    if (rc !== Status.VINF_SUCCESS) return rc;
  }
  const m = env.pathMapping(root);
  if (typeof m === 'number') return m;
  const gp = env.guestPath(path);
  if (typeof gp === 'number') return gp;
  if (!m.writable) return Status.VERR_WRITE_PROTECT;
  return env.withScope(m, (scope) => {
    const t = resolve(scope, gp.comps, { follow: false, icase: env.icase(m), dirSlash: gp.dirSlash });
    if (typeof t === 'number') return t;
    if (t.kind === 'dir') return Status.VERR_ACCESS_DENIED;
    if ((flags & ShflRemove.SYMLINK) !== 0) return rtSymlinkDeleteAt(t.dirFd, t.name);
    if ((flags & ShflRemove.FILE) !== 0) return rtFileDeleteAt(t.dirFd, t.name);
    return rtDirRemoveAt(t.dirFd, t.name);
  });
}

const REMOVE_FLAGS = ShflRemove.FILE | ShflRemove.DIR | ShflRemove.SYMLINK;

/** The checks REMOVE and CLOSE_AND_REMOVE share: a valid path, then flags within SHFL_REMOVE_* (VERR_INVALID_FLAGS). */
export function decodeRemove(
  p: Parms,
  env: VbsfEnv,
): { root: number; path: Uint8Array; flags: number } | StatusCode {
  const path = shflStringIn(p.ptr(1).buf, env.client.utf8);
  if (path === undefined) return Status.VERR_INVALID_PARAMETER;
  const flags = p.u32(2).u32;
  if ((flags & ~REMOVE_FLAGS) !== 0) return Status.VERR_INVALID_FLAGS;
  return { root: p.u32(0).u32, path, flags };
}
