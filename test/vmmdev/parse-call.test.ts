// parseHgcmCall: every validation rule of vmmdevR3HgcmCall / CallAlloc / FetchGuestParms (7.0.14), with
// its status and in upstream's order (the first failing parameter wins; inside a parameter the checks
// run in a fixed order), the runs each buffer becomes, and a fuzz: arbitrary bytes never throw.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  ParmDirection,
  ParmType,
  RequestType,
  Status,
  SvcParmType,
  VMMDEV_MAX_HGCM_DATA_SIZE,
  statusName,
} from '../../src/abi/index.js';
import { ByteView } from '../../src/runtime/bytes.js';
import { parseHgcmCall, type ParsedCall } from '../../src/vmmdev/parse-call.js';
import { callImage, extraOff, hgcmImage, parmOff, setPageList, setParm } from './helper.js';

const RAM = 1 << 20;
const MiB128 = VMMDEV_MAX_HGCM_DATA_SIZE;
const {
  VERR_INVALID_PARAMETER,
  VERR_INVALID_FLAGS,
  VERR_INVALID_POINTER,
  VERR_PGM_INVALID_GC_PHYSICAL_ADDRESS,
} = Status;

function parse(v: ByteView, ram = RAM): ParsedCall | number {
  return parseHgcmCall(v, v.u32(8), ram);
}

/** Expect a status (compared by name for readable failures). */
function expectRc(v: ByteView, rc: number, ram = RAM): void {
  const r = parse(v, ram);
  expect(typeof r === 'number' ? statusName(r) : 'a parsed call').toBe(statusName(rc));
}

function expectCall(v: ByteView, ram = RAM): ParsedCall {
  const r = parse(v, ram);
  if (typeof r === 'number') throw new Error(`expected a call, got ${statusName(r)}`);
  return r;
}

/** A call with one page-list parameter of `type` whose info sits right after the parameters. */
function pageListCall(
  type: number,
  o: {
    cb: number;
    flags?: number;
    offFirst?: number;
    cPages?: number;
    pages?: readonly (number | bigint)[];
    infoOff?: number;
    extra?: number;
  },
): ByteView {
  const pages = o.pages ?? [0x4000];
  const cPages = o.cPages ?? pages.length;
  const v = callImage({ cParms: 1, extra: o.extra ?? 8 + 8 * Math.max(1, pages.length) });
  const infoOff = o.infoOff ?? extraOff(1);
  setParm(v, 0, { type, w4: o.cb, w8: infoOff });
  if (infoOff + 8 <= v.length) {
    setPageList(v, infoOff, {
      flags: o.flags ?? ParmDirection.BOTH,
      offFirst: o.offFirst ?? 0,
      cPages,
      pages: pages.slice(0, Math.max(0, Math.floor((v.length - infoOff - 8) / 8))),
    });
  }
  return v;
}

/** A call with one Embedded parameter. */
function embeddedCall(o: { cb: number; flags?: number; offData?: number; extra?: number }): ByteView {
  const v = callImage({ cParms: 1, extra: o.extra ?? 64 });
  const offData = o.offData ?? extraOff(1);
  setParm(v, 0, {
    type: ParmType.Embedded,
    w4: ((offData << 8) | (o.flags ?? ParmDirection.BOTH)) >>> 0,
    w8: o.cb,
  });
  return v;
}

