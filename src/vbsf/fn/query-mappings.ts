// SHFL_FN_QUERY_MAPPINGS: list the roots; models the svcCall case and vbsfMappingsQuery (mappings.cpp).
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
    const autoOnly = (a.flags & ShflMappingsFlag.AUTOMOUNT) !== 0;
    const list = env.w.maps.list.filter((m) => !autoOnly || m.autoMount);
    const v = new ByteView(a.mappings.buf);
    const room = a.count.u32;
    for (const [i, m] of list.slice(0, room).entries()) {
      v.setU32(i * SHFLMAPPING.size + SHFLMAPPING.off.u32Status, ShflMappingStatus.NEW);
      v.setU32(i * SHFLMAPPING.size + SHFLMAPPING.off.root, m.root);
    }
    a.count.u32 = list.length;
    return room < list.length ? Status.VINF_BUFFER_OVERFLOW : Status.VINF_SUCCESS;
  },
});
