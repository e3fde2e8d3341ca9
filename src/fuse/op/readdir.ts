// FUSE_READDIR: vboxsf_dir_iterate / vboxsf_dir_emit: entries from the offset on, out of the listing taken
// at OPENDIR, as fuse_dirent records; the offset of an entry is its index + 1, as vboxsf's ctx->pos.
import { fuse_read_in } from '../../abi/index.js';
import { emitEntries } from '../dirbuf.js';
import { E, fail, ok, type Handler } from '../ctx.js';

/** FUSE_READDIR. */
export const readdir: Handler = (c) => {
  if (c.req.bodyLen < fuse_read_in.size) return fail(E.EINVAL);
  const fh = c.mem.readU64(c.req.body, fuse_read_in.off.fh);
  const offset = c.mem.readU64(c.req.body, fuse_read_in.off.offset);
  const size = Math.min(c.mem.readU32(c.req.body, fuse_read_in.off.size), c.outMax);
  const d = c.files.dir(fh);
  if (d === undefined) return fail(E.EBADF);
  if (offset >= BigInt(d.entries)) return ok(0);
  const r = emitEntries(c.mem, d.head, Number(offset), d.resume, c.out, size);
  if ('err' in r) return fail(r.err);
  c.files.setResume(fh, r.resume);
  return ok(r.bytes);
};