describe('the call header and the parameter count', () => {
  test('a request shorter than VMMDevHGCMCall (44) is refused', () => {
    expectRc(hgcmImage(RequestType.HGCMCall64, 43), VERR_INVALID_PARAMETER);
    const ok = expectCall(callImage({ cParms: 0, clientId: 7, fn: 9 }));
    expect(ok).toEqual({ clientId: 7, fn: 9, is64: true, parms: [], dataBytes: 0 });
  });

  test('cParms above VMMDEV_MAX_HGCM_PARMS (32) is refused even with room for them', () => {
    const v33 = callImage({ cParms: 33 });
    for (let i = 0; i < 33; i++) setParm(v33, i, { type: ParmType.U32, w4: i });
    expectRc(v33, VERR_INVALID_PARAMETER);
    const v32 = callImage({ cParms: 32 });
    for (let i = 0; i < 32; i++) setParm(v32, i, { type: ParmType.U32, w4: i });
    expect(expectCall(v32).parms).toHaveLength(32);
  });

  test('the parameters must fit in the request: 16 bytes each for Call64, 12 for Call32', () => {
    const exact = callImage({ cParms: 2 });
    setParm(exact, 0, { type: ParmType.U32 });
    setParm(exact, 1, { type: ParmType.U32 });
    expect(expectCall(exact).parms).toHaveLength(2);
    const short = callImage({ cParms: 2, size: 44 + 31 });
    expectRc(short, VERR_INVALID_PARAMETER);
    // The same 68 bytes hold two 32-bit parameters but not two 64-bit ones.
    const c32 = callImage({ type: RequestType.HGCMCall32, cParms: 2, size: 68 });
    setParm(c32, 0, { type: ParmType.U32 }, RequestType.HGCMCall32);
    setParm(c32, 1, { type: ParmType.U32 }, RequestType.HGCMCall32);
    expect(expectCall(c32).is64).toBe(false);
    c32.setU32(8, RequestType.HGCMCall64);
    expectRc(c32, VERR_INVALID_PARAMETER);
  });

  test.each([
    ['Invalid', 0],
    ['PhysAddr (deprecated)', 3],
    ['LinAddr_Locked (guest-internal)', 7],
    ['LinAddr_Locked_In', 8],
    ['LinAddr_Locked_Out', 9],
    ['14 (unknown)', 14],
    ['0xFFFFFFFF', 0xffffffff],
  ])('parameter type %s is refused', (_name, type) => {
    const v = callImage({ cParms: 1 });
    setParm(v, 0, { type, w4: 16, w8: 0x5000 });
    expectRc(v, VERR_INVALID_PARAMETER);
  });

  test('the first failing parameter decides the status', () => {
    const flagsFirst = callImage({ cParms: 2, extra: 64 });
    setParm(flagsFirst, 0, { type: ParmType.Embedded, w4: (extraOff(2) << 8) | 0, w8: 4 });
    setParm(flagsFirst, 1, { type: 0 });
    expectRc(flagsFirst, VERR_INVALID_FLAGS);
    const typeFirst = callImage({ cParms: 2, extra: 64 });
    setParm(typeFirst, 0, { type: 0 });
    setParm(typeFirst, 1, { type: ParmType.Embedded, w4: (extraOff(2) << 8) | 0, w8: 4 });
    expectRc(typeFirst, VERR_INVALID_PARAMETER);
  });

  // Upstream charges host buffers to the per-request heap budget in vmmdevR3HgcmInitHostParameters,
  // after every parameter was fetched, and fails with VERR_NO_MEMORY (vmmdev facts 3e).
  test('host buffers adding up to more than 128 MiB: VERR_NO_MEMORY, after the other checks', () => {
    const v = callImage({ cParms: 3 });
    setParm(v, 0, { type: ParmType.LinAddr, w4: 100 << 20, w8: 0n });
    setParm(v, 1, { type: ParmType.LinAddr_In, w4: 40 << 20, w8: 0n });
    setParm(v, 2, { type: ParmType.U32, w4: 1 });
    expectRc(v, Status.VERR_NO_MEMORY);
    // A bad parameter after the one that crosses the budget still wins: checks come first.
    setParm(v, 2, { type: 0 });
    expectRc(v, VERR_INVALID_PARAMETER);
    // Exactly 128 MiB in total is accepted.
    setParm(v, 1, { type: ParmType.LinAddr_In, w4: 28 << 20, w8: 0n });
    setParm(v, 2, { type: ParmType.U32, w4: 1 });
    expect(expectCall(v).dataBytes).toBe(MiB128);
  });
});

describe('32- and 64-bit values', () => {
  test('are read from +4, the 64-bit one unaligned, and become service values', () => {
    const v = callImage({ cParms: 2 });
    setParm(v, 0, { type: ParmType.U32, w4: 0xfeedface });
    v.setU32(parmOff(1), ParmType.U64);
    v.setU64(parmOff(1) + 4, 0x0123456789abcdefn);
    const c = expectCall(v);
    expect(c.parms[0]).toMatchObject({
      type: ParmType.U32,
      off: 44,
      svcType: SvcParmType.U32,
      value32: 0xfeedface,
      size: 0,
      runs: [],
      sizeFieldOff: undefined,
    });
    expect(c.parms[1]).toMatchObject({
      type: ParmType.U64,
      off: 60,
      svcType: SvcParmType.U64,
      value64: 0x0123456789abcdefn,
    });
    expect(c.dataBytes).toBe(0);
  });
});

