// SHFL_FN_CREATE: look up, open or create a file or directory; models the svcCall case and vbsfCreate
// (vbsf.cpp): the order of the decision table's steps is here, its outcomes in ../create.ts.
import { SHFLCREATEPARMS, SHFL_HANDLE_NIL, ShflCreate, ShflResult, Status } from '../../abi/index.js';
import type { SvcParmPtr } from '../../hgcm/service-api.js';
import { isDirectory, isSymlink } from '../../runtime/iprt/index.js';
import { resolve, statTarget } from '../confine.js';
import { lookup, openDir, openFile, type CreateCtx } from '../create.js';
import { defineFn } from '../handler.js';
import { CreateParms } from '../objinfo.js';
import { shflStringIn } from '../strings.js';

const ACT_MASKS = ShflCreate.ACT_MASK_IF_EXISTS | ShflCreate.ACT_MASK_IF_NEW;

/** CREATE: root, path, SHFLCREATEPARMS (in/out, exactly 108 bytes). */
export default defineFn({
  decode(p, env) {
    const path = shflStringIn(p.ptr(1).buf, env.client.utf8);
    const parms = p.ptr(2);
    if (path === undefined || parms.size !== SHFLCREATEPARMS.size) return Status.VERR_INVALID_PARAMETER;
    return { root: p.u32(0).u32, path, parms };
  },
  handle(a: { root: number; path: Uint8Array; parms: SvcParmPtr }, env) {
    // Step 0: the path. A failure here leaves Handle, Result and Info as the guest sent them.
    const m = env.pathMapping(a.root);
    if (typeof m === 'number') return m;
    const gp = env.guestPath(a.path);
    if (typeof gp === 'number') return gp;
    const cp = new CreateParms(a.parms.buf);
    return env.withScope(m, (scope) => {
      cp.result = ShflResult.NO_RESULT;
      let comps = gp.comps;
      let dirSlash = gp.dirSlash;
      let seen: CreateCtx['seen'];
      const c = (): CreateCtx => ({ env, m, scope, comps, dirSlash, cp, ...(seen ? { seen } : {}) });
      if ((cp.flags & ShflCreate.LOOKUP) !== 0) return lookup(c());

      // What exists decides two things: a directory is opened as one, and OPEN_TARGET_DIRECTORY (for an
      // existing object) opens its parent instead.
      const t = resolve(scope, comps, { follow: env.follow || dirSlash, icase: env.icase(m), dirSlash });
      const info = typeof t === 'number' ? undefined : statTarget(t).info;
      // openFile walks the path again following a final symlink; where there is no symlink to follow (nothing
      // there, or not a symlink) and no trailing delimiter, that walk ends where this one did.
      if (
        typeof t !== 'number' &&
        t.kind === 'child' &&
        !dirSlash &&
        (info === undefined || !isSymlink(info.mode))
      )
        seen = { target: t, exists: info !== undefined };
      if (info !== undefined) {
        if (isDirectory(info.mode)) cp.flags |= ShflCreate.DIRECTORY;
        if ((cp.flags & ShflCreate.OPEN_TARGET_DIRECTORY) !== 0) {
          comps = comps.slice(0, -1);
          dirSlash = false;
          seen = undefined;
          cp.flags =
            (cp.flags & ~ACT_MASKS) |
            ShflCreate.DIRECTORY |
            ShflCreate.ACT_OPEN_IF_EXISTS |
            ShflCreate.ACT_FAIL_IF_NEW;
        }
      }
      // The write gate: replacing, overwriting or creating needs a writable share, even when the object
      // exists and would only be opened (CREATE_IF_NEW is 0, so a plain open on a read-only share must say
      // FAIL_IF_NEW).
      const flags = cp.flags;
      const ifExists = flags & ShflCreate.ACT_MASK_IF_EXISTS;
      const mayChange =
        ifExists === ShflCreate.ACT_REPLACE_IF_EXISTS ||
        ifExists === ShflCreate.ACT_OVERWRITE_IF_EXISTS ||
        (flags & ShflCreate.ACT_MASK_IF_NEW) === ShflCreate.ACT_CREATE_IF_NEW;
      if (mayChange && !m.writable) {
        cp.handle = SHFL_HANDLE_NIL;
        return Status.VERR_WRITE_PROTECT;
      }
      return (flags & ShflCreate.DIRECTORY) !== 0 ? openDir(c()) : openFile(c());
    });
  },
});
