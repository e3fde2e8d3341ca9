// The open files and directories of the FUSE front (what Linux keeps in file->private_data for vboxsf: a
// vboxsf_handle for a file, a vboxsf_dir_info for a directory), shared by every vCPU: the kernel may send a
// file's READ to one vCPU and its RELEASE to another. Runs on any vCPU.
//
// A FUSE fh is `generation << 32 | slot`, so a stale or made-up fh never reaches a later file. A file
// holds its host SHFLHANDLE; a directory holds, like vboxsf_dir_info, every LIST result read at OPENDIR
// (chunks in guest RAM, see dirbuf.ts) and where the last READDIR stopped, so the next one resumes there.
import { SlotPool } from '../runtime/index.js';

const F = {
  KIND: 0,
  NODE: 1,
  HANDLE_LO: 2,
  HANDLE_HI: 3,
  ACCESS: 4,
  DIR_HEAD: 5,
  DIR_ENTRIES: 6,
  RESUME_POS: 7,
  RESUME_CHUNK: 8,
  RESUME_OFF: 9,
  RESUME_INDEX: 10,
} as const;
const WORDS = 11;
const TWO32 = 2n ** 32n;

/** What an fh names. */
export const FileKind = { FILE: 1, DIR: 2 } as const;

/** An open file: its host handle and the access it was opened with (SHFL_CF_ACCESS_*). */
export interface OpenFile {
  readonly node: number;
  readonly handle: bigint;
  readonly access: number;
}

/** An open directory: the first LIST chunk in guest RAM and how many entries the chunks hold. */
export interface OpenDir {
  readonly node: number;
  readonly head: number;
  readonly entries: number;
}

/** Where a READDIR stopped: entry `pos` of the directory is entry `index` of `chunk`, at byte `off`. */
export interface DirResume {
  readonly pos: number;
  readonly chunk: number;
  readonly off: number;
  readonly index: number;
}

/** fh -> open file or directory. */
export class FileTable {
  private readonly t: SlotPool;

  private constructor(sab: SharedArrayBuffer) {
    this.t = SlotPool.attach(sab);
  }

  /** Shared memory for `capacity` open files and directories. */
  static create(capacity: number): SharedArrayBuffer {
    return SlotPool.create(capacity + 1, WORDS).sab;
  }

  /** Attach to a table created elsewhere. */
  static attach(sab: SharedArrayBuffer): FileTable {
    return new FileTable(sab);
  }

  /** Files and directories open now. */
  get live(): number {
    return this.t.live;
  }

  private fhOf(slot: number): bigint {
    return (BigInt(this.t.gen(slot)) << 32n) | BigInt(slot);
  }

  /** The slot an fh names if it is live, of `kind`, and of its generation; else undefined. */
  private slotOf(fh: bigint, kind: number): number | undefined {
    const slot = Number(fh & 0xffffffffn);
    if (!this.t.isLive(slot) || this.t.get(slot, F.KIND) !== kind) return undefined;
    return BigInt(this.t.gen(slot)) === fh >> 32n ? slot : undefined;
  }

  /** Take a slot of `kind` for `node`, fill the rest with `fill`; its fh, or undefined when the table is full. */
  private register(kind: number, node: number, fill: (slot: number) => void): bigint | undefined {
    return this.t.locked(() => {
      const s = this.t.alloc();
      if (s === undefined) return undefined;
      this.t.set(s, F.KIND, kind);
      this.t.set(s, F.NODE, node);
      fill(s);
      return this.fhOf(s);
    });
  }

  /** Register an open file; undefined when the table is full. */
  openFile(f: OpenFile): bigint | undefined {
    return this.register(FileKind.FILE, f.node, (s) => {
      this.t.set(s, F.HANDLE_LO, Number(f.handle % TWO32) | 0);
      this.t.set(s, F.HANDLE_HI, Number(f.handle / TWO32) | 0);
      this.t.set(s, F.ACCESS, f.access);
    });
  }

  /** Register an open directory; undefined when the table is full. */
  openDir(d: OpenDir): bigint | undefined {
    return this.register(FileKind.DIR, d.node, (s) => {
      this.t.set(s, F.DIR_HEAD, d.head);
      this.t.set(s, F.DIR_ENTRIES, d.entries);
    });
  }

  /** The open file `fh` names, or undefined. */
  file(fh: bigint): OpenFile | undefined {
    return this.t.locked(() => {
      const s = this.slotOf(fh, FileKind.FILE);
      if (s === undefined) return undefined;
      const handle =
        BigInt(this.t.get(s, F.HANDLE_LO) >>> 0) + BigInt(this.t.get(s, F.HANDLE_HI) >>> 0) * TWO32;
      return { node: this.t.get(s, F.NODE), handle, access: this.t.get(s, F.ACCESS) };
    });
  }

  /** The open directory `fh` names and its resume point, or undefined. */
  dir(fh: bigint): (OpenDir & { resume: DirResume }) | undefined {
    return this.t.locked(() => {
      const s = this.slotOf(fh, FileKind.DIR);
      if (s === undefined) return undefined;
      return {
        node: this.t.get(s, F.NODE),
        head: this.t.get(s, F.DIR_HEAD),
        entries: this.t.get(s, F.DIR_ENTRIES),
        resume: {
          pos: this.t.get(s, F.RESUME_POS),
          chunk: this.t.get(s, F.RESUME_CHUNK),
          off: this.t.get(s, F.RESUME_OFF),
          index: this.t.get(s, F.RESUME_INDEX),
        },
      };
    });
  }

  /** Remember where a READDIR of `fh` stopped. */
  setResume(fh: bigint, r: DirResume): void {
    this.t.locked(() => {
      const s = this.slotOf(fh, FileKind.DIR);
      if (s === undefined) return;
      this.t.set(s, F.RESUME_POS, r.pos);
      this.t.set(s, F.RESUME_CHUNK, r.chunk);
      this.t.set(s, F.RESUME_OFF, r.off);
      this.t.set(s, F.RESUME_INDEX, r.index);
    });
  }

  /** RELEASE / RELEASEDIR: forget `fh`; returns what it was so the caller can close or free it. */
  close(fh: bigint): { kind: 'file'; file: OpenFile } | { kind: 'dir'; dir: OpenDir } | undefined {
    const file = this.file(fh);
    const dir = file === undefined ? this.dir(fh) : undefined;
    return this.t.locked(() => {
      const s = this.slotOf(fh, file !== undefined ? FileKind.FILE : FileKind.DIR);
      if (s === undefined) return undefined;
      this.t.free(s);
      if (file !== undefined) return { kind: 'file' as const, file };
      return dir === undefined ? undefined : { kind: 'dir' as const, dir };
    });
  }

  /** Every open fh (for shutdown: what is still open when the mount ends). */
  all(): bigint[] {
    return this.t.liveSlots().map((s) => this.fhOf(s));
  }
}
