// Directory listing for SHFL_FN_LIST; models vbsfDirList (vbsf.cpp) over RTDirReadEx.
//
// A directory handle can be used from any pool worker, so its read position cannot be a JS directory
// iterator living in one worker. The position is a cursor in the handle's shared entry instead: the last
// name returned. Each LIST reads the directory, sorts the names bytewise, and continues after the cursor
// ('.' and '..' first). An entry that does not fit is simply not passed, so it comes first next time
// (upstream keeps it in pLastValidEntry). Entries created or removed between calls appear or not as POSIX
// readdir allows; none is returned twice. Differences from upstream: '..' of the share root describes the
// root itself, not the host directory above the share (9p's "walk .. from the root"); names that are not
// valid UTF-8 are skipped (upstream skips names it cannot convert).
import { SHFLDIRINFO, SHFLDIRINFO_NAME_OFFSET, ShflList, Status, type StatusCode } from '../abi/index.js';
import { ByteView, lockSync, unlockSync } from '../runtime/index.js';
import {
  isSymlink,
  rtDirOpenParent,
  rtDirReadNames,
  rtFileQueryInfo,
  rtPathQueryInfoAt,
  type FsObjInfo,
} from '../runtime/iprt/index.js';
import type { Mapping } from './config.js';
import {
  openDirTarget,
  resolve,
  sameObject,
  stackOf,
  statTarget,
  type Scope,
  type StartLevel,
} from './confine.js';
import type { VbsfEnv } from './env.js';
import type { HandleRef } from './handles.js';
import { writeObjInfo } from './objinfo.js';
import { joinComps, splitComps } from './path.js';
import { utf16le, utf8Text } from './strings.js';

/** A LIST request after its parameters were checked. */
export interface ListRequest {
  readonly flags: number;
  /** Bytes of `buffer` the guest lets us fill (>= 128). */
  readonly cb: number;
  /** A wildcard path (UTF-8) or null. */
  readonly filter: Uint8Array | null;
  readonly buffer: Uint8Array;
}

/** What LIST returns besides its status. */
export interface ListResult {
  readonly rc: StatusCode;
  readonly cb: number;
  /** 0 when the listing is complete, 1 when there is more. */
  readonly resume: number;
  readonly files: number;
}

const PHASE = { START: 0, DOT: 1, DOTDOT: 2, NAME: 3 } as const;
const DOT = Buffer.from('.');
const DOTDOT = Buffer.from('..');

/** RTDIRFILTER_WINNT: '*' and '<' any run, '?' and '>' one character, '"' a dot; case-insensitive. */
export function winntMatcher(pattern: string): (name: string) => boolean {
  let re = '';
  for (const ch of pattern) {
    if (ch === '*' || ch === '<') re += '.*';
    else if (ch === '?' || ch === '>') re += '.';
    else if (ch === '"') re += '\\.';
    else re += ch.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
  }
  const rx = new RegExp(`^${re}$`, 'isu');
  return (name) => rx.test(name);
}

/** Information for one entry; undefined if it vanished since the directory was read. */
function entryInfo(
  env: VbsfEnv,
  scope: Scope,
  dirFd: number,
  name: Buffer,
  stack: () => StartLevel[] | undefined,
): FsObjInfo | undefined {
  if (name === DOT) return rtFileQueryInfo(dirFd).info;
  if (name === DOTDOT) {
    const here = rtFileQueryInfo(dirFd).info;
    const root = rtFileQueryInfo(scope.rootFd).info;
    if (sameObject(here, root)) return root;
    const up = rtDirOpenParent(dirFd);
    if (up.rc !== Status.VINF_SUCCESS) return undefined;
    scope.track(up.fd);
    return rtFileQueryInfo(up.fd).info;
  }
  const l = rtPathQueryInfoAt(dirFd, name);
  if (l.info === undefined || !env.follow || !isSymlink(l.info.mode)) return l.info;
  // A symlink for a client that follows them: describe the target if it is inside the share.
  const start = stack();
  if (start === undefined) return l.info;
  const t = resolve(scope, [name], { follow: true, icase: false, stack: start });
  return typeof t === 'number' ? l.info : (statTarget(t).info ?? l.info);
}

/** vbsfDirList on an acquired directory handle. */
export function listDirectory(env: VbsfEnv, m: Mapping, ref: HandleRef, req: ListRequest): ListResult {
  const handles = env.w.handles;
  const lock = handles.entryLock(ref);
  lockSync(lock);
  try {
    let flags = req.flags;
    if (req.filter !== null && handles.filter(ref) === undefined) {
      // The first LIST with a filter binds it to the handle and starts afresh (RTDirOpenFiltered).
      const gp = env.guestPath(req.filter);
      if (typeof gp === 'number') return { rc: gp, cb: 0, resume: 0, files: 0 };
      if (!handles.bindFilter(ref, joinComps(gp.comps))) {
        return { rc: Status.VERR_FILENAME_TOO_LONG, cb: 0, resume: 0, files: 0 };
      }
      handles.setCursor(ref, PHASE.START);
      flags &= ~ShflList.RESTART;
    }
    if ((flags & ShflList.RESTART) !== 0) handles.setCursor(ref, PHASE.START);
    let result: ListResult = { rc: Status.VERR_NOT_FOUND, cb: 0, resume: 0, files: 0 };
    env.withScope(m, (scope) => {
      result = listIn(env, scope, m, ref, req, flags);
      return result.rc;
    });
    return result;
  } finally {
    unlockSync(lock);
  }
}

