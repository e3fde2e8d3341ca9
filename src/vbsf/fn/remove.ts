// SHFL_FN_REMOVE: remove a file, directory or symlink; models the svcCall case (see ../remove.ts).
import { SHFL_HANDLE_NIL, ShflRemove, Status } from '../../abi/index.js';
import { defineFn } from '../handler.js';
import { removePath } from '../remove.js';
import { shflStringIn } from '../strings.js';

const ALL = ShflRemove.FILE | ShflRemove.DIR | ShflRemove.SYMLINK;

/** REMOVE: root, path, flags (SHFL_REMOVE_*; other bits are VERR_INVALID_FLAGS). */
export default defineFn({
  decode(p, env) {
    const path = shflStringIn(p.ptr(1).buf, env.client.utf8);
    if (path === undefined) return Status.VERR_INVALID_PARAMETER;
    const flags = p.u32(2).u32;
    if ((flags & ~ALL) !== 0) return Status.VERR_INVALID_FLAGS;
    return { root: p.u32(0).u32, path, flags };
  },
  handle(a: { root: number; path: Uint8Array; flags: number }, env) {
    return removePath(env, a.root, a.path, a.flags, SHFL_HANDLE_NIL);
  },
});
