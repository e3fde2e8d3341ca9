// FUSE_OPENDIR: vboxsf_dir_open (fs/vboxsf/dir.c): CREATE of the directory (DIRECTORY, OPEN_IF_EXISTS,
// FAIL_IF_NEW, read access), LIST to the end into buffers in guest RAM (vboxsf_dir_read_all), CLOSE: the
// listing is a snapshot taken at opendir, served to every READDIR of this handle from memory.
import { SHFL_HANDLE_NIL, ShflCreate, ShflResult, fuse_open_out } from '../../abi/index.js';
import { freeListing, readListing } from '../dirbuf.js';
import { E, fail, nodeOf, ok, pathOf, type Handler } from '../ctx.js';

/** FUSE_OPENDIR. */
export const opendir: Handler = (c) => {
  const node = nodeOf(c);
  if (node === undefined) return fail(E.ESTALE);
  const path = pathOf(c, node);
  if (path === undefined) return fail(E.ESTALE);
  const r = c.vsf.create(
    path,
    ShflCreate.DIRECTORY |
      ShflCreate.ACT_OPEN_IF_EXISTS |
      ShflCreate.ACT_FAIL_IF_NEW |
      ShflCreate.ACCESS_READ,
  );
  if (r.err !== 0) return fail(r.err);
  if (r.handle === SHFL_HANDLE_NIL) return fail(E.ENOENT);
  if (r.result !== ShflResult.FILE_EXISTS) {
    c.vsf.close(r.handle);
    return fail(E.ENOENT);
  }
  const listing = readListing(c.vsf, c.heap, c.mem, r.handle);
  c.vsf.close(r.handle);
  if (listing.err !== 0 || !('head' in listing)) return fail(listing.err);
  const fh = c.files.openDir({ node, head: listing.head, entries: listing.entries });
  if (fh === undefined) {
    c.front.count('tableFull');
    freeListing(c.heap, c.mem, listing.head);
    return fail(E.ENFILE);
  }
  c.mem.writeU64(c.out, fuse_open_out.off.fh, fh);
  c.mem.writeU32(c.out, fuse_open_out.off.open_flags, 0);
  c.mem.writeU32(c.out, fuse_open_out.off.padding, 0);
  return ok(fuse_open_out.size);
};
