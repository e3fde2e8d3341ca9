// The step-machine effects and the real-thread executors (runSync / blockOn, runAsync / blockOnAsync),
// without worker threads: waits are driven by conditions that are already true, by short deadlines, by
// a timer on this thread's event loop (async), or by a scripted cell that stands in for the waker.
import { describe, expect, test } from 'vitest';
import { AtomicCell, SharedWords } from '../../src/runtime/atomic-cell.js';
import { POINTS, PointId } from '../../src/runtime/points.js';
import { SpinGate } from '../../src/runtime/spin-gate.js';
import { SpinHistory } from '../../src/runtime/spin-history.js';
import {
  blockOn,
  blockOnAsync,
  lock,
  point,
  runAsync,
  runSync,
  unlock,
  wait,
  waitFor,
  wallClock,
  type Effect,
  type PointEffect,
  type Proc,
  type SpinLimiter,
  type ThreadExecOptions,
  type WaitOutcome,
} from '../../src/runtime/proc.js';

function cell(): AtomicCell {
  return SharedWords.create(1).cell(0);
}

/** A clock the test moves. */
function fakeClock(start = 1000): { now: () => number; t: number } {
  const c = {
    t: start,
    now: () => c.t,
  };
  return c;
}

function opts(o: Partial<ThreadExecOptions> = {}): ThreadExecOptions {
  return { clock: o.clock ?? fakeClock(), spin: o.spin ?? 0, spinLong: o.spinLong ?? 0, onPoint: o.onPoint };
}

/** A wake word whose waker is a script: what happens when the waiter sleeps, and after how many loads it changes. */
class ScriptedCell extends AtomicCell {
  loads = 0;
  readonly sleeps: { seen: number; timeout: number }[] = [];
  onSleep: ((timeout: number) => void)[] = [];
  changeAfterLoads = Infinity;
  onChange: () => void = () => undefined;

  constructor() {
    const w = SharedWords.create(1);
    super(w.i32, 0);
  }
  override load(): number {
    if (++this.loads === this.changeAfterLoads) {
      this.onChange();
      super.add(1);
    }
    return super.load();
  }
  override wait(seen: number, timeout: number = Infinity): 'ok' | 'not-equal' | 'timed-out' {
    this.sleeps.push({ seen, timeout });
    const step = this.onSleep.shift();
    if (step === undefined) throw new Error('would sleep forever');
    step(timeout);
    return 'ok';
  }
}

/**
 * A wake word that changes after `loads` loads of a spinner, or at once when the waiter goes to sleep
 * (which then returns); `done` tells whether it changed.
 */
function changingCell(loads = 20): { c: ScriptedCell; done: () => boolean } {
  const c = new ScriptedCell();
  let changed = false;
  c.changeAfterLoads = loads;
  c.onChange = () => {
    changed = true;
  };
  c.onSleep.push(() => {
    changed = true;
    c.bump();
  });
  return { c, done: () => changed };
}

describe('effects', () => {
  test('points name a request and map to stable ids', () => {
    const p = point('guest.cancel2', 0x3000, 7);
    expect(p).toEqual({ k: 'point', id: PointId['guest.cancel2'], addr: 0x3000, gen: 7 });
    expect(point('irq.ack')).toMatchObject({ addr: 0, gen: 0 });
    expect(new Set(POINTS).size).toBe(POINTS.length);
    for (const [i, name] of POINTS.entries()) expect(PointId[name]).toBe(i);
    expect(Object.isFrozen(PointId)).toBe(true);
  });

  test('waitFor defaults: no deadline, no signal, a long wait', () => {
    const c = cell();
    const until = (): boolean => false;
    expect(waitFor(c, until)).toEqual({
      k: 'wait',
      cell: c,
      until,
      deadline: Infinity,
      signal: null,
      hint: 'long',
    });
    const signal = (): boolean => true;
    expect(waitFor(c, until, { deadline: 5, signal, hint: 'short' })).toMatchObject({
      deadline: 5,
      signal,
      hint: 'short',
    });
  });

  test('wait() yields its effect and returns the executor answer (ok when none)', () => {
    const e = waitFor(cell(), () => true);
    const g = wait(e);
    expect(g.next().value).toBe(e);
    expect(g.next('timeout')).toEqual({ done: true, value: 'timeout' });
    const g2 = wait(e);
    g2.next();
    expect(g2.next(undefined)).toEqual({ done: true, value: 'ok' });
  });
});

