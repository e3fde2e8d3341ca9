// The three outcomes of SHFL_FN_CREATE once the path is known: look up, open or create a file, open or
// create a directory; models vbsfLookupFile, vbsfOpenFile (with vbsfConvertFileOpenFlags) and vbsfOpenDir
// (vbsf.cpp). The decision table is vbsf-semantics.md 3.2-3.5; confinement is confine.ts's.
import {
  RtFs,
  SHFL_HANDLE_NIL,
  ShflCreate,
  ShflErrorStyle,
  ShflResult,
  Status,
  type StatusCode,
} from '../abi/index.js';
import {
  MAX_WRITE_OFFSET,
  RtFileAction,
  rtDirCreateAt,
  rtFileClose,
  rtFileOpenAt,
  rtFileQueryInfo,
  rtFileSetSize,
  rtFsQuerySizes,
  isDirectory,
  type RtFileActionValue,
  type RtFileTaken,
} from '../runtime/iprt/index.js';
import type { Mapping } from './config.js';
import { isDirectoryPath, openDirTarget, resolve, statTarget, type Scope, type Target } from './confine.js';
import type { VbsfEnv } from './env.js';
import { FileFlag, HandleType } from './handles.js';
import type { CreateParms } from './objinfo.js';

/** What one CREATE works on. */
export interface CreateCtx {
  readonly env: VbsfEnv;
  readonly m: Mapping;
  readonly scope: Scope;
  readonly comps: readonly Uint8Array[];
  /** The path ended with a delimiter (GuestPath.dirSlash). */
  readonly dirSlash: boolean;
  readonly cp: CreateParms;
  /**
   * What the handler's own look-up found (fn/create.ts), when it names the same thing openFile's would:
   * the resolved name, and whether something is there. Saves a second walk and lstat per CREATE.
   */
  readonly seen?: { readonly target: Target; readonly exists: boolean };
}

/** The Windows error style turns "a parent is missing" into "path not found" (on a POSIX host). */
function windows(c: CreateCtx): boolean {
  return c.env.client.errorStyle === ShflErrorStyle.WINDOWS;
}

/** vbsfLookupFile: stat only (following symlinks unless the client asked to see them). Handle is NIL. */
export function lookup(c: CreateCtx): StatusCode {
  c.cp.handle = SHFL_HANDLE_NIL;
  // stat("name/") follows a final symlink even for a client that asked to see symlinks (lstat does too).
  const t = resolve(c.scope, c.comps, {
    follow: c.env.follow || c.dirSlash,
    icase: c.env.icase(c.m),
    dirSlash: c.dirSlash,
  });
  const st = typeof t === 'number' ? { rc: t, info: undefined } : statTarget(t);
  if (st.info !== undefined) {
    c.cp.info = st.info;
    c.cp.result = ShflResult.FILE_EXISTS;
    return Status.VINF_SUCCESS;
  }
  if (st.rc === Status.VERR_FILE_NOT_FOUND) c.cp.result = ShflResult.FILE_NOT_FOUND;
  else if (st.rc === Status.VERR_PATH_NOT_FOUND) c.cp.result = ShflResult.PATH_NOT_FOUND;
  else return st.rc;
  return Status.VINF_SUCCESS;
}

/** vbsfConvertFileOpenFlags' action part; undefined for a combination upstream refuses. */
export function fileAction(flags: number): RtFileActionValue | undefined {
  const ifNew = flags & ShflCreate.ACT_MASK_IF_NEW;
  const create = ifNew === ShflCreate.ACT_CREATE_IF_NEW;
  const fail = ifNew === ShflCreate.ACT_FAIL_IF_NEW;
  switch (flags & ShflCreate.ACT_MASK_IF_EXISTS) {
    case ShflCreate.ACT_OPEN_IF_EXISTS:
      return create ? RtFileAction.OPEN_CREATE : fail ? RtFileAction.OPEN : undefined;
    case ShflCreate.ACT_FAIL_IF_EXISTS:
      return create ? RtFileAction.CREATE : undefined;
    case ShflCreate.ACT_REPLACE_IF_EXISTS:
    case ShflCreate.ACT_OVERWRITE_IF_EXISTS:
      return create ? RtFileAction.CREATE_REPLACE : fail ? RtFileAction.OPEN_TRUNCATE : undefined;
    default:
      return undefined;
  }
}

/**
 * Permissions for a new file from Info.Attr.fMode: DOS-only modes (Windows guests) become read for all,
 * write unless read-only; otherwise the UNIX bits masked to 0777 (0 gives IPRT's default 0600). Old
 * additions (input Handle 0) sent stack garbage here, so their mode is ignored.
 */
export function createMode(fMode: number, handleIn: bigint): number {
  if ((fMode & RtFs.DOS_MASK) !== 0 && (fMode & RtFs.UNIX_MASK) === 0) {
    return 0o444 | ((fMode & RtFs.DOS_READONLY) === 0 ? 0o222 : 0);
  }
  const mode = handleIn === 0n ? 0 : fMode & 0o777;
  return mode === 0 ? 0o600 : mode;
}

