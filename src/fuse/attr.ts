// Host object information (SHFLFSOBJINFO) as the kernel's inode attributes (fuse_attr), the way
// vboxsf_init_inode (fs/vboxsf/utils.c) sets an inode from it: permission bits only (no set-id bits), the
// type a directory, a symlink or else a regular file, the mount's owner, one link, 4 KiB blocks, and the
// host's three times. The inode number is the host's (RTFSOBJATTRUNIX.INodeId), else the node id.
import {
  RtFs,
  SHFLFSOBJATTR,
  SHFLFSOBJINFO,
  SIfmt,
  fuse_attr,
  fuse_attr_out,
  fuse_entry_out,
} from '../abi/index.js';
import { gpa, type GuestAddress } from '../runtime/index.js';
import { ByteView } from '../runtime/index.js';
import type { GuestMemory } from '../runtime/index.js';
import { NodeType, type NodeTypeValue } from './nodes.js';

const NS = 1_000_000_000n;

/** The node type of a host object. */
export function nodeTypeOf(info: Uint8Array): NodeTypeValue {
  const mode = new ByteView(info).u32(SHFLFSOBJINFO.off.Attr + SHFLFSOBJATTR.off.fMode);
  const type = mode & RtFs.TYPE_MASK;
  return type === RtFs.TYPE_DIRECTORY
    ? NodeType.DIR
    : type === RtFs.TYPE_SYMLINK
      ? NodeType.SYMLINK
      : NodeType.FILE;
}

function split(ns: bigint): [bigint, number] {
  let sec = ns / NS;
  let rem = ns % NS;
  if (rem < 0n) {
    sec -= 1n;
    rem += NS;
  }
  return [sec, Number(rem)];
}

/** Owner and inode fallback for the attributes. */
export interface AttrOwner {
  readonly uid: number;
  readonly gid: number;
}

/** Write a fuse_attr at `at` from a SHFLFSOBJINFO. */
export function writeAttr(
  mem: GuestMemory,
  at: GuestAddress,
  info: Uint8Array,
  node: number,
  o: AttrOwner,
): void {
  const v = new ByteView(info);
  const I = SHFLFSOBJINFO.off;
  const A = I.Attr;
  const mode = v.u32(A + SHFLFSOBJATTR.off.fMode);
  const type = nodeTypeOf(info);
  const ifmt = type === NodeType.DIR ? SIfmt.DIR : type === NodeType.SYMLINK ? SIfmt.LNK : SIfmt.REG;
  const ino = v.u64(A + SHFLFSOBJATTR.off.INodeId);
  const F = fuse_attr.off;
  mem.writeU64(at, F.ino, ino === 0n ? BigInt(node) : ino);
  mem.writeU64(at, F.size, v.i64(I.cbObject));
  // i_blocks counts 512-byte units of what the host allocated, rounded up.
  mem.writeU64(at, F.blocks, (v.i64(I.cbAllocated) + 511n) / 512n);
  const times: [number, number, number][] = [
    [I.AccessTime, F.atime, F.atimensec],
    [I.ModificationTime, F.mtime, F.mtimensec],
    [I.ChangeTime, F.ctime, F.ctimensec],
  ];
  for (const [src, sec, nsec] of times) {
    const [s, n] = split(v.i64(src));
    mem.writeU64(at, sec, s);
    mem.writeU32(at, nsec, n);
  }
  mem.writeU32(at, F.mode, ifmt | (mode & RtFs.UNIX_ALL_PERMS));
  mem.writeU32(at, F.nlink, 1);
  mem.writeU32(at, F.uid, o.uid);
  mem.writeU32(at, F.gid, o.gid);
  mem.writeU32(at, F.rdev, 0);
  mem.writeU32(at, F.blksize, 4096);
  mem.writeU32(at, F.flags, 0);
}

function ttl(ms: number): [bigint, number] {
  return [BigInt(Math.floor(ms / 1000)), (ms % 1000) * 1_000_000];
}

/** Write a fuse_entry_out at `at`: node id, generation, the TTL for the name and the attributes. */
export function writeEntry(
  mem: GuestMemory,
  at: GuestAddress,
  ref: { node: number; gen: number },
  info: Uint8Array,
  ttlMs: number,
  o: AttrOwner,
): number {
  const E = fuse_entry_out.off;
  const [sec, nsec] = ttl(ttlMs);
  mem.writeU64(at, E.nodeid, BigInt(ref.node));
  mem.writeU64(at, E.generation, BigInt(ref.gen));
  mem.writeU64(at, E.entry_valid, sec);
  mem.writeU64(at, E.attr_valid, sec);
  mem.writeU32(at, E.entry_valid_nsec, nsec);
  mem.writeU32(at, E.attr_valid_nsec, nsec);
  writeAttr(mem, gpa(at + E.attr), info, ref.node, o);
  return fuse_entry_out.size;
}

/** Write a fuse_attr_out at `at`. */
export function writeAttrOut(
  mem: GuestMemory,
  at: GuestAddress,
  node: number,
  info: Uint8Array,
  ttlMs: number,
  o: AttrOwner,
): number {
  const [sec, nsec] = ttl(ttlMs);
  mem.writeU64(at, fuse_attr_out.off.attr_valid, sec);
  mem.writeU32(at, fuse_attr_out.off.attr_valid_nsec, nsec);
  mem.writeU32(at, fuse_attr_out.off.dummy, 0);
  writeAttr(mem, gpa(at + fuse_attr_out.off.attr), info, node, o);
  return fuse_attr_out.size;
}
