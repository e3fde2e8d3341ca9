// SharedHeap: allocation, splitting, coalescing, quarantine (never reused; freeing it is ignored),
// exhaustion, corruption checks, stats, and a model test of random operation sequences. Runs over both
// backings the project uses: a host SharedArrayBuffer (snapshots) and guest RAM (the guest heaps).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { gpa } from '../../src/runtime/address.js';
import { HeapError } from '../../src/runtime/errors.js';
import { GuestMemory } from '../../src/runtime/guest-memory.js';
import { guestHeapBacking, sabHeapBacking } from '../../src/runtime/heap-backing.js';
import { BlockState, SharedHeap, type HeapBacking } from '../../src/runtime/shared-heap.js';

// The region layout, from the header comment of src/runtime/shared-heap.ts: a 64-byte control block,
// then blocks with a 16-byte header (+0 size, +4 state, +8 size of the previous block, +12 generation)
// and, in free blocks, +16 next free and +20 previous free.
const CTL = 64;
const HDR = SharedHeap.HEADER_BYTES;

interface Backing {
  readonly m: HeapBacking;
  /** A second backing over the same bytes (another thread's view). */
  readonly again: () => HeapBacking;
}

const backings: readonly (readonly [string, (bytes: number) => Backing])[] = [
  [
    'a SharedArrayBuffer',
    (bytes) => {
      const sab = new SharedArrayBuffer(bytes);
      return { m: sabHeapBacking(sab), again: () => sabHeapBacking(sab) };
    },
  ],
  [
    'guest RAM',
    (bytes) => {
      const mem = GuestMemory.create(Math.ceil(bytes / 4096) * 4096);
      return {
        m: guestHeapBacking(mem),
        again: () => guestHeapBacking(GuestMemory.attach(mem.buffer as SharedArrayBuffer)),
      };
    },
  ],
];

/** Every block of the heap, walked from the raw headers. */
function blocks(m: HeapBacking, base: number, size: number): { at: number; size: number; state: number }[] {
  const out = [];
  for (let x = base + CTL; x < base + size;) {
    const s = m.u32(x);
    out.push({ at: x, size: s, state: m.u32(x + 4) });
    if (s === 0) break;
    x += s;
  }
  return out;
}

function expectHeapError(fn: () => unknown, message?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(HeapError);
  expect((err as HeapError).code).toBe('ERR_HEAP');
  if (message) expect((err as Error).message).toMatch(message);
}