/**
 * The largest size REPLACE/OVERWRITE may give a file from Info.cbObject (beyond upstream, which sets any
 * size, a 1 TiB sparse file if asked): the share's maxCreateSize, never more than the host file system's
 * free space now, nor more than node:fs can reach (MAX_WRITE_OFFSET).
 */
function createSizeCap(m: Mapping, fd: number): bigint {
  const free = rtFsQuerySizes(fd).sizes?.availableBytes ?? 0n;
  let cap = free < MAX_WRITE_OFFSET ? free : MAX_WRITE_OFFSET;
  if (m.maxCreateSize !== undefined && m.maxCreateSize < cap) cap = m.maxCreateSize;
  return cap;
}

/** The action creates a missing file. */
function creates(action: RtFileActionValue): boolean {
  return action !== RtFileAction.OPEN && action !== RtFileAction.OPEN_TRUNCATE;
}

/** RTFILEACTION -> SHFLCREATERESULT ("truncated" is reported as replaced, as upstream). */
const TAKEN_RESULT: Readonly<Record<RtFileTaken, number>> = {
  opened: ShflResult.FILE_EXISTS,
  created: ShflResult.FILE_CREATED,
  replaced: ShflResult.FILE_REPLACED,
  truncated: ShflResult.FILE_REPLACED,
};

/** vbsfOpenFile: the file half of the decision table. */
export function openFile(c: CreateCtx): StatusCode {
  const { cp, env, m } = c;
  const flags = cp.flags;
  const action = fileAction(flags);
  const handleIn = cp.handle;
  cp.handle = SHFL_HANDLE_NIL;
  if (action === undefined) return Status.VERR_INVALID_PARAMETER;
  const access = flags & ShflCreate.ACCESS_MASK_RW;
  const read = access !== ShflCreate.ACCESS_WRITE;
  // A read-only share opens read-only whatever was asked (a write-only open then has no access at all).
  const write = m.writable && (access === ShflCreate.ACCESS_WRITE || access === ShflCreate.ACCESS_READWRITE);
  const append = (flags & ShflCreate.ACCESS_APPEND) !== 0;
  if (!read && !write) return Status.VERR_INVALID_PARAMETER;
  const index = env.w.handles.reserve(env.clientId, m.root, m.gen, HandleType.FILE);
  if (index < 0) return index;
  let fd = -1;
  try {
    // open("name/", O_CREAT) is EISDIR on Linux whether or not the name exists (once the parent resolves);
    // without O_CREAT an existing non-directory is ENOTDIR (resolve's dirSlash check).
    const createSlash = c.dirSlash && creates(action);
    const t =
      c.seen?.target ??
      resolve(c.scope, c.comps, {
        follow: true,
        icase: env.icase(m),
        dirSlash: c.dirSlash && !createSlash,
      });
    if (typeof t === 'number') {
      if (t === Status.VERR_FILE_NOT_FOUND)
        cp.result = windows(c) ? ShflResult.PATH_NOT_FOUND : ShflResult.FILE_NOT_FOUND;
      else if (t === Status.VERR_PATH_NOT_FOUND) cp.result = ShflResult.PATH_NOT_FOUND;
      else return t;
      return Status.VINF_SUCCESS;
    }
    if (t.kind === 'dir' || createSlash) return Status.VERR_IS_A_DIRECTORY;
    const o = rtFileOpenAt(t.dirFd, t.name, {
      read,
      write,
      append,
      action,
      mode: createMode(cp.infoIn.mode, handleIn),
      ...(c.seen === undefined ? {} : { exists: c.seen.exists }),
    });
    if (o.rc !== Status.VINF_SUCCESS) {
      // "Not found" and "exists" are answers, not errors: the guest reads Result (VBoxSF.sys relies on it).
      if (o.rc === Status.VERR_FILE_NOT_FOUND) cp.result = ShflResult.FILE_NOT_FOUND;
      else if (o.rc === Status.VERR_PATH_NOT_FOUND) cp.result = ShflResult.PATH_NOT_FOUND;
      else if (o.rc === Status.VERR_ALREADY_EXISTS) {
        const st = statTarget(t);
        if (st.info !== undefined) cp.info = st.info;
        cp.result = ShflResult.FILE_EXISTS;
      } else {
        if (o.rc === Status.VERR_TOO_MANY_OPEN_FILES)
          env.log(`cannot open a file on ${m.name}: too many open files`);
        return o.rc;
      }
      return Status.VINF_SUCCESS;
    }
    fd = o.fd;
    // SAFETY: a successful open always says what it did.
    cp.result = TAKEN_RESULT[o.taken!];
    const ifExists = flags & ShflCreate.ACT_MASK_IF_EXISTS;
    let info = o.info;
    if (ifExists === ShflCreate.ACT_REPLACE_IF_EXISTS || ifExists === ShflCreate.ACT_OVERWRITE_IF_EXISTS) {
      // The guest's initial size; failure is ignored, as upstream, and a size over the cap is not set (the
      // file stays empty, and Info tells the guest so).
      const size = cp.infoIn.cbObject;
      if (size > 0n && size <= createSizeCap(m, fd)) {
        rtFileSetSize(fd, size);
        info = undefined;
      }
    }
    if (info === undefined) {
      const q = rtFileQueryInfo(fd);
      if (q.info === undefined) return q.rc;
      info = q.info;
    }
    cp.info = info;
    const fileFlags =
      (read ? FileFlag.READ : 0) | (write ? FileFlag.WRITE : 0) | (append ? FileFlag.APPEND : 0);
    cp.handle = env.w.handles.activate(index, fd, fileFlags);
    fd = -1;
    return Status.VINF_SUCCESS;
  } finally {
    if (fd >= 0) rtFileClose(fd);
    if (cp.handle === SHFL_HANDLE_NIL) env.w.handles.unreserve(index);
  }
}

