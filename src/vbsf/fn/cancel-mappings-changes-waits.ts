// SHFL_FN_CANCEL_MAPPINGS_CHANGES_WAITS: end this client's mapping waits with VERR_CANCELLED; models the
// svcCall case and vbsfMappingsCancelChangesWaits.
import { Status } from '../../abi/index.js';
import { defineFn } from '../handler.js';

/** CANCEL_MAPPINGS_CHANGES_WAITS: no parameters (a count other than 0 is VERR_INVALID_PARAMETER). */
export default defineFn({
  decode: () => ({}),
  handle(_a: object, env) {
    env.w.waits.cancelClient(env.client, env.clientId);
    return Status.VINF_SUCCESS;
  },
});
