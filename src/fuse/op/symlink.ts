// FUSE_SYMLINK and FUSE_READLINK: vboxsf_dir_symlink (SYMLINK; EROFS, "symlinks not supported", becomes
// EPERM) and vboxsf_get_link (READLINK into a PATH_MAX buffer).
import { childOf, E, fail, isReply, nameAt, nodeOf, ok, pathOf, replyEntry, type Handler } from '../ctx.js';

/** FUSE_SYMLINK: the body is the new name, then the target, each NUL-terminated. */
export const symlink: Handler = (c) => {
  const child = childOf(c, 0);
  if (isReply(child)) return child;
  const target = nameAt(c, child.name.length + 1);
  if (target === undefined) return fail(E.EINVAL);
  const r = c.vsf.symlink(child.path, target);
  if (r.err !== 0) return fail(r.err === E.EROFS ? E.EPERM : r.err);
  return replyEntry(c, child.parent, child.name, r.info);
};

/** FUSE_READLINK. */
export const readlink: Handler = (c) => {
  const node = nodeOf(c);
  if (node === undefined) return fail(E.ESTALE);
  const path = pathOf(c, node);
  if (path === undefined) return fail(E.ESTALE);
  const r = c.vsf.readlink(path);
  if (r.err !== 0) return fail(r.err);
  if (r.target.length > c.outMax) return fail(E.EIO);
  c.mem.write(c.out, r.target);
  return ok(r.target.length);
};
