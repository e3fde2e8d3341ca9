// GuestMemory: every accessor, little-endian by construction, bounds and alignment errors at named edge
// addresses. One suite runs against both backends (SharedArrayBuffer and plain ArrayBuffer).
import { describe, expect, test } from 'vitest';
import { defineStruct } from '../../src/abi/index.js';
import { gpa, type GuestAddress } from '../../src/runtime/address.js';
import { AtomicCell } from '../../src/runtime/atomic-cell.js';
import { GuestMemoryError } from '../../src/runtime/errors.js';
import { GuestMemory } from '../../src/runtime/guest-memory.js';

const SIZE = 2 * 4096;

/** Edge addresses of a SIZE-byte RAM, for an access of `len` bytes. */
function edges(len: number) {
  return {
    /** The last access that fits exactly. */
    atEnd: SIZE - len,
    /** First byte in RAM, last bytes past it. */
    straddlesEnd: SIZE - len + 1,
    /** Wholly past the end. */
    pastEnd: SIZE,
    /** One below zero (reachable through a negative offset; gpa() refuses it). */
    negative: -1,
    /** Not a byte address at all. */
    fractional: 0.5,
  };
}

/** Expect `fn` to throw GuestMemoryError with this kind and address. */
function expectGuestError(fn: () => unknown, kind: 'out-of-bounds' | 'misaligned', addr: number): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'should throw').toBeInstanceOf(GuestMemoryError);
  const g = err as GuestMemoryError;
  expect(g.code).toBe('ERR_GUEST_MEMORY');
  expect(g.kind).toBe(kind);
  expect(g.addr).toBe(addr);
}

const backends = [
  ['SharedArrayBuffer', () => GuestMemory.create(SIZE)],
  ['ArrayBuffer', () => GuestMemory.create(SIZE, { shared: false })],
] as const;

