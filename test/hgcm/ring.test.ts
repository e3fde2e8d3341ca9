// The dispatch ring: FIFO order, full and empty, the bell, a second view of the same memory, and the
// int32 positions wrapping around 2^31 (started there by writing the header words).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DispatchRing, Work } from '../../src/hgcm/ring.js';

// Header words and cell layout, from the diagram in src/hgcm/ring.ts.
const HEAD = 0;
const TAIL = 1;
const BELL = 2;
const CELLS = 16;
const CELL_WORDS = 4;

/** Move an empty ring's positions to `start`, with every cell's sequence word as if it had got there. */
function startAt(ring: DispatchRing, start: number): void {
  const w = ring.words;
  const mask = ring.capacity - 1;
  for (let k = 0; k < ring.capacity; k++) {
    const pos = (start + k) | 0;
    w.store(CELLS + CELL_WORDS * (pos & mask), pos);
  }
  w.store(HEAD, start | 0);
  w.store(TAIL, start | 0);
}

describe('DispatchRing', () => {
  test('capacity rounds up to a power of two, at least 2', () => {
    expect(DispatchRing.create(0).capacity).toBe(2);
    expect(DispatchRing.create(1).capacity).toBe(2);
    expect(DispatchRing.create(5).capacity).toBe(8);
    expect(DispatchRing.create(8).capacity).toBe(8);
    expect(DispatchRing.create(2 * (1024 + 64)).capacity).toBe(4096);
  });

  test('pushes come out in order with their payload; an empty ring pops undefined', () => {
    const r = DispatchRing.create(4);
    expect(r.pop()).toBeUndefined();
    expect(r.push(Work.CALL, 3, 9)).toBe(true);
    expect(r.push(Work.CONNECT, 1)).toBe(true);
    expect(r.push(Work.CANCELLED, -5, 0x7fffffff)).toBe(true);
    expect(r.length).toBe(3);
    expect(r.pop()).toEqual({ kind: Work.CALL, arg: 3, arg2: 9 });
    expect(r.pop()).toEqual({ kind: Work.CONNECT, arg: 1, arg2: 0 });
    expect(r.pop()).toEqual({ kind: Work.CANCELLED, arg: -5, arg2: 0x7fffffff });
    expect(r.pop()).toBeUndefined();
    expect(r.length).toBe(0);
  });

  test('a ring asked for one cell holds one entry more, never overwrites one', () => {
    // One sequence word per cell cannot tell "full" from "empty" in a single cell.
    const r = DispatchRing.create(1);
    expect(r.push(Work.CALL, 1)).toBe(true);
    expect(r.push(Work.CALL, 2)).toBe(true);
    expect(r.push(Work.CALL, 3)).toBe(false);
    expect([r.pop()?.arg, r.pop()?.arg, r.pop()]).toEqual([1, 2, undefined]);
  });

  test('a full ring refuses a push and takes one again after a pop', () => {
    const r = DispatchRing.create(4);
    for (let i = 0; i < 4; i++) expect(r.push(Work.CALL, i)).toBe(true);
    expect(r.push(Work.CALL, 99)).toBe(false);
    expect(r.length).toBe(4);
    expect(r.pop()?.arg).toBe(0);
    expect(r.push(Work.CALL, 4)).toBe(true);
    expect([1, 2, 3, 4].map(() => r.pop()?.arg)).toEqual([1, 2, 3, 4]);
  });

  test('every push rings the bell; pops do not', () => {
    const r = DispatchRing.create(4);
    const bell0 = r.bell.load();
    r.push(Work.CALL, 1);
    r.push(Work.CALL, 2);
    expect(r.bell.load()).toBe(bell0 + 2);
    expect(r.words.load(BELL)).toBe(bell0 + 2);
    r.pop();
    expect(r.bell.load()).toBe(bell0 + 2);
    for (const i of [3, 4, 5]) expect(r.push(Work.CALL, i)).toBe(true);
    expect(r.push(Work.CALL, 6)).toBe(false); // full: no bell
    expect(r.bell.load()).toBe(bell0 + 5);
  });

  test('another view of the same memory sees the same queue', () => {
    const a = DispatchRing.create(8);
    const b = DispatchRing.attach(a.sab);
    expect(b.capacity).toBe(8);
    a.push(Work.DISCONNECT, 7);
    expect(b.length).toBe(1);
    expect(b.pop()).toEqual({ kind: Work.DISCONNECT, arg: 7, arg2: 0 });
    expect(a.pop()).toBeUndefined();
  });

  test.each([
    ['just below 2^31 - 1', 0x7fffffff - 5],
    ['at 2^31 - 1', 0x7fffffff],
    ['just below 2^32 (int32 -1)', -3],
  ])('positions wrap around the int32 range (start %s)', (_name, start) => {
    const r = DispatchRing.create(4);
    startAt(r, start);
    expect(r.length).toBe(0);
    expect(r.pop()).toBeUndefined();
    let next = 0;
    let expectNext = 0;
    // Three times round the ring across the wrap, at varying fill levels.
    for (let round = 0; round < 12; round++) {
      const n = 1 + (round % 4);
      for (let i = 0; i < n; i++) expect(r.push(Work.CALL, next++)).toBe(true);
      expect(r.length).toBe(n);
      if (n === 4) expect(r.push(Work.CALL, -1)).toBe(false);
      for (let i = 0; i < n; i++) expect(r.pop()?.arg).toBe(expectNext++);
      expect(r.pop()).toBeUndefined();
    }
    // The positions really crossed the wrap.
    const head = r.words.load(HEAD);
    expect(head).toBe(r.words.load(TAIL));
    expect((head - start) | 0).toBe(next);
    if (start > 0) expect(head).toBeLessThan(0);
  });

  test('a model: any push/pop sequence behaves like a bounded FIFO, wherever the positions start', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(2, 4, 8),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.array(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.constant('pop' as const)), {
          maxLength: 80,
        }),
        (cap, start, ops) => {
          const r = DispatchRing.create(cap);
          startAt(r, start);
          const model: number[] = [];
          for (const op of ops) {
            if (op === 'pop') {
              const got = r.pop();
              const want = model.shift();
              expect(got?.arg).toBe(want);
            } else {
              const ok = r.push(Work.CALL, op, op * 2);
              expect(ok).toBe(model.length < cap);
              if (ok) model.push(op);
            }
            expect(r.length).toBe(model.length);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
