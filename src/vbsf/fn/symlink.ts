// SHFL_FN_SYMLINK: create a symlink; models the svcCall case and vbsfSymlink (vbsf.cpp).
//
// As upstream: UTF-8 clients only, and only on mappings configured to allow symlink creation; the target
// must pass the share's symlink policy (7.1, VERR_WRITE_PROTECT otherwise); the target is stored as text
// (the service never follows it out of the share, see confine.ts, so even a policy of "any target" lets a
// guest name a place outside, never reach it through the service). Beyond upstream 7.0:
// the mapping must also be writable (7.0 checks only the symlink setting), and a '\\' client's target
// gets its delimiters turned into '/' (7.0 leaves them: "@todo ... slash conversion").
import { SHFLFSOBJINFO, Status } from '../../abi/index.js';
import type { SvcParmPtr } from '../../hgcm/service-api.js';
import { rtPathQueryInfoAt, rtSymlinkCreateAt } from '../../runtime/iprt/index.js';
import { resolve } from '../confine.js';
import { defineFn } from '../handler.js';
import { writeObjInfo } from '../objinfo.js';
import { symlinkPolicyAllows, symlinkTarget } from '../path.js';
import { shflStringIn } from '../strings.js';

/** SYMLINK: root, new link path, target, SHFLFSOBJINFO (out, exactly 92 bytes). */
export default defineFn({
  decode(p, env) {
    const path = shflStringIn(p.ptr(1).buf, env.client.utf8);
    const target = shflStringIn(p.ptr(2).buf, env.client.utf8);
    const info = p.ptr(3);
    if (path === undefined || target === undefined || info.size !== SHFLFSOBJINFO.size)
      return Status.VERR_INVALID_PARAMETER;
    return { root: p.u32(0).u32, path, target, info };
  },
  handle(a: { root: number; path: Uint8Array; target: Uint8Array; info: SvcParmPtr }, env) {
    if (!env.client.utf8) return Status.VERR_NOT_IMPLEMENTED;
    const known = env.w.maps.get(a.root);
    if (known === undefined) return Status.VERR_INVALID_PARAMETER;
    if (!known.createSymlinks) return Status.VERR_WRITE_PROTECT;
    const m = env.pathMapping(a.root);
    if (typeof m === 'number') return m;
    if (!m.writable) return Status.VERR_WRITE_PROTECT;
    const gp = env.guestPath(a.path);
    if (typeof gp === 'number') return gp;
    const target = symlinkTarget(a.target, env.client.delimiter);
    if (typeof target === 'number') return target;
    if (!symlinkPolicyAllows(target, m.symlinkPolicy)) return Status.VERR_WRITE_PROTECT;
    return env.withScope(m, (scope) => {
      const t = resolve(scope, gp.comps, { follow: false, icase: env.icase(m) });
      if (typeof t === 'number') return t;
      if (t.kind === 'dir') return Status.VERR_ALREADY_EXISTS;
      // symlink(target, "new/"): ENOENT for a new name (an existing one is EEXIST below, as without the slash).
      if (gp.dirSlash && rtPathQueryInfoAt(t.dirFd, t.name).info === undefined)
        return Status.VERR_FILE_NOT_FOUND;
      const rc = rtSymlinkCreateAt(target, t.dirFd, t.name);
      if (rc !== Status.VINF_SUCCESS) return rc;
      const st = rtPathQueryInfoAt(t.dirFd, t.name);
      if (st.info === undefined) return st.rc;
      writeObjInfo(a.info.buf, 0, st.info);
      return Status.VINF_SUCCESS;
    });
  },
});