describe.each(backings)('SharedHeap over %s', (_name, makeBacking) => {
  const BASE = 4096;
  const SIZE = 4096;
  function fresh(size = SIZE): { heap: SharedHeap; m: HeapBacking; b: Backing } {
    const b = makeBacking(BASE + size + 4096);
    return { heap: SharedHeap.format(b.m, BASE, size), m: b.m, b };
  }

  test('format lays out one free block and zero counters; attach sees the same heap', () => {
    const { heap, b } = fresh();
    expect(heap.stats()).toEqual({
      sizeBytes: SIZE,
      inUseBytes: 0,
      liveBlocks: 0,
      quarantinedBytes: 0,
      quarantinedBlocks: 0,
      allocs: 0,
      frees: 0,
      failedAllocs: 0,
    });
    expect(blocks(b.m, BASE, SIZE)).toEqual([{ at: BASE + CTL, size: SIZE - CTL, state: BlockState.FREE }]);
    heap.check();
    const other = SharedHeap.attach(b.again(), BASE);
    expect(other.size).toBe(SIZE);
    const a = other.alloc(10)!;
    expect(heap.blockInfo(a.off)?.state).toBe(BlockState.USED);
    expect(heap.stats().liveBlocks).toBe(1);
  });

  test('format refuses misaligned or too small regions; attach refuses a region without a heap', () => {
    const b = makeBacking(3 * 4096);
    expect(() => SharedHeap.format(b.m, 8, 4096)).toThrow(RangeError);
    expect(() => SharedHeap.format(b.m, 0, 4104)).toThrow(RangeError);
    expect(() => SharedHeap.format(b.m, 0, 176)).toThrow(RangeError);
    expect(SharedHeap.format(b.m, 0, 192).size).toBe(192);
    expectHeapError(() => SharedHeap.attach(b.m, 4096), /no heap/);
  });

  test('payloads are 16-aligned, rounded up to 16, and at least 16 bytes', () => {
    const { heap } = fresh();
    for (const [ask, payload] of [
      [0, 16],
      [1, 16],
      [16, 16],
      [17, 32],
      [100, 112],
    ] as const) {
      const a = heap.alloc(ask)!;
      expect(a.off % 16).toBe(0);
      expect(heap.blockInfo(a.off)?.payloadBytes, `alloc(${ask})`).toBe(payload);
    }
    expect(() => heap.alloc(-1)).toThrow(RangeError);
    expect(() => heap.alloc(1.5)).toThrow(RangeError);
    expect(() => heap.alloc(Number.NaN)).toThrow(RangeError);
  });

  test('a block is split when the rest can hold a block, and handed out whole otherwise', () => {
    // 192-byte heap: 128 bytes of blocks.
    const { heap, m } = fresh(192);
    const a = heap.alloc(80)!; // 96-byte block, 32 left: split
    expect(blocks(m, BASE, 192).map((x) => [x.size, x.state])).toEqual([
      [96, BlockState.USED],
      [32, BlockState.FREE],
    ]);
    heap.free(a.off);
    const b = heap.alloc(96)!; // needs 112: 16 left is no block, so all 128 bytes are used
    expect(heap.blockInfo(b.off)?.payloadBytes).toBe(112);
    expect(blocks(m, BASE, 192)).toHaveLength(1);
    expect(heap.stats().inUseBytes).toBe(128);
    heap.check();
  });

  test('exhaustion returns undefined and counts the failure', () => {
    const { heap } = fresh();
    expect(heap.alloc(SIZE)).toBeUndefined();
    const whole = heap.alloc(SIZE - CTL - HDR);
    expect(whole).not.toBeUndefined();
    expect(heap.alloc(0)).toBeUndefined();
    expect(heap.stats()).toMatchObject({ allocs: 1, failedAllocs: 2, liveBlocks: 1, inUseBytes: SIZE - CTL });
    heap.free(whole!.off);
    expect(heap.alloc(0)).not.toBeUndefined();
  });

  test('freeing merges with free neighbours on both sides', () => {
    const { heap, m } = fresh();
    const a = heap.alloc(100)!;
    const b = heap.alloc(100)!;
    const c = heap.alloc(100)!;
    expect(heap.free(a.off)).toBe('freed');
    expect(heap.free(c.off)).toBe('freed'); // merges with the tail
    expect(blocks(m, BASE, SIZE).map((x) => x.state)).toEqual([
      BlockState.FREE,
      BlockState.USED,
      BlockState.FREE,
    ]);
    expect(heap.free(b.off)).toBe('freed'); // merges with both
    expect(blocks(m, BASE, SIZE)).toEqual([{ at: BASE + CTL, size: SIZE - CTL, state: BlockState.FREE }]);
    expect(heap.alloc(SIZE - CTL - HDR)?.off).toBe(a.off);
    expect(heap.stats()).toMatchObject({ allocs: 4, frees: 3 });
    heap.check();
  });

  test('a freed block is reused with a new generation', () => {
    const { heap } = fresh();
    const a = heap.alloc(40)!;
    heap.free(a.off);
    const b = heap.alloc(40)!;
    expect(b.off).toBe(a.off);
    expect(b.gen).not.toBe(a.gen);
    expect(heap.blockInfo(b.off)?.gen).toBe(b.gen);
  });

  test('a quarantined block is never handed out again and freeing it is ignored', () => {
    const { heap, m } = fresh();
    const a = heap.alloc(100)!;
    const q = heap.alloc(100)!;
    const c = heap.alloc(100)!;
    const qBytes = heap.quarantine(q.off);
    expect(qBytes).toBe(128);
    expect(heap.blockInfo(q.off)).toEqual({ state: BlockState.QUARANTINED, gen: q.gen, payloadBytes: 112 });
    expect(heap.stats()).toMatchObject({
      liveBlocks: 2,
      inUseBytes: 256,
      quarantinedBlocks: 1,
      quarantinedBytes: 128,
    });
    const before = heap.stats();
    expect(heap.free(q.off)).toBe('quarantined');
    expect(heap.quarantine(q.off)).toBe(0);
    expect(heap.stats()).toEqual(before);
    heap.free(a.off);
    heap.free(c.off);
    // Its neighbours do not merge across it.
    expect(blocks(m, BASE, SIZE).map((x) => x.state)).toEqual([
      BlockState.FREE,
      BlockState.QUARANTINED,
      BlockState.FREE,
    ]);
    // Allocate everything that is left, in small pieces: nothing lands on the quarantined block.
    const got: number[] = [];
    for (let x = heap.alloc(16); x !== undefined; x = heap.alloc(16)) got.push(x.off);
    expect(got.length).toBeGreaterThan(50);
    for (const off of got) expect(off + 16 <= q.off - HDR || off - HDR >= q.off + 112).toBe(true);
    expect(heap.blockInfo(q.off)?.state).toBe(BlockState.QUARANTINED);
    heap.check();
  });

  test('misuse throws HeapError: double free, wild pointers, quarantining a free block', () => {
    const { heap } = fresh();
    const a = heap.alloc(50)!;
    heap.alloc(50);
    heap.free(a.off);
    expectHeapError(() => heap.free(a.off), /double free/);
    expectHeapError(() => heap.quarantine(a.off), /free block/);
    expectHeapError(() => heap.free(BASE), /not in this heap/);
    expectHeapError(() => heap.free(BASE + SIZE + HDR), /not in this heap/);
    expectHeapError(() => heap.free(a.off + 8), /not in this heap/);
    expect(heap.stats()).toMatchObject({ liveBlocks: 1, frees: 1 });
    heap.check();
  });

  test('a double free is refused after the block merged into its free predecessor', () => {
    const { heap } = fresh();
    const a = heap.alloc(50)!;
    const b = heap.alloc(50)!;
    heap.alloc(50);
    heap.free(a.off);
    heap.free(b.off); // b merges backwards into a; its old header is inside a free block now
    const before = heap.stats();
    expectHeapError(() => heap.free(b.off));
    expectHeapError(() => heap.quarantine(b.off));
    expect(heap.stats()).toEqual(before);
    heap.check();
    expect(heap.blockInfo(b.off)).toBeUndefined();
  });

  test('blockInfo knows real block boundaries only', () => {
    const { heap } = fresh();
    const a = heap.alloc(100)!;
    expect(heap.blockInfo(a.off)).toEqual({ state: BlockState.USED, gen: a.gen, payloadBytes: 112 });
    expect(heap.blockInfo(a.off + 16)).toBeUndefined();
    expect(heap.blockInfo(a.off + 4)).toBeUndefined();
    expect(heap.blockInfo(BASE)).toBeUndefined();
    expect(heap.blockInfo(BASE + SIZE + HDR)).toBeUndefined();
  });

  describe('check() catches corruption', () => {
    function corrupted(mutate: (m: HeapBacking, blocksNow: ReturnType<typeof blocks>) => void): SharedHeap {
      const { heap, m } = fresh();
      heap.alloc(40);
      const b = heap.alloc(40)!;
      heap.alloc(40);
      heap.free(b.off);
      heap.check();
      mutate(m, blocks(m, BASE, SIZE));
      return heap;
    }
    test('a block size that is too small, unaligned or past the end', () => {
      expectHeapError(() => corrupted((m, bl) => m.setU32(bl[0]!.at, 16)).check(), /bad block size/);
      expectHeapError(() => corrupted((m, bl) => m.setU32(bl[0]!.at, 40)).check(), /bad block size/);
      expectHeapError(() => corrupted((m, bl) => m.setU32(bl[3]!.at, SIZE)).check(), /bad block size/);
    });
    test('a wrong previous-size link', () => {
      expectHeapError(() => corrupted((m, bl) => m.setU32(bl[2]!.at + 8, 48)).check(), /previous-size/);
    });
    test('an unknown block state', () => {
      expectHeapError(() => corrupted((m, bl) => m.setU32(bl[0]!.at + 4, 9)).check(), /bad block state/);
    });
    test('a free block missing from the free list', () => {
      expectHeapError(
        () => corrupted((m, bl) => m.setU32(bl[0]!.at + 4, BlockState.FREE)).check(),
        /free list holds/,
      );
    });
    test('a used block on the free list', () => {
      expectHeapError(
        () => corrupted((m, bl) => m.setU32(bl[1]!.at + 16, bl[0]!.at)).check(),
        /non-free block/,
      );
    });
    test('a cycle in the free list', () => {
      expectHeapError(() => corrupted((m, bl) => m.setU32(bl[1]!.at + 16, bl[1]!.at)).check(), /cycle/);
    });
    test('an in-use count that drifted from the blocks', () => {
      expectHeapError(
        () => corrupted((m, bl) => m.setU32(bl[0]!.at + 4, BlockState.QUARANTINED)).check(),
        /in-use byte count drifted/,
      );
    });
  });

  test('a model of random alloc / free / quarantine / misuse sequences', () => {
    const HEAP = 2048;
    const op = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          k: fc.constant('alloc' as const),
          n: fc.oneof({ weight: 4, arbitrary: fc.nat(64) }, fc.nat(HEAP)),
        }),
      },
      { weight: 3, arbitrary: fc.record({ k: fc.constant('free' as const), i: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('quarantine' as const), i: fc.nat() }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('freeQuarantined' as const), i: fc.nat() }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('doubleFree' as const), i: fc.nat() }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const b = makeBacking(BASE + HEAP + 4096);
        const heap = SharedHeap.format(b.m, BASE, HEAP);
        const live = new Map<number, { gen: number; block: number }>();
        const quarantined = new Map<number, number>();
        const freed: number[] = [];
        let allocs = 0;
        let frees = 0;
        let fails = 0;
        const gens = new Set<number>();
        const covered = (off: number): boolean =>
          [...live].some(([o, v]) => off >= o - HDR && off < o - HDR + v.block) ||
          [...quarantined].some(([o, size]) => off >= o - HDR && off < o - HDR + size);
        const pick = <T>(xs: readonly T[], i: number): T | undefined =>
          xs.length === 0 ? undefined : xs[i % xs.length];

        for (const o of ops) {
          switch (o.k) {
            case 'alloc': {
              const need = Math.max(32, HDR + Math.ceil(o.n / 16) * 16);
              const a = heap.alloc(o.n);
              if (a === undefined) {
                fails++;
                // Only refused when no free block is large enough.
                const largest = Math.max(
                  0,
                  ...blocks(b.m, BASE, HEAP)
                    .filter((x) => x.state === BlockState.FREE)
                    .map((x) => x.size),
                );
                expect(largest).toBeLessThan(need);
                break;
              }
              allocs++;
              expect(a.off % 16).toBe(0);
              expect(a.off - HDR).toBeGreaterThanOrEqual(BASE + CTL);
              const info = heap.blockInfo(a.off)!;
              expect(info.payloadBytes).toBeGreaterThanOrEqual(o.n);
              expect(a.off + info.payloadBytes).toBeLessThanOrEqual(BASE + HEAP);
              // Never memory that is live or quarantined.
              expect(covered(a.off - HDR) || covered(a.off + info.payloadBytes - 1)).toBe(false);
              expect(gens.has(a.gen)).toBe(false);
              gens.add(a.gen);
              live.set(a.off, { gen: a.gen, block: info.payloadBytes + HDR });
              const at = freed.indexOf(a.off);
              if (at >= 0) freed.splice(at, 1);
              break;
            }
            case 'free': {
              const off = pick([...live.keys()], o.i);
              if (off === undefined) break;
              expect(heap.free(off)).toBe('freed');
              live.delete(off);
              freed.push(off);
              frees++;
              break;
            }
            case 'quarantine': {
              const off = pick([...live.keys()], o.i);
              if (off === undefined) break;
              const size = live.get(off)!.block;
              expect(heap.quarantine(off)).toBe(size);
              live.delete(off);
              quarantined.set(off, size);
              break;
            }
            case 'freeQuarantined': {
              const off = pick([...quarantined.keys()], o.i);
              if (off === undefined) break;
              expect(heap.free(off)).toBe('quarantined');
              expect(heap.quarantine(off)).toBe(0);
              break;
            }
            case 'doubleFree': {
              // A pointer freed earlier whose memory nobody owns now must be refused, whatever
              // merging happened since.
              const off = pick(
                freed.filter((f) => !covered(f - HDR)),
                o.i,
              );
              if (off === undefined) break;
              expectHeapError(() => heap.free(off));
              expectHeapError(() => heap.quarantine(off));
              break;
            }
          }
          heap.check();
          const all = blocks(b.m, BASE, HEAP);
          // Coalescing: never two free blocks side by side.
          for (let i = 1; i < all.length; i++) {
            expect(all[i - 1]!.state === BlockState.FREE && all[i]!.state === BlockState.FREE).toBe(false);
          }
          for (const [off, v] of live) {
            expect(heap.blockInfo(off)).toMatchObject({ state: BlockState.USED, gen: v.gen });
          }
          for (const off of quarantined.keys()) {
            expect(heap.blockInfo(off)?.state).toBe(BlockState.QUARANTINED);
          }
          const sum = (xs: Iterable<number>): number => [...xs].reduce((s, x) => s + x, 0);
          expect(heap.stats()).toEqual({
            sizeBytes: HEAP,
            inUseBytes: sum([...live.values()].map((v) => v.block)),
            liveBlocks: live.size,
            quarantinedBytes: sum(quarantined.values()),
            quarantinedBlocks: quarantined.size,
            allocs,
            frees,
            failedAllocs: fails,
          });
        }
      }),
      { numRuns: 150 },
    );
  });
});

test('GuestHeap-style backings share one heap between views of the same RAM', () => {
  const mem = GuestMemory.create(3 * 4096);
  const h1 = SharedHeap.format(guestHeapBacking(mem), 4096, 4096);
  const a = h1.alloc(64)!;
  mem.fill(gpa(a.off), 64, 0xee);
  const h2 = SharedHeap.attach(guestHeapBacking(GuestMemory.attach(mem.buffer as SharedArrayBuffer)), 4096);
  expect(h2.free(a.off)).toBe('freed');
  expect(h1.stats()).toMatchObject({ liveBlocks: 0, frees: 1 });
  h1.check();
});
