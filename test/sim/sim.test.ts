// The deterministic sim executor and its PRNG: same seed same schedule, virtual time and timers,
// deadlock detection, daemons, the step limit, and actors that throw.
import { describe, expect, test, vi } from 'vitest';
import { SharedWords } from '../../src/runtime/atomic-cell.js';
import { point, wait, waitFor, type Proc, type WaitOutcome } from '../../src/runtime/proc.js';
import { Prng } from '../../src/runtime/prng.js';
import { Sim, randomStrategy, type SimResult, type Strategy } from '../../src/sim/index.js';

function sim(seed = 1, o: { maxSteps?: number; trace?: boolean; strategy?: Strategy } = {}): Sim {
  return new Sim({ strategy: o.strategy ?? randomStrategy(seed), ...o });
}

/**
 * Three workers take turns on a shared counter: each appends its name, bumps the word, and sometimes
 * waits for the counter to pass a value. The order they end up in depends on the schedule only.
 */
function contention(seed: number): { result: SimResult; order: string } {
  const s = sim(seed);
  const word = SharedWords.create(1).cell(0);
  const log: string[] = [];
  function* worker(name: string): Proc<void> {
    for (let i = 0; i < 4; i++) {
      yield point('host.pick');
      log.push(name);
      word.bump();
      if (i === 1) {
        const target = word.load() + 1;
        yield waitFor(word, () => word.load() >= target, { deadline: s.clock.now() + 50 });
      }
    }
  }
  for (const n of ['a', 'b', 'c']) s.spawn(n, worker(n));
  return { result: s.run(), order: log.join('') };
}

describe('determinism', () => {
  test('the same seed gives the same trace, hash and outcome', () => {
    const x = contention(7);
    const y = contention(7);
    expect(x.result.status).toBe('done');
    expect(y.result.hash).toBe(x.result.hash);
    expect(y.result.trace).toEqual(x.result.trace);
    expect(y.order).toBe(x.order);
  });

  test('different seeds give different schedules', () => {
    const hashes = new Set<string>();
    const orders = new Set<string>();
    for (let seed = 1; seed <= 10; seed++) {
      const r = contention(seed);
      hashes.add(r.result.hash);
      orders.add(r.order);
    }
    expect(hashes.size).toBeGreaterThanOrEqual(8);
    expect(orders.size).toBeGreaterThanOrEqual(5);
  });

  test('the trace names the actor and what it did; turning it off keeps the hash', () => {
    function* one(): Proc<void> {
      yield point('guest.alloc', 0x2000, 3);
      yield waitFor(SharedWords.create(1).cell(0), () => true);
    }
    const a = sim(3);
    a.spawn('x', one());
    const ra = a.run();
    expect(ra.trace.map((t) => `${t.actor} ${t.what}`)).toEqual([
      'x start',
      'x point guest.alloc',
      'x wait ok',
    ]);
    expect(ra.trace.map((t) => t.step)).toEqual([0, 1, 2]);
    const b = sim(3, { trace: false });
    b.spawn('x', one());
    const rb = b.run();
    expect(rb.trace).toEqual([]);
    expect(rb.hash).toBe(ra.hash);
    expect(rb.hash).toMatch(/^[0-9a-f]{8}$/);
  });

  test('the strategy chooses among the enabled actors; a choice outside them is an error', () => {
    const order: string[] = [];
    function* tick(name: string): Proc<void> {
      order.push(name);
      yield point('host.pick');
      order.push(name);
    }
    const first: Strategy = { pick: () => 0 };
    const s = sim(0, { strategy: first });
    s.spawn('p', tick('p'));
    s.spawn('q', tick('q'));
    s.run();
    expect(order.join('')).toBe('ppqq');
    const bad = sim(0, { strategy: { pick: (enabled) => enabled.length } });
    bad.spawn('p', tick('p'));
    expect(() => bad.run()).toThrow(/outside the enabled set/);
  });
});

