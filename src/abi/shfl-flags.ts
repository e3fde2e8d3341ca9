// Shared Folders constants: handles and roots, limits, and the flag words of CREATE, INFORMATION, LOCK,
// RENAME, REMOVE, LIST, QUERY_MAPPINGS and QUERY_MAP_INFO; models include/VBox/shflsvc.h.

/** `SHFL_HANDLE_NIL`: no handle. */
export const SHFL_HANDLE_NIL = 0xffffffffffffffffn;
/** `SHFL_HANDLE_ROOT`: never a valid object handle (old additions sent it). */
export const SHFL_HANDLE_ROOT = 0n;
/** `SHFL_ROOT_NIL`. */
export const SHFL_ROOT_NIL = 0xffffffff;
/** `SHFL_MAX_MAPPINGS`: shares a host may offer. */
export const SHFL_MAX_MAPPINGS = 64;
/** `SHFLHANDLE_MAX`: entries of the host's handle table (entry 0 is never used). */
export const SHFLHANDLE_MAX = 4096;
/** `SHFL_FEATURE_WRITE_UPDATES_OFFSET`: WRITE returns the offset after the write. */
export const SHFL_FEATURE_WRITE_UPDATES_OFFSET = 0x1n;

/** `SHFL_CF_*`: SHFLCREATEPARMS.CreateFlags. Zero means open-if-exists, create-if-new, read access. */
export const ShflCreate = {
  LOOKUP: 0x1,
  OPEN_TARGET_DIRECTORY: 0x2,
  DIRECTORY: 0x4,
  ACT_MASK_IF_EXISTS: 0xf0,
  ACT_OPEN_IF_EXISTS: 0x00,
  ACT_FAIL_IF_EXISTS: 0x10,
  ACT_REPLACE_IF_EXISTS: 0x20,
  ACT_OVERWRITE_IF_EXISTS: 0x30,
  ACT_MASK_IF_NEW: 0xf00,
  ACT_CREATE_IF_NEW: 0x000,
  ACT_FAIL_IF_NEW: 0x100,
  ACCESS_MASK_RW: 0x3000,
  ACCESS_NONE: 0x0000,
  ACCESS_READ: 0x1000,
  ACCESS_WRITE: 0x2000,
  ACCESS_READWRITE: 0x3000,
  ACCESS_MASK_DENY: 0xc000,
  ACCESS_MASK_ATTR: 0x30000,
  ACCESS_ATTR_READ: 0x10000,
  ACCESS_ATTR_WRITE: 0x20000,
  ACCESS_APPEND: 0x40000,
} as const;

/** `SHFLCREATERESULT`: SHFLCREATEPARMS.Result. */
export const ShflResult = {
  NO_RESULT: 0,
  PATH_NOT_FOUND: 1,
  FILE_NOT_FOUND: 2,
  FILE_EXISTS: 3,
  FILE_CREATED: 4,
  FILE_REPLACED: 5,
} as const;

/** `SHFL_INFO_*`: INFORMATION flags. */
export const ShflInfo = { GET: 0x0, SET: 0x1, NAME: 0x2, SIZE: 0x4, FILE: 0x8, VOLUME: 0x10 } as const;

/** `SHFL_LOCK_*`: LOCK flags. */
export const ShflLock = {
  MODE_MASK: 0x3,
  CANCEL: 0x0,
  SHARED: 0x1,
  EXCLUSIVE: 0x2,
  WAIT: 0x4,
  ENTIRE: 0x8,
} as const;

/** `SHFL_RENAME_*`. */
export const ShflRename = { FILE: 0x1, DIR: 0x2, REPLACE_IF_EXISTS: 0x4 } as const;
/** `SHFL_REMOVE_*`. */
export const ShflRemove = { FILE: 0x1, DIR: 0x2, SYMLINK: 0x4 } as const;
/** `SHFL_LIST_*`. */
export const ShflList = { NONE: 0, RETURN_ONE: 1, RESTART: 2 } as const;
/** `SHFL_MF_*`: QUERY_MAPPINGS flags. */
export const ShflMappingsFlag = { UCS2: 0x0, UTF8: 0x1, AUTOMOUNT: 0x10, MASK: 0x11 } as const;
/** `SHFL_MS_*`: SHFLMAPPING.u32Status. */
export const ShflMappingStatus = { NEW: 1, DELETED: 2 } as const;
/** `SHFL_MIQF_*`: QUERY_MAP_INFO query flags (in). */
export const ShflMapInfoQuery = { DRIVE_LETTER: 0x1n, PATH: 0x2n } as const;
/** `SHFL_MIF_*`: QUERY_MAP_INFO result flags (out). */
export const ShflMapInfo = {
  WRITABLE: 0x1n,
  AUTO_MOUNT: 0x2n,
  HOST_ICASE: 0x4n,
  GUEST_ICASE: 0x8n,
  SYMLINK_CREATION: 0x10n,
} as const;
/** `SHFL_ERROR_STYLE_*` / kShflErrorStyle_*. The native style of a POSIX host is LINUX. */
export const ShflErrorStyle = { INVALID: 0, WINDOWS: 1, LINUX: 2, END: 3 } as const;

/** Host-side functions (svcHostCall, HGCMHostCall from Main); a guest can never call them. */
export const ShflHostFn = { ADD_MAPPING: 1, REMOVE_MAPPING: 2, SET_STATUS_LED: 3 } as const;
/** `SHFL_CPARMS_ADD_MAPPING` (7.1: host path, name, flags, auto-mount point, symlink policy). */
export const SHFL_CPARMS_ADD_MAPPING = 5;
/** `SHFL_CPARMS_REMOVE_MAPPING`: the share name. */
export const SHFL_CPARMS_REMOVE_MAPPING = 1;
/** `SHFL_ADD_MAPPING_F_*`. MISSING: the host folder does not exist (yet); paths answer VERR_NOT_FOUND. */
export const ShflAddMapping = { WRITABLE: 0x1, AUTOMOUNT: 0x2, CREATE_SYMLINKS: 0x4, MISSING: 0x8 } as const;
/**
 * `SymlinkPolicy_T` (Main, VirtualBox 7.1): what targets a guest may give a new symlink. NONE is the
 * historical behaviour (any target), as ANY.
 */
export const SymlinkPolicy = {
  NONE: 0,
  FORBIDDEN: 1,
  ALLOWED_IN_SHARE_SUBTREE: 2,
  ALLOWED_TO_RELATIVE_TARGETS: 3,
  ALLOWED_TO_ANY_TARGET: 4,
} as const;
/** One SymlinkPolicy value. */
export type SymlinkPolicyValue = (typeof SymlinkPolicy)[keyof typeof SymlinkPolicy];
