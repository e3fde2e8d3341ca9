// Fixed-size records of 32-bit words in shared memory: the skeleton of every shared table (HGCM clients,
// pending commands, the dispatch ring's cells, the Shared Folders handles, waiters and mapping counters).
// A table owns the words of its slots; the words before slot 0 are its owner's header, named in the
// owner's layout diagram. Every access is an Atomics operation (sequentially consistent).
// Used on every thread.
import { AtomicCell, SharedWords } from './atomic-cell.js';

/** A table class built on SlotTable: its layout, and a constructor over a whole block. */
export interface SlotTableClass<T> {
  new (words: SharedWords): T;
  /** Words of the owner's header, before slot 0. */
  readonly HEADER: number;
  readonly SLOT_WORDS: number;
}

/** `capacity` slots of `slotWords` words each, from word `base` of a shared block. */
export class SlotTable {
  /** The whole block: the owner's header words, then the slots. */
  readonly words: SharedWords;
  readonly capacity: number;
  readonly slotWords: number;
  private readonly base: number;

  /** A view of the slots inside `words` (capacity: as many as fit after `base`, unless given). */
  constructor(
    words: SharedWords,
    base: number,
    slotWords: number,
    capacity = Math.floor((words.i32.length - base) / slotWords),
  ) {
    if (base + slotWords * capacity > words.i32.length) {
      throw new RangeError(`${capacity} slots of ${slotWords} words from word ${base} do not fit`);
    }
    this.words = words;
    this.base = base;
    this.slotWords = slotWords;
    this.capacity = capacity;
  }

  /** A new zeroed table of the class it is called on (`ClientTable.create(n)`): header, then `capacity` slots. */
  static create<T>(this: SlotTableClass<T>, capacity: number): T {
    return new this(SharedWords.create(this.HEADER + this.SLOT_WORDS * capacity));
  }

  /** The table of the class it is called on that another thread created (`ClientTable.attach(sab)`). */
  static attach<T>(this: SlotTableClass<T>, sab: SharedArrayBuffer): T {
    return new this(new SharedWords(sab));
  }

  get sab(): SharedArrayBuffer {
    return this.words.sab;
  }

  /** Word index of `field` of `slot` in the block. */
  word(slot: number, field: number): number {
    return this.base + this.slotWords * slot + field;
  }
  /** Byte offset of byte `at` of `slot` in the block (for slots that also hold bytes). */
  byteOffset(slot: number, at: number): number {
    return 4 * this.word(slot, 0) + at;
  }

  get(slot: number, field: number): number {
    return Atomics.load(this.words.i32, this.word(slot, field));
  }
  set(slot: number, field: number, value: number): void {
    Atomics.store(this.words.i32, this.word(slot, field), value);
  }
  /** Returns the previous value. */
  add(slot: number, field: number, delta: number): number {
    return Atomics.add(this.words.i32, this.word(slot, field), delta);
  }
  /** The word as a cell (to wait, notify or compare-and-swap on it). */
  cell(slot: number, field: number): AtomicCell {
    return this.words.cell(this.word(slot, field));
  }
  /** Zero fields [from, slotWords) of a slot. */
  clear(slot: number, from = 0): void {
    for (let f = from; f < this.slotWords; f++) this.set(slot, f, 0);
  }
}
