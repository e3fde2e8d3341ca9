// A table of fixed-size records in a SharedArrayBuffer that every thread attaches to: slots handed out
// from a free list, a generation per slot bumped at every free (so slot + generation names one use), a
// sealed lock for compound updates. Slot 0 is never handed out, so 0 can mean "none" in a record.
//
// Layout (32-bit words):
//   0 MAGIC  1 LOCK  2 CAPACITY  3 WORDS (per record)  4 LIVE  5 FREE_HEAD  6 HIGH_WATER  7 ALLOCS
//   8...     slot i at 8 + i * (2 + WORDS): +0 generation, +1 next free (free slots) or LIVE_MARK, then WORDS
import { AtomicCell } from './atomic-cell.js';
import { invariant } from './errors.js';
import { lockSync, unlockSync } from './sync.js';

const H = {
  MAGIC: 0,
  LOCK: 1,
  CAPACITY: 2,
  WORDS: 3,
  LIVE: 4,
  FREE_HEAD: 5,
  HIGH_WATER: 6,
  ALLOCS: 7,
} as const;
const HEADER_WORDS = 8;
const MAGIC = 0x534c4f54; // 'SLOT'
const LIVE_MARK = -1;

/**
 * Fixed-size records shared by threads. Reads of a record's words are plain (callers synchronise through
 * `locked` or their own protocol); alloc, free and every compound change run under the table's lock.
 */
export class SlotTable {
  readonly sab: SharedArrayBuffer;
  /** Slots, including the reserved slot 0. */
  readonly capacity: number;
  /** User words per record. */
  readonly words: number;
  private readonly i32: Int32Array;
  private readonly lockCell: AtomicCell;

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.i32 = new Int32Array(sab);
    this.capacity = this.i32[H.CAPACITY]!;
    this.words = this.i32[H.WORDS]!;
    this.lockCell = new AtomicCell(this.i32, H.LOCK);
  }

  /** A new empty table of `capacity` slots (slot 0 included) of `words` words each. */
  static create(capacity: number, words: number): SlotTable {
    if (!Number.isSafeInteger(capacity) || capacity < 2 || capacity > 1 << 24)
      throw new RangeError(`slot table capacity must be in [2, 2^24], got ${capacity}`);
    if (!Number.isSafeInteger(words) || words < 1 || words > 1024)
      throw new RangeError(`slot table records must have 1..1024 words, got ${words}`);
    const sab = new SharedArrayBuffer((HEADER_WORDS + capacity * (2 + words)) * 4);
    const i32 = new Int32Array(sab);
    i32[H.CAPACITY] = capacity;
    i32[H.WORDS] = words;
    // Slot 0 is reserved: the first slot handed out is 1.
    i32[H.HIGH_WATER] = 1;
    Atomics.store(i32, H.MAGIC, MAGIC);
    return new SlotTable(sab);
  }

  /** Attach to a table another thread created. */
  static attach(sab: SharedArrayBuffer): SlotTable {
    if (Atomics.load(new Int32Array(sab, 0, 1), 0) !== MAGIC) throw new RangeError('not a slot table');
    return new SlotTable(sab);
  }

  private base(slot: number): number {
    return HEADER_WORDS + slot * (2 + this.words);
  }

  /** Run `fn` holding the table's lock (a sealed lock: `fn` must not block or yield). */
  locked<T>(fn: () => T): T {
    lockSync(this.lockCell);
    try {
      return fn();
    } finally {
      unlockSync(this.lockCell);
    }
  }

  /** Take a free slot (under `locked`); undefined when the table is full. Its words are zeroed. */
  alloc(): number | undefined {
    const i = this.i32;
    let slot = i[H.FREE_HEAD]!;
    if (slot !== 0) {
      i[H.FREE_HEAD] = i[this.base(slot) + 1]!;
    } else {
      slot = i[H.HIGH_WATER]!;
      if (slot >= this.capacity) return undefined;
      i[H.HIGH_WATER] = slot + 1;
    }
    const b = this.base(slot);
    i[b + 1] = LIVE_MARK;
    i.fill(0, b + 2, b + 2 + this.words);
    i[H.LIVE]!++;
    i[H.ALLOCS]!++;
    return slot;
  }

  /** Give a live slot back (under `locked`): its generation advances, so old names of it go stale. */
  free(slot: number): void {
    invariant(this.isLive(slot), `free of slot ${slot}, which is not live`);
    const i = this.i32;
    const b = this.base(slot);
    i[b] = (i[b]! + 1) | 0;
    i[b + 1] = i[H.FREE_HEAD]!;
    i[H.FREE_HEAD] = slot;
    i[H.LIVE]!--;
  }

  /** Is `slot` handed out? */
  isLive(slot: number): boolean {
    return (
      Number.isInteger(slot) &&
      slot > 0 &&
      slot < this.capacity &&
      this.i32[this.base(slot) + 1] === LIVE_MARK
    );
  }

  /** The slot's generation (advanced at every free). */
  gen(slot: number): number {
    return this.i32[this.base(slot)]! >>> 0;
  }

  /** Word `w` of slot `slot` (int32). */
  get(slot: number, w: number): number {
    return this.i32[this.base(slot) + 2 + w]!;
  }

  /** Set word `w` of slot `slot`. */
  set(slot: number, w: number, value: number): void {
    this.i32[this.base(slot) + 2 + w] = value;
  }

  /** Slots handed out now. */
  get live(): number {
    return Atomics.load(this.i32, H.LIVE);
  }

  /** Slots ever handed out. */
  get allocs(): number {
    return Atomics.load(this.i32, H.ALLOCS);
  }

  /** Every live slot (for audits and shutdown; takes the lock). */
  liveSlots(): number[] {
    return this.locked(() => {
      const out: number[] = [];
      for (let s = 1; s < this.i32[H.HIGH_WATER]!; s++) if (this.isLive(s)) out.push(s);
      return out;
    });
  }
}
