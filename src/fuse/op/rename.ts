// FUSE_RENAME and FUSE_RENAME2: vboxsf_dir_rename (fs/vboxsf/dir.c): RENAME with FILE | REPLACE_IF_EXISTS,
// or no flags for a directory (so a directory never replaces one); any rename2 flag is EINVAL, as vboxsf.
import { ShflRename, fuse_rename2_in, fuse_rename_in } from '../../abi/index.js';
import { E, fail, nameAt, nodeOf, ok, pathOf, type Ctx, type Handler } from '../ctx.js';
import { NodeType } from '../nodes.js';
import { typeAt } from './remove.js';

function rename(c: Ctx, newdir: bigint, namesAt: number): ReturnType<Handler> {
  const from = nodeOf(c);
  const to = nodeOf(c, newdir);
  const oldName = nameAt(c, namesAt);
  const newName = oldName === undefined ? undefined : nameAt(c, namesAt + oldName.length + 1);
  if (from === undefined || to === undefined || oldName === undefined || newName === undefined)
    return fail(E.EINVAL);
  const src = pathOf(c, from, oldName);
  const dst = pathOf(c, to, newName);
  if (src === undefined || dst === undefined) return fail(E.ESTALE);
  const type = typeAt(c, from, oldName, src);
  if (type < 0) return fail(-type);
  const flags = type === NodeType.DIR ? 0 : ShflRename.FILE | ShflRename.REPLACE_IF_EXISTS;
  const err = c.vsf.rename(src, dst, flags);
  if (err !== 0) return fail(err);
  if (!c.nodes.rename(from, oldName, to, newName)) c.front.count('tableFull');
  return ok(0);
}

/** FUSE_RENAME. */
export const renameOp: Handler = (c) => {
  if (c.req.bodyLen < fuse_rename_in.size) return fail(E.EINVAL);
  return rename(c, c.mem.readU64(c.req.body, fuse_rename_in.off.newdir), fuse_rename_in.size);
};

/** FUSE_RENAME2 (renameat2 with flags): vboxsf knows no flags. */
export const rename2: Handler = (c) => {
  if (c.req.bodyLen < fuse_rename2_in.size) return fail(E.EINVAL);
  if (c.mem.readU32(c.req.body, fuse_rename2_in.off.flags) !== 0) return fail(E.EINVAL);
  return rename(c, c.mem.readU64(c.req.body, fuse_rename2_in.off.newdir), fuse_rename2_in.size);
};
