// FUSE_CREATE: vboxsf_dir_atomic_open -> vboxsf_dir_create (fs/vboxsf/dir.c): CREATE with CREATE_IF_NEW,
// read-write access whatever the open mode, FAIL_IF_EXISTS for O_EXCL, mode bits and the file type; any
// result but FILE_CREATED is EPERM (vboxsf's answer; the handle it got is closed here, which vboxsf forgets).
// The reply is the new entry followed by the open file.
import {
  RtFs,
  SHFL_HANDLE_NIL,
  ShflCreate,
  ShflResult,
  fuse_create_in,
  fuse_entry_out,
} from '../../abi/index.js';
import { gpa } from '../../runtime/index.js';
import { childOf, E, fail, isReply, ok, replyEntry, type Handler } from '../ctx.js';
import { O } from '../guest.js';
import { writeOpen } from './open.js';

/** FUSE_CREATE. */
export const create: Handler = (c) => {
  const child = childOf(c, fuse_create_in.size);
  if (isReply(child)) return child;
  const { parent, name, path } = child;
  const flags = c.mem.readU32(c.req.body, fuse_create_in.off.flags);
  const mode = c.mem.readU32(c.req.body, fuse_create_in.off.mode);
  const cf =
    ShflCreate.ACT_CREATE_IF_NEW |
    ShflCreate.ACCESS_READWRITE |
    ((flags & O.EXCL) !== 0 ? ShflCreate.ACT_FAIL_IF_EXISTS : ShflCreate.ACT_OPEN_IF_EXISTS);
  const r = c.vsf.create(path, cf, (mode & RtFs.UNIX_ALL_PERMS) | RtFs.TYPE_FILE);
  if (r.err !== 0) return fail(r.err);
  if (r.result !== ShflResult.FILE_CREATED || r.handle === SHFL_HANDLE_NIL) {
    if (r.handle !== SHFL_HANDLE_NIL) c.vsf.close(r.handle);
    return fail(E.EPERM);
  }
  const entry = replyEntry(c, parent, name, r.info);
  if (entry.kind !== 'ok' || entry.entered === undefined) {
    c.vsf.close(r.handle);
    return entry;
  }
  const opened = writeOpen(
    c,
    entry.entered,
    r.handle,
    ShflCreate.ACCESS_READWRITE,
    gpa(c.out + fuse_entry_out.size),
  );
  if (opened === undefined) {
    c.nodes.forget(entry.entered, 1);
    return fail(E.ENFILE);
  }
  return ok(entry.bytes + opened, entry.entered);
};
