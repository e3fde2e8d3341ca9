// FaultSteps: the seam faults and mutations replace protocol steps through. The correct steps stand while
// nothing is on; a fault's wrong steps stand in while it is on, and go when it is switched off; faults
// replacing the same step wrap one another; the shared switch count says "none" in one load.
import { describe, expect, test } from 'vitest';
import { FaultSteps, FaultTable, type FaultVariants } from '../../src/runtime/faults.js';

interface Steps {
  readonly grace: (ms: number) => number;
  readonly mark: () => string;
}
const correct: Steps = { grace: (ms) => ms, mark: () => 'or' };
const variants: FaultVariants<Steps> = {
  'no-grace': () => ({ grace: () => 0 }),
  'wrong-grace': (s) => ({ grace: (ms) => s.grace(ms) * 4 }),
  'plain-flags-store': () => ({ mark: () => 'store' }),
};

describe('FaultSteps', () => {
  test('nothing on: the correct steps themselves', () => {
    const t = new FaultTable();
    const steps = new FaultSteps(correct, variants);
    expect(t.none).toBe(true);
    expect(steps.in(t)).toBe(correct);
  });

  test("a fault on replaces only its steps, and only while it is on; another table's fault changes nothing", () => {
    const t = new FaultTable();
    const steps = new FaultSteps(correct, variants);
    t.set('plain-flags-store', true);
    expect(steps.in(t).mark()).toBe('store');
    expect(steps.in(t).grace(500)).toBe(500);
    t.set('plain-flags-store', false);
    expect(steps.in(t)).toBe(correct);
    t.set('irq-no-raise', true);
    expect(t.none).toBe(false);
    expect(steps.in(t)).toBe(correct);
  });

  test('two faults on the same step wrap one another in FAULT_NAMES order (no-grace before wrong-grace)', () => {
    const t = new FaultTable();
    const steps = new FaultSteps(correct, variants);
    t.set('wrong-grace', true);
    expect(steps.in(t).grace(500)).toBe(2000);
    t.set('no-grace', true);
    expect(steps.in(t).grace(500)).toBe(0);
  });

  test('the on-count is shared and counts a fault once however often it is set', () => {
    const a = new FaultTable();
    const b = new FaultTable(a.sab);
    a.set('host-drop', true);
    a.set('host-drop', true);
    expect(b.none).toBe(false);
    expect(b.active()).toEqual(['host-drop']);
    b.set('host-drop', false);
    expect(a.none).toBe(true);
  });
});
