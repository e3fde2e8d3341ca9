// A SlotTable whose slots are handed out and given back: a free list, a generation per slot bumped at every
// free (so slot + generation names one use), a sealed lock for compound updates, in its own shared block
// every thread attaches to. Slot 0 is never handed out, so 0 can mean "none" in a record. The FUSE front's
// node and file tables are pools. Used on every thread.
//
// Layout (32-bit words):
//   0 MAGIC  1 LOCK  2 CAPACITY  3 WORDS (per record)  4 LIVE  5 FREE_HEAD  6 HIGH_WATER  7 ALLOCS
//   8...     slot i (SlotTable, 2 + WORDS words): +0 generation, +1 next free (free slots) or LIVE_MARK,
//            then the record's WORDS
import { AtomicCell, SharedWords } from './atomic-cell.js';
import { invariant } from './errors.js';
import { SlotTable } from './slot-table.js';
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
/** Slot words before the record: generation, next free / LIVE_MARK. */
const GEN = 0;
const NEXT = 1;
const REC = 2;

/**
 * Records shared by threads, handed out and given back. alloc, free and every compound change run under
 * `locked`; single words of a record may be read and written without it.
 */
export class SlotPool {
  /** Slots, including the reserved slot 0. */
  readonly capacity: number;
  /** User words per record. */
  readonly words: number;
  private readonly w: SharedWords;
  private readonly slots: SlotTable;
  private readonly lockCell: AtomicCell;

  private constructor(w: SharedWords) {
    this.w = w;
    this.capacity = w.load(H.CAPACITY);
    this.words = w.load(H.WORDS);
    this.slots = new SlotTable(w, HEADER_WORDS, REC + this.words, this.capacity);
    this.lockCell = w.cell(H.LOCK);
  }

  /** A new empty pool of `capacity` slots (slot 0 included) of `words` words each. */
  static create(capacity: number, words: number): SlotPool {
    if (!Number.isSafeInteger(capacity) || capacity < 2 || capacity > 1 << 24)
      throw new RangeError(`slot pool capacity must be in [2, 2^24], got ${capacity}`);
    if (!Number.isSafeInteger(words) || words < 1 || words > 1024)
      throw new RangeError(`slot pool records must have 1..1024 words, got ${words}`);
    const w = SharedWords.create(HEADER_WORDS + capacity * (REC + words));
    w.store(H.CAPACITY, capacity);
    w.store(H.WORDS, words);
    // Slot 0 is reserved: the first slot handed out is 1.
    w.store(H.HIGH_WATER, 1);
    w.store(H.MAGIC, MAGIC);
    return new SlotPool(w);
  }

  /** Attach to a pool another thread created. */
  static attach(sab: SharedArrayBuffer): SlotPool {
    const w = new SharedWords(sab);
    if (w.load(H.MAGIC) !== MAGIC) throw new RangeError('not a slot pool');
    return new SlotPool(w);
  }

  get sab(): SharedArrayBuffer {
    return this.w.sab;
  }

  /** Run `fn` holding the pool's lock (a sealed lock: `fn` must not block or yield). */
  locked<T>(fn: () => T): T {
    lockSync(this.lockCell);
    try {
      return fn();
    } finally {
      unlockSync(this.lockCell);
    }
  }

  /** Take a free slot (under `locked`); undefined when the pool is full. Its words are zeroed. */
  alloc(): number | undefined {
    const { w, slots } = this;
    let slot = w.load(H.FREE_HEAD);
    if (slot !== 0) {
      w.store(H.FREE_HEAD, slots.get(slot, NEXT));
    } else {
      slot = w.load(H.HIGH_WATER);
      if (slot >= this.capacity) return undefined;
      w.store(H.HIGH_WATER, slot + 1);
    }
    slots.set(slot, NEXT, LIVE_MARK);
    slots.clear(slot, REC);
    w.store(H.LIVE, w.load(H.LIVE) + 1);
    w.store(H.ALLOCS, w.load(H.ALLOCS) + 1);
    return slot;
  }

  /** Give a live slot back (under `locked`): its generation advances, so old names of it go stale. */
  free(slot: number): void {
    invariant(this.isLive(slot), `free of slot ${slot}, which is not live`);
    const { w, slots } = this;
    slots.set(slot, GEN, (slots.get(slot, GEN) + 1) | 0);
    slots.set(slot, NEXT, w.load(H.FREE_HEAD));
    w.store(H.FREE_HEAD, slot);
    w.store(H.LIVE, w.load(H.LIVE) - 1);
  }

  /** Is `slot` handed out? */
  isLive(slot: number): boolean {
    return (
      Number.isInteger(slot) && slot > 0 && slot < this.capacity && this.slots.get(slot, NEXT) === LIVE_MARK
    );
  }

  /** The slot's generation (advanced at every free). */
  gen(slot: number): number {
    return this.slots.get(slot, GEN) >>> 0;
  }

  /** Word `i` of slot `slot`'s record (int32). */
  get(slot: number, i: number): number {
    return this.slots.get(slot, REC + i);
  }

  /** Set word `i` of slot `slot`'s record. */
  set(slot: number, i: number, value: number): void {
    this.slots.set(slot, REC + i, value);
  }

  /** Slots handed out now. */
  get live(): number {
    return this.w.load(H.LIVE);
  }

  /** Slots ever handed out. */
  get allocs(): number {
    return this.w.load(H.ALLOCS);
  }

  /** Every live slot (for audits and shutdown; takes the lock). */
  liveSlots(): number[] {
    return this.locked(() => {
      const out: number[] = [];
      const high = this.w.load(H.HIGH_WATER);
      for (let s = 1; s < high; s++) if (this.isLive(s)) out.push(s);
      return out;
    });
  }
}
