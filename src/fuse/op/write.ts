// FUSE_WRITE: vboxsf_write (fs/vboxsf/vboxsf_wrappers.c) of the data the kernel handed over with the
// request: it stays in the guest pages it was read into and goes to the host as a page list (the host writes
// it to the file from there). Interruptible, as READ.
import { ShflFn, fuse_write_in, fuse_write_out } from '../../abi/index.js';
import { gpa } from '../../runtime/index.js';
import { E, fail, ok, type Handler } from '../ctx.js';

/** FUSE_WRITE. */
export const write: Handler = (c) => {
  if (c.req.bodyLen < fuse_write_in.size) return fail(E.EINVAL);
  const fh = c.mem.readU64(c.req.body, fuse_write_in.off.fh);
  const offset = c.mem.readU64(c.req.body, fuse_write_in.off.offset);
  const size = c.mem.readU32(c.req.body, fuse_write_in.off.size);
  if (fuse_write_in.size + size > c.req.bodyLen) return fail(E.EINVAL);
  const f = c.files.file(fh);
  if (f === undefined) return fail(E.EBADF);
  const data = gpa(c.req.body + fuse_write_in.size);
  const r = c.vsf.io(ShflFn.WRITE, f.handle, offset, data, size, c.config.interruptibleIo);
  if (r.leaked) c.abandonBuffer();
  if (r.err !== 0) return fail(r.err);
  c.front.countBytes('written', r.count);
  c.mem.writeU32(c.out, fuse_write_out.off.size, r.count);
  c.mem.writeU32(c.out, fuse_write_out.off.padding, 0);
  return ok(fuse_write_out.size);
};
