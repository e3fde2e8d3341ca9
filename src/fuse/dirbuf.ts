// A directory's listing as vboxsf keeps it between opendir and release (vboxsf_dir_read_all and
// vboxsf_dir_emit in fs/vboxsf/dir.c and utils.c): LIST called into fresh 16 KiB buffers until the host
// says VERR_NO_MORE_FILES, the buffers chained in guest RAM (any vCPU may serve the next READDIR), and
// READDIR turning entries into fuse_dirent records from a position. Runs on the vCPU serving a request.
//
// Chunk in guest RAM: +0 next chunk (0 = last), +4 entries, +8 bytes used, +12 unused, +16 LIST data.
import {
  DirentType,
  FUSE_NAME_OFFSET,
  RtFs,
  SHFLDIRINFO,
  SHFLDIRINFO_NAME_OFFSET,
  SHFLFSOBJATTR,
  SHFLFSOBJINFO,
  fuse_dirent,
  fuseDirentAlign,
} from '../abi/index.js';
import { gpa } from '../runtime/index.js';
import type { GuestMemory } from '../runtime/index.js';
import type { DirResume } from './files.js';
import type { Vboxsf } from './wrappers.js';

/** DIR_BUFFER_SIZE: the bytes of each LIST call. */
export const DIR_BUFFER_SIZE = 16 * 1024;
const C = { NEXT: 0, ENTRIES: 4, USED: 8, DATA: 16 } as const;
const ENOMEM = 12;
const EIO = 5;

/** Guest memory the chunks come from (the guest's program heap). */
export interface ChunkHeap {
  alloc(bytes: number): { addr: number } | undefined;
  free(addr: number): void;
}

const D_TYPES: ReadonlyMap<number, number> = new Map([
  [RtFs.TYPE_FIFO, DirentType.FIFO],
  [RtFs.TYPE_DEV_CHAR, DirentType.CHR],
  [RtFs.TYPE_DIRECTORY, DirentType.DIR],
  [RtFs.TYPE_DEV_BLOCK, DirentType.BLK],
  [RtFs.TYPE_FILE, DirentType.REG],
  [RtFs.TYPE_SYMLINK, DirentType.LNK],
  [RtFs.TYPE_SOCKET, DirentType.SOCK],
]);

/** vboxsf_get_d_type: the DT_* of an RTFS mode. */
export function direntType(mode: number): number {
  return D_TYPES.get(mode & RtFs.TYPE_MASK) ?? DirentType.UNKNOWN;
}

/** Free a chain of chunks. */
export function freeListing(heap: ChunkHeap, mem: GuestMemory, head: number): void {
  for (let c = head; c !== 0;) {
    const next = mem.readU32(gpa(c), C.NEXT);
    heap.free(c);
    c = next;
  }
}

/**
 * vboxsf_dir_read_all: LIST `handle` to its end into chained chunks. The first chunk and the entry count,
 * or a positive errno (-EILSEQ, a name the host could not translate, ends the listing without error).
 */
export function readListing(
  vsf: Vboxsf,
  heap: ChunkHeap,
  mem: GuestMemory,
  handle: bigint,
): { err: 0; head: number; entries: number } | { err: number } {
  let head = 0;
  let tail = 0;
  let entries = 0;
  for (;;) {
    const chunk = heap.alloc(C.DATA + DIR_BUFFER_SIZE);
    if (chunk === undefined) {
      freeListing(heap, mem, head);
      return { err: ENOMEM };
    }
    const c = gpa(chunk.addr);
    mem.fill(c, C.DATA, 0);
    const r = vsf.dirinfo(handle, c + C.DATA, DIR_BUFFER_SIZE);
    if (r.err !== 0 || r.files === 0) {
      heap.free(c);
      // EILSEQ (84) is the host failing to translate a name: vboxsf ignores it and keeps what it has.
      if (r.err > 0 && r.err !== 84) {
        freeListing(heap, mem, head);
        return { err: r.err };
      }
      return { err: 0, head, entries };
    }
    mem.writeU32(c, C.ENTRIES, r.files);
    mem.writeU32(c, C.USED, Math.min(r.cb, DIR_BUFFER_SIZE));
    if (tail === 0) head = c;
    else mem.writeU32(gpa(tail), C.NEXT, c);
    tail = c;
    entries += r.files;
  }
}

/**
 * vboxsf_dir_emit for a READDIR: fuse_dirent records for entries from `pos` on, into `out` (guest RAM) up to
 * `size` bytes. `resume` is where the last READDIR of this handle stopped (used when it stopped at `pos`).
 * Returns the bytes written and the new resume point, or EIO if the host gave corrupt data.
 */
export function emitEntries(
  mem: GuestMemory,
  head: number,
  pos: number,
  resume: DirResume,
  out: number,
  size: number,
): { bytes: number; resume: DirResume } | { err: number } {
  // Find entry `pos`: from the resume point when it is exactly there, else by walking from the start.
  let chunk = head;
  let index = 0;
  let off = 0;
  let at = 0;
  if (resume.chunk !== 0 && resume.pos === pos) {
    chunk = resume.chunk;
    index = resume.index;
    off = resume.off;
    at = pos;
  }
  let bytes = 0;
  while (chunk !== 0) {
    const c = gpa(chunk);
    const entries = mem.readU32(c, C.ENTRIES);
    const used = mem.readU32(c, C.USED);
    if (index >= entries) {
      chunk = mem.readU32(c, C.NEXT);
      index = 0;
      off = 0;
      continue;
    }
    if (off + SHFLDIRINFO_NAME_OFFSET > used) return { err: EIO };
    const e = gpa(c + C.DATA + off);
    const nameSize = mem.readU16(e, SHFLDIRINFO.off.nameSize);
    const nameLen = mem.readU16(e, SHFLDIRINFO.off.nameLength);
    const stride = SHFLDIRINFO_NAME_OFFSET + nameSize;
    // "Only happens if the host gives us corrupt data" (vboxsf_dir_emit's WARN_ON).
    if (off + stride > used || nameLen > nameSize) return { err: EIO };
    if (at >= pos) {
      const rec = fuseDirentAlign(FUSE_NAME_OFFSET + nameLen);
      if (bytes + rec > size) break;
      const d = gpa(out + bytes);
      const attr = SHFLFSOBJINFO.off.Attr;
      const ino = mem.readU64(e, attr + SHFLFSOBJATTR.off.INodeId);
      mem.writeU64(d, fuse_dirent.off.ino, ino === 0n ? BigInt(at + 1) : ino);
      mem.writeU64(d, fuse_dirent.off.off, BigInt(at + 1));
      mem.writeU32(d, fuse_dirent.off.namelen, nameLen);
      mem.writeU32(d, fuse_dirent.off.type, direntType(mem.readU32(e, attr + SHFLFSOBJATTR.off.fMode)));
      mem.copyWithin(gpa(d + FUSE_NAME_OFFSET), gpa(e + SHFLDIRINFO_NAME_OFFSET), nameLen);
      mem.fill(gpa(d + FUSE_NAME_OFFSET + nameLen), rec - FUSE_NAME_OFFSET - nameLen, 0);
      bytes += rec;
    }
    at++;
    index++;
    off += stride;
  }
  return { bytes, resume: { pos: at, chunk, off, index } };
}
