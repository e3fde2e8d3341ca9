// Sealed locks (lockSync / unlockSync / withLock): the 0 free / 1 held / 2 contended protocol. No worker
// threads: a scripted cell plays the other thread (it releases the lock after some loads, or when the
// waiter would sleep) and records every sleep and wake-up.
import { describe, expect, test } from 'vitest';
import { AtomicCell, SharedWords } from '../../src/runtime/atomic-cell.js';
import { lockSync, unlockSync, withLock } from '../../src/runtime/sync.js';

/** A lock word whose "other thread" is a script. */
class ScriptedCell extends AtomicCell {
  loads = 0;
  readonly waits: number[] = [];
  readonly notifies: number[] = [];
  /** After this many loads the holder releases (stores 0); Infinity: never while spinning. */
  releaseAfterLoads = Infinity;
  /** What the holder does while the waiter sleeps, one entry per sleep. */
  onSleep: (() => void)[] = [];

  constructor(initial: number) {
    const w = SharedWords.create(1);
    super(w.i32, 0);
    this.store(initial);
  }
  override load(): number {
    if (++this.loads >= this.releaseAfterLoads) {
      this.store(0);
      this.releaseAfterLoads = Infinity;
    }
    return super.load();
  }
  override wait(seen: number): 'ok' | 'not-equal' | 'timed-out' {
    this.waits.push(seen);
    const step = this.onSleep.shift();
    if (step === undefined) throw new Error('the waiter would sleep forever');
    step();
    return 'ok';
  }
  override notify(count: number = Infinity): number {
    this.notifies.push(count);
    return 0;
  }
}

describe('lockSync / unlockSync', () => {
  test('an uncontended lock is taken with 1 and released to 0 without a wake-up', () => {
    const c = new ScriptedCell(0);
    lockSync(c);
    expect(c.load()).toBe(1);
    unlockSync(c);
    expect(c.load()).toBe(0);
    expect(c.waits).toEqual([]);
    expect(c.notifies).toEqual([]);
  });

  test('a holder that lets go while the waiter spins: taken with 1, no sleep', () => {
    const c = new ScriptedCell(1);
    c.releaseAfterLoads = 50;
    lockSync(c);
    expect(c.load()).toBe(1);
    expect(c.waits).toEqual([]);
    expect(c.loads).toBeLessThan(60);
  });

  test('a holder that keeps it past the spin: the waiter marks it contended (2) and sleeps on 2', () => {
    const c = new ScriptedCell(1);
    // The holder's unlockSync while we sleep: it sees 2, stores 0 and wakes one waiter.
    c.onSleep.push(() => unlockSync(c));
    lockSync(c);
    expect(c.waits).toEqual([2]);
    expect(c.notifies).toEqual([1]);
    // Taken with 2: we cannot know whether others sleep too, so our unlock must wake one.
    expect(c.load()).toBe(2);
    unlockSync(c);
    expect(c.load()).toBe(0);
    expect(c.notifies).toEqual([1, 1]);
  });

  test('woken but beaten to it by a third thread: mark contended again and sleep again', () => {
    const c = new ScriptedCell(1);
    c.onSleep.push(
      // The holder released and a third thread took it with a plain CAS (0 -> 1) before we ran.
      () => c.store(1),
      // The third thread's unlock: it sees the 2 we put back and stores 0.
      () => c.store(0),
    );
    lockSync(c);
    expect(c.waits).toEqual([2, 2]);
    expect(c.load()).toBe(2);
  });

  test('unlock wakes exactly one sleeper only when the word says contended', () => {
    const held = new ScriptedCell(1);
    unlockSync(held);
    expect(held.notifies).toEqual([]);
    const contended = new ScriptedCell(2);
    unlockSync(contended);
    expect(contended.notifies).toEqual([1]);
    expect(contended.load()).toBe(0);
  });
});

describe('withLock', () => {
  test('returns the value of fn and holds the lock while it runs', () => {
    const c = new ScriptedCell(0);
    expect(
      withLock(c, () => {
        expect(c.load()).toBe(1);
        return 42;
      }),
    ).toBe(42);
    expect(c.load()).toBe(0);
  });

  test('releases the lock when fn throws', () => {
    const c = new ScriptedCell(0);
    expect(() =>
      withLock(c, () => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    expect(c.load()).toBe(0);
    lockSync(c);
    expect(c.load()).toBe(1);
  });
});
