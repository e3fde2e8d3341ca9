// Shared Folders wire structs and IPRT file-mode bits as data; models include/VBox/shflsvc.h (sizes as
// asserted by tstShflSizes.cpp) and include/iprt/fs.h / include/iprt/time.h.
import { defineStruct } from './layout.js';

/** Bytes of the SHFLSTRING header (u16Size, u16Length) before the characters. */
export const SHFLSTRING_HEADER_SIZE = 4;
/** `SHFL_MAX_LEN`: the longest share name the host reports (characters). */
export const SHFL_MAX_LEN = 256;

/** SHFLSTRING: `u16Size` bytes of characters follow the header (sizeof is 6 with the union). */
export const SHFLSTRING = defineStruct('SHFLSTRING', 6, {
  /** Bytes allocated for String (terminator included). */
  u16Size: [0, 'u16'],
  /** Bytes of the string without the terminator. */
  u16Length: [2, 'u16'],
  /** UTF-8 or UTF-16 characters, NUL-terminated. */
  String: [4, 'bytes', 2],
});

/** `RTFSOBJATTRADD`: which additional attributes SHFLFSOBJATTR carries. */
export const RtFsObjAttrAdd = { NOTHING: 1, UNIX: 2, EASIZE: 3 } as const;

/** SHFLFSOBJATTR (44 bytes, pack 1): mode, then the UNIX additional attributes. */
export const SHFLFSOBJATTR = defineStruct('SHFLFSOBJATTR', 44, {
  fMode: [0, 'u32'],
  enmAdditional: [4, 'u32'],
  uid: [8, 'u32'],
  gid: [12, 'u32'],
  cHardlinks: [16, 'u32'],
  INodeIdDevice: [20, 'u32'],
  INodeId: [24, 'u64'],
  fFlags: [32, 'u32'],
  GenerationId: [36, 'u32'],
  Device: [40, 'u32'],
  /** The EASIZE variant of the union. */
  easizeCb: [8, 'i64'],
});

/** SHFLFSOBJINFO (92 bytes, pack 1): sizes, RTTIMESPEC times (ns since 1970), attributes. */
export const SHFLFSOBJINFO = defineStruct('SHFLFSOBJINFO', 92, {
  cbObject: [0, 'i64'],
  cbAllocated: [8, 'i64'],
  AccessTime: [16, 'i64'],
  ModificationTime: [24, 'i64'],
  ChangeTime: [32, 'i64'],
  BirthTime: [40, 'i64'],
  /** SHFLFSOBJATTR. */
  Attr: [48, 'bytes', 44],
});

/** SHFLCREATEPARMS (108 bytes, pack 1). */
export const SHFLCREATEPARMS = defineStruct('SHFLCREATEPARMS', 108, {
  /** IN: NIL from current additions (0 from very old ones); OUT: the new handle or NIL. */
  Handle: [0, 'u64'],
  /** OUT: SHFLCREATERESULT. */
  Result: [8, 'u32'],
  /** IN: SHFL_CF_*; the host may add DIRECTORY. */
  CreateFlags: [12, 'u32'],
  /** IN: mode and size for a new file; OUT: the object's information. */
  Info: [16, 'bytes', 92],
});

/** SHFLDIRINFO (128 bytes with a 2-byte name; variable): one LIST record. Stride = 126 + name.u16Size. */
export const SHFLDIRINFO = defineStruct('SHFLDIRINFO', 128, {
  /** SHFLFSOBJINFO. */
  Info: [0, 'bytes', 92],
  cucShortName: [92, 'u16'],
  /** UTF-16, 14 units. */
  uszShortName: [94, 'bytes', 28],
  /** SHFLSTRING: u16Size @122, u16Length @124, String @126. */
  name: [122, 'bytes', 6],
  nameSize: [122, 'u16'],
  nameLength: [124, 'u16'],
});

/** Offset of the name's characters in a SHFLDIRINFO record. */
export const SHFLDIRINFO_NAME_OFFSET = 126;

/** SHFLFSPROPERTIES (12 bytes). */
export const SHFLFSPROPERTIES = defineStruct('SHFLFSPROPERTIES', 12, {
  cbMaxComponent: [0, 'u32'],
  fRemote: [4, 'u8'],
  fCaseSensitive: [5, 'u8'],
  fReadOnly: [6, 'u8'],
  fSupportsUnicode: [7, 'u8'],
  fCompressed: [8, 'u8'],
  fFileCompression: [9, 'u8'],
});

/** SHFLVOLINFO (40 bytes). */
export const SHFLVOLINFO = defineStruct('SHFLVOLINFO', 40, {
  ullTotalAllocationBytes: [0, 'i64'],
  ullAvailableAllocationBytes: [8, 'i64'],
  ulBytesPerAllocationUnit: [16, 'u32'],
  ulBytesPerSector: [20, 'u32'],
  ulSerial: [24, 'u32'],
  /** SHFLFSPROPERTIES. */
  fsProperties: [28, 'bytes', 12],
});

/** SHFLMAPPING (8 bytes): one QUERY_MAPPINGS entry. */
export const SHFLMAPPING = defineStruct('SHFLMAPPING', 8, {
  /** SHFL_MS_*. */
  u32Status: [0, 'u32'],
  root: [4, 'u32'],
});

/** `RTFS_*` mode bits: UNIX permissions and type in the low 16 bits, DOS attributes shifted by 16. */
export const RtFs = {
  UNIX_MASK: 0xffff,
  UNIX_ALL_PERMS: 0o777,
  UNIX_IRWXU: 0o700,
  UNIX_IRUSR: 0o400,
  UNIX_IWUSR: 0o200,
  UNIX_IXUSR: 0o100,
  UNIX_IRGRP: 0o040,
  UNIX_IWGRP: 0o020,
  UNIX_IXGRP: 0o010,
  UNIX_IROTH: 0o004,
  UNIX_IWOTH: 0o002,
  UNIX_IXOTH: 0o001,
  UNIX_ISUID: 0o4000,
  UNIX_ISGID: 0o2000,
  UNIX_ISTXT: 0o1000,
  TYPE_MASK: 0o170000,
  TYPE_FIFO: 0o010000,
  TYPE_DEV_CHAR: 0o020000,
  TYPE_DIRECTORY: 0o040000,
  TYPE_DEV_BLOCK: 0o060000,
  TYPE_FILE: 0o100000,
  TYPE_SYMLINK: 0o120000,
  TYPE_SOCKET: 0o140000,
  DOS_MASK: 0xffff0000,
  DOS_READONLY: 0x00010000,
  DOS_HIDDEN: 0x00020000,
  DOS_SYSTEM: 0x00040000,
  DOS_DIRECTORY: 0x00100000,
  DOS_ARCHIVED: 0x00200000,
  DOS_NT_NORMAL: 0x00800000,
  DOS_NT_REPARSE_POINT: 0x04000000,
} as const;
