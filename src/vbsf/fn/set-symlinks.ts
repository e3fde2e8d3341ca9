// SHFL_FN_SET_SYMLINKS: stat and list report symlinks instead of following them; models the svcCall case.
import { Status } from '../../abi/index.js';
import { ClientFlag } from '../client.js';
import { defineFn } from '../handler.js';

/** SET_SYMLINKS: no parameters (none are checked). */
export default defineFn({
  decode: () => ({}),
  handle(_a: object, env) {
    env.client.setFlag(ClientFlag.SYMLINKS);
    return Status.VINF_SUCCESS;
  },
});
