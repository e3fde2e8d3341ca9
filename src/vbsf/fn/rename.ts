// SHFL_FN_RENAME: rename or move within one share; models the svcCall case and vbsfRename (vbsf.cpp),
// with rtPathPosixRename's checks (runtime/iprt/path.ts).
import { ShflErrorStyle, ShflRename, Status } from '../../abi/index.js';
import { isDirectory, rtPathRenameAt, type RenameType } from '../../runtime/iprt/index.js';
import { isDirectoryPath, resolve, statTarget } from '../confine.js';
import { defineFn } from '../handler.js';
import { shflStringIn } from '../strings.js';

const ALL = ShflRename.FILE | ShflRename.DIR | ShflRename.REPLACE_IF_EXISTS;

/** RENAME: root, source, destination, flags. */
export default defineFn({
  decode(p, env) {
    const src = shflStringIn(p.ptr(1).buf, env.client.utf8);
    const dst = shflStringIn(p.ptr(2).buf, env.client.utf8);
    if (src === undefined || dst === undefined) return Status.VERR_INVALID_PARAMETER;
    return { root: p.u32(0).u32, src, dst, flags: p.u32(3).u32 };
  },
  handle(a: { root: number; src: Uint8Array; dst: Uint8Array; flags: number }, env) {
    if ((a.flags & ~ALL) !== 0) return Status.VERR_INVALID_PARAMETER;
    const m = env.pathMapping(a.root);
    if (typeof m === 'number') return m;
    const src = env.guestPath(a.src);
    if (typeof src === 'number') return src;
    const dst = env.guestPath(a.dst);
    if (typeof dst === 'number') return dst;
    if (!m.writable) return Status.VERR_WRITE_PROTECT;
    // FILE|DIR: RTPathRename (any type); FILE: RTFileMove; DIR or nothing (Linux's directories): RTDirRename.
    const both = ShflRename.FILE | ShflRename.DIR;
    const type: RenameType =
      (a.flags & both) === both ? 'any' : (a.flags & ShflRename.FILE) !== 0 ? 'file' : 'dir';
    const replace = (a.flags & ShflRename.REPLACE_IF_EXISTS) !== 0;
    const icase = env.icase(m);
    const rc = env.withScope(m, (scope) => {
      const s = resolve(scope, src.comps, { follow: false, icase, dirSlash: src.dirSlash });
      if (typeof s === 'number') return s;
      const d = resolve(scope, dst.comps, {
        follow: false,
        icase,
        preserveLast: true,
        dirSlash: dst.dirSlash,
      });
      if (typeof d === 'number') return d;
      // The share root is neither moved nor replaced.
      if (s.kind === 'dir' || d.kind === 'dir') return Status.VERR_ACCESS_DENIED;
      // rename(2) to "new/": only a directory may take a name with a trailing slash (ENOTDIR).
      const srcInfo = dst.dirSlash ? statTarget(s).info : undefined;
      if (srcInfo !== undefined && !isDirectory(srcInfo.mode)) return Status.VERR_PATH_NOT_FOUND;
      return rtPathRenameAt(
        { dirFd: s.dirFd, name: s.name },
        { dirFd: d.dirFd, name: d.name },
        replace,
        type,
      );
    });
    // Windows error style: a missing parent on either side is "path not found".
    if (rc === Status.VERR_FILE_NOT_FOUND && env.client.errorStyle === ShflErrorStyle.WINDOWS) {
      return env.withScope(m, (scope) =>
        isDirectoryPath(scope, src.comps.slice(0, -1), icase) &&
        isDirectoryPath(scope, dst.comps.slice(0, -1), icase)
          ? rc
          : Status.VERR_PATH_NOT_FOUND,
      );
    }
    return rc;
  },
});