describe('blockOn: the order DONE -> signal -> deadline', () => {
  const past = 999;
  test.each([
    ['condition, signal and deadline all hold', true, true, past, 'ok'],
    ['condition holds, no signal, deadline passed', true, false, past, 'ok'],
    ['signal pending and deadline passed', false, true, past, 'signal'],
    ['only the deadline passed', false, false, past, 'timeout'],
  ] as const)('%s -> %s', (_what, cond, sig, deadline, outcome) => {
    const c = new ScriptedCell();
    expect(
      blockOn(
        waitFor(c, () => cond, { deadline, signal: () => sig }),
        opts(),
      ),
    ).toBe(outcome);
    expect(c.sleeps).toEqual([]);
  });

  test('a wait without a signal function ignores signals', () => {
    const c = new ScriptedCell();
    expect(
      blockOn(
        waitFor(c, () => false, { deadline: 0 }),
        opts(),
      ),
    ).toBe('timeout');
  });

  test('the waiter sleeps on the value it read, re-checks after every wake, and returns when it holds', () => {
    const c = new ScriptedCell();
    let done = false;
    c.onSleep.push(
      () => c.bump(), // a spurious wake-up: nothing changed for us
      () => {
        done = true;
        c.bump();
      },
    );
    expect(
      blockOn(
        waitFor(c, () => done),
        opts(),
      ),
    ).toBe('ok');
    expect(c.sleeps).toEqual([
      { seen: 0, timeout: Infinity },
      { seen: 1, timeout: Infinity },
    ]);
  });

  test('the sleep is bounded by the deadline, and a deadline reached while asleep is a timeout', () => {
    const clock = fakeClock(1000);
    const c = new ScriptedCell();
    c.onSleep.push((timeout) => {
      clock.t += timeout;
    });
    expect(
      blockOn(
        waitFor(c, () => false, { deadline: 1040 }),
        opts({ clock }),
      ),
    ).toBe('timeout');
    expect(c.sleeps).toEqual([{ seen: 0, timeout: 40 }]);
  });

  test('a signal posted while asleep ends the wait with signal', () => {
    const c = new ScriptedCell();
    let signalled = false;
    c.onSleep.push(() => {
      signalled = true;
      c.bump();
    });
    expect(
      blockOn(
        waitFor(c, () => false, { signal: () => signalled }),
        opts(),
      ),
    ).toBe('signal');
  });

  test("'short' waits spin on the word first and do not sleep when it changes in time", () => {
    const c = new ScriptedCell();
    let done = false;
    c.changeAfterLoads = 20;
    c.onChange = () => {
      done = true;
    };
    expect(
      blockOn(
        waitFor(c, () => done, { hint: 'short' }),
        opts({ spin: 100, spinLong: 0 }),
      ),
    ).toBe('ok');
    expect(c.sleeps).toEqual([]);
  });

  test("'long' waits use spinLong: with 0 they sleep at once", () => {
    const { c, done } = changingCell();
    expect(blockOn(waitFor(c, done, { hint: 'long' }), opts({ spin: 100, spinLong: 0 }))).toBe('ok');
    expect(c.sleeps).toHaveLength(1);
  });

  test("'idle' waits use spinIdle", () => {
    const c = new ScriptedCell();
    let done = false;
    c.changeAfterLoads = 20;
    c.onChange = () => {
      done = true;
    };
    expect(
      blockOn(
        waitFor(c, () => done, { hint: 'idle' }),
        { ...opts({ spin: 0, spinLong: 0 }), spinIdle: 100 },
      ),
    ).toBe('ok');
    expect(c.sleeps).toEqual([]);
  });

  test('a wait the spin gate turns away sleeps at once, and a spinner gives its slot back', () => {
    const word = cell();
    const active = cell();
    const gate = new SpinGate({ spinners: word, active }, 1, 2);
    const c = new ScriptedCell();
    let done = false;
    c.changeAfterLoads = 20;
    c.onChange = () => {
      done = true;
    };
    c.onSleep.push(() => {
      // Parked: the gate no longer counts this thread as needing a core.
      expect(active.load()).toBe(-1);
      done = true;
      c.bump();
    });
    // Another thread holds the only slot: this wait may not spin although the word would change in time.
    expect(gate.tryEnter()).toBe(true);
    expect(
      blockOn(
        waitFor(c, () => done, { hint: 'short' }),
        { ...opts({ spin: 100 }), gate },
      ),
    ).toBe('ok');
    expect(c.sleeps).toHaveLength(1);
    expect(word.load()).toBe(1);
    gate.exit();
    // The slot is free: the next wait spins, sees the change and gives the slot back.
    const { c: d, done: done2 } = changingCell();
    expect(blockOn(waitFor(d, done2, { hint: 'short' }), { ...opts({ spin: 100 }), gate })).toBe('ok');
    expect(d.sleeps).toEqual([]);
    expect(word.load()).toBe(0);
    expect(active.load()).toBe(0);
  });

  test('no spinning while more threads work than there are cores', () => {
    const active = cell();
    const gate = new SpinGate({ spinners: cell(), active }, 4, 2);
    active.store(3); // three threads of the machine at work on two cores
    const { c, done } = changingCell();
    expect(blockOn(waitFor(c, done, { hint: 'short' }), { ...opts({ spin: 100 }), gate })).toBe('ok');
    expect(c.sleeps).toHaveLength(1);
    expect(active.load()).toBe(3);
    active.store(1);
    expect(gate.tryEnter()).toBe(true);
  });

  test('the spin gate never lets more than its limit in', () => {
    const word = cell();
    const gate = new SpinGate({ spinners: word, active: cell() }, 2, 2);
    expect([gate.tryEnter(), gate.tryEnter(), gate.tryEnter()]).toEqual([true, true, false]);
    expect(word.load()).toBe(2);
    gate.exit();
    expect(gate.tryEnter()).toBe(true);
    expect(word.load()).toBe(2);
  });

  test('a spin that sees no change ends in a sleep', () => {
    const c = new ScriptedCell();
    let done = false;
    c.onSleep.push(() => {
      done = true;
      c.bump();
    });
    expect(
      blockOn(
        waitFor(c, () => done, { hint: 'short' }),
        opts({ spin: 10 }),
      ),
    ).toBe('ok');
    expect(c.sleeps).toHaveLength(1);
    expect(c.loads).toBeGreaterThanOrEqual(11);
  });

  test("with a history, 'long' spins last about as long as recent answers took", () => {
    const history = new SpinHistory(10_000);
    const o = { ...opts({ spinLong: 10_000 }), history };
    // Answers after 40 loads: the spin sees each one and the budget comes down to the floor.
    for (let i = 0; i < 40; i++) {
      const { c, done } = changingCell(40);
      expect(blockOn(waitFor(c, done, { hint: 'long' }), o)).toBe('ok');
      expect(c.sleeps).toEqual([]);
    }
    expect(history.budget()).toBe(256);
    // A slow answer: the spin gives up at that budget, not at spinLong, and the thread sleeps.
    const { c, done } = changingCell(5000);
    expect(blockOn(waitFor(c, done, { hint: 'long' }), o)).toBe('ok');
    expect(c.sleeps).toHaveLength(1);
    expect(c.loads).toBeLessThan(600);
    // 'short' waits keep their fixed budget.
    const s = changingCell(5000);
    expect(blockOn(waitFor(s.c, s.done, { hint: 'short' }), { ...o, spin: 6000 })).toBe('ok');
    expect(s.c.sleeps).toEqual([]);
  });

  test('after a whole spinLong missed, the next long waits sleep without a load', () => {
    const history = new SpinHistory(1000);
    const o = { ...opts({ spinLong: 1000 }), history };
    const slow = changingCell(Infinity);
    expect(blockOn(waitFor(slow.c, slow.done, { hint: 'long' }), o)).toBe('ok');
    expect(slow.c.sleeps).toHaveLength(1);
    expect(slow.c.loads).toBeGreaterThanOrEqual(1000);
    // The next wait would be answered after 10 loads, but it does not spin: one load of the word before
    // the sleep, one after the wake.
    const next = changingCell(10);
    expect(blockOn(waitFor(next.c, next.done, { hint: 'long' }), o)).toBe('ok');
    expect(next.c.sleeps).toHaveLength(1);
    expect(next.c.loads).toBe(2);
  });

  test('a spin the gate stops is no miss: the history keeps its budget', () => {
    // A gate that lets the spin start and then says a working thread needs the core.
    const gate: SpinLimiter = {
      tryEnter: () => true,
      exit: () => undefined,
      worthSpinning: () => false,
      park: () => undefined,
      unpark: () => undefined,
      enterThread: () => undefined,
      exitThread: () => undefined,
    };
    const history = new SpinHistory(1000);
    // Answered only when the waiter sleeps.
    const { c, done } = changingCell(Infinity);
    expect(blockOn(waitFor(c, done, { hint: 'long' }), { ...opts({ spinLong: 1000 }), gate, history })).toBe(
      'ok',
    );
    expect(c.sleeps).toHaveLength(1);
    expect(c.loads).toBeLessThan(300);
    expect(history.budget()).toBe(1000);
  });

  test('on a real word, a short deadline times out after about that long', () => {
    const t0 = performance.now();
    expect(
      blockOn(
        waitFor(cell(), () => false, { deadline: t0 + 5 }),
        opts({ clock: wallClock }),
      ),
    ).toBe('timeout');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(4);
  });
});