/** vbsfOpenDir: the directory half. Unlike files, "exists" and "not found" come back as failing statuses. */
export function openDir(c: CreateCtx): StatusCode {
  const { cp, env, m } = c;
  const flags = cp.flags;
  cp.handle = SHFL_HANDLE_NIL;
  const index = env.w.handles.reserve(env.clientId, m.root, m.gen, HandleType.DIR);
  if (index < 0) return index;
  const icase = env.icase(m);
  let fd = -1;
  try {
    cp.result = ShflResult.FILE_EXISTS;
    let rc: StatusCode = Status.VINF_SUCCESS;
    if ((flags & ShflCreate.ACT_MASK_IF_NEW) === ShflCreate.ACT_CREATE_IF_NEW) {
      cp.result = ShflResult.FILE_CREATED;
      const t = resolve(c.scope, c.comps, { follow: false, icase });
      // Directories are created 0777 (less the umask); the guest's mode is not used (as upstream).
      rc =
        typeof t === 'number'
          ? t
          : t.kind === 'dir'
            ? Status.VERR_ALREADY_EXISTS
            : rtDirCreateAt(t.dirFd, t.name);
      if (rc === Status.VERR_ALREADY_EXISTS) cp.result = ShflResult.FILE_EXISTS;
      else if (rc === Status.VERR_PATH_NOT_FOUND) cp.result = ShflResult.PATH_NOT_FOUND;
      else if (rc === Status.VERR_FILE_NOT_FOUND) {
        cp.result = windows(c) ? ShflResult.PATH_NOT_FOUND : ShflResult.FILE_NOT_FOUND;
        if (windows(c)) rc = Status.VERR_PATH_NOT_FOUND;
      } else if (rc !== Status.VINF_SUCCESS) cp.result = ShflResult.NO_RESULT;
    }
    if (
      rc === Status.VINF_SUCCESS ||
      (flags & ShflCreate.ACT_MASK_IF_EXISTS) === ShflCreate.ACT_OPEN_IF_EXISTS
    ) {
      const t = resolve(c.scope, c.comps, { follow: true, icase, dirSlash: c.dirSlash });
      const d = typeof t === 'number' ? { rc: t, fd: -1 } : openDirTarget(t);
      rc = d.rc;
      if (rc === Status.VINF_SUCCESS) {
        fd = d.fd;
        const q = rtFileQueryInfo(fd);
        if (q.info === undefined) return q.rc;
        cp.info = q.info;
        cp.handle = env.w.handles.activate(index, fd, 0);
        fd = -1;
        return Status.VINF_SUCCESS;
      }
      if (rc === Status.VERR_FILE_NOT_FOUND) {
        cp.result = ShflResult.FILE_NOT_FOUND;
        if (windows(c) && !isDirectoryPath(c.scope, c.comps.slice(0, -1), icase)) {
          cp.result = ShflResult.PATH_NOT_FOUND;
          rc = Status.VERR_PATH_NOT_FOUND;
        }
      } else if (rc === Status.VERR_PATH_NOT_FOUND) {
        cp.result = ShflResult.PATH_NOT_FOUND;
        const st = typeof t === 'number' ? undefined : statTarget(t).info;
        if (windows(c) && st !== undefined && !isDirectory(st.mode)) {
          cp.result = ShflResult.FILE_EXISTS;
          rc = Status.VERR_NOT_A_DIRECTORY;
        }
      } else if (rc === Status.VERR_ACCESS_DENIED) cp.result = ShflResult.FILE_EXISTS;
      else cp.result = ShflResult.NO_RESULT;
    }
    return rc;
  } finally {
    if (fd >= 0) rtFileClose(fd);
    if (cp.handle === SHFL_HANDLE_NIL) env.w.handles.unreserve(index);
  }
}
