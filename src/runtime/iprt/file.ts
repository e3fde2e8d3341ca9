// Files on node:fs the IPRT way; models RTFileOpenEx, RTFileReadAt, RTFileSgReadAt, RTFileWriteAt, RTFileWrite,
// RTFileSetSize, RTFileQueryInfo, RTFileSetMode, RTFileFlush and RTFileClose
// (Runtime/r3/posix/fileio-posix.cpp). Offsets and sizes are BigInt; every failure is a status, never a throw.
// Runs on a host worker thread (the Shared Folders service calls it).
import * as fs from 'node:fs';
import { Status, type StatusCode } from '../../abi/index.js';
import { atCall, tryFs } from './at.js';
import { isDirectory, isFile, objInfoFromStats, type FsObjInfo } from './objinfo.js';

const C = fs.constants;

/** Largest file offset an off_t holds (RTFOFF_MAX). */
export const RTFOFF_MAX = (1n << 63n) - 1n;
/**
 * Largest offset node:fs writes at. Node takes write positions only as JS numbers (a BigInt position is
 * silently ignored and the write lands at the current file position), so anything past 2^53 - 1 is refused.
 */
export const MAX_WRITE_OFFSET = BigInt(Number.MAX_SAFE_INTEGER);

/** RTFILE_O_* open/create actions. */
export const RtFileAction = {
  /** Open an existing file. */
  OPEN: 'open',
  /** Open, or create if missing. */
  OPEN_CREATE: 'open-create',
  /** Create; fail if it exists. */
  CREATE: 'create',
  /** Create, or replace (truncate) if it exists. */
  CREATE_REPLACE: 'create-replace',
  /** Open an existing file and truncate it. */
  OPEN_TRUNCATE: 'open-truncate',
} as const;
/** An open/create action. */
export type RtFileActionValue = (typeof RtFileAction)[keyof typeof RtFileAction];

/** What RTFileOpenEx did (RTFILEACTION). */
export type RtFileTaken = 'opened' | 'created' | 'replaced' | 'truncated';

/** How to open (the RTFILE_O_* bits that matter on a POSIX host). */
export interface RtFileOpenSpec {
  readonly read: boolean;
  readonly write: boolean;
  readonly append: boolean;
  readonly action: RtFileActionValue;
  /** Permissions for a new file (masked to 0777; the process umask applies). */
  readonly mode: number;
  /**
   * For OPEN_CREATE / CREATE_REPLACE: the caller has just seen the name exist, so the open of an existing
   * file is tried first (one system call instead of a refused exclusive create and the open); the answer
   * is the same either way.
   */
  readonly exists?: boolean;
}

/** RTFileOpenEx's outcome: fd is -1 unless rc is a success; then `info` is the opened file's (RTFileQueryInfo). */
export interface RtFileOpenResult {
  readonly rc: StatusCode;
  readonly fd: number;
  readonly taken: RtFileTaken | undefined;
  readonly info?: FsObjInfo;
}

const failed = (rc: StatusCode): RtFileOpenResult => ({ rc, fd: -1, taken: undefined });

/** A file opened by an action that may race with another creator is retried this many times. */
const OPEN_RETRIES = 16;

/**
 * RTFileOpenEx on `name` in the directory `dirFd`. The final component is never followed (O_NOFOLLOW: a
 * symlink gives VERR_TOO_MANY_SYMLINKS), and only regular files are opened: a directory is
 * VERR_IS_A_DIRECTORY, anything else (FIFO, device, socket) VERR_ACCESS_DENIED, so no open can block
 * (O_NONBLOCK also keeps a FIFO's open from waiting for its other end).
 */
