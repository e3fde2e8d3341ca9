// SHFL_FN_QUERY_MAP_NAME: a root's share name; models the svcCall case and vbsfMappingsQueryName.
import { Status } from '../../abi/index.js';
import type { SvcParmPtr } from '../../hgcm/service-api.js';
import { ByteView } from '../../runtime/index.js';
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
    // A UTF-16 client gets VERR_INVALID_PARAMETER for a short buffer, nothing written (upstream compares
    // u16Size itself); a UTF-8 client VERR_BUFFER_OVERFLOW with u16Length saying how many bytes it takes.
    const utf8 = env.client.utf8;
    if (!utf8 && 2 * (m.name.length + 1) > new ByteView(a.name.buf).u16(0))
      return Status.VERR_INVALID_PARAMETER;
    return shflStringWrite(a.name.buf, m.name, utf8);
  },
});
