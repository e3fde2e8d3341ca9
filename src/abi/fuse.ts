// The Linux FUSE kernel protocol's numbers: opcodes, INIT flags, open/setattr/getattr flags and limits;
// models include/uapi/linux/fuse.h (protocol 7.38 as the header on these machines has it; the running
// kernel speaks 7.45 and accepts an older minor from the server). Layouts are in fuse-layout.ts.

/** FUSE_KERNEL_VERSION: the protocol's major version. */
export const FUSE_KERNEL_VERSION = 7;
/** The minor version this server speaks (FUSE_KERNEL_MINOR_VERSION of the header it was written against). */
export const FUSE_KERNEL_MINOR_VERSION = 38;
/** FUSE_ROOT_ID: the node id of the mount's root. */
export const FUSE_ROOT_ID = 1n;
/** FUSE_MIN_READ_BUFFER: the kernel refuses reads of /dev/fuse into a smaller buffer. */
export const FUSE_MIN_READ_BUFFER = 8192;
/**
 * FUSE_INT_REQ_BIT (fs/fuse/fuse_i.h, not in the UAPI): the bit of `unique` that marks an INTERRUPT
 * request and its reply; request ids advance by FUSE_REQ_ID_STEP (2), so the bit is free in them.
 */
export const FUSE_INT_REQ_BIT = 1n;

/** enum fuse_opcode. */
export const FuseOp = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  GETLK: 31,
  SETLK: 32,
  SETLKW: 33,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  BMAP: 37,
  DESTROY: 38,
  IOCTL: 39,
  POLL: 40,
  NOTIFY_REPLY: 41,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  LSEEK: 46,
  COPY_FILE_RANGE: 47,
  SETUPMAPPING: 48,
  REMOVEMAPPING: 49,
  SYNCFS: 50,
  TMPFILE: 51,
} as const;

/** An opcode value. */
export type FuseOpValue = (typeof FuseOp)[keyof typeof FuseOp];

/** Opcode -> name, for statistics and traces. */
export const FUSE_OP_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(FuseOp).map(([name, op]) => [op, name]),
);

/** Bits of fuse_init_in/out.flags (FUSE_* INIT flags below bit 32). */
export const FuseInit = {
  ASYNC_READ: 1 << 0,
  POSIX_LOCKS: 1 << 1,
  FILE_OPS: 1 << 2,
  ATOMIC_O_TRUNC: 1 << 3,
  EXPORT_SUPPORT: 1 << 4,
  BIG_WRITES: 1 << 5,
  DONT_MASK: 1 << 6,
  SPLICE_WRITE: 1 << 7,
  SPLICE_MOVE: 1 << 8,
  SPLICE_READ: 1 << 9,
  FLOCK_LOCKS: 1 << 10,
  HAS_IOCTL_DIR: 1 << 11,
  AUTO_INVAL_DATA: 1 << 12,
  DO_READDIRPLUS: 1 << 13,
  READDIRPLUS_AUTO: 1 << 14,
  ASYNC_DIO: 1 << 15,
  WRITEBACK_CACHE: 1 << 16,
  NO_OPEN_SUPPORT: 1 << 17,
  PARALLEL_DIROPS: 1 << 18,
  HANDLE_KILLPRIV: 1 << 19,
  POSIX_ACL: 1 << 20,
  ABORT_ERROR: 1 << 21,
  MAX_PAGES: 1 << 22,
  CACHE_SYMLINKS: 1 << 23,
  NO_OPENDIR_SUPPORT: 1 << 24,
  EXPLICIT_INVAL_DATA: 1 << 25,
  MAP_ALIGNMENT: 1 << 26,
  SUBMOUNTS: 1 << 27,
  HANDLE_KILLPRIV_V2: 1 << 28,
  SETXATTR_EXT: 1 << 29,
  INIT_EXT: 1 << 30,
} as const;

/** fuse_open_out.open_flags (FOPEN_*). */
export const Fopen = {
  DIRECT_IO: 1 << 0,
  KEEP_CACHE: 1 << 1,
  NONSEEKABLE: 1 << 2,
  CACHE_DIR: 1 << 3,
  STREAM: 1 << 4,
  NOFLUSH: 1 << 5,
  PARALLEL_DIRECT_WRITES: 1 << 6,
} as const;

/** fuse_setattr_in.valid (FATTR_*). */
export const Fattr = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  LOCKOWNER: 1 << 9,
  CTIME: 1 << 10,
  KILL_SUIDGID: 1 << 11,
} as const;

/** fuse_getattr_in.getattr_flags: FUSE_GETATTR_FH (the fh field is valid). */
export const FUSE_GETATTR_FH = 1 << 0;
/** fuse_write_in.write_flags: FUSE_WRITE_CACHE (a delayed write from the page cache; fh is guessed). */
export const FUSE_WRITE_CACHE = 1 << 0;
/** fuse_fsync_in.fsync_flags: FUSE_FSYNC_FDATASYNC. */
export const FUSE_FSYNC_FDATASYNC = 1 << 0;

/** Offset of the name in struct fuse_dirent (FUSE_NAME_OFFSET). */
export const FUSE_NAME_OFFSET = 24;

/** FUSE_DIRENT_ALIGN / FUSE_REC_ALIGN: records are padded to 8 bytes. */
export function fuseDirentAlign(n: number): number {
  return (n + 7) & ~7;
}

/** Directory entry types of fuse_dirent.type (DT_*, as getdents reports them). */
export const DirentType = {
  UNKNOWN: 0,
  FIFO: 1,
  CHR: 2,
  DIR: 4,
  BLK: 6,
  REG: 8,
  LNK: 10,
  SOCK: 12,
  WHT: 14,
} as const;

/** Linux file type bits of a mode (S_IF*), as fuse_attr.mode carries them. */
export const SIfmt = {
  MASK: 0o170000,
  SOCK: 0o140000,
  LNK: 0o120000,
  REG: 0o100000,
  BLK: 0o060000,
  DIR: 0o040000,
  CHR: 0o020000,
  FIFO: 0o010000,
} as const;

/** rename2 flags (RENAME_*). */
export const RenameFlag = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;
