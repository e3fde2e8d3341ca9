// The FUSE front's dispatch: one line per opcode (crosvm's fuse server does the same), and the answer for
// what vboxsf does not have: no mknod, link or xattr operations (EPERM / ENOSYS, which the kernel
// remembers and stops asking), no flush on close (vboxsf has no .flush), no locks (the kernel keeps
// POSIX and BSD locks locally, as it does for vboxsf).
import { FuseOp } from '../abi/index.js';
import { E, fail, ok, type Handler } from './ctx.js';
import { create } from './op/create.js';
import { batchForget, forget } from './op/forget.js';
import { fsync } from './op/fsync.js';
import { getattr } from './op/getattr.js';
import { init } from './op/init.js';
import { interrupt } from './op/interrupt.js';
import { lookup } from './op/lookup.js';
import { mkdir } from './op/mkdir.js';
import { open } from './op/open.js';
import { opendir } from './op/opendir.js';
import { read } from './op/read.js';
import { readdir } from './op/readdir.js';
import { release } from './op/release.js';
import { releasedir } from './op/releasedir.js';
import { rmdir, unlink } from './op/remove.js';
import { rename2, renameOp } from './op/rename.js';
import { setattr } from './op/setattr.js';
import { statfs } from './op/statfs.js';
import { readlink, symlink } from './op/symlink.js';
import { write } from './op/write.js';

const refuse =
  (err: number): Handler =>
  () =>
    fail(err);

/** Opcode -> handler; anything else is ENOSYS. */
export const HANDLERS: Readonly<Record<number, Handler>> = {
  [FuseOp.INIT]: init,
  [FuseOp.LOOKUP]: lookup,
  [FuseOp.FORGET]: forget,
  [FuseOp.BATCH_FORGET]: batchForget,
  [FuseOp.GETATTR]: getattr,
  [FuseOp.SETATTR]: setattr,
  [FuseOp.READLINK]: readlink,
  [FuseOp.SYMLINK]: symlink,
  [FuseOp.MKNOD]: refuse(E.EPERM),
  [FuseOp.MKDIR]: mkdir,
  [FuseOp.UNLINK]: unlink,
  [FuseOp.RMDIR]: rmdir,
  [FuseOp.RENAME]: renameOp,
  [FuseOp.RENAME2]: rename2,
  [FuseOp.LINK]: refuse(E.EPERM),
  [FuseOp.OPEN]: open,
  [FuseOp.READ]: read,
  [FuseOp.WRITE]: write,
  [FuseOp.STATFS]: statfs,
  [FuseOp.RELEASE]: release,
  [FuseOp.FSYNC]: fsync,
  [FuseOp.FLUSH]: refuse(E.ENOSYS),
  [FuseOp.OPENDIR]: opendir,
  [FuseOp.READDIR]: readdir,
  [FuseOp.RELEASEDIR]: releasedir,
  [FuseOp.FSYNCDIR]: refuse(E.ENOSYS),
  [FuseOp.CREATE]: create,
  [FuseOp.INTERRUPT]: interrupt,
  [FuseOp.DESTROY]: () => ok(0),
};

/** Operations whose host calls wait interruptibly (an INTERRUPT cancels them). */
export const INTERRUPTIBLE: ReadonlySet<number> = new Set([FuseOp.READ, FuseOp.WRITE]);

/** The handler of `opcode`. */
export function handlerOf(opcode: number): Handler {
  return HANDLERS[opcode] ?? refuse(E.ENOSYS);
}
