// The Shared Folders protocol as data: function numbers and the one declarative function table (parameters,
// types, directions, how upstream refuses a bad count or type); models include/VBox/shflsvc.h and the
// parameter checks of svcCall in VBoxSharedFoldersSvc.cpp (the flag words are in shfl-flags.ts). The guest
// builder (vboxsf/wrappers.ts), the host validator (vbsf/dispatch.ts) and docs/SHFL.md all read
// SHFL_FUNCTIONS. Data and pure functions, used on every thread.

/** `SHFL_FN_*`: guest function numbers. There is no function 10. */
export const ShflFn = {
  QUERY_MAPPINGS: 1,
  QUERY_MAP_NAME: 2,
  CREATE: 3,
  CLOSE: 4,
  READ: 5,
  WRITE: 6,
  LOCK: 7,
  LIST: 8,
  INFORMATION: 9,
  REMOVE: 11,
  MAP_FOLDER_OLD: 12,
  UNMAP_FOLDER: 13,
  RENAME: 14,
  FLUSH: 15,
  SET_UTF8: 16,
  MAP_FOLDER: 17,
  READLINK: 18,
  SYMLINK: 19,
  SET_SYMLINKS: 20,
  QUERY_MAP_INFO: 21,
  WAIT_FOR_MAPPINGS_CHANGES: 22,
  CANCEL_MAPPINGS_CHANGES_WAITS: 23,
  SET_FILE_SIZE: 24,
  QUERY_FEATURES: 25,
  COPY_FILE: 26,
  COPY_FILE_PART: 27,
  CLOSE_AND_REMOVE: 28,
  SET_ERROR_STYLE: 29,
} as const;

/** A SHFL function name. */
export type ShflFnName = keyof typeof ShflFn;
/** A SHFL function number. */
export type ShflFnValue = (typeof ShflFn)[ShflFnName];

/** `SHFL_FN_LAST`: what QUERY_FEATURES reports as the last function. */
export const SHFL_FN_LAST = 29;

/**
 * How a parameter travels: a 32-bit value (HGCM type 1), a 64-bit value (type 2), a buffer the service
 * sees as VBOX_HGCM_SVC_PARM_PTR, or (READ/WRITE only) a buffer that may also be a no-bounce page list
 * (VBOX_HGCM_SVC_PARM_PAGES).
 */
export type ShflParmType = 'u32' | 'u64' | 'ptr' | 'ptrOrPages';

/** Which way the data goes: the guest builder picks LinAddr_In / _Out / LinAddr from this. */
export type ShflParmDir = 'in' | 'out' | 'inout';

/** One parameter of a SHFL function. */
export interface ShflParm {
  readonly name: string;
  readonly type: ShflParmType;
  readonly dir: ShflParmDir;
  readonly doc: string;
}

/**
 * How upstream refuses a wrong parameter count or type: the functions of the first protocol versions
 * answer VERR_INVALID_PARAMETER, the later ones VERR_WRONG_PARAMETER_COUNT / VERR_WRONG_PARAMETER_TYPE;
 * SET_UTF8 and SET_SYMLINKS check nothing at all.
 */
export type ShflCheckStyle = 'invalid-parameter' | 'wrong-count-type' | 'unchecked';

/** One row of the function table. */
export interface ShflFunction {
  readonly fn: ShflFnValue;
  readonly name: ShflFnName;
  /** VirtualBox version that introduced it (as far as the headers tell). */
  readonly since: string;
  readonly check: ShflCheckStyle;
  /** Completes later (VINF_HGCM_ASYNC_EXECUTE); every other function completes inside svcCall. */
  readonly async: boolean;
  readonly parms: readonly ShflParm[];
  readonly doc: string;
}

const u32 = (name: string, dir: ShflParmDir, doc: string): ShflParm => ({ name, type: 'u32', dir, doc });
const u64 = (name: string, dir: ShflParmDir, doc: string): ShflParm => ({ name, type: 'u64', dir, doc });
const ptr = (name: string, dir: ShflParmDir, doc: string): ShflParm => ({ name, type: 'ptr', dir, doc });
const root = u32('root', 'in', 'SHFLROOT from MAP_FOLDER');
const handle = u64('handle', 'in', 'SHFLHANDLE from CREATE');

function row(
  name: ShflFnName,
  since: string,
  check: ShflCheckStyle,
  parms: readonly ShflParm[],
  doc: string,
  async = false,
): ShflFunction {
  return Object.freeze({ fn: ShflFn[name], name, since, check, async, parms: Object.freeze(parms), doc });
}

const OLD = 'invalid-parameter';
const NEW = 'wrong-count-type';