describe('virtual time', () => {
  test('a wait with nobody to end it times out at its deadline, in no real time', () => {
    const s = sim();
    const cell = SharedWords.create(1).cell(0);
    let at = -1;
    const h = s.spawn(
      'w',
      (function* (): Proc<WaitOutcome> {
        const r = yield* wait(waitFor(cell, () => false, { deadline: s.clock.now() + 60_000 }));
        at = s.clock.now();
        return r;
      })(),
    );
    // No real time: the run neither reads a real clock nor blocks the thread, and it reaches the deadline
    // in a bounded number of steps (the clock jumps to it, no step per millisecond).
    const real = [vi.spyOn(performance, 'now'), vi.spyOn(Date, 'now'), vi.spyOn(Atomics, 'wait')];
    let r: SimResult;
    try {
      r = s.run();
    } finally {
      for (const spy of real) spy.mockRestore();
    }
    for (const spy of real) expect(spy).not.toHaveBeenCalled();
    // Its start and its wake at the deadline (a step a millisecond would be 60 000).
    expect(r.steps).toBeLessThanOrEqual(3);
    expect(h.result()).toBe('timeout');
    expect(at).toBe(60_000);
    expect(r.time).toBe(60_000);
  });

  test('timers fire in time order, ties in the order they were set, and may set timers', () => {
    const s = sim();
    const fired: string[] = [];
    s.setTimer(10, () => fired.push(`a@${s.clock.now()}`));
    s.setTimer(5, () => {
      fired.push(`b@${s.clock.now()}`);
      s.setTimer(5, () => fired.push(`d@${s.clock.now()}`));
    });
    s.setTimer(10, () => fired.push(`c@${s.clock.now()}`));
    s.setTimer(-3, () => fired.push(`e@${s.clock.now()}`));
    const cell = SharedWords.create(1).cell(0);
    s.spawn('w', wait(waitFor(cell, () => false, { deadline: 100 })));
    const r = s.run();
    expect(fired).toEqual(['e@0', 'b@5', 'a@10', 'c@10', 'd@10']);
    expect(r.trace.filter((t) => t.actor === 'timer').map((t) => t.what)).toEqual([
      'fire #3',
      'fire #1',
      'fire #0',
      'fire #2',
      'fire #4',
    ]);
  });

  test('a timer that makes a condition true ends the wait then, not at the deadline', () => {
    const s = sim();
    const cell = SharedWords.create(1).cell(0);
    let done = false;
    s.setTimer(30, () => {
      done = true;
      cell.bump();
    });
    const h = s.spawn('w', wait(waitFor(cell, () => done, { deadline: 1000 })));
    const r = s.run();
    expect(h.result()).toBe('ok');
    expect(r.time).toBe(30);
  });

  test('a pending signal ends an interruptible wait with signal', () => {
    const s = sim();
    const cell = SharedWords.create(1).cell(0);
    let signalled = false;
    s.setTimer(7, () => {
      signalled = true;
    });
    const h = s.spawn('w', wait(waitFor(cell, () => false, { signal: () => signalled })));
    const r = s.run();
    expect(h.result()).toBe('signal');
    expect(r.time).toBe(7);
  });
});