describe('LinAddr buffers', () => {
  test.each([
    [ParmType.LinAddr, ParmDirection.BOTH],
    [ParmType.LinAddr_In, ParmDirection.TO_HOST],
    [ParmType.LinAddr_Out, ParmDirection.FROM_HOST],
  ])('type %i has direction %i and is a PTR whose size field completion leaves alone', (type, dir) => {
    const v = callImage({ cParms: 1 });
    setParm(v, 0, { type, w4: 0x2000, w8: 0x1010n });
    expect(expectCall(v).parms[0]).toEqual({
      type,
      off: 44,
      svcType: SvcParmType.PTR,
      value32: 0,
      value64: 0n,
      size: 0x2000,
      dir,
      runs: [{ phys: 0x1010, len: 0x2000 }],
      sizeFieldOff: undefined,
    });
  });

  test('a size above 128 MiB is refused; exactly 128 MiB is accepted', () => {
    const v = callImage({ cParms: 1 });
    setParm(v, 0, { type: ParmType.LinAddr, w4: MiB128 + 1, w8: 0n });
    expectRc(v, VERR_INVALID_PARAMETER);
    setParm(v, 0, { type: ParmType.LinAddr, w4: MiB128, w8: 0n });
    expect(expectCall(v).dataBytes).toBe(MiB128);
  });

  test('pages with no RAM behind them become NIL runs, silently (across the end, past it, 2^53 and up)', () => {
    const v = callImage({ cParms: 1 });
    setParm(v, 0, { type: ParmType.LinAddr, w4: 0x300, w8: BigInt(RAM - 0x100) });
    expect(expectCall(v).parms[0]!.runs).toEqual([
      { phys: RAM - 0x100, len: 0x100 },
      { phys: -1, len: 0x200 },
    ]);
    setParm(v, 0, { type: ParmType.LinAddr, w4: 0x3000, w8: BigInt(RAM + 0x10) });
    expect(expectCall(v).parms[0]!.runs).toEqual([{ phys: -1, len: 0x3000 }]);
    setParm(v, 0, { type: ParmType.LinAddr, w4: 0x10, w8: 1n << 60n });
    expect(expectCall(v).parms[0]!.runs).toEqual([{ phys: -1, len: 0x10 }]);
    setParm(v, 0, { type: ParmType.LinAddr, w4: 0, w8: BigInt(RAM - 8) });
    expect(expectCall(v).parms[0]!.runs).toEqual([]);
  });

  test('Call32 takes a 32-bit address at +8 and the next parameter right after it', () => {
    const t = RequestType.HGCMCall32;
    const v = callImage({ type: t, cParms: 2 });
    setParm(v, 0, { type: ParmType.LinAddr_In, w4: 8, w8: 0x3000 }, t);
    setParm(v, 1, { type: ParmType.U32, w4: 77 }, t);
    const c = expectCall(v);
    expect(c.parms[0]!.runs).toEqual([{ phys: 0x3000, len: 8 }]);
    expect(c.parms[1]).toMatchObject({ off: 56, value32: 77 });
  });
});

