// SHFL_FN_REMOVE: remove a file, directory or symlink; models the svcCall case (see ../remove.ts).
import { SHFL_HANDLE_NIL } from '../../abi/index.js';
import { defineFn } from '../handler.js';
import { decodeRemove, removePath } from '../remove.js';

/** REMOVE: root, path, flags (SHFL_REMOVE_*; other bits are VERR_INVALID_FLAGS). */
export default defineFn({
  decode: decodeRemove,
  handle(a: { root: number; path: Uint8Array; flags: number }, env) {
    return removePath(env, a.root, a.path, a.flags, SHFL_HANDLE_NIL);
  },
});
