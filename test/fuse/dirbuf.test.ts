// READDIR out of the listing vboxsf reads at opendir, without threads: entries turned into fuse_dirent
// records from any position, continued exactly where the last READDIR stopped (the resume point), whatever
// the reply size, and a record the host got wrong answered EIO (vboxsf_dir_emit's WARN_ON).
import { describe, expect, test } from 'vitest';
import {
  DirentType,
  RtFs,
  SHFLDIRINFO_NAME_OFFSET,
  fuse_dirent,
  fuseDirentAlign,
} from '../../src/abi/index.js';
import { gpa } from '../../src/runtime/address.js';
import { GuestMemory } from '../../src/runtime/guest-memory.js';
import { direntType, emitEntries } from '../../src/fuse/dirbuf.js';

const NAMES = [
  ['.', RtFs.TYPE_DIRECTORY],
  ['..', RtFs.TYPE_DIRECTORY],
  ['a.txt', RtFs.TYPE_FILE],
  ['link', RtFs.TYPE_SYMLINK],
  ['a-rather-longer-name.bin', RtFs.TYPE_FILE],
] as const;

/** Two chunks (3 and 2 entries) laid out as readListing leaves them; the first chunk's address. */
function listing(mem: GuestMemory, corrupt = false): number {
  const chunks = [NAMES.slice(0, 3), NAMES.slice(3)];
  const addrs = [0x1000, 0x3000];
  for (const [c, entries] of chunks.entries()) {
    const base = addrs[c]!;
    let off = 0;
    for (const [i, [name, type]] of entries.entries()) {
      const e = gpa(base + 16 + off);
      const bytes = new TextEncoder().encode(name);
      mem.writeU32(e, 48, type | 0o644);
      mem.writeU64(e, 48 + 24, BigInt(100 + c * 10 + i));
      mem.writeU16(e, 122, bytes.length + 1);
      mem.writeU16(e, 124, corrupt && c === 1 ? 500 : bytes.length);
      mem.write(gpa(e + SHFLDIRINFO_NAME_OFFSET), bytes);
      off += SHFLDIRINFO_NAME_OFFSET + bytes.length + 1;
    }
    mem.writeU32(gpa(base), 0, c === 0 ? addrs[1]! : 0);
    mem.writeU32(gpa(base), 4, entries.length);
    mem.writeU32(gpa(base), 8, off);
  }
  return addrs[0]!;
}

/** Decode fuse_dirent records. */
function dirents(
  mem: GuestMemory,
  at: number,
  bytes: number,
): { name: string; off: number; type: number; ino: bigint }[] {
  const out = [];
  for (let p = 0; p < bytes;) {
    const d = gpa(at + p);
    const len = mem.readU32(d, fuse_dirent.off.namelen);
    out.push({
      name: new TextDecoder().decode(mem.read(gpa(d + 24), len)),
      off: Number(mem.readU64(d, fuse_dirent.off.off)),
      type: mem.readU32(d, fuse_dirent.off.type),
      ino: mem.readU64(d, fuse_dirent.off.ino),
    });
    p += fuseDirentAlign(24 + len);
  }
  return out;
}

describe('READDIR from the listing', () => {
  const none = { pos: 0, chunk: 0, off: 0, index: 0 };

  test('every entry, with its type, the host inode and the offset of the next', () => {
    const mem = GuestMemory.create(1 << 20);
    const head = listing(mem);
    const r = emitEntries(mem, head, 0, none, 0x8000, 4096);
    if ('err' in r) throw new Error(`EIO`);
    expect(dirents(mem, 0x8000, r.bytes)).toEqual([
      { name: '.', off: 1, type: DirentType.DIR, ino: 100n },
      { name: '..', off: 2, type: DirentType.DIR, ino: 101n },
      { name: 'a.txt', off: 3, type: DirentType.REG, ino: 102n },
      { name: 'link', off: 4, type: DirentType.LNK, ino: 110n },
      { name: 'a-rather-longer-name.bin', off: 5, type: DirentType.REG, ino: 111n },
    ]);
    expect(r.resume.pos).toBe(5);
  });

  test('small replies resume where the last stopped, or find the position from the start', () => {
    const mem = GuestMemory.create(1 << 20);
    const head = listing(mem);
    const names: string[] = [];
    let resume = none;
    let pos = 0;
    // Room for one or two records per reply.
    for (let round = 0; round < 10 && pos < NAMES.length; round++) {
      const r = emitEntries(mem, head, pos, resume, 0x8000, 40 + (round % 2) * 32);
      if ('err' in r) throw new Error('EIO');
      const got = dirents(mem, 0x8000, r.bytes);
      names.push(...got.map((d) => d.name));
      pos = got.at(-1)!.off;
      resume = r.resume;
    }
    expect(names).toEqual(NAMES.map(([n]) => n));
    // A seek back (telldir/seekdir) walks from the start.
    const r = emitEntries(mem, head, 2, resume, 0x8000, 4096);
    if ('err' in r) throw new Error('EIO');
    expect(dirents(mem, 0x8000, r.bytes).map((d) => d.name)).toEqual([
      'a.txt',
      'link',
      'a-rather-longer-name.bin',
    ]);
  });

  test('a record whose name runs past what the host filled is EIO', () => {
    const mem = GuestMemory.create(1 << 20);
    const head = listing(mem, true);
    expect(emitEntries(mem, head, 0, none, 0x8000, 4096)).toEqual({ err: 5 });
  });

  test('types as vboxsf_get_d_type maps them', () => {
    expect(direntType(RtFs.TYPE_FIFO)).toBe(DirentType.FIFO);
    expect(direntType(RtFs.TYPE_SOCKET)).toBe(DirentType.SOCK);
    expect(direntType(RtFs.TYPE_DEV_BLOCK)).toBe(DirentType.BLK);
    expect(direntType(0)).toBe(DirentType.UNKNOWN);
  });
});
