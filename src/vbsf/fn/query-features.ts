// SHFL_FN_QUERY_FEATURES: host features and the last function number; models the svcCall case.
import { SHFL_FEATURE_WRITE_UPDATES_OFFSET, SHFL_FN_LAST, Status } from '../../abi/index.js';
import type { SvcParmU32, SvcParmU64 } from '../../hgcm/service-api.js';
import { defineFn } from '../handler.js';

/** QUERY_FEATURES: features (out), last function (out). */
export default defineFn({
  decode: (p) => ({ features: p.u64(0), last: p.u32(1) }),
  handle(a: { features: SvcParmU64; last: SvcParmU32 }) {
    a.features.u64 = SHFL_FEATURE_WRITE_UPDATES_OFFSET;
    a.last.u32 = SHFL_FN_LAST;
    return Status.VINF_SUCCESS;
  },
});