describe('page lists: the checks every page-list type makes, in order', () => {
  describe.each([
    ['PageList', ParmType.PageList],
    ['ContiguousPageList', ParmType.ContiguousPageList],
    ['NoBouncePageList', ParmType.NoBouncePageList],
  ])('%s', (_name, type) => {
    test('(1) a size above 128 MiB is refused, before the flags are looked at', () => {
      expectRc(pageListCall(type, { cb: MiB128 + 1, flags: 0 }), VERR_INVALID_PARAMETER);
    });
    test('(2) the info must lie after the parameters and inside the request', () => {
      expectRc(pageListCall(type, { cb: 16, infoOff: extraOff(1) - 1, flags: 0 }), VERR_INVALID_PARAMETER);
      const v = pageListCall(type, { cb: 16, extra: 16 });
      expect(typeof parse(v)).toBe('object');
      v.setU32(parmOff(0) + 8, v.length - 15);
      expectRc(v, VERR_INVALID_PARAMETER);
      v.setU32(parmOff(0) + 8, 0xfffffff0);
      expectRc(v, VERR_INVALID_PARAMETER);
    });
    test('(3) cPages must be at least 1 and fit in the request, checked before the flags', () => {
      expectRc(pageListCall(type, { cb: 16, cPages: 0, flags: 0 }), VERR_INVALID_PARAMETER);
      expectRc(pageListCall(type, { cb: 16, cPages: 2, pages: [0x4000], flags: 0 }), VERR_INVALID_PARAMETER);
    });
    test.each([0, 4, 7, 0x100])('(4) flags 0x%s are VERR_INVALID_FLAGS, before offFirstPage', (flags) => {
      expectRc(pageListCall(type, { cb: 16, flags, offFirst: 4096 }), VERR_INVALID_FLAGS);
    });
    test('(5) offFirstPage must be below 4096', () => {
      expectRc(pageListCall(type, { cb: 16, offFirst: 4096 }), VERR_INVALID_PARAMETER);
    });
  });

  test('the info may end exactly at the end of the request', () => {
    const c = expectCall(pageListCall(ParmType.PageList, { cb: 16, pages: [0x4000], extra: 16 }));
    expect(c.parms[0]!.runs).toEqual([{ phys: 0x4000, len: 16 }]);
  });

  test('(6) ContiguousPageList takes exactly one page', () => {
    expectRc(
      pageListCall(ParmType.ContiguousPageList, { cb: 0x2000, pages: [0x4000, 0x5000] }),
      VERR_INVALID_PARAMETER,
    );
    // The flags are checked before the page count.
    expectRc(
      pageListCall(ParmType.ContiguousPageList, { cb: 0x2000, pages: [0x4000, 0x5000], flags: 0 }),
      VERR_INVALID_FLAGS,
    );
  });

  test('(6) NoBouncePageList takes exactly the pages its bytes span; a zero-byte one is never valid', () => {
    // 0xfff + 0x1001 bytes end exactly at the end of a second page.
    const nb = (pages: number[]): ByteView =>
      pageListCall(ParmType.NoBouncePageList, { cb: 0x1001, offFirst: 0xfff, pages });
    expect(typeof parse(nb([0x4fff, 0x5000]))).toBe('object');
    expectRc(nb([0x4fff]), VERR_INVALID_PARAMETER);
    expectRc(nb([0x4fff, 0x5000, 0x6000]), VERR_INVALID_PARAMETER);
    expectRc(pageListCall(ParmType.NoBouncePageList, { cb: 0, pages: [0x4000] }), VERR_INVALID_PARAMETER);
  });

  test('a plain PageList has no page-count rule', () => {
    expect(typeof parse(pageListCall(ParmType.PageList, { cb: 0x10, pages: [0x4000, 0x5000, 0x6000] }))).toBe(
      'object',
    );
  });
});

