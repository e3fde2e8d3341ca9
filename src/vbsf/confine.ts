// Resolving a share-relative path one component at a time below the share root, never following a
// symlink out of the share; replaces the lexical containment check of vbsfPathGuestToHost
// (vbsfpath.cpp) and the case correction of vbsfCorrectPathCasing.
//
// Upstream checks the path string lexically and then hands the whole host path to open/stat, which follow
// symlinks in every component: a symlink already in the share (or one a guest made) leads anywhere on the
// host (vbsf-semantics.md 4.1 S3/S4, the CVE-2016-9602 pattern). Here nothing is ever looked up by a path
// string: the walk stands in a directory fd, opens the next one with O_DIRECTORY | O_NOFOLLOW through the
// at-layer, and when it meets a symlink it reads the link's text and continues the walk with it, itself,
// against the same stack of directories (at most WALK_OPEN_LEVELS of them open at once; a '..' climbs by
// the stack, never above its root). An absolute target, or a '..' that would leave the root, ends
// the walk with VERR_INVALID_NAME (upstream's status for a path that leaves the share). Each step is a
// fresh fd-relative lookup, so a host process swapping a directory for a symlink between two steps can
// make a walk fail but never leave the share. Every call is synchronous: nothing awaits between the walk
// and the operation that uses its result.
import { Status, type StatusCode } from '../abi/index.js';
import {
  isDirectory,
  isSymlink,
  rtDirOpenAt,
  rtDirOpenParent,
  rtDirOpenPath,
  rtDirReadNames,
  rtFileClose,
  rtFileQueryInfo,
  rtPathQueryInfoAt,
  rtSymlinkReadAt,
  type FsObjInfo,
} from '../runtime/iprt/index.js';
import { isDot, isDotDot, splitComps } from './path.js';
import { utf8Text } from './strings.js';

/** Symlinks one resolution may expand (Linux MAXSYMLINKS). */
export const MAX_SYMLINK_HOPS = 40;
/**
 * Directory fds one walk keeps open: deeper levels are closed as the walk descends (and reopened if a link's
 * '..' climbs back to them), so a guest's very deep path costs a bounded number of process fds.
 */
export const WALK_OPEN_LEVELS = 16;
const SLASH = 0x2f;

/** The fds one call opens below a share root; all closed by `close()`. */
export class Scope {
  readonly rootFd: number;
  private readonly fds: number[] = [];

  private constructor(rootFd: number) {
    this.rootFd = rootFd;
    this.fds.push(rootFd);
  }

  /** Open the share root (VERR_NOT_FOUND if the host directory is gone, like a missing mapping). */
  static open(hostPath: string): Scope | StatusCode {
    const r = rtDirOpenPath(hostPath);
    return r.rc === Status.VINF_SUCCESS ? new Scope(r.fd) : Status.VERR_NOT_FOUND;
  }

  /** Keep an fd until close(). */
  track(fd: number): number {
    this.fds.push(fd);
    return fd;
  }

  /** Close a tracked fd now. */
  release(fd: number): void {
    const i = this.fds.indexOf(fd);
    if (i > 0) {
      this.fds.splice(i, 1);
      rtFileClose(fd);
    }
  }

  close(): void {
    for (const fd of this.fds.splice(0)) rtFileClose(fd);
  }
}

/** What a path names: a directory the walk holds an fd on (the root, or one reached by a link's '..'), or a name in one. */
export type Target =
  | { readonly kind: 'dir'; readonly fd: number; readonly isRoot: boolean }
  | { readonly kind: 'child'; readonly dirFd: number; readonly name: Uint8Array };

/** How to resolve. */
export interface WalkOptions {
  /** Follow a symlink in the last component (intermediate ones are always followed, as the host would). */
  readonly follow: boolean;
  /** Match names ignoring case when the exact name does not exist (vbsfCorrectPathCasing). */
  readonly icase: boolean;
  /** Never case-correct the last component (rename targets, filters). */
  readonly preserveLast?: boolean;
  /** Start below these directories instead of the root (stack[0] must be the root): see stackOf. */
  readonly stack?: readonly StartLevel[];
  /**
   * The guest path ended with a delimiter (GuestPath.dirSlash): as POSIX does for "name/", an existing last
   * component that is not a directory is VERR_PATH_NOT_FOUND (ENOTDIR); with `follow` a final symlink is
   * followed first (stat, open, readlink do that; unlink, rmdir and rename do not, so for them a symlink is
   * "not a directory"). The walk does this itself: a trailing slash never reaches the host, where it would
   * make the kernel follow a final symlink that the walk has not checked.
   */
  readonly dirSlash?: boolean;
}