describe('runSync', () => {
  test('runs a machine to its value, feeding wait outcomes back and calling onPoint at every point', () => {
    const seen: PointEffect[] = [];
    const got: (WaitOutcome | undefined)[] = [];
    function* machine(): Proc<string> {
      got.push(yield point('guest.alloc', 0x2000, 1));
      got.push(yield waitFor(cell(), () => false, { deadline: 0 }));
      got.push(yield waitFor(cell(), () => true));
      got.push(yield point('guest.free', 0x2000, 1));
      return 'end';
    }
    expect(runSync(machine(), opts({ onPoint: (p) => seen.push(p) }))).toBe('end');
    expect(seen.map((p) => POINTS[p.id])).toEqual(['guest.alloc', 'guest.free']);
    expect(seen[0]).toMatchObject({ addr: 0x2000, gen: 1 });
    expect(got).toEqual([undefined, 'timeout', 'ok', undefined]);
  });

  test('an onPoint hook can change the world between two steps', () => {
    const c = cell();
    let ready = false;
    function* machine(): Proc<WaitOutcome> {
      yield point('host.complete.setDone');
      return yield* wait(waitFor(c, () => ready, { deadline: 0 }));
    }
    expect(
      runSync(
        machine(),
        opts({
          onPoint: () => {
            ready = true;
          },
        }),
      ),
    ).toBe('ok');
  });

  test('an exception inside the machine propagates', () => {
    function* machine(): Proc<void> {
      yield point('irq.ack');
      throw new Error('broken invariant');
    }
    expect(() => runSync(machine(), opts())).toThrow('broken invariant');
  });
});

