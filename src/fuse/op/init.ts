// FUSE_INIT: agree on the protocol (7.38 from this side; the kernel speaks 7.45 and follows the older
// minor) and on the features the front uses: big writes of up to max_write in one request, O_TRUNC handled
// by OPEN (vboxsf_file_open's OVERWRITE_IF_EXISTS), cached pages dropped when the host's mtime or size
// changes (as vboxsf_inode_revalidate does), parallel lookups, and asynchronous readahead if configured.
import {
  FUSE_KERNEL_MINOR_VERSION,
  FUSE_KERNEL_VERSION,
  FuseInit,
  fuse_init_in,
  fuse_init_out,
} from '../../abi/index.js';
import { E, fail, ok, type Handler } from '../ctx.js';
import { FrontWord } from '../layout.js';

const PAGE = 4096;

/** INIT flags the front asks for (those the kernel offers). */
export function wantedInitFlags(asyncRead: boolean): number {
  return (
    FuseInit.BIG_WRITES |
    FuseInit.MAX_PAGES |
    FuseInit.ATOMIC_O_TRUNC |
    FuseInit.AUTO_INVAL_DATA |
    FuseInit.PARALLEL_DIROPS |
    FuseInit.ABORT_ERROR |
    FuseInit.ASYNC_DIO |
    (asyncRead ? FuseInit.ASYNC_READ : 0)
  );
}

/** FUSE_INIT. */
export const init: Handler = (c) => {
  if (c.req.bodyLen < 16) return fail(E.EINVAL);
  const I = fuse_init_in.off;
  const major = c.mem.readU32(c.req.body, I.major);
  const minor = c.mem.readU32(c.req.body, I.minor);
  const readahead = c.mem.readU32(c.req.body, I.max_readahead);
  const offered = c.mem.readU32(c.req.body, I.flags);
  // A kernel older than 7 cannot be served; a newer major is answered with ours so it can fall back.
  if (major < FUSE_KERNEL_VERSION) return fail(E.EPROTO);
  const O = fuse_init_out.off;
  c.mem.fill(c.out, fuse_init_out.size, 0);
  c.mem.writeU32(c.out, O.major, FUSE_KERNEL_VERSION);
  c.mem.writeU32(c.out, O.minor, FUSE_KERNEL_MINOR_VERSION);
  if (major > FUSE_KERNEL_VERSION) return ok(8);
  const maxWrite = c.config.maxWrite;
  // The kernel lowers the mount's readahead to this (never raises it); the mount sets it afterwards.
  c.mem.writeU32(c.out, O.max_readahead, Math.max(readahead, maxWrite));
  c.mem.writeU32(c.out, O.flags, offered & wantedInitFlags(c.config.asyncRead));
  c.mem.writeU16(c.out, O.max_background, 12);
  c.mem.writeU16(c.out, O.congestion_threshold, 9);
  c.mem.writeU32(c.out, O.max_write, maxWrite);
  // The host's times are nanoseconds (RTTIMESPEC).
  c.mem.writeU32(c.out, O.time_gran, 1);
  c.mem.writeU16(c.out, O.max_pages, Math.ceil(maxWrite / PAGE));
  // The state becomes INITIALISED once this reply is written (serve.ts): the kernel has taken it by then.
  c.front.set(FrontWord.KERNEL_MINOR, minor);
  return ok(fuse_init_out.size);
};
