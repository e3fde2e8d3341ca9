// Guest RAM: the only code that touches the guest's SharedArrayBuffer (cf. vm-memory GuestMemory / Bytes).
// Every access is bounds-checked and little-endian; atomics are at 4-byte aligned named addresses.
// Used on every thread (each attaches its own GuestMemory over the one buffer).
import type { FieldSpec, Struct } from '../abi/index.js';
import type { GuestAddress } from './address.js';
import { AtomicCell } from './atomic-cell.js';
import { GuestMemoryError } from './errors.js';

/**
 * A fixed block of guest-physical memory, allocated once. Guest-physical equals guest-linear.
 * Several threads may hold a GuestMemory over the same SharedArrayBuffer (`GuestMemory.attach`).
 */
export class GuestMemory {
  /** Bytes of RAM. */
  readonly size: number;
  /** The backing store, to hand to another thread; nothing outside this class reads it directly. */
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  private readonly u8: Uint8Array;
  private readonly dv: DataView;
  private readonly i32: Int32Array;

  private constructor(buffer: SharedArrayBuffer | ArrayBuffer) {
    this.buffer = buffer;
    this.size = buffer.byteLength;
    this.u8 = new Uint8Array(buffer);
    this.dv = new DataView(buffer);
    this.i32 = new Int32Array(buffer, 0, buffer.byteLength >> 2);
  }

  /** New zeroed RAM of `size` bytes (a multiple of 4096). `shared: false` gives plain memory for tests. */
  static create(size: number, opts: { shared?: boolean } = {}): GuestMemory {
    if (!Number.isSafeInteger(size) || size <= 0 || size % 4096 !== 0) {
      throw new RangeError(`guest RAM size must be a positive multiple of 4096, got ${size}`);
    }
    return new GuestMemory(opts.shared === false ? new ArrayBuffer(size) : new SharedArrayBuffer(size));
  }

  /** A view of RAM another thread created. */
  static attach(buffer: SharedArrayBuffer): GuestMemory {
    return new GuestMemory(buffer);
  }

  /** True when [addr, addr + len) lies inside RAM. */
  contains(addr: number, len: number): boolean {
    return (
      Number.isSafeInteger(addr) &&
      Number.isSafeInteger(len) &&
      addr >= 0 &&
      len >= 0 &&
      addr + len <= this.size
    );
  }

  // A fractional address or length is no byte range: typed arrays would read `undefined` and DataView
  // would truncate, so it is refused like an address outside RAM.
  private at(addr: GuestAddress, off: number, len: number): number {
    const a = addr + off;
    if (!(Number.isSafeInteger(a) && Number.isSafeInteger(len) && a >= 0 && len >= 0 && a + len <= this.size))
      throw new GuestMemoryError('out-of-bounds', a, len, this.size);
    return a;
  }

  private aligned(addr: GuestAddress, off: number): number {
    const a = this.at(addr, off, 4);
    if ((a & 3) !== 0) throw new GuestMemoryError('misaligned', a, 4, this.size);
    return a >> 2;
  }

  readU8(addr: GuestAddress, off = 0): number {
    return this.u8[this.at(addr, off, 1)]!;
  }
  readU16(addr: GuestAddress, off = 0): number {
    return this.dv.getUint16(this.at(addr, off, 2), true);
  }
  readU32(addr: GuestAddress, off = 0): number {
    return this.dv.getUint32(this.at(addr, off, 4), true);
  }
  readI32(addr: GuestAddress, off = 0): number {
    return this.dv.getInt32(this.at(addr, off, 4), true);
  }
  readU64(addr: GuestAddress, off = 0): bigint {
    return this.dv.getBigUint64(this.at(addr, off, 8), true);
  }
  readI64(addr: GuestAddress, off = 0): bigint {
    return this.dv.getBigInt64(this.at(addr, off, 8), true);
  }
  writeU8(addr: GuestAddress, off: number, value: number): void {
    this.u8[this.at(addr, off, 1)] = value;
  }
  writeU16(addr: GuestAddress, off: number, value: number): void {
    this.dv.setUint16(this.at(addr, off, 2), value, true);
  }
  writeU32(addr: GuestAddress, off: number, value: number): void {
    this.dv.setUint32(this.at(addr, off, 4), value >>> 0, true);
  }
  writeI32(addr: GuestAddress, off: number, value: number): void {
    this.dv.setInt32(this.at(addr, off, 4), value | 0, true);
  }
  writeU64(addr: GuestAddress, off: number, value: bigint): void {
    this.dv.setBigUint64(this.at(addr, off, 8), BigInt.asUintN(64, value), true);
  }
  writeI64(addr: GuestAddress, off: number, value: bigint): void {
    this.dv.setBigInt64(this.at(addr, off, 8), BigInt.asIntN(64, value), true);
  }

