// SHFL_FN_MAP_FOLDER: map a share by name; models the svcCall case and vbsfMapFolder (mappings.cpp).
//
// Old Windows additions counted the terminator into a UTF-16 name's u16Length. Upstream's "fudge" for it
// read the unit at u16Length/2 - 1 before validating the length against the buffer, an out-of-bounds read
// (vbsf-semantics.md 4.1 S1, fixed upstream in 2026), and logged the name before any check. Here, as the
// fixed upstream: only a UTF-16 name in a buffer of at least 6 bytes with u16Length >= 2 is retried, the
// shorter length written into the buffer and the full validator run again (shflStringInFixedUp).
import { Status } from '../../abi/index.js';
import type { SvcParmU32 } from '../../hgcm/service-api.js';
import { defineFn } from '../handler.js';
import { shflStringIn, shflStringInFixedUp, utf8Text } from '../strings.js';

/** MAP_FOLDER: name, root (out), delimiter, case-sensitive. */
export default defineFn({
  decode(p, env) {
    const buf = p.ptr(0).buf;
    const utf8 = env.client.utf8;
    const name = shflStringIn(buf, utf8) ?? (utf8 ? undefined : shflStringInFixedUp(buf));
    if (name === undefined) return Status.VERR_INVALID_PARAMETER;
    return { name, root: p.u32(1), delimiter: p.u32(2).u32, caseSensitive: p.u32(3).u32 !== 0 };
  },
  handle(a: { name: Uint8Array; root: SvcParmU32; delimiter: number; caseSensitive: boolean }, env) {
    const r = env.w.maps.map(env.client, utf8Text(a.name) ?? '', a.delimiter & 0xffff, a.caseSensitive);
    if (r < 0) return r;
    a.root.u32 = r;
    return Status.VINF_SUCCESS;
  },
});
