// FUSE_FSYNC: the host's FLUSH of the open handle (fsync reaches the host file's fsync; Linux vboxsf makes
// fsync a no-op, VirtualBox's own additions flush).
import { fuse_fsync_in } from '../../abi/index.js';
import { E, fail, ok, type Handler } from '../ctx.js';

/** FUSE_FSYNC. */
export const fsync: Handler = (c) => {
  if (c.req.bodyLen < fuse_fsync_in.size) return fail(E.EINVAL);
  const f = c.files.file(c.mem.readU64(c.req.body, fuse_fsync_in.off.fh));
  if (f === undefined) return fail(E.EBADF);
  const err = c.vsf.flush(f.handle);
  return err === 0 ? ok(0) : fail(err);
};