  /** Read one declared field of a struct at `base` (numbers for <= 32 bits, bigint for 64). */
  getField<N extends string>(layout: Struct<N>, base: GuestAddress, field: N): number | bigint {
    return this.readScalar(base, layout.fields[field]);
  }

  private readScalar(base: GuestAddress, f: FieldSpec): number | bigint {
    switch (f.type) {
      case 'u8':
        return this.readU8(base, f.off);
      case 'u16':
        return this.readU16(base, f.off);
      case 'u32':
        return this.readU32(base, f.off);
      case 'i32':
        return this.readI32(base, f.off);
      case 'u64':
        return this.readU64(base, f.off);
      case 'i64':
        return this.readI64(base, f.off);
      case 'bytes':
        throw new TypeError('getField on a bytes field; use read()');
    }
  }

  /** Copy `len` bytes out of RAM into a new host buffer. */
  read(addr: GuestAddress, len: number): Uint8Array {
    const a = this.at(addr, 0, len);
    return this.u8.slice(a, a + len);
  }
  /** Copy `dst.length` bytes out of RAM into `dst`. */
  readInto(addr: GuestAddress, dst: Uint8Array): void {
    const a = this.at(addr, 0, dst.length);
    dst.set(this.u8.subarray(a, a + dst.length));
  }
  /** Copy `src` into RAM at `addr`. */
  write(addr: GuestAddress, src: Uint8Array): void {
    this.u8.set(src, this.at(addr, 0, src.length));
  }
  /** Fill `len` bytes with `byte`. */
  fill(addr: GuestAddress, len: number, byte: number): void {
    const a = this.at(addr, 0, len);
    this.u8.fill(byte, a, a + len);
  }
  /** Copy `len` bytes inside RAM (regions may overlap). */
  copyWithin(dst: GuestAddress, src: GuestAddress, len: number): void {
    const d = this.at(dst, 0, len);
    const s = this.at(src, 0, len);
    this.u8.copyWithin(d, s, s + len);
  }
  /**
   * A guest-physical read as a device makes it (PGM): `dst.length` bytes at `phys`, where the bytes with
   * no RAM behind them read as 0xFF (unbacked memory), so a range running past the end of RAM is read,
   * not refused.
   */
  readPhys(phys: number, dst: Uint8Array): void {
    const n = this.backed(phys, dst.length);
    if (n > 0) dst.set(this.u8.subarray(phys, phys + n));
    dst.fill(0xff, n);
  }
  /** A guest-physical write as a device makes it: the bytes with RAM behind them land, the rest are dropped. */
  writePhys(phys: number, src: Uint8Array): void {
    const n = this.backed(phys, src.length);
    if (n > 0) this.u8.set(src.subarray(0, n), phys);
  }
  /** How many of the `len` bytes at `phys` have RAM behind them (a prefix: RAM starts at 0). */
  private backed(phys: number, len: number): number {
    if (!Number.isSafeInteger(phys) || phys < 0) return 0;
    return Math.max(0, Math.min(len, this.size - phys));
  }

  /**
   * A zero-copy view of [addr, addr + len). For host I/O on validated guest buffers only; the guest may
   * change the bytes while the view is used, like DMA on a real machine.
   */
  view(addr: GuestAddress, len: number): Uint8Array {
    const a = this.at(addr, 0, len);
    return this.u8.subarray(a, a + len);
  }

  /** The atomic 32-bit word at `addr` (4-byte aligned). */
  cell(addr: GuestAddress, off = 0): AtomicCell {
    return new AtomicCell(this.i32, this.aligned(addr, off));
  }
  load32(addr: GuestAddress, off = 0): number {
    return Atomics.load(this.i32, this.aligned(addr, off));
  }
  store32(addr: GuestAddress, off: number, value: number): void {
    Atomics.store(this.i32, this.aligned(addr, off), value | 0);
  }
  /** Atomic OR; returns the previous value (unsigned). */
  or32(addr: GuestAddress, off: number, bits: number): number {
    return Atomics.or(this.i32, this.aligned(addr, off), bits | 0) >>> 0;
  }
  /** Atomic AND; returns the previous value (unsigned). */
  and32(addr: GuestAddress, off: number, bits: number): number {
    return Atomics.and(this.i32, this.aligned(addr, off), bits | 0) >>> 0;
  }
  /** Atomic add; returns the previous value. */
  add32(addr: GuestAddress, off: number, delta: number): number {
    return Atomics.add(this.i32, this.aligned(addr, off), delta | 0);
  }
  /** Compare-and-swap (int32 values); returns the previous value. */
  cas32(addr: GuestAddress, off: number, expected: number, value: number): number {
    return Atomics.compareExchange(this.i32, this.aligned(addr, off), expected | 0, value | 0);
  }
}