/** The first name in `dirFd` equal to `name` ignoring case (in byte order, for determinism). */
function matchIgnoringCase(dirFd: number, name: Uint8Array): Uint8Array | undefined {
  const want = utf8Text(name)?.toLowerCase();
  if (want === undefined) return undefined;
  const hits = rtDirReadNames(dirFd).names.filter((n) => utf8Text(n)?.toLowerCase() === want);
  return hits.sort(Buffer.compare)[0];
}

/**
 * Resolve `comps` below the scope's root. A missing last component is not an error (the caller may create
 * it); a missing or non-directory intermediate one is VERR_FILE_NOT_FOUND / VERR_PATH_NOT_FOUND, as the
 * host's ENOENT / ENOTDIR would be.
 */
export function resolve(scope: Scope, comps: readonly Uint8Array[], opts: WalkOptions): Target | StatusCode {
  const walk = new Levels(scope, opts.stack ?? [{ fd: scope.rootFd, id: undefined }]);
  const queue = [...comps];
  const dirSlash = opts.dirSlash === true;
  const follow = opts.follow;
  let hops = 0;
  // Replace the front of the queue by a link's target; an absolute target leaves the share.
  const expand = (dirFd: number, name: Uint8Array): StatusCode => {
    if (++hops > MAX_SYMLINK_HOPS) return Status.VERR_TOO_MANY_SYMLINKS;
    const link = rtSymlinkReadAt(dirFd, name);
    if (link.target === undefined) return link.rc;
    if (link.target[0] === SLASH) return Status.VERR_INVALID_NAME;
    queue.unshift(...splitComps(link.target));
    return Status.VINF_SUCCESS;
  };
  while (queue.length > 0) {
    let name = queue.shift()!;
    if (isDot(name)) continue;
    if (isDotDot(name)) {
      if (walk.atRoot) return Status.VERR_INVALID_NAME;
      const rc = walk.up();
      if (rc !== Status.VINF_SUCCESS) return rc;
      continue;
    }
    const top = walk.fd;
    if (queue.length === 0) {
      // The last component: a name in `top`, unless it is a symlink to follow.
      if (!follow && !opts.icase && !dirSlash) return { kind: 'child', dirFd: top, name };
      let st = rtPathQueryInfoAt(top, name);
      if (st.rc === Status.VERR_FILE_NOT_FOUND && opts.icase && opts.preserveLast !== true) {
        const m = matchIgnoringCase(top, name);
        if (m !== undefined) {
          name = m;
          st = rtPathQueryInfoAt(top, name);
        }
      }
      if (follow && st.info !== undefined && isSymlink(st.info.mode)) {
        const rc = expand(top, name);
        if (rc !== Status.VINF_SUCCESS) return rc;
        continue;
      }
      if (dirSlash && st.info !== undefined && !isDirectory(st.info.mode)) return Status.VERR_PATH_NOT_FOUND;
      return { kind: 'child', dirFd: top, name };
    }
    let d = rtDirOpenAt(top, name);
    if (d.rc === Status.VERR_FILE_NOT_FOUND && opts.icase) {
      const m = matchIgnoringCase(top, name);
      if (m !== undefined) {
        name = m;
        d = rtDirOpenAt(top, name);
      }
    }
    if (d.rc === Status.VINF_SUCCESS) {
      walk.down(d.fd);
      continue;
    }
    if (d.rc !== Status.VERR_PATH_NOT_FOUND) return d.rc;
    // ENOTDIR: a file, or a symlink (O_NOFOLLOW | O_DIRECTORY refuses both the same way).
    const st = rtPathQueryInfoAt(top, name);
    if (st.info === undefined || !isSymlink(st.info.mode)) return Status.VERR_PATH_NOT_FOUND;
    const rc = expand(top, name);
    if (rc !== Status.VINF_SUCCESS) return rc;
  }
  return { kind: 'dir', fd: walk.fd, isRoot: walk.atRoot };
}

/** One level of a walk: a directory fd (-1 while closed), and for a closed one its identity. */
interface Level {
  fd: number;
  /** The walk opened it (so it may close it). */
  readonly own: boolean;
  id: FsObjInfo | undefined;
}

/**
 * The directories a walk stands in, root first. Levels the caller gave (the root, or stackOf's chain) stay
 * open. Levels the walk opened beyond the last WALK_OPEN_LEVELS are closed, remembering their device and
 * inode; a '..' that climbs back to one reopens it as the physical parent of the level above and checks it
 * is the same directory (if the tree changed under the walk, the walk fails rather than go elsewhere).
 */
