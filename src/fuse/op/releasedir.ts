// FUSE_RELEASEDIR: vboxsf_dir_release: free the listing (the host handle was closed at OPENDIR).
import { fuse_release_in } from '../../abi/index.js';
import { freeListing } from '../dirbuf.js';
import { E, fail, ok, type Handler } from '../ctx.js';

/** FUSE_RELEASEDIR. */
export const releasedir: Handler = (c) => {
  if (c.req.bodyLen < fuse_release_in.size) return fail(E.EINVAL);
  const closed = c.files.close(c.mem.readU64(c.req.body, fuse_release_in.off.fh));
  if (closed?.kind !== 'dir') return fail(E.EBADF);
  freeListing(c.heap, c.mem, closed.dir.head);
  return ok(0);
};
