// errno -> IPRT status in one table; models RTErrConvertFromErrno (Runtime/common/err/RTErrConvertFromErrno.cpp)
// for POSIX hosts. Node reports errno as a string `code` on the thrown error; that is what the table is keyed by.
import { Status, type StatusCode } from '../../abi/index.js';

/** errno name -> IPRT status (vbox-abi.md 3.2). */
export const ERRNO_TO_STATUS: Readonly<Record<string, StatusCode>> = Object.freeze({
  EPERM: Status.VERR_ACCESS_DENIED,
  ENOENT: Status.VERR_FILE_NOT_FOUND,
  EINTR: Status.VERR_INTERRUPTED,
  EIO: Status.VERR_DEV_IO_ERROR,
  ENXIO: Status.VERR_DEV_IO_ERROR,
  E2BIG: Status.VERR_TOO_MUCH_DATA,
  EOVERFLOW: Status.VERR_TOO_MUCH_DATA,
  EBADF: Status.VERR_INVALID_HANDLE,
  EAGAIN: Status.VERR_TRY_AGAIN,
  EWOULDBLOCK: Status.VERR_TRY_AGAIN,
  ENOMEM: Status.VERR_NO_MEMORY,
  EACCES: Status.VERR_ACCESS_DENIED,
  EFAULT: Status.VERR_INVALID_POINTER,
  EBUSY: Status.VERR_RESOURCE_BUSY,
  EEXIST: Status.VERR_ALREADY_EXISTS,
  EXDEV: Status.VERR_NOT_SAME_DEVICE,
  // Not NOT_A_DIRECTORY: a component of the path that should have been a directory was not one.
  ENOTDIR: Status.VERR_PATH_NOT_FOUND,
  EISDIR: Status.VERR_IS_A_DIRECTORY,
  EINVAL: Status.VERR_INVALID_PARAMETER,
  ENFILE: Status.VERR_TOO_MANY_OPEN_FILES,
  EMFILE: Status.VERR_TOO_MANY_OPEN_FILES,
  ETXTBSY: Status.VERR_SHARING_VIOLATION,
  EFBIG: Status.VERR_FILE_TOO_BIG,
  ENOSPC: Status.VERR_DISK_FULL,
  EDQUOT: Status.VERR_DISK_FULL,
  ESPIPE: Status.VERR_SEEK_ON_DEVICE,
  EROFS: Status.VERR_WRITE_PROTECT,
  EPIPE: Status.VERR_BROKEN_PIPE,
  ERANGE: Status.VERR_OUT_OF_RANGE,
  EDEADLK: Status.VERR_DEADLOCK,
  ENAMETOOLONG: Status.VERR_FILENAME_TOO_LONG,
  ENOLCK: Status.VERR_FILE_LOCK_FAILED,
  ENOSYS: Status.VERR_NOT_SUPPORTED,
  ENODEV: Status.VERR_NOT_SUPPORTED,
  ENOTEMPTY: Status.VERR_DIR_NOT_EMPTY,
  ELOOP: Status.VERR_TOO_MANY_SYMLINKS,
  ENODATA: Status.VERR_NO_DATA,
  ETIMEDOUT: Status.VERR_TIMEOUT,
  EILSEQ: Status.VERR_NO_TRANSLATION,
  ESTALE: Status.VERR_STALE_FILE_HANDLE,
  EOPNOTSUPP: Status.VERR_NET_OPERATION_NOT_SUPPORTED,
  ENOTSUP: Status.VERR_NET_OPERATION_NOT_SUPPORTED,
});

/**
 * Node's own argument errors (thrown before any system call). They can only come from a value this layer
 * failed to check, so they are mapped to VERR_INVALID_PARAMETER rather than leaked as exceptions.
 */
const NODE_CODES: Readonly<Record<string, StatusCode>> = Object.freeze({
  ERR_INVALID_ARG_VALUE: Status.VERR_INVALID_PARAMETER,
  ERR_INVALID_ARG_TYPE: Status.VERR_INVALID_PARAMETER,
  ERR_OUT_OF_RANGE: Status.VERR_INVALID_PARAMETER,
  ERR_FS_FILE_TOO_LARGE: Status.VERR_FILE_TOO_BIG,
});

/** The status an errno the table does not know becomes (logged each time). */
export const UNMAPPED_ERRNO_STATUS: StatusCode = Status.VERR_UNRESOLVED_ERROR;

let logSink: (line: string) => void = () => undefined;

/** Where this thread's IPRT layer logs (unmapped errnos). The vbsf service points it at its context's log. */
export function setIprtLog(sink: (line: string) => void): void {
  logSink = sink;
}

/** A line to this thread's IPRT log (see setIprtLog). */
export function iprtLog(line: string): void {
  logSink(line);
}

/** RTErrConvertFromErrno on an errno name ('ENOENT'); unknown names are logged and give VERR_UNRESOLVED_ERROR. */
export function rtErrConvertFromErrno(code: string): StatusCode {
  const rc = ERRNO_TO_STATUS[code];
  if (rc !== undefined) return rc;
  logSink(`iprt: unmapped errno ${code} -> VERR_UNRESOLVED_ERROR`);
  return UNMAPPED_ERRNO_STATUS;
}

/** The errno name of something node:fs threw ('' if it carries none). */
export function errnoOf(e: unknown): string {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string') return e.code;
  return '';
}

/** Status for anything node:fs threw: errno table, then Node's argument errors, then the logged fallback. */
export function rtErrFromNode(e: unknown): StatusCode {
  const code = errnoOf(e);
  const node = NODE_CODES[code];
  if (node !== undefined) return node;
  if (code === '') {
    logSink(`iprt: unexpected ${e instanceof Error ? e.message : String(e)} -> VERR_UNRESOLVED_ERROR`);
    return UNMAPPED_ERRNO_STATUS;
  }
  return rtErrConvertFromErrno(code);
}
