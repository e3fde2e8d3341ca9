// A first-fit, coalescing heap whose metadata lives in shared memory, so every thread can allocate and free
// (cf. VbglR0PhysHeap: block headers inside the heap itself). Blocks can be quarantined: never handed out
// again and never freed, which is how leaked HGCM requests are kept out of reuse.
//
// Region layout (byte offsets from `base`):
//   +0   control block (64 bytes): see Ctl below; +48 is the lock word
//   +64  first block
// Block: 16-byte header, then the payload (16-byte aligned):
//   +0 size (header + payload, multiple of 16)  +4 state  +8 size of the previous block (0 for the first)
//   +12 generation: a heap-wide counter stamped at allocation, so (address, gen) names one allocation.
// Free blocks keep a doubly linked free list in their payload: +16 next free, +20 previous free (0 = none).
import { AtomicCell } from './atomic-cell.js';
import { HeapError, invariant } from './errors.js';
import { lockSync, unlockSync } from './sync.js';

/** Memory a heap lives in: 32-bit little-endian words at byte offsets, plus an atomic cell maker. */
export interface HeapBacking {
  u32(off: number): number;
  setU32(off: number, v: number): void;
  /** The atomic word at byte offset `off` (4-aligned). */
  cell(off: number): AtomicCell;
}

const Ctl = {
  MAGIC: 0,
  FREE_HEAD: 4,
  IN_USE_BYTES: 8,
  LIVE_BLOCKS: 12,
  QUARANTINED_BYTES: 16,
  QUARANTINED_BLOCKS: 20,
  ALLOCS: 24,
  FREES: 28,
  FAILS: 32,
  GEN: 36,
  SIZE: 40,
  /** Bytes from `base` ever written since format (a high-water mark: a reused machine restores only these). */
  TOUCHED: 44,
  LOCK: 48,
} as const;
const CTL_BYTES = 64;
const HDR = 16;
const MIN_BLOCK = 32;
const HEAP_MAGIC = 0x50414548; // 'HEAP'

/** Block states. */
export const BlockState = { FREE: 1, USED: 2, QUARANTINED: 3 } as const;

/** Counters of a heap. */
export interface HeapStats {
  readonly sizeBytes: number;
  readonly inUseBytes: number;
  readonly liveBlocks: number;
  readonly quarantinedBytes: number;
  readonly quarantinedBlocks: number;
  readonly allocs: number;
  readonly frees: number;
  readonly failedAllocs: number;
}

/** What free() did. */
export type FreeResult = 'freed' | 'quarantined';

/** A heap in [base, base + size) of a backing store. Every method takes the heap's lock (sealed, never yields). */
export class SharedHeap {
  private readonly m: HeapBacking;
  readonly base: number;
  readonly size: number;
  private readonly lockCell: AtomicCell;

  private constructor(m: HeapBacking, base: number, size: number) {
    this.m = m;
    this.base = base;
    this.size = size;
    this.lockCell = m.cell(base + Ctl.LOCK);
  }

  /** Lay out a new, empty heap. `base` must be 16-aligned and `size` a multiple of 16 (>= 128). */
  static format(m: HeapBacking, base: number, size: number): SharedHeap {
    if (base % 16 !== 0 || size % 16 !== 0 || size < CTL_BYTES + 4 * MIN_BLOCK) {
      throw new RangeError(`heap region [${base}, +${size}) must be 16-aligned and at least 192 bytes`);
    }
    for (let off = 0; off < CTL_BYTES; off += 4) m.setU32(base + off, 0);
    const first = base + CTL_BYTES;
    const blockBytes = size - CTL_BYTES;
    m.setU32(first, blockBytes);
    m.setU32(first + 4, BlockState.FREE);
    m.setU32(first + 8, 0);
    m.setU32(first + 12, 0);
    m.setU32(first + 16, 0);
    m.setU32(first + 20, 0);
    m.setU32(base + Ctl.FREE_HEAD, first);
    m.setU32(base + Ctl.SIZE, size);
    m.setU32(base + Ctl.TOUCHED, CTL_BYTES + HDR + 8);
    m.cell(base + Ctl.MAGIC).store(HEAP_MAGIC);
    return new SharedHeap(m, base, size);
  }

