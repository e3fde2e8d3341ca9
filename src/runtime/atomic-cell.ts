// One 32-bit word of shared memory that threads synchronise on, and named blocks of such words.
// Every cross-thread flag, counter and lock in the project goes through these (or GuestMemory's atomics),
// so all races are on Atomics operations, which are sequentially consistent (ECMAScript memory model).

/** Result of a blocking wait on a cell. */
export type CellWaitResult = 'ok' | 'not-equal' | 'timed-out';

/** A 32-bit shared word with sequentially consistent operations. Values are int32; use `>>> 0` for flags. */
export class AtomicCell {
  readonly i32: Int32Array;
  readonly index: number;

  constructor(i32: Int32Array, index: number) {
    if (!Number.isInteger(index) || index < 0 || index >= i32.length) {
      throw new RangeError(`cell index ${index} outside [0, ${i32.length})`);
    }
    this.i32 = i32;
    this.index = index;
  }

  load(): number {
    return Atomics.load(this.i32, this.index);
  }
  store(value: number): void {
    Atomics.store(this.i32, this.index, value);
  }
  /** Returns the previous value. */
  add(delta: number): number {
    return Atomics.add(this.i32, this.index, delta);
  }
  /** Returns the previous value. */
  or(bits: number): number {
    return Atomics.or(this.i32, this.index, bits);
  }
  /** Returns the previous value. */
  and(bits: number): number {
    return Atomics.and(this.i32, this.index, bits);
  }
  /** Returns the previous value. */
  exchange(value: number): number {
    return Atomics.exchange(this.i32, this.index, value);
  }
  /** Compare-and-swap; returns the previous value (== expected on success). */
  cas(expected: number, value: number): number {
    return Atomics.compareExchange(this.i32, this.index, expected, value);
  }
  /** Block the calling thread while the word equals `seen` (at most timeoutMs). */
  wait(seen: number, timeoutMs: number = Infinity): CellWaitResult {
    return Atomics.wait(this.i32, this.index, seen, timeoutMs);
  }
  /** Wake up to `count` threads blocked on this word. */
  notify(count: number = Infinity): number {
    return Atomics.notify(this.i32, this.index, count);
  }
  /** Change the word (bump) and wake every waiter: how a waker tells a sleeper "re-check". */
  bump(): void {
    Atomics.add(this.i32, this.index, 1);
    Atomics.notify(this.i32, this.index);
  }
}

/**
 * A block of named 32-bit words inside a SharedArrayBuffer (device bus, command table, rings). The layout
 * (names -> indices) is declared once per block in a layout.ts with a diagram.
 */
export class SharedWords {
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;

  constructor(sab: SharedArrayBuffer, byteOffset = 0, words = (sab.byteLength - byteOffset) >> 2) {
    this.sab = sab;
    this.i32 = new Int32Array(sab, byteOffset, words);
  }

  /** Allocate a fresh zeroed block of `words` words. */
  static create(words: number): SharedWords {
    return new SharedWords(new SharedArrayBuffer(words * 4));
  }

  cell(index: number): AtomicCell {
    return new AtomicCell(this.i32, index);
  }
  load(index: number): number {
    return Atomics.load(this.i32, index);
  }
  store(index: number, value: number): void {
    Atomics.store(this.i32, index, value);
  }
  add(index: number, delta: number): number {
    return Atomics.add(this.i32, index, delta);
  }
}
