// FUSE_FORGET and FUSE_BATCH_FORGET: the kernel dropped lookups of nodes (an evicted inode); no reply. A
// node whose count reaches zero is freed (vboxsf_free_inode: idr_remove).
import { fuse_batch_forget_in, fuse_forget_in, fuse_forget_one } from '../../abi/index.js';
import { gpa } from '../../runtime/index.js';
import { NO_REPLY, type Ctx, type Handler } from '../ctx.js';

function drop(c: Ctx, nodeid: bigint, nlookup: bigint): void {
  c.front.count('forgets');
  if (nodeid > 0n && nodeid < 2n ** 32n) c.nodes.forget(Number(nodeid), Number(nlookup));
}

/** FUSE_FORGET. */
export const forget: Handler = (c) => {
  if (c.req.bodyLen >= fuse_forget_in.size)
    drop(c, c.req.nodeid, c.mem.readU64(c.req.body, fuse_forget_in.off.nlookup));
  return NO_REPLY;
};

/** FUSE_BATCH_FORGET. */
export const batchForget: Handler = (c) => {
  if (c.req.bodyLen < fuse_batch_forget_in.size) return NO_REPLY;
  const count = c.mem.readU32(c.req.body, fuse_batch_forget_in.off.count);
  const room = Math.floor((c.req.bodyLen - fuse_batch_forget_in.size) / fuse_forget_one.size);
  for (let i = 0; i < Math.min(count, room); i++) {
    const one = gpa(c.req.body + fuse_batch_forget_in.size + i * fuse_forget_one.size);
    drop(c, c.mem.readU64(one, fuse_forget_one.off.nodeid), c.mem.readU64(one, fuse_forget_one.off.nlookup));
  }
  return NO_REPLY;
};