export function rtFileOpenAt(dirFd: number, name: Uint8Array, spec: RtFileOpenSpec): RtFileOpenResult {
  if (!spec.read && !spec.write) return failed(Status.VERR_INVALID_PARAMETER);
  const access = spec.read && spec.write ? C.O_RDWR : spec.write ? C.O_WRONLY : C.O_RDONLY;
  const base = access | C.O_NOFOLLOW | C.O_NONBLOCK | (spec.append ? C.O_APPEND : 0);
  const mode = spec.mode & 0o777;
  const open = (extra: number): { rc: StatusCode; fd: number } => {
    const r = atCall(dirFd, name, (p) => fs.openSync(p, base | extra, mode));
    return { rc: r.rc, fd: r.value ?? -1 };
  };
  let fd = -1;
  let taken: RtFileTaken | undefined;
  switch (spec.action) {
    case RtFileAction.OPEN:
    case RtFileAction.OPEN_TRUNCATE: {
      const truncate = spec.action === RtFileAction.OPEN_TRUNCATE;
      const r = open(truncate ? C.O_TRUNC : 0);
      if (r.rc !== 0) return failed(r.rc);
      fd = r.fd;
      taken = truncate ? 'truncated' : 'opened';
      break;
    }
    case RtFileAction.CREATE: {
      const r = open(C.O_CREAT | C.O_EXCL);
      if (r.rc !== 0) return failed(r.rc);
      fd = r.fd;
      taken = 'created';
      break;
    }
    default: {
      // OPEN_CREATE / CREATE_REPLACE: an exclusive create tells "created" from "opened" without a race.
      const replace = spec.action === RtFileAction.CREATE_REPLACE;
      for (let i = 0; i < OPEN_RETRIES && taken === undefined; i++) {
        if (i === 0 && spec.exists === true) {
          // RACE: removed since the caller looked: ENOENT, and the loop creates it as if it had not looked.
          const o = open(replace ? C.O_TRUNC : 0);
          if (o.rc === 0) {
            fd = o.fd;
            taken = replace ? 'replaced' : 'opened';
            break;
          }
          if (o.rc !== Status.VERR_FILE_NOT_FOUND) return failed(o.rc);
        }
        const c = open(C.O_CREAT | C.O_EXCL);
        if (c.rc === 0) {
          fd = c.fd;
          taken = 'created';
          break;
        }
        if (c.rc !== Status.VERR_ALREADY_EXISTS) return failed(c.rc);
        const o = open(replace ? C.O_TRUNC : 0);
        if (o.rc === 0) {
          fd = o.fd;
          taken = replace ? 'replaced' : 'opened';
        } else if (o.rc !== Status.VERR_FILE_NOT_FOUND) {
          return failed(o.rc);
        }
      }
      if (taken === undefined) return failed(Status.VERR_SHARING_VIOLATION);
    }
  }
  // One fstat both checks the type and is the caller's RTFileQueryInfo.
  const { info, rc: qrc } = rtFileQueryInfo(fd);
  const rc =
    info === undefined
      ? qrc
      : isDirectory(info.mode)
        ? Status.VERR_IS_A_DIRECTORY
        : isFile(info.mode)
          ? Status.VINF_SUCCESS
          : Status.VERR_ACCESS_DENIED;
  if (rc !== Status.VINF_SUCCESS || info === undefined) {
    tryFs(() => fs.closeSync(fd));
    return failed(rc);
  }
  return { rc, fd, taken, info };
}

/** Bytes moved by a read or write and the status; on failure cb is 0. */
export interface RtIoResult {
  readonly rc: StatusCode;
  readonly cb: number;
}

/** RTFileReadAt: one pread of dst.length bytes at `off`; short at end of file, 0 beyond it. */
export function rtFileReadAt(fd: number, dst: Uint8Array, off: bigint): RtIoResult {
  if (off < 0n || off > RTFOFF_MAX) return { rc: Status.VERR_INVALID_PARAMETER, cb: 0 };
  if (dst.length === 0) return { rc: Status.VINF_SUCCESS, cb: 0 };
  const r = tryFs(() => fs.readSync(fd, dst, 0, dst.length, off));
  return { rc: r.rc, cb: r.value ?? 0 };
}

/**
 * RTFileSgReadAt: read into `bufs` in order from `off` (the host reading a file straight into guest RAM):
 * one preadv, or, where the offset is past what node:fs takes as a position (2^53 - 1), one pread per
 * buffer; short at end of file. The count is what was read.
 */
export function rtFileSgReadAt(fd: number, bufs: readonly Uint8Array[], off: bigint): RtIoResult {
  if (off < 0n || off > RTFOFF_MAX) return { rc: Status.VERR_INVALID_PARAMETER, cb: 0 };
  let len = 0;
  for (const b of bufs) len += b.length;
  if (len === 0) return { rc: Status.VINF_SUCCESS, cb: 0 };
  // readvSync ignores a BigInt position (it would read at the file position), so large offsets go per buffer.
  if (off + BigInt(len) <= MAX_WRITE_OFFSET) {
    const r = tryFs(() => fs.readvSync(fd, bufs as Uint8Array[], Number(off)));
    return { rc: r.rc, cb: r.value ?? 0 };
  }
  let cb = 0;
  for (const b of bufs) {
    const r = rtFileReadAt(fd, b, off + BigInt(cb));
    if (r.rc !== Status.VINF_SUCCESS) return cb > 0 ? { rc: Status.VINF_SUCCESS, cb } : r;
    cb += r.cb;
    if (r.cb < b.length) break;
  }
  return { rc: Status.VINF_SUCCESS, cb };
}

/**
 * RTFileWriteAt: one pwrite of src at `off`. The count is what the host wrote, which may be less than asked
 * (a short write is reported as short, never as complete). Offsets past an off_t are VERR_INVALID_PARAMETER
 * (pwrite's EINVAL); writes ending past 2^53 - 1 are VERR_FILE_TOO_BIG (see MAX_WRITE_OFFSET).
 */