function listIn(
  env: VbsfEnv,
  scope: Scope,
  m: Mapping,
  ref: HandleRef,
  req: ListRequest,
  flags: number,
): ListResult {
  const handles = env.w.handles;
  const filter = handles.filter(ref);
  let dirFd = ref.fd;
  let match: ((name: string) => boolean) | undefined;
  if (filter !== undefined) {
    const comps = splitComps(filter);
    const last = comps.pop();
    const t = resolve(scope, comps, { follow: true, icase: env.icase(m) });
    const d = typeof t === 'number' ? { rc: t, fd: -1 } : openDirTarget(t);
    if (d.rc !== Status.VINF_SUCCESS) return { rc: d.rc, cb: 0, resume: 0, files: 0 };
    dirFd = scope.track(d.fd);
    if (last !== undefined) match = winntMatcher(utf8Text(last) ?? '');
  }
  const read = rtDirReadNames(dirFd);
  if (read.rc !== Status.VINF_SUCCESS) return { rc: read.rc, cb: 0, resume: 0, files: 0 };
  const cursor = handles.cursor(ref);
  const names = read.names.sort(Buffer.compare);
  const candidates: { phase: number; name: Buffer }[] = [];
  if (cursor.phase < PHASE.DOT) candidates.push({ phase: PHASE.DOT, name: DOT });
  if (cursor.phase < PHASE.DOTDOT) candidates.push({ phase: PHASE.DOTDOT, name: DOTDOT });
  for (const n of names) {
    if (cursor.phase === PHASE.NAME && Buffer.compare(n, cursor.name) <= 0) continue;
    candidates.push({ phase: PHASE.NAME, name: n });
  }
  const utf8 = env.client.utf8;
  // Found once per call, and only if a symlink entry needs it.
  let start: StartLevel[] | undefined | null = null;
  const stack = (): StartLevel[] | undefined => (start === null ? (start = stackOf(scope, dirFd)) : start);
  let used = 0;
  let files = 0;
  for (const c of candidates) {
    const text = utf8Text(c.name);
    if (text === undefined || (match !== undefined && !match(text))) continue;
    const info = entryInfo(env, scope, dirFd, c.name, stack);
    if (info === undefined) continue;
    const enc = utf8 ? c.name : utf16le(text);
    const term = utf8 ? 1 : 2;
    const nameSize = enc.length + term;
    const need = SHFLDIRINFO_NAME_OFFSET + nameSize;
    if (need > req.cb - used || nameSize > 0xffff) {
      // Not passed: the cursor stays before it. Not even one fitting is VINF_BUFFER_OVERFLOW.
      return {
        rc: files === 0 ? Status.VINF_BUFFER_OVERFLOW : Status.VINF_SUCCESS,
        cb: used,
        resume: 1,
        files,
      };
    }
    writeRecord(req.buffer, used, info, enc, term);
    used += need;
    files++;
    handles.setCursor(ref, c.phase, c.phase === PHASE.NAME ? c.name : undefined);
    if ((flags & ShflList.RETURN_ONE) !== 0) return { rc: Status.VINF_SUCCESS, cb: used, resume: 1, files };
  }
  return { rc: files > 0 ? Status.VINF_SUCCESS : Status.VERR_NO_MORE_FILES, cb: used, resume: 0, files };
}

/** One SHFLDIRINFO: Info, no short name, then the name as a SHFLSTRING (u16Size includes the terminator). */
function writeRecord(buf: Uint8Array, off: number, info: FsObjInfo, name: Uint8Array, term: number): void {
  writeObjInfo(buf, off, info);
  const v = new ByteView(buf);
  v.setU16(off + SHFLDIRINFO.off.cucShortName, 0);
  buf.fill(0, off + SHFLDIRINFO.off.uszShortName, off + SHFLDIRINFO.off.uszShortName + 28);
  v.setU16(off + SHFLDIRINFO.off.nameSize, name.length + term);
  v.setU16(off + SHFLDIRINFO.off.nameLength, name.length);
  buf.set(name, off + SHFLDIRINFO_NAME_OFFSET);
  buf.fill(
    0,
    off + SHFLDIRINFO_NAME_OFFSET + name.length,
    off + SHFLDIRINFO_NAME_OFFSET + name.length + term,
  );
}

/** Bytes of the smallest record (a 1-byte name): LIST's minimum count. */
export const MIN_LIST_BYTES = SHFLDIRINFO.size;
