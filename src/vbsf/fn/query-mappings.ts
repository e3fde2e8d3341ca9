// SHFL_FN_QUERY_MAPPINGS: list the roots; models the svcCall case and vbsfMappingsQuery (mappings.cpp).
// Every listed entry says SHFL_MS_NEW, as upstream.
import { SHFLMAPPING, ShflMappingStatus, ShflMappingsFlag, Status } from '../../abi/index.js';
import type { SvcParmPtr, SvcParmU32 } from '../../hgcm/service-api.js';
import { ByteView } from '../../runtime/index.js';
import { ClientFlag } from '../client.js';
import { defineFn } from '../handler.js';

/** QUERY_MAPPINGS: flags, count (in/out), SHFLMAPPING array (exactly count entries). */
export default defineFn({
  decode(p) {
    const flags = p.u32(0).u32;
    const count = p.u32(1);
    const mappings = p.ptr(2);
    if ((flags & ~ShflMappingsFlag.MASK) !== 0 || Math.floor(mappings.size / SHFLMAPPING.size) !== count.u32)
      return Status.VERR_INVALID_PARAMETER;
    return { flags, count, mappings };
  },
  handle(a: { flags: number; count: SvcParmU32; mappings: SvcParmPtr }, env) {
    if ((a.flags & ShflMappingsFlag.UTF8) !== 0) env.client.setFlag(ClientFlag.UTF8);
    // Placeholders (removed while in use) are listed, but never as something to automount.
    const autoOnly = (a.flags & ShflMappingsFlag.AUTOMOUNT) !== 0;
    const maps = env.w.maps;
    const list = maps
      .roots()
      .filter((r) => !autoOnly || (maps.get(r)?.autoMount === true && !maps.placeholder(r)));
    const v = new ByteView(a.mappings.buf);
    const room = a.count.u32;
    for (const [i, root] of list.slice(0, room).entries()) {
      v.setU32(i * SHFLMAPPING.size + SHFLMAPPING.off.u32Status, ShflMappingStatus.NEW);
      v.setU32(i * SHFLMAPPING.size + SHFLMAPPING.off.root, root);
    }
    a.count.u32 = list.length;
    return room < list.length ? Status.VINF_BUFFER_OVERFLOW : Status.VINF_SUCCESS;
  },
});
