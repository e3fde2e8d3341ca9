// FUSE_SETATTR: vboxsf_setattr (fs/vboxsf/utils.c): open the path for attribute writing (and writing, for a
// size), set mode and times with INFORMATION SET|FILE, then the size with SET|SIZE, close, and stat again
// for what the host actually set. Ownership changes are accepted and ignored, as vboxsf does (the host
// owns its files); only the permission bits of a mode travel; a time of 0 means "leave it".
// Deviation: a symlink is left alone (its attributes are answered unchanged). vboxsf opens the link's path,
// which the host follows, so `touch -h` or `cp -a` of a link would set the times of its target instead.
import {
  Fattr,
  RtFs,
  SHFLFSOBJATTR,
  SHFLFSOBJINFO,
  SHFL_HANDLE_NIL,
  SIfmt,
  ShflCreate,
  ShflInfo,
  ShflResult,
  fuse_setattr_in,
} from '../../abi/index.js';
import { ByteView } from '../../runtime/index.js';
import { E, fail, nodeOf, pathOf, replyAttr, type Ctx, type Handler } from '../ctx.js';
import { NodeType } from '../nodes.js';

const NS = 1_000_000_000n;

function timeNs(c: Ctx, sec: number, nsec: number): bigint {
  return BigInt.asIntN(64, c.mem.readU64(c.req.body, sec)) * NS + BigInt(c.mem.readU32(c.req.body, nsec));
}

/** FUSE_SETATTR. */
export const setattr: Handler = (c) => {
  const node = nodeOf(c);
  if (node === undefined) return fail(E.ESTALE);
  if (c.req.bodyLen < fuse_setattr_in.size) return fail(E.EINVAL);
  const S = fuse_setattr_in.off;
  const valid = c.mem.readU32(c.req.body, S.valid);
  const mode = c.mem.readU32(c.req.body, S.mode);
  const size = c.mem.readU64(c.req.body, S.size);
  const atime = (valid & Fattr.ATIME) !== 0 ? timeNs(c, S.atime, S.atimensec) : 0n;
  const mtime = (valid & Fattr.MTIME) !== 0 ? timeNs(c, S.mtime, S.mtimensec) : 0n;
  const path = pathOf(c, node);
  if (path === undefined) return fail(E.ESTALE);
  if (c.nodes.typeOf(node) === NodeType.SYMLINK) {
    const st = c.vsf.stat(path);
    return st.err !== 0 ? fail(st.err) : replyAttr(c, node, st.info);
  }

  let flags = ShflCreate.ACT_OPEN_IF_EXISTS | ShflCreate.ACT_FAIL_IF_NEW | ShflCreate.ACCESS_ATTR_WRITE;
  // "this is at least required for Posix hosts"
  if ((valid & Fattr.SIZE) !== 0) flags |= ShflCreate.ACCESS_WRITE;
  const h = c.vsf.create(path, flags);
  if (h.err !== 0) return fail(h.err);
  if (h.result !== ShflResult.FILE_EXISTS || h.handle === SHFL_HANDLE_NIL) {
    if (h.handle !== SHFL_HANDLE_NIL) c.vsf.close(h.handle);
    return fail(E.ENOENT);
  }
  const err = setOnHandle(c, h.handle, valid, mode, size, atime, mtime);
  c.vsf.close(h.handle);
  if (err !== 0) return fail(err);
  // The host may have set something else than asked: what it has now is the answer.
  const st = c.vsf.stat(path);
  if (st.err !== 0) return fail(st.err);
  return replyAttr(c, node, st.info);
};

function setOnHandle(
  c: Ctx,
  handle: bigint,
  valid: number,
  mode: number,
  size: bigint,
  atime: bigint,
  mtime: bigint,
): number {
  if ((valid & (Fattr.MODE | Fattr.ATIME | Fattr.MTIME)) !== 0) {
    const info = new Uint8Array(SHFLFSOBJINFO.size);
    const v = new ByteView(info);
    if ((valid & Fattr.MODE) !== 0) {
      const type = (mode & SIfmt.MASK) === SIfmt.DIR ? RtFs.TYPE_DIRECTORY : RtFs.TYPE_FILE;
      v.setU32(SHFLFSOBJINFO.off.Attr + SHFLFSOBJATTR.off.fMode, (mode & RtFs.UNIX_ALL_PERMS) | type);
    }
    v.setI64(SHFLFSOBJINFO.off.AccessTime, atime);
    v.setI64(SHFLFSOBJINFO.off.ModificationTime, mtime);
    const r = c.vsf.fsinfo(handle, ShflInfo.SET | ShflInfo.FILE, SHFLFSOBJINFO.size, info);
    if (r.err !== 0) return r.err;
  }
  if ((valid & Fattr.SIZE) !== 0) {
    const info = new Uint8Array(SHFLFSOBJINFO.size);
    new ByteView(info).setI64(SHFLFSOBJINFO.off.cbObject, BigInt.asIntN(64, size));
    const r = c.vsf.fsinfo(handle, ShflInfo.SET | ShflInfo.SIZE, SHFLFSOBJINFO.size, info);
    if (r.err !== 0) return r.err;
  }
  return 0;
}
