// The FUSE kernel protocol's wire structs as data, sizes pinned; models include/uapi/linux/fuse.h (7.38).
// Direction in the comments is the kernel's: IN is what /dev/fuse hands the server, OUT what it replies.
// test/abi/layout-fuse.test.ts holds every size and offset against the system's header.
import { defineStruct } from './layout.js';

/** IN: struct fuse_in_header, before every request. */
export const fuse_in_header = defineStruct('fuse_in_header', 40, {
  len: [0, 'u32'],
  opcode: [4, 'u32'],
  unique: [8, 'u64'],
  nodeid: [16, 'u64'],
  uid: [24, 'u32'],
  gid: [28, 'u32'],
  pid: [32, 'u32'],
  /** Length of extensions after the request, in 8-byte units. */
  total_extlen: [36, 'u16'],
  padding: [38, 'u16'],
});

/** OUT: struct fuse_out_header, before every reply. */
export const fuse_out_header = defineStruct('fuse_out_header', 16, {
  len: [0, 'u32'],
  /** 0 or a negative errno. */
  error: [4, 'i32'],
  unique: [8, 'u64'],
});

/** OUT: struct fuse_attr. */
export const fuse_attr = defineStruct('fuse_attr', 88, {
  ino: [0, 'u64'],
  size: [8, 'u64'],
  blocks: [16, 'u64'],
  atime: [24, 'u64'],
  mtime: [32, 'u64'],
  ctime: [40, 'u64'],
  atimensec: [48, 'u32'],
  mtimensec: [52, 'u32'],
  ctimensec: [56, 'u32'],
  mode: [60, 'u32'],
  nlink: [64, 'u32'],
  uid: [68, 'u32'],
  gid: [72, 'u32'],
  rdev: [76, 'u32'],
  blksize: [80, 'u32'],
  flags: [84, 'u32'],
});

/** OUT: struct fuse_entry_out (LOOKUP, CREATE, MKDIR, SYMLINK, MKNOD, LINK). */
export const fuse_entry_out = defineStruct('fuse_entry_out', 128, {
  nodeid: [0, 'u64'],
  generation: [8, 'u64'],
  entry_valid: [16, 'u64'],
  attr_valid: [24, 'u64'],
  entry_valid_nsec: [32, 'u32'],
  attr_valid_nsec: [36, 'u32'],
  attr: [40, 'bytes', 88],
});

/** IN: struct fuse_forget_in (FORGET). */
export const fuse_forget_in = defineStruct('fuse_forget_in', 8, { nlookup: [0, 'u64'] });

/** IN: struct fuse_forget_one, `count` of them after fuse_batch_forget_in. */
export const fuse_forget_one = defineStruct('fuse_forget_one', 16, {
  nodeid: [0, 'u64'],
  nlookup: [8, 'u64'],
});

/** IN: struct fuse_batch_forget_in (BATCH_FORGET). */
export const fuse_batch_forget_in = defineStruct('fuse_batch_forget_in', 8, {
  count: [0, 'u32'],
  dummy: [4, 'u32'],
});

/** IN: struct fuse_getattr_in. */
export const fuse_getattr_in = defineStruct('fuse_getattr_in', 16, {
  getattr_flags: [0, 'u32'],
  dummy: [4, 'u32'],
  fh: [8, 'u64'],
});

/** OUT: struct fuse_attr_out (GETATTR, SETATTR). */
export const fuse_attr_out = defineStruct('fuse_attr_out', 104, {
  attr_valid: [0, 'u64'],
  attr_valid_nsec: [8, 'u32'],
  dummy: [12, 'u32'],
  attr: [16, 'bytes', 88],
});

/** IN: struct fuse_mknod_in. */
export const fuse_mknod_in = defineStruct('fuse_mknod_in', 16, {
  mode: [0, 'u32'],
  rdev: [4, 'u32'],
  umask: [8, 'u32'],
  padding: [12, 'u32'],
});

/** IN: struct fuse_mkdir_in (the name follows). */
export const fuse_mkdir_in = defineStruct('fuse_mkdir_in', 8, { mode: [0, 'u32'], umask: [4, 'u32'] });

/** IN: struct fuse_rename_in (old name, NUL, new name, NUL follow). */
export const fuse_rename_in = defineStruct('fuse_rename_in', 8, { newdir: [0, 'u64'] });

/** IN: struct fuse_rename2_in. */
export const fuse_rename2_in = defineStruct('fuse_rename2_in', 16, {
  newdir: [0, 'u64'],
  flags: [8, 'u32'],
  padding: [12, 'u32'],
});

/** IN: struct fuse_link_in. */
export const fuse_link_in = defineStruct('fuse_link_in', 8, { oldnodeid: [0, 'u64'] });

/** IN: struct fuse_setattr_in. */
export const fuse_setattr_in = defineStruct('fuse_setattr_in', 88, {
  /** FATTR_* bits saying which fields are set. */
  valid: [0, 'u32'],
  padding: [4, 'u32'],
  fh: [8, 'u64'],
  size: [16, 'u64'],
  lock_owner: [24, 'u64'],
  atime: [32, 'u64'],
  mtime: [40, 'u64'],
  ctime: [48, 'u64'],
  atimensec: [56, 'u32'],
  mtimensec: [60, 'u32'],
  ctimensec: [64, 'u32'],
  mode: [68, 'u32'],
  unused4: [72, 'u32'],
  uid: [76, 'u32'],
  gid: [80, 'u32'],
  unused5: [84, 'u32'],
});