class Levels {
  private readonly scope: Scope;
  private readonly levels: Level[];

  constructor(scope: Scope, given: readonly StartLevel[]) {
    this.scope = scope;
    this.levels = given.map((l) => ({ fd: l.fd, own: false, id: l.id }));
  }

  get atRoot(): boolean {
    return this.levels.length === 1;
  }
  /** The current directory's fd (down() and up() keep it open). */
  get fd(): number {
    return this.levels[this.levels.length - 1]!.fd;
  }

  down(fd: number): void {
    this.levels.push({ fd: this.scope.track(fd), own: true, id: undefined });
    const old = this.levels[this.levels.length - 1 - WALK_OPEN_LEVELS];
    if (old !== undefined && old.own && old.fd >= 0) {
      old.id = rtFileQueryInfo(old.fd).info;
      this.scope.release(old.fd);
      old.fd = -1;
    }
  }

  /** Climb one level (the caller checked it is not the root). */
  up(): StatusCode {
    const gone = this.levels.pop()!;
    const top = this.levels[this.levels.length - 1]!;
    let rc: StatusCode = Status.VINF_SUCCESS;
    if (top.fd < 0) {
      const p = rtDirOpenParent(gone.fd);
      if (p.rc !== Status.VINF_SUCCESS) rc = p.rc;
      else if (!sameObject(rtFileQueryInfo(p.fd).info, top.id)) {
        rtFileClose(p.fd);
        rc = Status.VERR_PATH_NOT_FOUND;
      } else top.fd = this.scope.track(p.fd);
    }
    if (gone.own) this.scope.release(gone.fd);
    return rc;
  }
}

/** stat of what a target names (lstat for a child: resolve already followed what was to be followed). */
export function statTarget(t: Target): { rc: StatusCode; info: FsObjInfo | undefined } {
  return t.kind === 'dir' ? rtFileQueryInfo(t.fd) : rtPathQueryInfoAt(t.dirFd, t.name);
}

/** Open the directory a target names (a new fd the caller owns). */
export function openDirTarget(t: Target): { rc: StatusCode; fd: number } {
  return t.kind === 'dir' ? rtDirOpenAt(t.fd) : rtDirOpenAt(t.dirFd, t.name);
}

/** Same file system object (device and inode)? */
export function sameObject(a: FsObjInfo | undefined, b: FsObjInfo | undefined): boolean {
  return a !== undefined && b !== undefined && a.device === b.device && a.inode === b.inode;
}

/** A directory a walk may start in: open (fd), or closed (fd -1) with its identity to check on reopening. */
export interface StartLevel {
  readonly fd: number;
  readonly id: FsObjInfo | undefined;
}

/**
 * The directories from the share root down to an open directory (to resolve links found in it), found by
 * climbing its physical parents until the root; undefined if the climb never reaches the root (the
 * directory was moved out of the share by the host since it was opened). Only the nearest
 * WALK_OPEN_LEVELS levels stay open; the others are recorded by identity, as a walk's own deep levels are.
 */
export function stackOf(scope: Scope, dirFd: number): StartLevel[] | undefined {
  const root = rtFileQueryInfo(scope.rootFd).info;
  if (root === undefined) return undefined;
  const chain: StartLevel[] = [];
  let cur = dirFd;
  for (let depth = 0; depth < 4096; depth++) {
    const here = rtFileQueryInfo(cur).info;
    if (here === undefined) return undefined;
    if (sameObject(here, root)) {
      if (cur !== dirFd) scope.release(cur);
      return [{ fd: scope.rootFd, id: root }, ...chain.reverse()];
    }
    const up = rtDirOpenParent(cur);
    if (up.rc !== Status.VINF_SUCCESS) return undefined;
    scope.track(up.fd);
    const keep = chain.length < WALK_OPEN_LEVELS;
    chain.push({ fd: keep ? cur : -1, id: here });
    if (!keep && cur !== dirFd) scope.release(cur);
    const parent = rtFileQueryInfo(up.fd).info;
    if (parent === undefined || sameObject(parent, here)) return undefined;
    cur = up.fd;
  }
  return undefined;
}

/** Does `comps` name an existing directory (following symlinks, confined)? For Windows-style statuses. */
export function isDirectoryPath(scope: Scope, comps: readonly Uint8Array[], icase: boolean): boolean {
  const t = resolve(scope, comps, { follow: true, icase });
  if (typeof t === 'number') return false;
  const info = statTarget(t).info;
  return info !== undefined && isDirectory(info.mode);
}
