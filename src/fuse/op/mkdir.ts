// FUSE_MKDIR: vboxsf_dir_mkdir -> vboxsf_dir_create(is_dir, excl): CREATE with DIRECTORY, CREATE_IF_NEW,
// FAIL_IF_EXISTS, read-write access, the mode's permission bits; the handle is closed at once; anything but
// FILE_CREATED is EPERM.
import { RtFs, SHFL_HANDLE_NIL, ShflCreate, ShflResult, fuse_mkdir_in } from '../../abi/index.js';
import { childOf, E, fail, isReply, replyEntry, type Handler } from '../ctx.js';

/** FUSE_MKDIR. */
export const mkdir: Handler = (c) => {
  const child = childOf(c, fuse_mkdir_in.size);
  if (isReply(child)) return child;
  const mode = c.mem.readU32(c.req.body, fuse_mkdir_in.off.mode);
  const cf =
    ShflCreate.DIRECTORY |
    ShflCreate.ACT_CREATE_IF_NEW |
    ShflCreate.ACT_FAIL_IF_EXISTS |
    ShflCreate.ACCESS_READWRITE;
  const r = c.vsf.create(child.path, cf, (mode & RtFs.UNIX_ALL_PERMS) | RtFs.TYPE_DIRECTORY);
  if (r.err !== 0) return fail(r.err);
  if (r.handle !== SHFL_HANDLE_NIL) c.vsf.close(r.handle);
  if (r.result !== ShflResult.FILE_CREATED) return fail(E.EPERM);
  return replyEntry(c, child.parent, child.name, r.info);
};
