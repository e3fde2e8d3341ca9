// FUSE_RELEASE: vboxsf_file_release -> vboxsf_release_sf_handle: CLOSE of the file's host handle. The
// kernel does not wait for the answer of a close, so a failure is only counted.
import { fuse_release_in } from '../../abi/index.js';
import { E, fail, ok, type Handler } from '../ctx.js';

/** FUSE_RELEASE. */
export const release: Handler = (c) => {
  if (c.req.bodyLen < fuse_release_in.size) return fail(E.EINVAL);
  const closed = c.files.close(c.mem.readU64(c.req.body, fuse_release_in.off.fh));
  if (closed?.kind !== 'file') return fail(E.EBADF);
  const err = c.vsf.close(closed.file.handle);
  return err === 0 ? ok(0) : fail(err);
};
