// SHFL_FN_MAP_FOLDER_OLD: map a share, as a case-insensitive guest; models the legacy svcCall case.
import { Status } from '../../abi/index.js';
import type { SvcParmU32 } from '../../hgcm/service-api.js';
import { defineFn } from '../handler.js';
import { shflStringIn, utf8Text } from '../strings.js';

/** MAP_FOLDER_OLD: name, root (out), delimiter. */
export default defineFn({
  decode(p, env) {
    const name = shflStringIn(p.ptr(0).buf, env.client.utf8);
    if (name === undefined) return Status.VERR_INVALID_PARAMETER;
    return { name, root: p.u32(1), delimiter: p.u32(2).u32 };
  },
  handle(a: { name: Uint8Array; root: SvcParmU32; delimiter: number }, env) {
    const r = env.w.maps.map(env.client, utf8Text(a.name) ?? '', a.delimiter & 0xffff, false);
    if (r < 0) return r;
    a.root.u32 = r;
    return Status.VINF_SUCCESS;
  },
});
