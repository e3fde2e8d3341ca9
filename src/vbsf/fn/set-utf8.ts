// SHFL_FN_SET_UTF8: the client's strings are UTF-8 from now on; models the svcCall case (no checks at all).
import { Status } from '../../abi/index.js';
import { ClientFlag } from '../client.js';
import { defineFn } from '../handler.js';

/** SET_UTF8: no parameters (none are checked). */
export default defineFn({
  decode: () => ({}),
  handle(_a: object, env) {
    env.client.setFlag(ClientFlag.UTF8);
    return Status.VINF_SUCCESS;
  },
});