describe.each(backends)('GuestMemory over %s', (backendName, make) => {
  test('is zeroed, sized, and backed by the right buffer type', () => {
    const m = make();
    expect(m.size).toBe(SIZE);
    expect(m.buffer.byteLength).toBe(SIZE);
    expect(m.buffer instanceof SharedArrayBuffer).toBe(backendName === 'SharedArrayBuffer');
    expect(m.read(gpa(0), SIZE).every((b) => b === 0)).toBe(true);
  });

  test('scalar writes are little-endian and read back', () => {
    const m = make();
    const a = gpa(16);
    m.writeU32(a, 0, 0x11223344);
    expect([...m.read(a, 4)]).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(m.readU32(a)).toBe(0x11223344);
    expect(m.readU16(a)).toBe(0x3344);
    expect(m.readU16(a, 2)).toBe(0x1122);
    expect(m.readU8(a, 3)).toBe(0x11);

    m.writeU64(a, 8, 0x0102030405060708n);
    expect([...m.read(gpa(24), 8)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(m.readU64(a, 8)).toBe(0x0102030405060708n);

    m.writeU16(a, 20, 0xbeef);
    expect([...m.read(gpa(36), 2)]).toEqual([0xef, 0xbe]);
    m.writeU8(a, 22, 0x7f);
    expect(m.readU8(gpa(38))).toBe(0x7f);
  });

  test('signed and unsigned views of the same bits', () => {
    const m = make();
    m.writeI32(gpa(0), 0, -2);
    expect(m.readU32(gpa(0))).toBe(0xfffffffe);
    expect(m.readI32(gpa(0))).toBe(-2);
    m.writeU32(gpa(4), 0, -1);
    expect(m.readU32(gpa(4))).toBe(0xffffffff);
    m.writeI32(gpa(8), 0, 0xffffffff);
    expect(m.readI32(gpa(8))).toBe(-1);
    m.writeI64(gpa(16), 0, -3n);
    expect(m.readU64(gpa(16))).toBe(0xfffffffffffffffdn);
    expect(m.readI64(gpa(16))).toBe(-3n);
    m.writeU64(gpa(24), 0, -1n);
    expect(m.readI64(gpa(24))).toBe(-1n);
  });

  test('64-bit values at unaligned addresses (HGCMFunctionParameter64.value64 is at +4)', () => {
    const m = make();
    m.writeU64(gpa(4), 0, 0xdeadbeefcafef00dn);
    expect(m.readU64(gpa(4))).toBe(0xdeadbeefcafef00dn);
    expect(m.readU32(gpa(4))).toBe(0xcafef00d);
    expect(m.readU32(gpa(8))).toBe(0xdeadbeef);
  });

  test('getField reads every scalar type of a layout and refuses bytes fields', () => {
    const m = make();
    const S = defineStruct('S', 32, {
      a: [0, 'u8'],
      b: [2, 'u16'],
      c: [4, 'u32'],
      d: [8, 'i32'],
      e: [12, 'u64'],
      f: [20, 'i64'],
      g: [28, 'bytes', 4],
    });
    const base = gpa(64);
    m.writeU8(base, 0, 0xfe);
    m.writeU16(base, 2, 0xfedc);
    m.writeU32(base, 4, 0xfedcba98);
    m.writeI32(base, 8, -5);
    m.writeU64(base, 12, 0xfedcba9876543210n);
    m.writeI64(base, 20, -7n);
    expect(m.getField(S, base, 'a')).toBe(0xfe);
    expect(m.getField(S, base, 'b')).toBe(0xfedc);
    expect(m.getField(S, base, 'c')).toBe(0xfedcba98);
    expect(m.getField(S, base, 'd')).toBe(-5);
    expect(m.getField(S, base, 'e')).toBe(0xfedcba9876543210n);
    expect(m.getField(S, base, 'f')).toBe(-7n);
    expect(() => m.getField(S, base, 'g')).toThrow(TypeError);
  });

  test('read copies, view aliases, readInto and write move bytes', () => {
    const m = make();
    m.write(gpa(100), Uint8Array.of(1, 2, 3, 4));
    const copy = m.read(gpa(100), 4);
    copy[0] = 99;
    expect(m.readU8(gpa(100))).toBe(1);
    const v = m.view(gpa(100), 4);
    v[1] = 42;
    expect(m.readU8(gpa(101))).toBe(42);
    const dst = new Uint8Array(3);
    m.readInto(gpa(101), dst);
    expect([...dst]).toEqual([42, 3, 4]);
  });

  test('fill and overlapping copyWithin', () => {
    const m = make();
    m.fill(gpa(200), 8, 0xaa);
    expect([...m.read(gpa(199), 10)]).toEqual([0, ...Array(8).fill(0xaa), 0]);
    m.write(gpa(300), Uint8Array.of(1, 2, 3, 4, 5));
    m.copyWithin(gpa(302), gpa(300), 5);
    expect([...m.read(gpa(300), 7)]).toEqual([1, 2, 1, 2, 3, 4, 5]);
    m.copyWithin(gpa(300), gpa(302), 5);
    expect([...m.read(gpa(300), 5)]).toEqual([1, 2, 3, 4, 5]);
  });

  test('contains() names the accessible ranges', () => {
    const m = make();
    const e = edges(4);
    expect(m.contains(e.atEnd, 4)).toBe(true);
    expect(m.contains(0, SIZE)).toBe(true);
    expect(m.contains(SIZE, 0)).toBe(true);
    expect(m.contains(e.straddlesEnd, 4)).toBe(false);
    expect(m.contains(e.pastEnd, 1)).toBe(false);
    expect(m.contains(e.negative, 4)).toBe(false);
    expect(m.contains(e.fractional, 4)).toBe(false);
    expect(m.contains(0, -1)).toBe(false);
    expect(m.contains(0, 0.5)).toBe(false);
    expect(m.contains(2 ** 53, 1)).toBe(false);
  });

  describe.each([
    ['U8', 1, (m: GuestMemory, a: GuestAddress, off: number) => m.readU8(a, off)],
    ['U16', 2, (m: GuestMemory, a: GuestAddress, off: number) => m.readU16(a, off)],
    ['U32', 4, (m: GuestMemory, a: GuestAddress, off: number) => m.readU32(a, off)],
    ['I32', 4, (m: GuestMemory, a: GuestAddress, off: number) => m.readI32(a, off)],
    ['U64', 8, (m: GuestMemory, a: GuestAddress, off: number) => m.readU64(a, off)],
    ['I64', 8, (m: GuestMemory, a: GuestAddress, off: number) => m.readI64(a, off)],
  ] as const)('read%s at edge addresses', (_name, len, readAt) => {
    const e = edges(len);
    test('atEnd reads the last bytes', () => {
      const m = make();
      m.fill(gpa(e.atEnd), len, 0x01);
      expect(Number(readAt(m, gpa(e.atEnd), 0))).toBeGreaterThan(0);
    });
    test('straddlesEnd, pastEnd, negative and fractional throw out-of-bounds', () => {
      const m = make();
      expectGuestError(() => readAt(m, gpa(e.straddlesEnd), 0), 'out-of-bounds', e.straddlesEnd);
      expectGuestError(() => readAt(m, gpa(e.pastEnd), 0), 'out-of-bounds', e.pastEnd);
      expectGuestError(() => readAt(m, gpa(0), e.negative), 'out-of-bounds', e.negative);
      expectGuestError(() => readAt(m, gpa(0), e.fractional), 'out-of-bounds', e.fractional);
      // The offset is added to the address before the check.
      expectGuestError(() => readAt(m, gpa(e.atEnd), 1), 'out-of-bounds', e.atEnd + 1);
    });
  });

  describe.each([
    ['U8', 1, (m: GuestMemory, a: GuestAddress, off: number) => m.writeU8(a, off, 0xff)],
    ['U16', 2, (m: GuestMemory, a: GuestAddress, off: number) => m.writeU16(a, off, 0xffff)],
    ['U32', 4, (m: GuestMemory, a: GuestAddress, off: number) => m.writeU32(a, off, 0xffffffff)],
    ['I32', 4, (m: GuestMemory, a: GuestAddress, off: number) => m.writeI32(a, off, -1)],
    ['U64', 8, (m: GuestMemory, a: GuestAddress, off: number) => m.writeU64(a, off, -1n)],
    ['I64', 8, (m: GuestMemory, a: GuestAddress, off: number) => m.writeI64(a, off, -1n)],
  ] as const)('write%s at edge addresses', (_name, len, writeAt) => {
    const e = edges(len);
    test('atEnd writes exactly the last bytes', () => {
      const m = make();
      writeAt(m, gpa(e.atEnd), 0);
      expect(m.read(gpa(e.atEnd - 1), len + 1)).toEqual(Uint8Array.of(0, ...Array<number>(len).fill(0xff)));
    });
    test('failing writes throw out-of-bounds and change nothing (no partial write)', () => {
      const m = make();
      expectGuestError(() => writeAt(m, gpa(e.straddlesEnd), 0), 'out-of-bounds', e.straddlesEnd);
      expectGuestError(() => writeAt(m, gpa(e.pastEnd), 0), 'out-of-bounds', e.pastEnd);
      expectGuestError(() => writeAt(m, gpa(0), e.negative), 'out-of-bounds', e.negative);
      expectGuestError(() => writeAt(m, gpa(0), e.fractional), 'out-of-bounds', e.fractional);
      expect(m.read(gpa(0), SIZE).every((b) => b === 0)).toBe(true);
    });
  });

  test('bulk accessors at edge addresses', () => {
    const m = make();
    const e = edges(16);
    m.write(gpa(e.atEnd), new Uint8Array(16).fill(7));
    expect(m.read(gpa(e.atEnd), 16).every((b) => b === 7)).toBe(true);
    expect(m.read(gpa(SIZE), 0).length).toBe(0);
    const before = m.read(gpa(0), SIZE);
    expectGuestError(() => m.read(gpa(e.straddlesEnd), 16), 'out-of-bounds', e.straddlesEnd);
    expectGuestError(
      () => m.readInto(gpa(e.straddlesEnd), new Uint8Array(16)),
      'out-of-bounds',
      e.straddlesEnd,
    );
    expectGuestError(() => m.write(gpa(e.straddlesEnd), new Uint8Array(16)), 'out-of-bounds', e.straddlesEnd);
    expectGuestError(() => m.fill(gpa(e.straddlesEnd), 16, 1), 'out-of-bounds', e.straddlesEnd);
    expectGuestError(() => m.view(gpa(e.pastEnd), 1), 'out-of-bounds', e.pastEnd);
    expectGuestError(() => m.copyWithin(gpa(0), gpa(e.straddlesEnd), 16), 'out-of-bounds', e.straddlesEnd);
    expectGuestError(() => m.copyWithin(gpa(e.straddlesEnd), gpa(0), 16), 'out-of-bounds', e.straddlesEnd);
    // A length that is not a byte count is refused rather than read as an empty or truncated range.
    expectGuestError(() => m.read(gpa(0), -1), 'out-of-bounds', 0);
    expectGuestError(() => m.read(gpa(0), 1.5), 'out-of-bounds', 0);
    expectGuestError(() => m.fill(gpa(0), -4, 1), 'out-of-bounds', 0);
    expect(m.read(gpa(0), SIZE)).toEqual(before);
  });

  test('the error names the access', () => {
    const m = make();
    try {
      m.readU32(gpa(SIZE - 2));
      expect.unreachable();
    } catch (err) {
      const g = err as GuestMemoryError;
      expect(g.len).toBe(4);
      expect(g.message).toContain('0x1ffe');
      expect(g.message).toContain(`${SIZE} bytes`);
    }
  });

  test('atomics return the previous value and act on the little-endian word', () => {
    const m = make();
    const a = gpa(64);
    m.store32(a, 0, 0x0f);
    expect(m.load32(a)).toBe(0x0f);
    expect(m.or32(a, 0, 0xf0)).toBe(0x0f);
    expect(m.readU32(a)).toBe(0xff);
    expect(m.and32(a, 0, 0x3c)).toBe(0xff);
    expect(m.readU32(a)).toBe(0x3c);
    expect(m.add32(a, 0, 4)).toBe(0x3c);
    expect(m.readU8(a)).toBe(0x40);
    expect(m.cas32(a, 0, 1, 2)).toBe(0x40);
    expect(m.load32(a)).toBe(0x40);
    expect(m.cas32(a, 0, 0x40, 2)).toBe(0x40);
    expect(m.load32(a)).toBe(2);
    // or/and report the previous value unsigned, like a flags word.
    m.store32(a, 0, -1);
    expect(m.or32(a, 0, 1)).toBe(0xffffffff);
    expect(m.and32(a, 0, 0)).toBe(0xffffffff);
    expect(m.load32(a)).toBe(0);
    // The offset counts: DONE lives at +24 of a request.
    m.or32(gpa(128), 24, 1);
    expect(m.readU32(gpa(152))).toBe(1);
  });

  test('atomic cells address the same word', () => {
    const m = make();
    const c = m.cell(gpa(256), 4);
    expect(c).toBeInstanceOf(AtomicCell);
    expect(c.index).toBe(65);
    c.store(7);
    expect(m.readU32(gpa(260))).toBe(7);
    expect(c.add(1)).toBe(7);
    expect(m.load32(gpa(260))).toBe(8);
  });

  test('misaligned atomics throw misaligned; out-of-range ones out-of-bounds first', () => {
    const m = make();
    for (const a of [1, 2, 3, 4098]) {
      expectGuestError(() => m.load32(gpa(a)), 'misaligned', a);
      expectGuestError(() => m.store32(gpa(a), 0, 1), 'misaligned', a);
      expectGuestError(() => m.or32(gpa(a), 0, 1), 'misaligned', a);
      expectGuestError(() => m.and32(gpa(a), 0, 1), 'misaligned', a);
      expectGuestError(() => m.add32(gpa(a), 0, 1), 'misaligned', a);
      expectGuestError(() => m.cas32(gpa(a), 0, 0, 1), 'misaligned', a);
      expectGuestError(() => m.cell(gpa(a)), 'misaligned', a);
    }
    expectGuestError(() => m.load32(gpa(0), 2), 'misaligned', 2);
    expectGuestError(() => m.load32(gpa(SIZE - 2)), 'out-of-bounds', SIZE - 2);
    expectGuestError(() => m.load32(gpa(SIZE)), 'out-of-bounds', SIZE);
    expectGuestError(() => m.store32(gpa(0), -4, 1), 'out-of-bounds', -4);
    expectGuestError(() => m.load32(gpa(0), 0.5), 'out-of-bounds', 0.5);
    expect(m.load32(gpa(SIZE - 4))).toBe(0);
    expect(m.read(gpa(0), SIZE).every((b) => b === 0)).toBe(true);
  });
});

describe('GuestMemory construction', () => {
  test('size must be a positive multiple of 4096', () => {
    for (const bad of [0, -4096, 4095, 4097, 1.5 * 4096, Number.NaN]) {
      expect(() => GuestMemory.create(bad)).toThrow(RangeError);
    }
    expect(GuestMemory.create(4096).size).toBe(4096);
  });

  test('attach shares the bytes of another view', () => {
    const a = GuestMemory.create(SIZE);
    const b = GuestMemory.attach(a.buffer as SharedArrayBuffer);
    a.writeU32(gpa(40), 0, 0xabcdef01);
    expect(b.readU32(gpa(40))).toBe(0xabcdef01);
    b.or32(gpa(40), 0, 0x10);
    expect(a.readU32(gpa(40))).toBe(0xabcdef11);
  });
});

describe('guest-physical access as a device makes it: unbacked bytes read 0xFF, writes to them drop', () => {
  const e = edges(8);
  test.each([
    ['atEnd', e.atEnd, 8],
    ['straddlesEnd', e.straddlesEnd, 7],
    ['pastEnd', e.pastEnd, 0],
    ['negative', e.negative, 0],
    ['fractional', e.fractional, 0],
  ])('%s: readPhys reads the %s bytes in RAM and 0xFF for the rest', (_name, phys, inRam) => {
    const mem = GuestMemory.create(SIZE);
    mem.fill(gpa(SIZE - 16), 16, 0x5a);
    const dst = new Uint8Array(8).fill(0);
    mem.readPhys(phys, dst);
    expect([...dst]).toEqual([
      ...new Array<number>(inRam).fill(0x5a),
      ...new Array<number>(8 - inRam).fill(0xff),
    ]);
  });

  test.each([
    ['atEnd', e.atEnd, 8],
    ['straddlesEnd', e.straddlesEnd, 7],
    ['pastEnd', e.pastEnd, 0],
    ['negative', e.negative, 0],
  ])('%s: writePhys lands the %s bytes in RAM and drops the rest', (_name, phys, inRam) => {
    const mem = GuestMemory.create(SIZE);
    mem.writePhys(phys, new Uint8Array(8).fill(0xc3));
    const tail = mem.read(gpa(SIZE - 16), 16);
    const landed = tail.reduce((n, b) => n + (b === 0xc3 ? 1 : 0), 0);
    expect(landed).toBe(inRam);
  });
});