describe('step-machine locks', () => {
  test('a free lock is taken without an effect', () => {
    const c = cell();
    const g = lock(c);
    expect(g.next()).toEqual({ done: true, value: undefined });
    expect(c.load()).toBe(1);
  });

  test('a held lock yields a short wait until it is free, then takes it', () => {
    const c = cell();
    c.store(1);
    const g = lock(c);
    const r = g.next();
    expect(r.done).toBe(false);
    const e = r.value as Effect;
    expect(e).toMatchObject({ k: 'wait', cell: c, hint: 'short', deadline: Infinity });
    if (e.k !== 'wait') throw new Error('expected a wait');
    expect(e.until()).toBe(false);
    unlock(c);
    expect(c.load()).toBe(0);
    expect(e.until()).toBe(true);
    expect(g.next('ok').done).toBe(true);
    expect(c.load()).toBe(1);
  });

  test('losing the race after the wake means waiting again', () => {
    const c = cell();
    c.store(1);
    const g = lock(c);
    g.next();
    // Freed, but someone else takes it before we run.
    c.store(1);
    const again = g.next('ok');
    expect(again.done).toBe(false);
    c.store(0);
    expect(g.next('ok').done).toBe(true);
  });

  test('runSync runs a lock / unlock pair', () => {
    const c = cell();
    function* machine(): Proc<number> {
      yield* lock(c);
      const inside = c.load();
      unlock(c);
      return inside;
    }
    expect(runSync(machine(), opts())).toBe(1);
    expect(c.load()).toBe(0);
  });
});

describe('runAsync / blockOnAsync', () => {
  test('a change made by a timer on this thread wakes the wait', async () => {
    const c = cell();
    let done = false;
    setTimeout(() => {
      done = true;
      c.bump();
    }, 5);
    const t0 = performance.now();
    expect(
      await blockOnAsync(
        waitFor(c, () => done),
        opts({ clock: wallClock }),
      ),
    ).toBe('ok');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(3);
  });

  test('the same order DONE -> signal -> deadline', async () => {
    const o = opts();
    expect(
      await blockOnAsync(
        waitFor(cell(), () => true, { deadline: 0, signal: () => true }),
        o,
      ),
    ).toBe('ok');
    expect(
      await blockOnAsync(
        waitFor(cell(), () => false, { deadline: 0, signal: () => true }),
        o,
      ),
    ).toBe('signal');
    expect(
      await blockOnAsync(
        waitFor(cell(), () => false, { deadline: 0 }),
        o,
      ),
    ).toBe('timeout');
  });

  test('a short deadline times out without blocking the event loop', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const r = await blockOnAsync(
      waitFor(cell(), () => false, { deadline: performance.now() + 20 }),
      opts({ clock: wallClock }),
    );
    clearInterval(timer);
    expect(r).toBe('timeout');
    expect(ticks).toBeGreaterThan(0);
  });

  test('runAsync runs points and waits like runSync', async () => {
    const c = cell();
    let done = false;
    const seen: string[] = [];
    function* machine(): Proc<WaitOutcome> {
      yield point('host.pick');
      setTimeout(() => {
        done = true;
        c.bump();
      }, 1);
      return yield* wait(waitFor(c, () => done));
    }
    expect(
      await runAsync(machine(), opts({ clock: wallClock, onPoint: (p) => seen.push(POINTS[p.id]!) })),
    ).toBe('ok');
    expect(seen).toEqual(['host.pick']);
  });
});
