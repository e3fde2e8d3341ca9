// SHFL_FN_READLINK: read a symlink's target; models the svcCall case and vbsfReadLink (vbsf.cpp): the raw
// host text, UTF-8 whatever the client's encoding, NUL-terminated, host slashes turned into the client's
// delimiter, no length returned. A share configured to redact (beyond upstream) never shows a host path
// outside itself: see redactLinkTarget (VERR_ACCESS_DENIED for a target that leads out).
import { Status } from '../../abi/index.js';
import type { SvcParmPtr } from '../../hgcm/service-api.js';
import { rtSymlinkReadAt } from '../../runtime/iprt/index.js';
import { resolve } from '../confine.js';
import { defineFn } from '../handler.js';
import { redactLinkTarget } from '../path.js';
import { shflStringInOrNull } from '../strings.js';

const SLASH = 0x2f;

/** READLINK: root, path (may be empty: then VERR_INVALID_PARAMETER inside), buffer (out). */
export default defineFn({
  decode(p, env) {
    const path = shflStringInOrNull(p.ptr(1).buf, env.client.utf8);
    if (path === undefined) return Status.VERR_INVALID_PARAMETER;
    return { root: p.u32(0).u32, path, buffer: p.ptr(2) };
  },
  handle(a: { root: number; path: Uint8Array | null; buffer: SvcParmPtr }, env) {
    if (a.path === null || a.buffer.size === 0) return Status.VERR_INVALID_PARAMETER;
    const path = a.path;
    const m = env.pathMapping(a.root);
    if (typeof m === 'number') return m;
    const gp = env.guestPath(path);
    if (typeof gp === 'number') return gp;
    return env.withScope(m, (scope) => {
      // readlink("link/") follows the link (and then finds no link): as the host would.
      const t = resolve(scope, gp.comps, { follow: gp.dirSlash, icase: env.icase(m), dirSlash: gp.dirSlash });
      if (typeof t === 'number') return t;
      if (t.kind === 'dir') return Status.VERR_NOT_SYMLINK;
      const r = rtSymlinkReadAt(t.dirFd, t.name);
      if (r.target === undefined) return r.rc;
      const target = m.redactLinks
        ? redactLinkTarget(r.target, gp.comps.slice(0, -1), Buffer.from(m.hostPath))
        : r.target;
      if (target === undefined) return Status.VERR_ACCESS_DENIED;
      if (target.length + 1 > a.buffer.buf.length) return Status.VERR_BUFFER_OVERFLOW;
      const delimiter = env.client.delimiter || SLASH;
      a.buffer.buf.set(target.map((b) => (b === SLASH ? delimiter : b)));
      a.buffer.buf[target.length] = 0;
      return Status.VINF_SUCCESS;
    });
  },
});
