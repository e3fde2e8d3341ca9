// SlotPool: slots from a free list with a generation bumped at every free, slot 0 never handed out, a full
// table says so, and the table is the same from every view of its memory (another thread's attach).
import { describe, expect, test } from 'vitest';
import { SlotPool } from '../../src/runtime/slot-pool.js';

describe('SlotPool', () => {
  test('hands out slots from 1, reuses freed ones with a new generation, refuses when full', () => {
    const t = SlotPool.create(4, 2);
    const [a, b, c] = t.locked(() => [t.alloc(), t.alloc(), t.alloc()]);
    expect([a, b, c]).toEqual([1, 2, 3]);
    expect(t.locked(() => t.alloc())).toBeUndefined();
    expect(t.live).toBe(3);
    const gen = t.gen(2);
    t.set(2, 1, 42);
    t.locked(() => t.free(2));
    expect(t.isLive(2)).toBe(false);
    expect(t.gen(2)).toBe(gen + 1);
    const again = t.locked(() => t.alloc());
    expect(again).toBe(2);
    // A reused slot starts zeroed.
    expect(t.get(2, 1)).toBe(0);
    expect(t.liveSlots()).toEqual([1, 2, 3]);
    expect(t.allocs).toBe(4);
  });

  test('a second view of the memory sees the same table', () => {
    const t = SlotPool.create(8, 3);
    const s = t.locked(() => t.alloc())!;
    t.set(s, 2, -7);
    const u = SlotPool.attach(t.sab);
    expect(u.isLive(s)).toBe(true);
    expect(u.get(s, 2)).toBe(-7);
    expect(u.capacity).toBe(8);
    expect(() => SlotPool.attach(new SharedArrayBuffer(64))).toThrow(/not a slot pool/);
  });

  test('freeing a slot that is not live is a bug, and says so', () => {
    const t = SlotPool.create(4, 1);
    expect(() => t.locked(() => t.free(1))).toThrow(/not live/);
    expect(() => t.locked(() => t.free(0))).toThrow(/not live/);
  });
});