/** IN: struct fuse_open_in (OPEN, OPENDIR). */
export const fuse_open_in = defineStruct('fuse_open_in', 8, { flags: [0, 'u32'], open_flags: [4, 'u32'] });

/** IN: struct fuse_create_in (CREATE; the name follows). */
export const fuse_create_in = defineStruct('fuse_create_in', 16, {
  flags: [0, 'u32'],
  mode: [4, 'u32'],
  umask: [8, 'u32'],
  open_flags: [12, 'u32'],
});

/** OUT: struct fuse_open_out. */
export const fuse_open_out = defineStruct('fuse_open_out', 16, {
  fh: [0, 'u64'],
  /** FOPEN_* bits. */
  open_flags: [8, 'u32'],
  padding: [12, 'u32'],
});

/** IN: struct fuse_release_in (RELEASE, RELEASEDIR). */
export const fuse_release_in = defineStruct('fuse_release_in', 24, {
  fh: [0, 'u64'],
  flags: [8, 'u32'],
  release_flags: [12, 'u32'],
  lock_owner: [16, 'u64'],
});

/** IN: struct fuse_flush_in. */
export const fuse_flush_in = defineStruct('fuse_flush_in', 24, {
  fh: [0, 'u64'],
  unused: [8, 'u32'],
  padding: [12, 'u32'],
  lock_owner: [16, 'u64'],
});

/** IN: struct fuse_read_in (READ, READDIR). */
export const fuse_read_in = defineStruct('fuse_read_in', 40, {
  fh: [0, 'u64'],
  offset: [8, 'u64'],
  size: [16, 'u32'],
  read_flags: [20, 'u32'],
  lock_owner: [24, 'u64'],
  flags: [32, 'u32'],
  padding: [36, 'u32'],
});

/** IN: struct fuse_write_in (the data follows). */
export const fuse_write_in = defineStruct('fuse_write_in', 40, {
  fh: [0, 'u64'],
  offset: [8, 'u64'],
  size: [16, 'u32'],
  write_flags: [20, 'u32'],
  lock_owner: [24, 'u64'],
  flags: [32, 'u32'],
  padding: [36, 'u32'],
});

/** OUT: struct fuse_write_out. */
export const fuse_write_out = defineStruct('fuse_write_out', 8, { size: [0, 'u32'], padding: [4, 'u32'] });

/** OUT: struct fuse_kstatfs, the whole of struct fuse_statfs_out. */
export const fuse_kstatfs = defineStruct('fuse_kstatfs', 80, {
  blocks: [0, 'u64'],
  bfree: [8, 'u64'],
  bavail: [16, 'u64'],
  files: [24, 'u64'],
  ffree: [32, 'u64'],
  bsize: [40, 'u32'],
  namelen: [44, 'u32'],
  frsize: [48, 'u32'],
  padding: [52, 'u32'],
  spare: [56, 'bytes', 24],
});

/** IN: struct fuse_fsync_in (FSYNC, FSYNCDIR). */
export const fuse_fsync_in = defineStruct('fuse_fsync_in', 16, {
  fh: [0, 'u64'],
  fsync_flags: [8, 'u32'],
  padding: [12, 'u32'],
});

/** IN: struct fuse_access_in. */
export const fuse_access_in = defineStruct('fuse_access_in', 8, { mask: [0, 'u32'], padding: [4, 'u32'] });

/** IN: struct fuse_init_in. */
export const fuse_init_in = defineStruct('fuse_init_in', 64, {
  major: [0, 'u32'],
  minor: [4, 'u32'],
  max_readahead: [8, 'u32'],
  flags: [12, 'u32'],
  /** INIT flags 32..63, when FUSE_INIT_EXT is set. */
  flags2: [16, 'u32'],
  unused: [20, 'bytes', 44],
});

/** OUT: struct fuse_init_out. */
export const fuse_init_out = defineStruct('fuse_init_out', 64, {
  major: [0, 'u32'],
  minor: [4, 'u32'],
  max_readahead: [8, 'u32'],
  flags: [12, 'u32'],
  max_background: [16, 'u16'],
  congestion_threshold: [18, 'u16'],
  max_write: [20, 'u32'],
  /** Timestamp granularity in ns. */
  time_gran: [24, 'u32'],
  /** With FUSE_MAX_PAGES: pages in one request. */
  max_pages: [28, 'u16'],
  map_alignment: [30, 'u16'],
  flags2: [32, 'u32'],
  unused: [36, 'bytes', 28],
});

/** IN: struct fuse_interrupt_in. */
export const fuse_interrupt_in = defineStruct('fuse_interrupt_in', 8, { unique: [0, 'u64'] });

/** OUT: struct fuse_dirent, one READDIR record (the name follows at FUSE_NAME_OFFSET, padded to 8). */
export const fuse_dirent = defineStruct('fuse_dirent', 24, {
  ino: [0, 'u64'],
  /** The offset to pass back to READDIR to continue after this entry. */
  off: [8, 'u64'],
  namelen: [16, 'u32'],
  type: [20, 'u32'],
});
