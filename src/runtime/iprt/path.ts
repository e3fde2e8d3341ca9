// Path objects on node:fs the IPRT way, relative to an open directory fd; models RTPathQueryInfoEx
// (RTPATH_F_ON_LINK), RTFileDelete, RTSymlinkCreate/Read/Delete and rtPathPosixRename (RTPathRename,
// RTFileMove, RTDirRename) from Runtime/r3/posix/path-posix.cpp and symlink-posix.cpp.
import * as fs from 'node:fs';
import { Status, type StatusCode } from '../../abi/index.js';
import { atCall } from './at.js';
import { rtFileClose, rtFileCopyPart, rtFileOpenAt, rtFileQueryInfo } from './file.js';
import { objInfoFromStats, type FsObjInfo } from './objinfo.js';

/** lstat of `name` in `dirFd` (never follows a final symlink). */
export function rtPathQueryInfoAt(
  dirFd: number,
  name: Uint8Array,
): { rc: StatusCode; info: FsObjInfo | undefined } {
  const r = atCall(dirFd, name, (p) => fs.lstatSync(p, { bigint: true }));
  return r.ok ? { rc: 0, info: objInfoFromStats(r.value, name) } : { rc: r.rc, info: undefined };
}

/** RTFileDelete: unlink, refusing a directory with VERR_IS_A_DIRECTORY. */
export function rtFileDeleteAt(dirFd: number, name: Uint8Array): StatusCode {
  const st = atCall(dirFd, name, (p) => fs.lstatSync(p));
  if (!st.ok) return st.rc;
  if (st.value.isDirectory()) return Status.VERR_IS_A_DIRECTORY;
  return atCall(dirFd, name, (p) => fs.unlinkSync(p)).rc;
}

/** RTSymlinkDelete: unlink a symlink; anything else is VERR_NOT_SYMLINK. */
export function rtSymlinkDeleteAt(dirFd: number, name: Uint8Array): StatusCode {
  const st = atCall(dirFd, name, (p) => fs.lstatSync(p));
  if (!st.ok) return st.rc;
  if (!st.value.isSymbolicLink()) return Status.VERR_NOT_SYMLINK;
  return atCall(dirFd, name, (p) => fs.unlinkSync(p)).rc;
}

/** RTSymlinkCreate: a symlink `name` in `dirFd` whose text is `target` (stored verbatim). */
export function rtSymlinkCreateAt(target: Uint8Array, dirFd: number, name: Uint8Array): StatusCode {
  if (target.length === 0 || target.includes(0)) return Status.VERR_INVALID_PARAMETER;
  return atCall(dirFd, name, (p) => fs.symlinkSync(Buffer.from(target), p)).rc;
}

/** RTSymlinkRead: the raw target bytes; VERR_NOT_SYMLINK for anything that is no symlink. */
export function rtSymlinkReadAt(
  dirFd: number,
  name: Uint8Array,
): { rc: StatusCode; target: Buffer | undefined } {
  const r = atCall(dirFd, name, (p) => fs.readlinkSync(p, { encoding: 'buffer' }));
  if (r.ok) return { rc: 0, target: r.value };
  return { rc: r.rc === Status.VERR_INVALID_PARAMETER ? Status.VERR_NOT_SYMLINK : r.rc, target: undefined };
}

/** Which source type a rename insists on (rtPathPosixRename's fFileType). */
export type RenameType = 'any' | 'file' | 'dir';

/** One side of a rename: a name in an open directory. */
export interface AtName {
  readonly dirFd: number;
  readonly name: Uint8Array;
}

/**
 * rtPathPosixRename with lstat in place of stat: the source must exist and match `type` ('dir': must be a
 * directory, else VERR_NOT_A_DIRECTORY; 'file': must not be one, else VERR_IS_A_DIRECTORY). An existing
 * destination is VERR_ALREADY_EXISTS if it is a directory or `replace` is not set, unless it is the source
 * itself. Like IPRT, the existence check and the rename are two steps (a rename racing a creator within
 * the share may replace what the creator made; nothing outside the share is involved).
 */
export function rtPathRenameAt(src: AtName, dst: AtName, replace: boolean, type: RenameType): StatusCode {
  const s = atCall(src.dirFd, src.name, (p) => fs.lstatSync(p));
  if (!s.ok) return s.rc;
  if (type === 'dir' && !s.value.isDirectory()) return Status.VERR_NOT_A_DIRECTORY;
  if (type === 'file' && s.value.isDirectory()) return Status.VERR_IS_A_DIRECTORY;
  const d = atCall(dst.dirFd, dst.name, (p) => fs.lstatSync(p));
  if (d.ok) {
    const same = d.value.dev === s.value.dev && d.value.ino === s.value.ino;
    if (!same && (d.value.isDirectory() || !replace)) return Status.VERR_ALREADY_EXISTS;
  } else if (d.rc !== Status.VERR_FILE_NOT_FOUND) {
    return d.rc;
  }
  const r = atCall(src.dirFd, src.name, (sp) => atCall(dst.dirFd, dst.name, (dp) => fs.renameSync(sp, dp)));
  if (!r.ok) return r.rc;
  // ENOTDIR from rename(2) here means a non-directory was to replace a directory or the reverse.
  const rc = r.value.rc;
  if (rc === Status.VERR_NOT_SAME_DEVICE && type === 'file' && s.value.isFile())
    return moveAcrossDevices(src, dst);
  return rc === Status.VERR_PATH_NOT_FOUND ? Status.VERR_ALREADY_EXISTS : rc;
}

/**
 * RTFileMove's fallback when source and destination are on different file systems: copy the data into a
 * new file (0600, replacing one the caller allowed to be replaced), then delete the source; if the copy
 * fails, delete the copy instead. Regular files only: a symlink is not opened (upstream would copy what
 * it points to, wherever that is), so it keeps the rename's VERR_NOT_SAME_DEVICE.
 */
function moveAcrossDevices(src: AtName, dst: AtName): StatusCode {
  const from = rtFileOpenAt(src.dirFd, src.name, {
    read: true,
    write: false,
    append: false,
    action: 'open',
    mode: 0,
  });
  if (from.rc !== Status.VINF_SUCCESS) return from.rc;
  try {
    const spec = { read: false, write: true, append: false, action: 'create-replace', mode: 0o600 } as const;
    const to = rtFileOpenAt(dst.dirFd, dst.name, spec);
    if (to.rc !== Status.VINF_SUCCESS) return to.rc;
    const size = rtFileQueryInfo(from.fd).info?.cbObject ?? 0n;
    const copy = rtFileCopyPart(from.fd, 0n, to.fd, 0n, size);
    rtFileClose(to.fd);
    // A short copy with no error is the destination filling up (a write that wrote nothing).
    const rc = copy.rc !== Status.VINF_SUCCESS ? copy.rc : copy.cb < size ? Status.VERR_DISK_FULL : copy.rc;
    const del =
      rc === Status.VINF_SUCCESS ? rtFileDeleteAt(src.dirFd, src.name) : rtFileDeleteAt(dst.dirFd, dst.name);
    return rc !== Status.VINF_SUCCESS ? rc : del;
  } finally {
    rtFileClose(from.fd);
  }
}