describe('how a run ends', () => {
  test('deadlock: nothing can move and no time is left to pass', () => {
    const s = sim();
    const w = SharedWords.create(2);
    function* waitFor1(me: number, other: number): Proc<void> {
      yield point('host.pick');
      yield waitFor(w.cell(other), () => w.load(other) === 1);
      w.store(me, 1);
    }
    s.spawn('left', waitFor1(0, 1));
    s.spawn('right', waitFor1(1, 0));
    const r = s.run();
    expect(r.status).toBe('deadlock');
    expect([...r.blocked].sort()).toEqual(['left', 'right']);
  });

  test('daemons may stay blocked: the run is done when the others are', () => {
    const s = sim();
    const cell = SharedWords.create(1).cell(0);
    s.spawn('device', wait(waitFor(cell, () => false)), { daemon: true });
    const h = s.spawn(
      'prog',
      (function* (): Proc<number> {
        yield point('guest.alloc');
        return 5;
      })(),
    );
    const r = s.run();
    expect(r.status).toBe('done');
    expect(r.blocked).toEqual([]);
    expect(h.result()).toBe(5);
  });

  test('the step limit stops a run that would not end', () => {
    const s = sim(1, { maxSteps: 25 });
    s.spawn(
      'spin',
      (function* (): Proc<void> {
        for (;;) yield point('host.pick');
      })(),
    );
    const r = s.run();
    expect(r.status).toBe('step-limit');
    expect(r.steps).toBe(25);
    expect(r.blocked).toEqual(['spin']);
  });

  test('an actor that throws surfaces from run() with its id, the step and the hash', () => {
    const s = sim();
    const h = s.spawn(
      'bad',
      (function* (): Proc<void> {
        yield point('guest.alloc');
        throw new Error('broken invariant');
      })(),
    );
    s.spawn(
      'good',
      (function* (): Proc<void> {
        yield point('guest.free');
      })(),
    );
    let err: unknown;
    try {
      s.run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('broken invariant');
    expect(err).toMatchObject({ simActor: 'bad' });
    expect(typeof (err as { simStep: unknown }).simStep).toBe('number');
    expect((err as { simHash: unknown }).simHash).toMatch(/^[0-9a-f]{8}$/);
    expect(() => h.result()).toThrow('broken invariant');
  });

  test('an actor that throws surfaces even when the others then deadlock waiting for it', () => {
    const s = sim();
    const cell = SharedWords.create(1).cell(0);
    s.spawn(
      'producer',
      (function* (): Proc<void> {
        yield point('host.pick');
        throw new Error('producer died');
      })(),
    );
    s.spawn('consumer', wait(waitFor(cell, () => cell.load() === 1)));
    expect(() => s.run()).toThrow('producer died');
  });

  test('a thrown non-Error is wrapped', () => {
    const s = sim();
    s.spawn(
      'bad',
      (function* (): Proc<void> {
        throw 'plain string';
      })(),
    );
    expect(() => s.run()).toThrow('plain string');
  });
});

describe('actors', () => {
  test('ids are unique and "timer" is reserved for the timer events', () => {
    const s = sim();
    s.spawn('a', (function* (): Proc<void> {})());
    expect(() => s.spawn('a', (function* (): Proc<void> {})())).toThrow(/duplicate/);
    expect(() => s.spawn('timer', (function* (): Proc<void> {})())).toThrow(/reserved/);
  });

  test('a result is only there once the actor finished', () => {
    const s = sim();
    const h = s.spawn(
      'a',
      (function* (): Proc<string> {
        yield point('host.pick');
        return 'v';
      })(),
    );
    expect(() => h.result()).toThrow(/has not finished/);
    s.run();
    expect(h.result()).toBe('v');
  });
});

describe('Prng', () => {
  test('the same seed gives the same stream; another seed another one', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const xs = Array.from({ length: 20 }, () => a.next());
    expect(Array.from({ length: 20 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
  });

  test('seed 0 is a valid seed', () => {
    const p = new Prng(0);
    expect(new Set(Array.from({ length: 10 }, () => p.next())).size).toBe(10);
  });

  test('int(n) is uniform-ish in [0, n) and refuses non-positive or fractional n', () => {
    const p = new Prng(1);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 5000; i++) counts[p.int(5)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(p.int(1)).toBe(0);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => p.int(bad)).toThrow(RangeError);
  });

  test('float() is in [0, 1)', () => {
    const p = new Prng(9);
    for (let i = 0; i < 1000; i++) {
      const f = p.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
  });

  test('split streams are deterministic and differ by label', () => {
    const s1 = new Prng(5).split('faults');
    const s2 = new Prng(5).split('faults');
    const s3 = new Prng(5).split('workload');
    const take = (p: Prng): number[] => Array.from({ length: 8 }, () => p.next());
    const a = take(s1);
    expect(take(s2)).toEqual(a);
    expect(take(s3)).not.toEqual(a);
  });
});
