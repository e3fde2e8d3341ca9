// Guest program: fsx (the file system exerciser of ltp/fsx.c in xfstests) through the whole guest -> host
// Shared Folders path. A seeded random mix of reads, writes, truncations, extensions, appends, flushes and
// reopens on one file, every read and every size compared with an in-memory model; buffers travel by all
// three paths in turn (LinAddr, PageList, no-bounce pages). Runs on a vCPU (Machine.run); one file each.
import { Prng } from '../runtime/index.js';
import type { GuestContext } from '../guest/index.js';
import { O, type SfIoMode, type SfMount } from '../vboxsf/index.js';

/** What to exercise. */
export interface FsxArgs {
  /** Share to mount. */
  readonly share: string;
  /** File in the share (created or truncated at start). */
  readonly file: string;
  readonly ops: number;
  readonly seed: number;
  /** Largest file size (default 256 KiB, fsx's -l). */
  readonly maxLen?: number;
  /** Largest read or write (default 64 KiB, fsx's -o). */
  readonly maxOp?: number;
  /** Reopen with probability 1/closeEvery (default 40, fsx's -c). */
  readonly closeEvery?: number;
  readonly io?: SfIoMode;
  /** Ops done so far go to word `index` of this buffer (for a progress line on the main thread). */
  readonly progress?: SharedArrayBuffer;
  readonly index?: number;
}

/** What happened. A non-empty `failure` means the file and the model disagreed. */
export interface FsxReport {
  readonly file: string;
  readonly seed: number;
  readonly ops: number;
  readonly counts: Record<string, number>;
  readonly failure: string | undefined;
  /** The last operations (fsx's op log), newest last. */
  readonly log: readonly string[];
  /** The expected final content (compare with the host file). */
  readonly model: Uint8Array;
}

const OPS = ['read', 'write', 'truncate', 'extend', 'append', 'reread', 'flush'] as const;

class Fsx {
  private readonly fs: SfMount;
  private readonly a: Required<Omit<FsxArgs, 'io' | 'progress' | 'index'>>;
  private readonly rnd: Prng;
  private readonly original: Uint8Array;
  private readonly good: Uint8Array;
  private size = 0;
  private fd: number;
  private opNum = 0;
  readonly log: string[] = [];
  readonly counts: Record<string, number> = {};

  constructor(fs: SfMount, a: Required<Omit<FsxArgs, 'io' | 'progress' | 'index'>>) {
    this.fs = fs;
    this.a = a;
    this.rnd = new Prng(a.seed);
    this.original = new Uint8Array(a.maxLen).map(() => this.int(256));
    this.good = new Uint8Array(a.maxLen);
    this.fd = fs.open(a.file, O.RDWR | O.CREAT | O.TRUNC);
  }

  /** floor(n * uniform[0, 1)): 0 for n = 0, and n may be fractional (maxOp / 4 + 1). */
  private int(n: number): number {
    return Math.floor(this.rnd.float() * n);
  }
  private note(line: string): void {
    this.log.push(`${this.opNum} ${line}`);
    if (this.log.length > 64) this.log.shift();
  }
  private fail(what: string): never {
    throw new Error(`fsx ${this.a.file} seed ${this.a.seed} op ${this.opNum}: ${what}`);
  }

