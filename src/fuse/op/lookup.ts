// FUSE_LOOKUP: vboxsf_dir_lookup (fs/vboxsf/dir.c): stat the path (CREATE with LOOKUP) and, if it exists,
// an entry for it. A missing name is -ENOENT, not cached (vboxsf revalidates negative dentries every time).
import { childOf, fail, isReply, replyEntry, type Handler } from '../ctx.js';

/** FUSE_LOOKUP. */
export const lookup: Handler = (c) => {
  const child = childOf(c, 0);
  if (isReply(child)) return child;
  const st = c.vsf.stat(child.path);
  if (st.err !== 0) return fail(st.err);
  return replyEntry(c, child.parent, child.name, st.info);
};
