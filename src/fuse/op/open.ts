// FUSE_OPEN: vboxsf_file_open (fs/vboxsf/file.c): CREATE of the path with FAIL_IF_NEW (OVERWRITE_IF_EXISTS
// for O_TRUNC), the access of the open mode and APPEND; a NIL handle is EEXIST or ENOENT by the result. The
// page cache is kept across opens (FOPEN_KEEP_CACHE) and dropped when the host's mtime changes, as vboxsf.
import {
  Fopen,
  SHFL_HANDLE_NIL,
  ShflCreate,
  ShflResult,
  fuse_open_in,
  fuse_open_out,
} from '../../abi/index.js';
import type { GuestAddress } from '../../runtime/index.js';
import { E, fail, nodeOf, ok, pathOf, type Ctx, type Handler } from '../ctx.js';
import { O } from '../guest.js';

/** SHFL_CF_ACCESS_* for open(2) flags. */
export function accessOf(flags: number): number {
  const acc = flags & O.ACCMODE;
  const rw =
    acc === O.WRONLY
      ? ShflCreate.ACCESS_WRITE
      : acc === O.RDWR
        ? ShflCreate.ACCESS_READWRITE
        : ShflCreate.ACCESS_READ;
  return rw | ((flags & O.APPEND) !== 0 ? ShflCreate.ACCESS_APPEND : 0);
}

/**
 * Register an open host handle and write its fuse_open_out at `at`. Returns the bytes written, or undefined
 * when the file table is full (the handle is then closed: the caller answers ENFILE).
 */
export function writeOpen(
  c: Ctx,
  node: number,
  handle: bigint,
  access: number,
  at: GuestAddress,
): number | undefined {
  const fh = c.files.openFile({ node, handle, access });
  if (fh === undefined) {
    c.front.count('tableFull');
    c.vsf.close(handle);
    return undefined;
  }
  c.mem.writeU64(at, fuse_open_out.off.fh, fh);
  c.mem.writeU32(at, fuse_open_out.off.open_flags, Fopen.KEEP_CACHE);
  c.mem.writeU32(at, fuse_open_out.off.padding, 0);
  return fuse_open_out.size;
}

/** FUSE_OPEN. */
export const open: Handler = (c) => {
  const node = nodeOf(c);
  if (node === undefined) return fail(E.ESTALE);
  if (c.req.bodyLen < fuse_open_in.size) return fail(E.EINVAL);
  const flags = c.mem.readU32(c.req.body, fuse_open_in.off.flags);
  const path = pathOf(c, node);
  if (path === undefined) return fail(E.ESTALE);
  const access = accessOf(flags);
  const cf =
    ShflCreate.ACT_FAIL_IF_NEW |
    ((flags & O.TRUNC) !== 0 ? ShflCreate.ACT_OVERWRITE_IF_EXISTS : ShflCreate.ACT_OPEN_IF_EXISTS) |
    access;
  const r = c.vsf.create(path, cf);
  if (r.err !== 0) return fail(r.err);
  if (r.handle === SHFL_HANDLE_NIL) return fail(r.result === ShflResult.FILE_EXISTS ? E.EEXIST : E.ENOENT);
  const bytes = writeOpen(c, node, r.handle, access, c.out);
  return bytes === undefined ? fail(E.ENFILE) : ok(bytes);
};
