// FUSE_READ: vboxsf_read through the page cache's readpage (fs/vboxsf/file.c): one READ call whose buffer is
// the guest pages the reply goes out from (a page list on the wire), so the data lands in guest RAM once and
// the kernel takes it from there. Interruptible (FUSE_INTERRUPT signals this vCPU; the reply is -EINTR).
import { ShflFn, fuse_read_in } from '../../abi/index.js';
import { E, fail, ok, type Handler } from '../ctx.js';

/** FUSE_READ. */
export const read: Handler = (c) => {
  if (c.req.bodyLen < fuse_read_in.size) return fail(E.EINVAL);
  const fh = c.mem.readU64(c.req.body, fuse_read_in.off.fh);
  const offset = c.mem.readU64(c.req.body, fuse_read_in.off.offset);
  const size = Math.min(c.mem.readU32(c.req.body, fuse_read_in.off.size), c.outMax);
  const f = c.files.file(fh);
  if (f === undefined) return fail(E.EBADF);
  const r = c.vsf.io(ShflFn.READ, f.handle, offset, c.out, size, c.config.interruptibleIo);
  if (r.leaked) c.abandonBuffer();
  if (r.err !== 0) return fail(r.err);
  c.front.countBytes('read', r.count);
  return ok(r.count);
};
