// FUSE_UNLINK and FUSE_RMDIR: vboxsf_dir_unlink (fs/vboxsf/dir.c): REMOVE with DIR for a directory, FILE
// otherwise, plus SYMLINK for a symlink (the type vboxsf reads from the inode; here from the node table, or
// from the host when the table does not know the name). The node stays until the kernel forgets it.
import { ShflRemove } from '../../abi/index.js';
import { nodeTypeOf } from '../attr.js';
import { childOf, fail, isReply, ok, type Ctx, type Handler } from '../ctx.js';
import { NodeType, type NodeTypeValue } from '../nodes.js';

/** The type of the object at `name` in `parent`, from the table or the host. */
export function typeAt(c: Ctx, parent: number, name: Uint8Array, path: Uint8Array): NodeTypeValue | number {
  const known = c.nodes.typeAt(parent, name);
  if (known !== undefined) return known;
  const st = c.vsf.stat(path);
  return st.err !== 0 ? -st.err : nodeTypeOf(st.info);
}

function remove(c: Ctx, dir: boolean): ReturnType<Handler> {
  const child = childOf(c, 0);
  if (isReply(child)) return child;
  const { parent, name, path } = child;
  let flags: number = ShflRemove.DIR;
  if (!dir) {
    const type = typeAt(c, parent, name, path);
    if (type < 0) return fail(-type);
    flags = ShflRemove.FILE | (type === NodeType.SYMLINK ? ShflRemove.SYMLINK : 0);
  }
  const err = c.vsf.remove(path, flags);
  if (err !== 0) return fail(err);
  c.nodes.detach(parent, name);
  return ok(0);
}

/** FUSE_UNLINK. */
export const unlink: Handler = (c) => remove(c, false);

/** FUSE_RMDIR. */
export const rmdir: Handler = (c) => remove(c, true);
