// SpinHistory (runtime/spin-history.ts): the budget a thread's next 'long' spin gets from how its recent
// spins ended. Plain arithmetic on one thread; the executor's use of it is in proc.test.ts.
import { describe, expect, test } from 'vitest';
import { SpinHistory } from '../../src/runtime/spin-history.js';

describe('SpinHistory', () => {
  test('the first spin gets the whole budget; quick answers shrink it to about twice their loads', () => {
    const h = new SpinHistory(20_000);
    expect(h.budget()).toBe(20_000);
    for (let i = 0; i < 64; i++) h.hit(1000);
    const b = h.budget();
    expect(b).toBeGreaterThan(2000);
    expect(b).toBeLessThan(2100);
  });

  test('never below the floor, never above the policy', () => {
    const h = new SpinHistory(20_000);
    for (let i = 0; i < 200; i++) h.hit(0);
    expect(h.budget()).toBe(256);
    const small = new SpinHistory(100);
    expect(small.budget()).toBe(100);
    small.hit(0);
    expect(small.budget()).toBe(100);
  });

  test('a spin that missed short of the policy lets the next one spin longer', () => {
    const h = new SpinHistory(20_000);
    for (let i = 0; i < 64; i++) h.hit(1000);
    const before = h.budget();
    h.miss(before);
    expect(h.budget()).toBeGreaterThan(before);
  });

  test('a full-budget miss parks the next waits at once, longer after each further miss', () => {
    const h = new SpinHistory(20_000);
    const budgets = (n: number): number[] => Array.from({ length: n }, () => h.budget());
    h.miss(h.budget()); // the first spin: the whole budget, missed
    expect(budgets(2)).toEqual([0, 0]);
    const probe = h.budget();
    expect(probe).toBe(20_000);
    h.miss(probe);
    expect(budgets(4)).toEqual([0, 0, 0, 0]);
    h.miss(h.budget());
    expect(budgets(8).every((b) => b === 0)).toBe(true);
    // A hit ends the backoff: after the current skip, one more full miss parks only two waits again.
    const p = h.budget();
    h.hit(500);
    h.miss(20_000);
    expect(budgets(3)).toEqual([0, 0, expect.any(Number)]);
    expect(p).toBe(20_000);
  });

  test('the skip never grows past 64 waits', () => {
    const h = new SpinHistory(1000);
    for (let round = 0; round < 12; round++) {
      let skipped = 0;
      let b = h.budget();
      while (b === 0) {
        skipped++;
        b = h.budget();
      }
      expect(skipped).toBeLessThanOrEqual(64);
      h.miss(b);
    }
    let skipped = 0;
    while (h.budget() === 0) skipped++;
    expect(skipped).toBe(64);
  });

  test('a miss of a spin that did not spin changes nothing', () => {
    const h = new SpinHistory(20_000);
    h.miss(0);
    expect(h.budget()).toBe(20_000);
  });
});
