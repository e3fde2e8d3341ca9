// File object information the IPRT way; models RTFSOBJINFO and rtFsConvertStatToObjInfo /
// rtFsModeFromUnix (Runtime/r3/posix/fs-posix.cpp, Runtime/common/fs/fs.cpp). Every 64-bit value is a BigInt.
import type { BigIntStats } from 'node:fs';
import { RtFs } from '../../abi/index.js';

/** RTFSOBJINFO with UNIX additional attributes. Times are nanoseconds since 1970 (RTTIMESPEC). */
export interface FsObjInfo {
  readonly cbObject: bigint;
  readonly cbAllocated: bigint;
  readonly accessTime: bigint;
  readonly modificationTime: bigint;
  readonly changeTime: bigint;
  readonly birthTime: bigint;
  /** RTFS_* mode: UNIX type and permissions, DOS attributes in the high half. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly hardlinks: number;
  /** st_dev (RTFSOBJATTRUNIX.INodeIdDevice). */
  readonly device: number;
  readonly inode: bigint;
  /** st_rdev for device nodes. */
  readonly rdev: number;
}

const DOT = 0x2e;

/**
 * rtFsModeFromUnix: keep the UNIX bits, derive the DOS attributes (read-only when nobody may write, the
 * directory bit, hidden for dot-names, a reparse point for symlinks, NT_NORMAL when nothing else applies).
 */
export function rtFsModeFromUnix(unixMode: number, name?: Uint8Array): number {
  let mode = unixMode & RtFs.UNIX_MASK;
  if ((mode & (RtFs.UNIX_IWUSR | RtFs.UNIX_IWGRP | RtFs.UNIX_IWOTH)) === 0) mode |= RtFs.DOS_READONLY;
  const type = mode & RtFs.TYPE_MASK;
  if (type === RtFs.TYPE_DIRECTORY) mode |= RtFs.DOS_DIRECTORY;
  if (type === RtFs.TYPE_SYMLINK) mode |= RtFs.DOS_NT_REPARSE_POINT;
  if (name !== undefined && name.length > 0 && name[0] === DOT) mode |= RtFs.DOS_HIDDEN;
  if ((mode & RtFs.DOS_MASK) === 0) mode |= RtFs.DOS_NT_NORMAL;
  return mode >>> 0;
}

/** A 64-bit field as the low 32 bits (u32 fields of RTFSOBJATTRUNIX). */
function low32(v: bigint): number {
  return Number(BigInt.asUintN(32, v));
}

/** rtFsConvertStatToObjInfo on `fstat/lstat(..., { bigint: true })`. `name` drives the hidden attribute. */
export function objInfoFromStats(st: BigIntStats, name?: Uint8Array): FsObjInfo {
  const birth = st.birthtimeNs > 0n ? st.birthtimeNs : st.ctimeNs;
  return {
    cbObject: st.size,
    cbAllocated: st.blocks * 512n,
    accessTime: st.atimeNs,
    modificationTime: st.mtimeNs,
    changeTime: st.ctimeNs,
    birthTime: birth,
    mode: rtFsModeFromUnix(Number(st.mode & 0xffffn), name),
    uid: low32(st.uid),
    gid: low32(st.gid),
    hardlinks: low32(st.nlink),
    device: low32(st.dev),
    inode: st.ino,
    rdev: low32(st.rdev),
  };
}

/** RTFS_IS_DIRECTORY. */
export function isDirectory(mode: number): boolean {
  return (mode & RtFs.TYPE_MASK) === RtFs.TYPE_DIRECTORY;
}
/** RTFS_IS_FILE. */
export function isFile(mode: number): boolean {
  return (mode & RtFs.TYPE_MASK) === RtFs.TYPE_FILE;
}
/** RTFS_IS_SYMLINK. */
export function isSymlink(mode: number): boolean {
  return (mode & RtFs.TYPE_MASK) === RtFs.TYPE_SYMLINK;
}
