// FUSE_STATFS: vboxsf_statfs (fs/vboxsf/super.c): INFORMATION GET|VOLUME; blocks in allocation units, a
// fixed 1000 files and 1000000 free inodes ("don't return 0 here"), names up to 255 bytes.
import { SHFLVOLINFO, ShflInfo, fuse_kstatfs } from '../../abi/index.js';
import { ByteView } from '../../runtime/index.js';
import { E, fail, ok, type Handler } from '../ctx.js';

/** FUSE_STATFS. */
export const statfs: Handler = (c) => {
  const r = c.vsf.fsinfo(0n, ShflInfo.GET | ShflInfo.VOLUME, SHFLVOLINFO.size);
  if (r.err !== 0) return fail(r.err);
  const v = new ByteView(r.data);
  const unit = v.u32(SHFLVOLINFO.off.ulBytesPerAllocationUnit);
  if (unit === 0) return fail(E.EIO);
  const K = fuse_kstatfs.off;
  c.mem.fill(c.out, fuse_kstatfs.size, 0);
  c.mem.writeU64(c.out, K.blocks, v.i64(SHFLVOLINFO.off.ullTotalAllocationBytes) / BigInt(unit));
  const avail = v.i64(SHFLVOLINFO.off.ullAvailableAllocationBytes) / BigInt(unit);
  c.mem.writeU64(c.out, K.bfree, avail);
  c.mem.writeU64(c.out, K.bavail, avail);
  c.mem.writeU64(c.out, K.files, 1000n);
  c.mem.writeU64(c.out, K.ffree, 1000000n);
  c.mem.writeU32(c.out, K.bsize, unit);
  c.mem.writeU32(c.out, K.namelen, 255);
  c.mem.writeU32(c.out, K.frsize, unit);
  return ok(fuse_kstatfs.size);
};