export function rtFileWriteAt(fd: number, src: Uint8Array, off: bigint): RtIoResult {
  if (off < 0n || off > RTFOFF_MAX) return { rc: Status.VERR_INVALID_PARAMETER, cb: 0 };
  if (src.length === 0) return { rc: Status.VINF_SUCCESS, cb: 0 };
  if (off + BigInt(src.length) > MAX_WRITE_OFFSET) return { rc: Status.VERR_FILE_TOO_BIG, cb: 0 };
  const r = tryFs(() => fs.writeSync(fd, src, 0, src.length, Number(off)));
  return { rc: r.rc, cb: r.value ?? 0 };
}

/**
 * RTFileSgWriteAt: one pwritev of `bufs` at `off` (the host writing a page list straight from guest RAM).
 * The count is what the host wrote; limits as rtFileWriteAt.
 */
export function rtFileSgWriteAt(fd: number, bufs: readonly Uint8Array[], off: bigint): RtIoResult {
  if (off < 0n || off > RTFOFF_MAX) return { rc: Status.VERR_INVALID_PARAMETER, cb: 0 };
  let len = 0;
  for (const b of bufs) len += b.length;
  if (len === 0) return { rc: Status.VINF_SUCCESS, cb: 0 };
  if (off + BigInt(len) > MAX_WRITE_OFFSET) return { rc: Status.VERR_FILE_TOO_BIG, cb: 0 };
  const r = tryFs(() => fs.writevSync(fd, bufs as Uint8Array[], Number(off)));
  return { rc: r.rc, cb: r.value ?? 0 };
}

/** RTFileWrite: one write at the current position (where O_APPEND writes always land: the end). */
export function rtFileWrite(fd: number, src: Uint8Array): RtIoResult {
  if (src.length === 0) return { rc: Status.VINF_SUCCESS, cb: 0 };
  const r = tryFs(() => fs.writeSync(fd, src, 0, src.length, null));
  return { rc: r.rc, cb: r.value ?? 0 };
}

/** RTFileSetSize: truncate or extend (the new part reads as zeros). */
export function rtFileSetSize(fd: number, size: bigint): StatusCode {
  if (size < 0n || size > RTFOFF_MAX) return Status.VERR_INVALID_PARAMETER;
  if (size > MAX_WRITE_OFFSET) return Status.VERR_FILE_TOO_BIG;
  return tryFs(() => fs.ftruncateSync(fd, Number(size))).rc;
}

/** RTFileQueryInfo (also works on directory fds: RTDirQueryInfo). */
export function rtFileQueryInfo(fd: number): { rc: StatusCode; info: FsObjInfo | undefined } {
  const r = tryFs(() => fs.fstatSync(fd, { bigint: true }));
  return r.ok ? { rc: 0, info: objInfoFromStats(r.value) } : { rc: r.rc, info: undefined };
}

/** RTFileSetMode (UNIX permission bits, 07777). */
export function rtFileSetMode(fd: number, mode: number): StatusCode {
  return tryFs(() => fs.fchmodSync(fd, mode & 0o7777)).rc;
}

/** RTFileFlush. */
export function rtFileFlush(fd: number): StatusCode {
  return tryFs(() => fs.fsyncSync(fd)).rc;
}

/** RTFileClose. */
export function rtFileClose(fd: number): StatusCode {
  return tryFs(() => fs.closeSync(fd)).rc;
}

const COPY_CHUNK = 64 * 1024;

/**
 * RTFileCopyPart: copy up to `cb` bytes from `src` at `offSrc` to `dst` at `offDst` in chunks; stops early at
 * the source's end or on a short write. `cb` is how much was copied (also after a failure part-way).
 */
export function rtFileCopyPart(
  src: number,
  offSrc: bigint,
  dst: number,
  offDst: bigint,
  cb: bigint,
): { rc: StatusCode; cb: bigint } {
  const buf = new Uint8Array(Number(cb < BigInt(COPY_CHUNK) ? cb : BigInt(COPY_CHUNK)));
  let done = 0n;
  while (done < cb) {
    const left = cb - done;
    const chunk = buf.subarray(0, left < BigInt(buf.length) ? Number(left) : buf.length);
    const r = rtFileReadAt(src, chunk, offSrc + done);
    if (r.rc !== Status.VINF_SUCCESS) return { rc: r.rc, cb: done };
    if (r.cb === 0) break;
    const w = rtFileWriteAt(dst, chunk.subarray(0, r.cb), offDst + done);
    if (w.rc !== Status.VINF_SUCCESS) return { rc: w.rc, cb: done };
    done += BigInt(w.cb);
    if (w.cb < r.cb) break;
  }
  return { rc: Status.VINF_SUCCESS, cb: done };
}
