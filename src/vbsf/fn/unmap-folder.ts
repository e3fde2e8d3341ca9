// SHFL_FN_UNMAP_FOLDER: undo one MAP_FOLDER of this client; models the svcCall case and vbsfUnmapFolder.
import { defineFn } from '../handler.js';

/** UNMAP_FOLDER: root. */
export default defineFn({
  decode: (p) => ({ root: p.u32(0).u32 }),
  handle(a: { root: number }, env) {
    return env.w.maps.unmap(env.client, a.root);
  },
});
