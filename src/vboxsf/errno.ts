// VBox status -> Linux errno, as the Linux guest reports Shared Folders failures to programs; models
// vbg_status_code_to_errno (drivers/virt/vboxguest/vboxguest_utils.c), file-system part.
import { Status, type StatusCode } from '../abi/index.js';

/** Linux errno numbers (x86-64) the guest file API reports. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EPIPE: 32,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  EPROTO: 71,
  EILSEQ: 84,
  EOPNOTSUPP: 95,
  ETIMEDOUT: 110,
} as const;

/** An errno name. */
export type ErrnoName = keyof typeof Errno;

const TABLE: ReadonlyMap<StatusCode, ErrnoName> = new Map<StatusCode, ErrnoName>([
  [Status.VERR_ACCESS_DENIED, 'EPERM'],
  [Status.VERR_FILE_NOT_FOUND, 'ENOENT'],
  [Status.VERR_PROCESS_NOT_FOUND, 'ESRCH'],
  [Status.VERR_INTERRUPTED, 'EINTR'],
  [Status.VERR_DEV_IO_ERROR, 'EIO'],
  [Status.VERR_TOO_MUCH_DATA, 'E2BIG'],
  [Status.VERR_BAD_EXE_FORMAT, 'ENOEXEC'],
  [Status.VERR_INVALID_HANDLE, 'EBADF'],
  [Status.VERR_TRY_AGAIN, 'EAGAIN'],
  [Status.VERR_NO_MEMORY, 'ENOMEM'],
  [Status.VERR_INVALID_POINTER, 'EFAULT'],
  [Status.VERR_RESOURCE_BUSY, 'EBUSY'],
  [Status.VERR_ALREADY_EXISTS, 'EEXIST'],
  [Status.VERR_NOT_SAME_DEVICE, 'EXDEV'],
  [Status.VERR_NOT_A_DIRECTORY, 'ENOTDIR'],
  // Not ENOENT: Linux reports "a component is not a directory" for it.
  [Status.VERR_PATH_NOT_FOUND, 'ENOTDIR'],
  // A path the host refuses (e.g. leaving the share) does not exist for the guest.
  [Status.VERR_INVALID_NAME, 'ENOENT'],
  [Status.VERR_IS_A_DIRECTORY, 'EISDIR'],
  [Status.VERR_INVALID_PARAMETER, 'EINVAL'],
  [Status.VERR_TOO_MANY_OPEN_FILES, 'ENFILE'],
  [Status.VERR_INVALID_FUNCTION, 'ENOTTY'],
  [Status.VERR_SHARING_VIOLATION, 'ETXTBSY'],
  [Status.VERR_FILE_TOO_BIG, 'EFBIG'],
  [Status.VERR_DISK_FULL, 'ENOSPC'],
  [Status.VERR_SEEK_ON_DEVICE, 'ESPIPE'],
  [Status.VERR_WRITE_PROTECT, 'EROFS'],
  [Status.VERR_BROKEN_PIPE, 'EPIPE'],
  [Status.VERR_DEADLOCK, 'EDEADLK'],
  [Status.VERR_FILENAME_TOO_LONG, 'ENAMETOOLONG'],
  [Status.VERR_FILE_LOCK_FAILED, 'ENOLCK'],
  [Status.VERR_NOT_IMPLEMENTED, 'ENOSYS'],
  [Status.VERR_NOT_SUPPORTED, 'ENOSYS'],
  [Status.VERR_DIR_NOT_EMPTY, 'ENOTEMPTY'],
  [Status.VERR_TOO_MANY_SYMLINKS, 'ELOOP'],
  [Status.VERR_NO_MORE_FILES, 'ENODATA'],
  [Status.VERR_NO_DATA, 'ENODATA'],
  [Status.VERR_NO_TRANSLATION, 'EILSEQ'],
  [Status.VERR_NET_OPERATION_NOT_SUPPORTED, 'EOPNOTSUPP'],
  [Status.VERR_TIMEOUT, 'ETIMEDOUT'],
]);

/** vbg_status_code_to_errno: undefined for a success, EPROTO for a failure the table does not know. */
export function statusToErrno(rc: StatusCode): ErrnoName | undefined {
  if (rc >= 0) return undefined;
  return TABLE.get(rc) ?? 'EPROTO';
}
