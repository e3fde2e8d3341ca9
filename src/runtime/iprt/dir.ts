// Directories on node:fs the IPRT way; models RTDirCreate, RTDirRemove, RTDirOpen and RTDirRead
// (Runtime/r3/posix/dir-posix.cpp), relative to an open directory fd.
import * as fs from 'node:fs';
import { Status, type StatusCode } from '../../abi/index.js';
import { atCall, procPath, tryFs } from './at.js';

const C = fs.constants;

/**
 * RTDirCreate of `name` in `dirFd`. Like IPRT on POSIX, EACCES or ENOSYS for a name that exists anyway is
 * VERR_ALREADY_EXISTS (mkdir reports permission problems before existence on some file systems).
 */
export function rtDirCreateAt(dirFd: number, name: Uint8Array, mode = 0o777): StatusCode {
  const r = atCall(dirFd, name, (p) => fs.mkdirSync(p, { mode: mode & 0o7777 }));
  if (r.rc === Status.VERR_ACCESS_DENIED || r.rc === Status.VERR_NOT_SUPPORTED) {
    if (atCall(dirFd, name, (p) => fs.lstatSync(p)).rc === 0) return Status.VERR_ALREADY_EXISTS;
  }
  return r.rc;
}

/**
 * RTDirRemove of `name` in `dirFd`: EEXIST/ENOTEMPTY are VERR_DIR_NOT_EMPTY; ENOTDIR is
 * VERR_NOT_A_DIRECTORY when the name exists and is no directory, VERR_PATH_NOT_FOUND otherwise.
 */
export function rtDirRemoveAt(dirFd: number, name: Uint8Array): StatusCode {
  const r = atCall(dirFd, name, (p) => fs.rmdirSync(p));
  if (r.rc === Status.VERR_ALREADY_EXISTS) return Status.VERR_DIR_NOT_EMPTY;
  if (r.rc === Status.VERR_PATH_NOT_FOUND) {
    const st = atCall(dirFd, name, (p) => fs.lstatSync(p));
    if (st.ok && !st.value.isDirectory()) return Status.VERR_NOT_A_DIRECTORY;
  }
  return r.rc;
}

/**
 * RTDirOpen: an fd on the directory `name` in `dirFd` (O_DIRECTORY | O_NOFOLLOW: a symlink is refused), or
 * with no name a second fd on `dirFd` itself (its magic link must be followed, so no O_NOFOLLOW then).
 */
export function rtDirOpenAt(dirFd: number, name?: Uint8Array): { rc: StatusCode; fd: number } {
  const flags = C.O_RDONLY | C.O_DIRECTORY;
  const r =
    name === undefined
      ? tryFs(() => fs.openSync(procPath(dirFd), flags))
      : atCall(dirFd, name, (p) => fs.openSync(p, flags | C.O_NOFOLLOW));
  return { rc: r.rc, fd: r.value ?? -1 };
}

/** RTDirOpen of a host path the host configured (a share root): symlinks in it are the host's business. */
export function rtDirOpenPath(path: string): { rc: StatusCode; fd: number } {
  const r = tryFs(() => fs.openSync(path, C.O_RDONLY | C.O_DIRECTORY));
  return { rc: r.rc, fd: r.value ?? -1 };
}

/**
 * The parent of an open directory, as a new fd (the kernel's physical '..'). The one way up this layer
 * offers; callers decide how far they may climb (the share walker stops at the share root).
 */
export function rtDirOpenParent(dirFd: number): { rc: StatusCode; fd: number } {
  const r = tryFs(() =>
    fs.openSync(Buffer.concat([procPath(dirFd), Buffer.from('/..')]), C.O_RDONLY | C.O_DIRECTORY),
  );
  return { rc: r.rc, fd: r.value ?? -1 };
}

/** The names in an open directory (without '.' and '..'), as raw bytes: host names need not be UTF-8. */
export function rtDirReadNames(dirFd: number): { rc: StatusCode; names: Buffer[] } {
  const r = tryFs(() => fs.readdirSync(procPath(dirFd), { encoding: 'buffer' }));
  return { rc: r.rc, names: r.value ?? [] };
}
