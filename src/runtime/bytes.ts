// Little-endian access to host-side byte buffers (request snapshots, host buffers): the host counterpart
// of GuestMemory for memory the guest cannot reach. Used on every thread.

/** Little-endian reads and writes over a host Uint8Array; out-of-range access throws RangeError. */
export class ByteView {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }
  u8(off: number): number {
    return this.dv.getUint8(off);
  }
  u16(off: number): number {
    return this.dv.getUint16(off, true);
  }
  u32(off: number): number {
    return this.dv.getUint32(off, true);
  }
  i32(off: number): number {
    return this.dv.getInt32(off, true);
  }
  u64(off: number): bigint {
    return this.dv.getBigUint64(off, true);
  }
  i64(off: number): bigint {
    return this.dv.getBigInt64(off, true);
  }
  setU8(off: number, v: number): void {
    this.dv.setUint8(off, v);
  }
  setU16(off: number, v: number): void {
    this.dv.setUint16(off, v, true);
  }
  setU32(off: number, v: number): void {
    this.dv.setUint32(off, v >>> 0, true);
  }
  setI32(off: number, v: number): void {
    this.dv.setInt32(off, v | 0, true);
  }
  setU64(off: number, v: bigint): void {
    this.dv.setBigUint64(off, BigInt.asUintN(64, v), true);
  }
  setI64(off: number, v: bigint): void {
    this.dv.setBigInt64(off, BigInt.asIntN(64, v), true);
  }
}

/** A 64-bit guest value as a safe JS number, or undefined if it is 2^53 or more. */
export function bigToSafe(v: bigint): number | undefined {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : undefined;
}
