// 64-bit shared words (BigInt64Array) for values that must change atomically as a whole: a request id
// and its state in one compare-and-swap, byte counters past 2^32. The 64-bit counterpart of AtomicCell.

/** A block of 64-bit shared words with sequentially consistent operations (values are BigInt). */
export class SharedWords64 {
  readonly sab: SharedArrayBuffer;
  private readonly i64: BigInt64Array;

  constructor(sab: SharedArrayBuffer, byteOffset = 0, words = (sab.byteLength - byteOffset) >> 3) {
    this.sab = sab;
    this.i64 = new BigInt64Array(sab, byteOffset, words);
  }

  load(index: number): bigint {
    return Atomics.load(this.i64, index);
  }
  store(index: number, value: bigint): void {
    Atomics.store(this.i64, index, value);
  }
  /** Returns the previous value. */
  add(index: number, delta: bigint): bigint {
    return Atomics.add(this.i64, index, delta);
  }
  /** Returns the previous value. */
  exchange(index: number, value: bigint): bigint {
    return Atomics.exchange(this.i64, index, value);
  }
  /** Compare-and-swap; returns the previous value (=== expected on success). */
  cas(index: number, expected: bigint, value: bigint): bigint {
    return Atomics.compareExchange(this.i64, index, expected, value);
  }
}