  /** Attach to a heap another thread formatted. */
  static attach(m: HeapBacking, base: number): SharedHeap {
    if (m.cell(base + Ctl.MAGIC).load() !== HEAP_MAGIC) throw new HeapError(`no heap at ${base}`);
    return new SharedHeap(m, base, m.u32(base + Ctl.SIZE));
  }

  /** Bytes of header before every payload. */
  static readonly HEADER_BYTES = HDR;

  private locked<T>(fn: () => T): T {
    lockSync(this.lockCell);
    try {
      return fn();
    } finally {
      unlockSync(this.lockCell);
    }
  }

  private get end(): number {
    return this.base + this.size;
  }

  /**
   * Allocate `bytes` (payload, rounded up to 16). Returns the payload offset and its generation, or
   * undefined when no free block is large enough.
   */
  alloc(bytes: number): { off: number; gen: number } | undefined {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`bad allocation size ${bytes}`);
    const need = Math.max(MIN_BLOCK, HDR + Math.ceil(bytes / 16) * 16);
    return this.locked(() => {
      const m = this.m;
      for (let b = m.u32(this.base + Ctl.FREE_HEAD); b !== 0; b = m.u32(b + 16)) {
        const size = m.u32(b);
        if (size < need) continue;
        this.unlinkFree(b);
        // The high-water mark: the block, and the header and free-list links of a split-off tail.
        const reach = b - this.base + (size - need >= MIN_BLOCK ? need + HDR + 8 : size);
        if (reach > m.u32(this.base + Ctl.TOUCHED)) m.setU32(this.base + Ctl.TOUCHED, reach);
        if (size - need >= MIN_BLOCK) {
          // Split: the tail stays free.
          const tail = b + need;
          m.setU32(tail, size - need);
          m.setU32(tail + 8, need);
          m.setU32(tail + 12, 0);
          this.setFree(tail);
          this.fixNextPrevSize(tail);
          m.setU32(b, need);
        }
        const gen = (m.u32(this.base + Ctl.GEN) + 1) >>> 0;
        m.setU32(this.base + Ctl.GEN, gen);
        m.setU32(b + 4, BlockState.USED);
        m.setU32(b + 12, gen);
        this.bump(Ctl.IN_USE_BYTES, m.u32(b));
        this.bump(Ctl.LIVE_BLOCKS, 1);
        this.bump(Ctl.ALLOCS, 1);
        return { off: b + HDR, gen };
      }
      this.bump(Ctl.FAILS, 1);
      return undefined;
    });
  }

  /** Free a payload. A quarantined block stays quarantined ('quarantined' is returned) and is never reused. */
  free(off: number): FreeResult {
    return this.locked(() => {
      const b = this.blockOf(off);
      const state = this.m.u32(b + 4);
      if (state === BlockState.QUARANTINED) return 'quarantined';
      if (state !== BlockState.USED) throw new HeapError(`double free or wild pointer at ${off}`);
      const size = this.m.u32(b);
      this.bump(Ctl.IN_USE_BYTES, -size);
      this.bump(Ctl.LIVE_BLOCKS, -1);
      this.bump(Ctl.FREES, 1);
      this.release(b);
      return 'freed';
    });
  }

  /**
   * Quarantine an allocated payload: it is never handed out again. Returns the block's bytes. With
   * `leaky` (the quarantine-reuse mutation) the block is freed instead, as a broken quarantine would.
   */
  quarantine(off: number, leaky = false): number {
    return this.locked(() => this.quarantineLocked(this.blockOf(off), leaky));
  }

  private quarantineLocked(b: number, leaky: boolean): number {
    const state = this.m.u32(b + 4);
    if (state === BlockState.QUARANTINED) return 0;
    if (state !== BlockState.USED) throw new HeapError(`quarantine of a free block at ${b + HDR}`);
    const size = this.m.u32(b);
    this.bump(Ctl.IN_USE_BYTES, -size);
    this.bump(Ctl.LIVE_BLOCKS, -1);
    if (leaky) {
      this.bump(Ctl.FREES, 1);
      this.release(b);
      return size;
    }
    this.m.setU32(b + 4, BlockState.QUARANTINED);
    this.bump(Ctl.QUARANTINED_BYTES, size);
    this.bump(Ctl.QUARANTINED_BLOCKS, 1);
    return size;
  }

  /** Quarantine every allocated block that overlaps [off, off + len). Returns the bytes quarantined. */
  quarantineRange(off: number, len: number, leaky = false): number {
    if (len <= 0) return 0;
    return this.locked(() => {
      let total = 0;
      for (let x = this.base + CTL_BYTES; x < this.end && x < off + len; x += this.m.u32(x)) {
        const size = this.m.u32(x);
        if (x + size > off && this.m.u32(x + 4) === BlockState.USED) total += this.quarantineLocked(x, leaky);
      }
      return total;
    });
  }

  /** The block whose bytes (header included) contain `off`, or undefined if `off` is outside the heap's blocks. */
  containing(off: number): { payload: number; state: number; gen: number; payloadBytes: number } | undefined {
    if (off < this.base + CTL_BYTES || off >= this.end) return undefined;
    return this.locked(() => {
      for (let x = this.base + CTL_BYTES; x < this.end; x += this.m.u32(x)) {
        const size = this.m.u32(x);
        if (size < MIN_BLOCK) return undefined;
        if (off < x + size)
          return {
            payload: x + HDR,
            state: this.m.u32(x + 4),
            gen: this.m.u32(x + 12),
            payloadBytes: size - HDR,
          };
      }
      return undefined;
    });
  }

  /** State and generation of the block holding payload `off`, or undefined if `off` is not a payload. */
  blockInfo(off: number): { state: number; gen: number; payloadBytes: number } | undefined {
    return this.locked(() => {
      const b = off - HDR;
      if (b < this.base + CTL_BYTES || b >= this.end || (b - this.base) % 16 !== 0) return undefined;
      // Walk from the start: only real block boundaries count (a payload pointer into the middle does not).
      for (let x = this.base + CTL_BYTES; x < this.end; x += this.m.u32(x)) {
        if (x === b)
          return { state: this.m.u32(x + 4), gen: this.m.u32(x + 12), payloadBytes: this.m.u32(x) - HDR };
        if (x > b) return undefined;
      }
      return undefined;
    });
  }

  /**
   * Bytes from the heap's start that anything has written since it was formatted: no block, header or
   * free-list link lies beyond (a block's payload is written only by whoever it was handed to).
   */
  touchedBytes(): number {
    return this.m.u32(this.base + Ctl.TOUCHED);
  }

  /** A number that changes whenever a block is handed out or given back (allocations + frees; no lock). */
  changes(): number {
    return (this.m.u32(this.base + Ctl.ALLOCS) + this.m.u32(this.base + Ctl.FREES)) >>> 0;
  }

  /** Counters. */
  stats(): HeapStats {
    // (Words read in place, not through a helper closure: the host's budget check reads these per call.)
    return this.locked(() => ({
      sizeBytes: this.size,
      inUseBytes: this.m.u32(this.base + Ctl.IN_USE_BYTES),
      liveBlocks: this.m.u32(this.base + Ctl.LIVE_BLOCKS),
      quarantinedBytes: this.m.u32(this.base + Ctl.QUARANTINED_BYTES),
      quarantinedBlocks: this.m.u32(this.base + Ctl.QUARANTINED_BLOCKS),
      allocs: this.m.u32(this.base + Ctl.ALLOCS),
      frees: this.m.u32(this.base + Ctl.FREES),
      failedAllocs: this.m.u32(this.base + Ctl.FAILS),
    }));
  }

  /** Check every header and the free list; throws HeapError on corruption. For tests and audits. */
  check(): void {
    this.locked(() => {
      let prev = 0;
      let free = 0;
      let inUse = 0;
      let x = this.base + CTL_BYTES;
      while (x < this.end) {
        const size = this.m.u32(x);
        const state = this.m.u32(x + 4);
        if (size < MIN_BLOCK || size % 16 !== 0 || x + size > this.end)
          throw new HeapError(`bad block size at ${x}`);
        if (this.m.u32(x + 8) !== prev) throw new HeapError(`bad previous-size link at ${x}`);
        if (state === BlockState.FREE) free++;
        else if (state === BlockState.USED) inUse += size;
        else if (state !== BlockState.QUARANTINED) throw new HeapError(`bad block state ${state} at ${x}`);
        prev = size;
        x += size;
      }
      if (x !== this.end) throw new HeapError('blocks do not tile the heap');
      let listed = 0;
      for (let b = this.m.u32(this.base + Ctl.FREE_HEAD); b !== 0; b = this.m.u32(b + 16)) {
        if (this.m.u32(b + 4) !== BlockState.FREE)
          throw new HeapError(`non-free block ${b} on the free list`);
        if (++listed > free) throw new HeapError('free list has a cycle');
      }
      if (listed !== free) throw new HeapError(`free list holds ${listed} of ${free} free blocks`);
      if (inUse !== this.m.u32(this.base + Ctl.IN_USE_BYTES))
        throw new HeapError('in-use byte count drifted');
    });
  }

  private blockOf(off: number): number {
    const b = off - HDR;
    if (b < this.base + CTL_BYTES || b >= this.end || (b - this.base) % 16 !== 0) {
      throw new HeapError(`pointer ${off} is not in this heap`);
    }
    return b;
  }

  private bump(ctl: number, delta: number): void {
    this.m.setU32(this.base + ctl, (this.m.u32(this.base + ctl) + delta) >>> 0);
  }

  private setFree(b: number): void {
    const m = this.m;
    m.setU32(b + 4, BlockState.FREE);
    const head = m.u32(this.base + Ctl.FREE_HEAD);
    m.setU32(b + 16, head);
    m.setU32(b + 20, 0);
    if (head !== 0) m.setU32(head + 20, b);
    m.setU32(this.base + Ctl.FREE_HEAD, b);
  }

  private unlinkFree(b: number): void {
    const m = this.m;
    const next = m.u32(b + 16);
    const prev = m.u32(b + 20);
    if (prev === 0) m.setU32(this.base + Ctl.FREE_HEAD, next);
    else m.setU32(prev + 16, next);
    if (next !== 0) m.setU32(next + 20, prev);
  }

  private fixNextPrevSize(b: number): void {
    const next = b + this.m.u32(b);
    if (next < this.end) this.m.setU32(next + 8, this.m.u32(b));
  }

  /**
   * Return a used block to the free list, merging with free neighbours. A header swallowed by a merge
   * loses its state, so a later free() of that pointer is refused as a double free instead of releasing
   * a block that no longer exists.
   */
  private release(b: number): void {
    const m = this.m;
    // Mark it free first: if a free neighbour absorbs it, its stale header still says so.
    m.setU32(b + 4, BlockState.FREE);
    let block = b;
    const next = block + m.u32(block);
    if (next < this.end && m.u32(next + 4) === BlockState.FREE) {
      this.unlinkFree(next);
      m.setU32(block, m.u32(block) + m.u32(next));
      m.setU32(next + 4, 0);
    }
    const prevSize = m.u32(block + 8);
    if (prevSize !== 0) {
      const prev = block - prevSize;
      invariant(prev >= this.base + CTL_BYTES, 'heap: previous block before the heap');
      if (m.u32(prev + 4) === BlockState.FREE) {
        this.unlinkFree(prev);
        m.setU32(prev, m.u32(prev) + m.u32(block));
        m.setU32(block + 4, 0);
        block = prev;
      }
    }
    this.setFree(block);
    this.fixNextPrevSize(block);
  }
}
