// FUSE_LOOKUP: vboxsf_dir_lookup (fs/vboxsf/dir.c): stat the path (CREATE with LOOKUP) and, if it exists,
// an entry for it. A missing name is -ENOENT, not cached (vboxsf revalidates negative dentries every time).
import { E, fail, nameAt, nodeOf, pathOf, replyEntry, type Handler } from '../ctx.js';

/** FUSE_LOOKUP. */
export const lookup: Handler = (c) => {
  const parent = nodeOf(c);
  const name = nameAt(c, 0);
  if (parent === undefined || name === undefined) return fail(E.EINVAL);
  const path = pathOf(c, parent, name);
  if (path === undefined) return fail(E.ESTALE);
  const st = c.vsf.stat(path);
  if (st.err !== 0) return fail(st.err);
  return replyEntry(c, parent, name, st.info);
};