  /** fsx's pattern: the op number's low byte, mixed with seed data on odd offsets, names the writer. */
  private pattern(off: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const o = off + i;
      out[i] = (this.opNum & 0xff) ^ (o % 2 === 1 ? this.original[o]! : 0);
    }
    return out;
  }

  private check(data: Uint8Array, off: number, len: number): void {
    const want = Math.max(0, Math.min(len, this.size - off));
    if (data.length !== want)
      this.fail(`read ${len} at ${off} returned ${data.length} bytes, expected ${want}`);
    for (let i = 0; i < want; i++) {
      if (data[i] !== this.good[off + i]) {
        const guess = off + i;
        this.fail(
          `byte ${guess}: got 0x${data[i]!.toString(16)}, expected 0x${this.good[guess]!.toString(16)} (written by op ~${data[i]! ^ (guess % 2 === 1 ? this.original[guess]! : 0)})`,
        );
      }
    }
  }

  private checkSize(): void {
    const st = this.fs.fstat(this.fd).size;
    if (st !== BigInt(this.size)) this.fail(`size ${st}, expected ${this.size}`);
  }

  step(): void {
    this.opNum++;
    if (this.int(this.a.closeEvery) === 0) {
      this.fs.close(this.fd);
      this.fd = this.fs.open(this.a.file, O.RDWR);
      this.note('reopen');
      this.counts.reopen = (this.counts.reopen ?? 0) + 1;
    }
    const op = OPS[this.int(OPS.length)]!;
    this.counts[op] = (this.counts[op] ?? 0) + 1;
    switch (op) {
      case 'read':
      case 'reread': {
        // A read past the end is legal and returns what is there (op 'reread' aims anywhere).
        const off = op === 'read' ? (this.size === 0 ? 0 : this.int(this.size)) : this.int(this.a.maxLen);
        const len = this.int(this.a.maxOp + 1);
        this.note(`${op} ${off} ${len}`);
        this.check(this.fs.pread(this.fd, len, off), off, len);
        break;
      }
      case 'write': {
        const off = this.int(this.a.maxLen);
        const len = Math.min(this.int(this.a.maxOp + 1), this.a.maxLen - off);
        const data = this.pattern(off, len);
        this.note(`write ${off} ${len}`);
        const n = this.fs.pwrite(this.fd, data, off);
        if (n !== len) this.fail(`short write ${n} of ${len}`);
        this.good.set(data, off);
        if (len > 0) this.size = Math.max(this.size, off + len);
        break;
      }
      case 'truncate':
      case 'extend': {
        const to =
          op === 'truncate'
            ? this.int(this.a.maxLen)
            : Math.min(this.a.maxLen, this.size + this.int(this.a.maxOp));
        this.note(`${op} ${this.size} -> ${to}`);
        // Both ways the guest can set a size: INFORMATION SET|SIZE on the handle, SET_FILE_SIZE by path.
        if (this.int(2) === 0) this.fs.ftruncate(this.fd, to);
        else this.fs.truncate(this.a.file, to);
        if (to < this.size) this.good.fill(0, to, this.size);
        this.size = to;
        break;
      }
      case 'append': {
        const len = Math.min(this.int(this.a.maxOp / 4 + 1), this.a.maxLen - this.size);
        const data = this.pattern(this.size, len);
        this.note(`append ${this.size} ${len}`);
        const afd = this.fs.open(this.a.file, O.WRONLY | O.APPEND);
        try {
          const n = this.fs.write(afd, data);
          if (n !== len) this.fail(`short append ${n} of ${len}`);
        } finally {
          this.fs.close(afd);
        }
        this.good.set(data, this.size);
        this.size += len;
        break;
      }
      case 'flush':
        this.note('flush');
        this.fs.fsync(this.fd);
        break;
    }
    this.checkSize();
  }

  /** The whole file, re-read and compared (fsx -X at the end). */
  finish(): void {
    this.check(this.fs.pread(this.fd, this.a.maxLen + 1, 0), 0, this.a.maxLen + 1);
    this.fs.close(this.fd);
  }

  get model(): Uint8Array {
    return this.good.slice(0, this.size);
  }
}

/** Run fsx on one file. Failures are reported, not thrown, so every vCPU's report comes back. */
export function fsx(g: GuestContext, args: FsxArgs): FsxReport {
  const a = {
    share: args.share,
    file: args.file,
    ops: args.ops,
    seed: args.seed,
    maxLen: args.maxLen ?? 256 * 1024,
    maxOp: args.maxOp ?? 64 * 1024,
    closeEvery: args.closeEvery ?? 40,
  };
  const fs = g.sf.mount(args.share, { io: args.io ?? 'mixed' });
  const x = new Fsx(fs, a);
  let failure: string | undefined;
  try {
    const done = args.progress === undefined ? undefined : new Int32Array(args.progress);
    for (let i = 0; i < a.ops; i++) {
      x.step();
      // ORDER: a plain counter the main thread only reads for display; no other access depends on it.
      if (done !== undefined && (i & 63) === 63) Atomics.store(done, args.index ?? 0, i + 1);
    }
    x.finish();
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
  }
  fs.unmount();
  return { file: a.file, seed: a.seed, ops: a.ops, counts: x.counts, failure, log: x.log, model: x.model };
}
