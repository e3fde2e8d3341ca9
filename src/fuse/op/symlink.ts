// FUSE_SYMLINK and FUSE_READLINK: vboxsf_dir_symlink (SYMLINK; EROFS, "symlinks not supported", becomes
// EPERM) and vboxsf_get_link (READLINK into a PATH_MAX buffer).
import { E, fail, nameAt, nodeOf, ok, pathOf, replyEntry, type Handler } from '../ctx.js';

/** FUSE_SYMLINK: the body is the new name, then the target, each NUL-terminated. */
export const symlink: Handler = (c) => {
  const parent = nodeOf(c);
  const name = nameAt(c, 0);
  const target = name === undefined ? undefined : nameAt(c, name.length + 1);
  if (parent === undefined || name === undefined || target === undefined) return fail(E.EINVAL);
  const path = pathOf(c, parent, name);
  if (path === undefined) return fail(E.ESTALE);
  const r = c.vsf.symlink(path, target);
  if (r.err !== 0) return fail(r.err === E.EROFS ? E.EPERM : r.err);
  return replyEntry(c, parent, name, r.info);
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
