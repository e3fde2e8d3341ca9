// FUSE_GETATTR: vboxsf_getattr -> vboxsf_inode_revalidate: stat the node's path (CREATE with LOOKUP). For
// fstat of an open file (FUSE_GETATTR_FH) the host is asked through the handle instead (INFORMATION
// GET|FILE), so a file unlinked while open still has attributes (vboxsf can only stat by path).
import { FUSE_GETATTR_FH, SHFLFSOBJINFO, ShflInfo, fuse_getattr_in } from '../../abi/index.js';
import { E, fail, nodeOf, pathOf, replyAttr, type Handler } from '../ctx.js';

/** FUSE_GETATTR. */
export const getattr: Handler = (c) => {
  const node = nodeOf(c);
  if (node === undefined) return fail(E.ESTALE);
  if (c.req.bodyLen >= fuse_getattr_in.size) {
    const flags = c.mem.readU32(c.req.body, fuse_getattr_in.off.getattr_flags);
    const file =
      (flags & FUSE_GETATTR_FH) !== 0
        ? c.files.file(c.mem.readU64(c.req.body, fuse_getattr_in.off.fh))
        : undefined;
    if (file !== undefined) {
      const r = c.vsf.fsinfo(file.handle, ShflInfo.GET | ShflInfo.FILE, SHFLFSOBJINFO.size);
      if (r.err !== 0) return fail(r.err);
      return replyAttr(c, node, r.data);
    }
  }
  const path = pathOf(c, node);
  if (path === undefined) return fail(E.ESTALE);
  const st = c.vsf.stat(path);
  if (st.err !== 0) return fail(st.err);
  return replyAttr(c, node, st.info);
};