/** The function table, in function-number order. */
export const SHFL_FUNCTIONS: readonly ShflFunction[] = Object.freeze([
  row(
    'QUERY_MAPPINGS',
    '1.x',
    OLD,
    [
      u32('flags', 'in', 'SHFL_MF_*'),
      u32('count', 'inout', 'in: room in the array; out: mappings there are'),
      ptr('mappings', 'out', 'SHFLMAPPING[count]'),
    ],
    'List the roots; VINF_BUFFER_OVERFLOW if there are more than room.',
  ),
  row(
    'QUERY_MAP_NAME',
    '1.x',
    OLD,
    [root, ptr('name', 'inout', 'SHFLSTRING receiving the share name')],
    'Name of a root.',
  ),
  row(
    'CREATE',
    '1.x',
    OLD,
    [root, ptr('path', 'in', 'SHFLSTRING'), ptr('parms', 'inout', 'SHFLCREATEPARMS (108 bytes)')],
    'Look up, open or create a file or directory (the create decision table).',
  ),
  row('CLOSE', '1.x', OLD, [root, handle], 'Close a handle.'),
  row(
    'READ',
    '1.x',
    NEW,
    [
      root,
      handle,
      u64('offset', 'in', 'file offset'),
      u32('count', 'inout', 'in: bytes wanted; out: bytes read'),
      { name: 'buffer', type: 'ptrOrPages', dir: 'out', doc: 'data' },
    ],
    'Positional read; short at end of file.',
  ),
  row(
    'WRITE',
    '1.x',
    NEW,
    [
      root,
      handle,
      u64('offset', 'inout', 'in: file offset; out: offset after the write (end of file for append)'),
      u32('count', 'inout', 'in: bytes to write; out: bytes written'),
      { name: 'buffer', type: 'ptrOrPages', dir: 'in', doc: 'data' },
    ],
    'Positional write (append handles write at the end).',
  ),
  row(
    'LOCK',
    '1.x',
    OLD,
    [
      root,
      handle,
      u64('offset', 'in', 'range start'),
      u64('length', 'in', 'range length'),
      u32('flags', 'in', 'SHFL_LOCK_*'),
    ],
    'Byte-range lock or unlock (accepted and not enforced on POSIX hosts).',
  ),
  row(
    'LIST',
    '1.x',
    OLD,
    [
      root,
      u64('handle', 'in', 'directory handle'),
      u32('flags', 'in', 'SHFL_LIST_*'),
      u32('count', 'inout', 'in: buffer bytes to use (>= 128); out: bytes filled'),
      ptr('path', 'in', 'optional wildcard SHFLSTRING (size 0 = none)'),
      ptr('buffer', 'out', 'packed SHFLDIRINFO records'),
      u32('resume', 'inout', 'out: 0 = listing complete, 1 = more'),
      u32('files', 'out', 'records returned'),
    ],
    'Directory listing, resumable.',
  ),
  row(
    'INFORMATION',
    '1.x',
    OLD,
    [
      root,
      handle,
      u32('flags', 'in', 'SHFL_INFO_*'),
      u32('count', 'inout', 'in: buffer bytes; out: bytes used'),
      ptr('info', 'inout', 'SHFLFSOBJINFO or SHFLVOLINFO'),
    ],
    'Get or set object information, set the size, get volume information.',
  ),
  row(
    'REMOVE',
    '1.x',
    NEW,
    [root, ptr('path', 'in', 'SHFLSTRING'), u32('flags', 'in', 'SHFL_REMOVE_*')],
    'Remove a file, directory or symlink.',
  ),
  row(
    'MAP_FOLDER_OLD',
    '1.x',
    OLD,
    [
      ptr('name', 'in', 'share name SHFLSTRING'),
      u32('root', 'out', 'SHFLROOT'),
      u32('delimiter', 'in', "'/' or '\\\\'"),
    ],
    'Map a share (case-insensitive guest).',
  ),
  row('UNMAP_FOLDER', '1.x', OLD, [root], 'Unmap a share.'),
  row(
    'RENAME',
    '1.x',
    OLD,
    [
      root,
      ptr('src', 'in', 'SHFLSTRING'),
      ptr('dst', 'in', 'SHFLSTRING'),
      u32('flags', 'in', 'SHFL_RENAME_*'),
    ],
    'Rename or move within one share.',
  ),
  row('FLUSH', '1.x', OLD, [root, handle], 'Flush a file to disk.'),
  row('SET_UTF8', '1.x', 'unchecked', [], 'Switch the client to UTF-8 strings.'),
  row(
    'MAP_FOLDER',
    '1.x',
    OLD,
    [
      ptr('name', 'in', 'share name SHFLSTRING'),
      u32('root', 'out', 'SHFLROOT'),
      u32('delimiter', 'in', "'/' or '\\\\'"),
      u32('caseSensitive', 'in', 'guest is case-sensitive'),
    ],
    'Map a share.',
  ),
  row(
    'READLINK',
    '4.0',
    OLD,
    [root, ptr('path', 'in', 'SHFLSTRING'), ptr('buffer', 'out', 'UTF-8 target, NUL-terminated')],
    'Read a symlink target.',
  ),
  row(
    'SYMLINK',
    '4.0',
    OLD,
    [
      root,
      ptr('path', 'in', 'SHFLSTRING of the new link'),
      ptr('target', 'in', 'SHFLSTRING target text'),
      ptr('info', 'out', 'SHFLFSOBJINFO (92 bytes) of the new link'),
    ],
    'Create a symlink (if the mapping allows it).',
  ),
  row('SET_SYMLINKS', '4.0', 'unchecked', [], 'Report symlinks as symlinks instead of following them.'),
  row(
    'QUERY_MAP_INFO',
    '6.0',
    OLD,
    [
      root,
      ptr('name', 'inout', 'SHFLSTRING receiving the share name'),
      ptr('mountPoint', 'inout', 'SHFLSTRING receiving the auto-mount point'),
      u64('flags', 'inout', 'in: SHFL_MIQF_*; out: SHFL_MIF_*'),
      u32('version', 'out', 'root id version'),
    ],
    'Name, mount point and flags of a root.',
  ),
  row(
    'WAIT_FOR_MAPPINGS_CHANGES',
    '6.0',
    OLD,
    [u32('version', 'inout', 'in: mappings version seen; out: current version')],
    'Wait until the mappings change (asynchronous).',
    true,
  ),
  row(
    'CANCEL_MAPPINGS_CHANGES_WAITS',
    '6.0',
    OLD,
    [],
    "Complete this client's mapping waits with VERR_CANCELLED.",
  ),
  row(
    'SET_FILE_SIZE',
    '6.0',
    NEW,
    [root, handle, u64('size', 'in', 'new size')],
    'Truncate or extend a file.',
  ),
  row(
    'QUERY_FEATURES',
    '6.0.6',
    NEW,
    [u64('features', 'out', 'SHFL_FEATURE_*'), u32('lastFunction', 'out', 'SHFL_FN_LAST')],
    'Host features and the last function number.',
  ),
  row(
    'COPY_FILE',
    '6.0.6',
    NEW,
    [
      u32('rootSrc', 'in', 'source SHFLROOT'),
      ptr('pathSrc', 'in', 'SHFLSTRING'),
      u32('rootDst', 'in', 'destination SHFLROOT'),
      ptr('pathDst', 'in', 'SHFLSTRING'),
      u32('flags', 'in', 'must be 0'),
    ],
    'Copy a file to a new name.',
  ),
  row(
    'COPY_FILE_PART',
    '6.0.6',
    NEW,
    [
      u32('rootSrc', 'in', 'source SHFLROOT'),
      u64('handleSrc', 'in', 'source file handle'),
      u64('offSrc', 'in', 'source offset'),
      u32('rootDst', 'in', 'destination SHFLROOT'),
      u64('handleDst', 'in', 'destination file handle'),
      u64('offDst', 'in', 'destination offset'),
      u64('count', 'inout', 'in: bytes to copy; out: bytes copied'),
      u32('flags', 'in', 'must be 0'),
    ],
    'Copy a range between two open files.',
  ),
  row(
    'CLOSE_AND_REMOVE',
    '6.0.8',
    NEW,
    [
      root,
      ptr('path', 'in', 'SHFLSTRING'),
      u32('flags', 'in', 'SHFL_REMOVE_*'),
      u64('handle', 'in', 'handle to close first (NIL: none)'),
    ],
    'Close a handle, then remove the path.',
  ),
  row(
    'SET_ERROR_STYLE',
    '6.0.10',
    NEW,
    [u32('style', 'in', 'SHFL_ERROR_STYLE_*'), u32('reserved', 'in', 'must be 0')],
    'Choose Windows- or Linux-flavoured error statuses.',
  ),
]);

/** The table row of a function number, or undefined for numbers upstream does not dispatch. */
export function shflFunction(fn: number): ShflFunction | undefined {
  return SHFL_BY_NUMBER.get(fn);
}

const SHFL_BY_NUMBER: ReadonlyMap<number, ShflFunction> = new Map(SHFL_FUNCTIONS.map((f) => [f.fn, f]));