describe('page lists: what they become', () => {
  test('PageList: one run per page from offFirstPage on, and completion leaves the size alone', () => {
    const c = expectCall(
      pageListCall(ParmType.PageList, {
        cb: 0x2000,
        offFirst: 0x10,
        pages: [0x5000, 0x9000, 0x3000],
        flags: 2,
      }),
    );
    expect(c.parms[0]).toMatchObject({
      svcType: SvcParmType.PTR,
      size: 0x2000,
      dir: ParmDirection.FROM_HOST,
      sizeFieldOff: undefined,
      runs: [
        { phys: 0x5010, len: 0xff0 },
        { phys: 0x9000, len: 0x1000 },
        { phys: 0x3000, len: 0x10 },
      ],
    });
  });

  test('consecutive pages merge into one run', () => {
    const c = expectCall(pageListCall(ParmType.PageList, { cb: 0x1800, pages: [0x5000, 0x6000] }));
    expect(c.parms[0]!.runs).toEqual([{ phys: 0x5000, len: 0x1800 }]);
  });

  test('the first page is combined with offFirstPage by OR, and other page addresses are not checked', () => {
    const c = expectCall(pageListCall(ParmType.PageList, { cb: 0x20, offFirst: 0x10, pages: [0x5020] }));
    expect(c.parms[0]!.runs).toEqual([{ phys: 0x5030, len: 0x20 }]);
  });

  test('a PageList shorter than its buffer: the uncovered tail is a NIL run', () => {
    const c = expectCall(pageListCall(ParmType.PageList, { cb: 0x3000, offFirst: 0x100, pages: [0x5000] }));
    expect(c.parms[0]!.runs).toEqual([
      { phys: 0x5100, len: 0xf00 },
      { phys: -1, len: 0x2100 },
    ]);
  });

  test('a zero-byte PageList has no runs', () => {
    expect(expectCall(pageListCall(ParmType.PageList, { cb: 0 })).parms[0]!.runs).toEqual([]);
  });

  test('ContiguousPageList: one run of the whole size; completion updates the size field', () => {
    const c = expectCall(
      pageListCall(ParmType.ContiguousPageList, { cb: 0x3000, offFirst: 8, pages: [0x7000] }),
    );
    expect(c.parms[0]).toMatchObject({
      svcType: SvcParmType.PTR,
      runs: [{ phys: 0x7008, len: 0x3000 }],
      sizeFieldOff: parmOff(0) + 4,
    });
  });

  test('NoBouncePageList becomes PAGES; completion updates the size field', () => {
    const c = expectCall(
      pageListCall(ParmType.NoBouncePageList, {
        cb: 0x1100,
        offFirst: 0x80,
        pages: [0x4080, 0x8000],
        flags: 1,
      }),
    );
    expect(c.parms[0]).toMatchObject({
      svcType: SvcParmType.PAGES,
      dir: ParmDirection.TO_HOST,
      sizeFieldOff: parmOff(0) + 4,
      runs: [
        { phys: 0x4080, len: 0xf80 },
        { phys: 0x8000, len: 0x180 },
      ],
    });
  });
});

describe('NoBouncePageList: the pages must be real, consistently offset guest RAM', () => {
  const nb = (pages: readonly (number | bigint)[], o: { cb?: number; offFirst?: number } = {}): ByteView =>
    pageListCall(ParmType.NoBouncePageList, {
      cb: o.cb ?? 0x1000 * pages.length - (o.offFirst ?? 0),
      offFirst: o.offFirst ?? 0,
      pages,
    });

  test('page 0 may carry no offset or exactly offFirstPage', () => {
    expect(typeof parse(nb([0x4000], { offFirst: 0x10 }))).toBe('object');
    expect(typeof parse(nb([0x4010], { offFirst: 0x10 }))).toBe('object');
    expectRc(nb([0x4020], { offFirst: 0x10 }), VERR_INVALID_POINTER);
  });

  test('every other page must be page aligned', () => {
    expectRc(nb([0x4000, 0x5008]), VERR_INVALID_POINTER);
  });

  test('a page without RAM behind it is VERR_PGM_INVALID_GC_PHYSICAL_ADDRESS', () => {
    expect(typeof parse(nb([RAM - 0x1000]))).toBe('object');
    expectRc(nb([RAM]), VERR_PGM_INVALID_GC_PHYSICAL_ADDRESS);
    expectRc(nb([0x4000, 0x100000000]), VERR_PGM_INVALID_GC_PHYSICAL_ADDRESS);
  });

  test('page-aligned addresses at 2^53 and above are checked as addresses, not mistaken for unaligned', () => {
    expectRc(nb([1n << 53n]), VERR_PGM_INVALID_GC_PHYSICAL_ADDRESS);
    expectRc(nb([1n << 60n]), VERR_PGM_INVALID_GC_PHYSICAL_ADDRESS);
    expectRc(nb([0x4000, 0xfffffffffffff000n]), VERR_PGM_INVALID_GC_PHYSICAL_ADDRESS);
    expectRc(nb([0x4000, (1n << 60n) | 0x8n]), VERR_INVALID_POINTER);
  });

  test('the offset check comes before the RAM check', () => {
    expectRc(nb([RAM + 0x20], { offFirst: 0x10 }), VERR_INVALID_POINTER);
  });
});

