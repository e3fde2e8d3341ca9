// SHFL_FN_SET_ERROR_STYLE: Windows- or Linux-flavoured statuses for this client; models the svcCall case
// (bad values are VERR_WRONG_PARAMETER_TYPE there, not VERR_INVALID_PARAMETER).
import { ShflErrorStyle, Status } from '../../abi/index.js';
import { defineFn } from '../handler.js';

/** SET_ERROR_STYLE: style, reserved (0). */
export default defineFn({
  decode(p) {
    const style = p.u32(0).u32;
    if (style <= ShflErrorStyle.INVALID || style >= ShflErrorStyle.END)
      return Status.VERR_WRONG_PARAMETER_TYPE;
    if (p.u32(1).u32 !== 0) return Status.VERR_WRONG_PARAMETER_TYPE;
    return { style };
  },
  handle(a: { style: number }, env) {
    env.client.errorStyle = a.style;
    return Status.VINF_SUCCESS;
  },
});
