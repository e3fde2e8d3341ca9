// FUSE_READ: vboxsf_read through the page cache's readpage (fs/vboxsf/file.c): one READ call whose buffer is
// the guest pages the reply goes out from (a page list on the wire), so the data lands in guest RAM once and
// the kernel takes it from there. Interruptible (FUSE_INTERRUPT signals this vCPU; the reply is -EINTR).
import { ShflFn } from '../../abi/index.js';
import { E, fail, isReply, ok, readIn, type Handler } from '../ctx.js';

/** FUSE_READ. */
export const read: Handler = (c) => {
  const a = readIn(c);
  if (isReply(a)) return a;
  const { fh, offset, size } = a;
  const f = c.files.file(fh);
  if (f === undefined) return fail(E.EBADF);
  const r = c.vsf.io(ShflFn.READ, f.handle, offset, c.out, size, c.config.interruptibleIo);
  if (r.leaked) c.abandonBuffer();
  if (r.err !== 0) return fail(r.err);
  c.front.countBytes('read', r.count);
  return ok(r.count);
};