describe('Embedded buffers', () => {
  test('flags in bits 0-7, offData in bits 8-31, cbData at +8; data stays in the request', () => {
    const c = expectCall(embeddedCall({ cb: 24, flags: ParmDirection.TO_HOST, offData: extraOff(1) + 8 }));
    expect(c.parms[0]).toEqual({
      type: ParmType.Embedded,
      off: 44,
      svcType: SvcParmType.PTR,
      value32: 0,
      value64: 0n,
      size: 24,
      dir: ParmDirection.TO_HOST,
      runs: [{ phys: extraOff(1) + 8, len: 24 }],
      sizeFieldOff: parmOff(0) + 8,
    });
  });

  test('(1) a size above 128 MiB is refused before the flags', () => {
    expectRc(embeddedCall({ cb: MiB128 + 1, flags: 0 }), VERR_INVALID_PARAMETER);
  });

  test.each([0, 4, 0x83])('(2) flags 0x%s are VERR_INVALID_FLAGS, before the bounds', (flags) => {
    expectRc(embeddedCall({ cb: 1000, flags, offData: 0 }), VERR_INVALID_FLAGS);
  });

  test('(3) the data must lie after the parameters and inside the request', () => {
    const end = extraOff(1) + 64;
    expectRc(embeddedCall({ cb: 4, offData: extraOff(1) - 1 }), VERR_INVALID_PARAMETER);
    expectRc(embeddedCall({ cb: 0, offData: end + 1 }), VERR_INVALID_PARAMETER);
    expectRc(embeddedCall({ cb: 65, offData: extraOff(1) }), VERR_INVALID_PARAMETER);
    expectRc(embeddedCall({ cb: 5, offData: end - 4 }), VERR_INVALID_PARAMETER);
    expect(typeof parse(embeddedCall({ cb: 64, offData: extraOff(1) }))).toBe('object');
    expect(typeof parse(embeddedCall({ cb: 0, offData: end }))).toBe('object');
  });
});

describe('fuzz', () => {
  const statuses = new Set<number>([
    VERR_INVALID_PARAMETER,
    VERR_INVALID_FLAGS,
    VERR_INVALID_POINTER,
    VERR_PGM_INVALID_GC_PHYSICAL_ADDRESS,
  ]);

  /** What every accepted call must satisfy. */
  function checkAccepted(c: ParsedCall, size: number): void {
    expect(c.parms.length).toBeLessThanOrEqual(32);
    expect(c.dataBytes).toBeLessThanOrEqual(MiB128);
    expect(c.dataBytes).toBe(c.parms.reduce((s, p) => s + p.size, 0));
    for (const p of c.parms) {
      expect(p.off + (c.is64 ? 16 : 12)).toBeLessThanOrEqual(size);
      // A buffer's runs cover exactly its bytes, and none is empty.
      expect(p.runs.reduce((s, r) => s + r.len, 0)).toBe(p.size);
      for (const r of p.runs) {
        expect(r.len).toBeGreaterThan(0);
        expect(r.phys === -1 || r.phys >= 0).toBe(true);
      }
    }
  }

  test('arbitrary bytes never throw and give a call or a known status', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 400 }),
        fc.constantFrom(RequestType.HGCMCall32, RequestType.HGCMCall64),
        fc.integer({ min: 1, max: 4096 }).map((p) => p * 4096),
        (bytes, type, ram) => {
          const r = parseHgcmCall(new ByteView(bytes), type, ram);
          if (typeof r === 'number') expect(statuses.has(r)).toBe(true);
          else checkAccepted(r, bytes.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('nearly valid calls (few parameters, every type, random fields) never throw', () => {
    const parm = fc.record({
      type: fc.oneof(fc.integer({ min: 0, max: 14 }), fc.constant(0xffffffff)),
      w4: fc.oneof(fc.nat(0x3000), fc.nat(0xffffffff)),
      w8: fc.oneof(fc.nat(0x200), fc.nat(0xffffffff)),
      hi: fc.oneof(fc.constant(0), fc.nat(0xffffffff)),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(RequestType.HGCMCall32, RequestType.HGCMCall64),
        fc.array(parm, { maxLength: 5 }),
        fc.uint8Array({ maxLength: 128 }),
        (type, parms, extra) => {
          const v = callImage({ type, cParms: parms.length, extra: extra.length });
          v.bytes.set(extra, extraOff(parms.length, type));
          for (const [i, p] of parms.entries()) {
            setParm(v, i, { type: p.type, w4: p.w4, w8: p.w8 }, type);
            if (type === RequestType.HGCMCall64) v.setU32(parmOff(i, type) + 12, p.hi);
          }
          const r = parse(v);
          if (typeof r === 'number') expect(statuses.has(r)).toBe(true);
          else checkAccepted(r, v.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
