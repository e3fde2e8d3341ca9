// FUSE_READDIR: vboxsf_dir_iterate / vboxsf_dir_emit: entries from the offset on, out of the listing taken
// at OPENDIR, as fuse_dirent records; the offset of an entry is its index + 1, as vboxsf's ctx->pos.
import { emitEntries } from '../dirbuf.js';
import { E, fail, isReply, ok, readIn, type Handler } from '../ctx.js';

/** FUSE_READDIR. */
export const readdir: Handler = (c) => {
  const a = readIn(c);
  if (isReply(a)) return a;
  const { fh, offset, size } = a;
  const d = c.files.dir(fh);
  if (d === undefined) return fail(E.EBADF);
  if (offset >= BigInt(d.entries)) return ok(0);
  const r = emitEntries(c.mem, d.head, Number(offset), d.resume, c.out, size);
  if ('err' in r) return fail(r.err);
  c.files.setResume(fh, r.resume);
  return ok(r.bytes);
};
