// SHFL_FN_QUERY_MAP_NAME: a root's share name; models the svcCall case and vbsfMappingsQueryName.
import { Status } from '../../abi/index.js';
import type { SvcParmPtr } from '../../hgcm/service-api.js';
import { defineFn } from '../handler.js';
import { shflStringValidOut, shflStringWrite } from '../strings.js';

/** QUERY_MAP_NAME: root, SHFLSTRING (out). */
export default defineFn({
  decode(p) {
    const name = p.ptr(1);
    if (!shflStringValidOut(name.buf)) return Status.VERR_INVALID_PARAMETER;
    return { root: p.u32(0).u32, name };
  },
  handle(a: { root: number; name: SvcParmPtr }, env) {
    const m = env.w.maps.get(a.root);
    if (m === undefined) return Status.VERR_INVALID_PARAMETER;
    const rc = shflStringWrite(a.name.buf, m.name, env.client.utf8);
    // A UTF-16 client gets VERR_INVALID_PARAMETER for a short buffer (upstream compares u16Size itself).
    return rc === Status.VERR_BUFFER_OVERFLOW && !env.client.utf8 ? Status.VERR_INVALID_PARAMETER : rc;
  },
});
