// A controlled machine's clock and host timers (runtime/control-clock.ts) on the control block, driven
// from this thread as a coordinator drives them: virtual time stands still while deciding and moves only
// by advance(); timers fire when it passes them, in order, and publish the earliest one left; without a
// coordinator the clock runs at wall rate on from the virtual time reached.
import { expect, test } from 'vitest';
import { ControlBlock, ControlClock, ControlTimers } from '../../src/runtime/index.js';

/** Let the event loop run until `ok()` holds, at most `rounds` turns (the timers fire from waitAsync). */
async function until(ok: () => boolean, rounds = 200): Promise<boolean> {
  for (let i = 0; i < rounds && !ok(); i++) await new Promise((r) => setTimeout(r, 1));
  return ok();
}

test('virtual time stands still while deciding, moves by advance, and runs on from there afterwards', async () => {
  const block = ControlBlock.create(2);
  const clock = new ControlClock(block.sab);
  expect(clock.virtual).toBe(false);
  block.enable();
  expect(clock.virtual).toBe(true);
  const t0 = clock.now();
  // Whole milliseconds: a deadline's sum is exact.
  expect(Number.isInteger(t0)).toBe(true);
  await new Promise((r) => setTimeout(r, 20));
  expect(clock.now()).toBe(t0);
  block.advance(t0 + 1_000_000);
  expect(clock.now()).toBe(t0 + 1_000_000);
  // Never backwards.
  block.advance(t0 + 10);
  expect(clock.now()).toBe(t0 + 1_000_000);
  block.disable();
  expect(clock.virtual).toBe(false);
  // At wall rate on from the virtual time reached, not back to wall time (a thousand seconds behind).
  expect(clock.now()).toBeGreaterThanOrEqual(t0 + 1_000_000);
  expect(clock.now()).toBeGreaterThan(performance.timeOrigin + performance.now() + 500_000);
  // A slice of a real wait that ran out sleeps on only in virtual time.
  expect(clock.sleepAgain(false, Infinity)).toBe(false);
});

test('host timers fire when virtual time passes them, earliest first, and publish the next one', async () => {
  const block = ControlBlock.create(2);
  const clock = new ControlClock(block.sab);
  block.enable();
  const t0 = clock.now();
  const timers = new ControlTimers(block.sab, 1);
  const fired: string[] = [];
  timers.set(30, () => fired.push('b'));
  timers.set(10, () => fired.push('a'));
  timers.set(30, () => fired.push('c'));
  expect(block.timer(1)).toBe(t0 + 10);
  expect(block.timer(0)).toBe(Infinity);
  // Real time passing fires nothing.
  await new Promise((r) => setTimeout(r, 50));
  expect(fired).toEqual([]);
  block.advance(t0 + 10);
  expect(await until(() => fired.length === 1)).toBe(true);
  expect(fired).toEqual(['a']);
  expect(await until(() => block.timer(1) === t0 + 30)).toBe(true);
  block.advance(t0 + 30);
  // Ties in the order they were set.
  expect(await until(() => fired.length === 3)).toBe(true);
  expect(fired).toEqual(['a', 'b', 'c']);
  expect(await until(() => block.timer(1) === Infinity)).toBe(true);
  block.disable();
});

test('a timer left when the coordinator stops fires on wall time', async () => {
  const block = ControlBlock.create(1);
  block.enable();
  const timers = new ControlTimers(block.sab, 0);
  let fired = false;
  timers.set(5, () => (fired = true));
  await new Promise((r) => setTimeout(r, 30));
  expect(fired).toBe(false);
  block.disable();
  expect(await until(() => fired)).toBe(true);
});
