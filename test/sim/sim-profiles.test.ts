// The sim's harness options: 'cell' waits (a sleeper wakes only when its cell changes, so a missing bump
// shows as a lost wake-up), the 'any-order' time profile (the clock is a scheduler choice), the step
// observer, and switching strategies between runs.
import { describe, expect, test } from 'vitest';
import { SharedWords } from '../../src/runtime/atomic-cell.js';
import { point, wait, waitFor, type Proc, type WaitOutcome } from '../../src/runtime/proc.js';
import { Sim, randomStrategy, type StepEvent, type Strategy } from '../../src/sim/index.js';

const first: Strategy = { pick: () => 0 };

/** A waker that makes the condition true, with or without bumping the cell. */
function wakeScenario(bump: boolean, waits: 'poll' | 'cell') {
  const s = new Sim({ strategy: first, waits });
  const cell = SharedWords.create(1).cell(0);
  let flag = false;
  const w = s.spawn('w', wait(waitFor(cell, () => flag, { deadline: 100 })));
  s.spawn(
    'waker',
    (function* (): Proc<void> {
      yield point('host.pick');
      flag = true;
      if (bump) cell.bump();
    })(),
  );
  return { s, w };
}

describe("'cell' waits", () => {
  test('a waker that bumps the cell wakes the sleeper at once', () => {
    const { s, w } = wakeScenario(true, 'cell');
    const r = s.run();
    expect(w.result()).toBe('ok');
    expect(r.time).toBe(0);
  });

  test('a waker that forgets the bump leaves it asleep until its deadline, then it sees the condition', () => {
    const { s, w } = wakeScenario(false, 'cell');
    const r = s.run();
    expect(w.result()).toBe('ok');
    expect(r.time).toBe(100);
  });

  test('beforeAdvance sees a sleeper that the advance will not wake although its condition holds', () => {
    const cell = SharedWords.create(1).cell(0);
    let flag = false;
    const seen: string[][] = [];
    const s: Sim = new Sim({
      strategy: first,
      waits: 'cell',
      observer: { beforeAdvance: (to) => seen.push(s.lostWakeups(to)) },
    });
    s.spawn('w', wait(waitFor(cell, () => flag, { deadline: 100 })));
    s.spawn(
      'waker',
      (function* (): Proc<void> {
        yield point('host.pick');
        flag = true;
      })(),
    );
    s.setTimer(50, () => undefined);
    s.run();
    // At 50 the sleeper stays asleep with its condition true (lost); at 100 its deadline wakes it.
    expect(seen).toEqual([['w'], []]);
  });

  test("'poll' waits (the default) wake without the bump", () => {
    const { s, w } = wakeScenario(false, 'poll');
    expect(s.run().time).toBe(0);
    expect(w.result()).toBe('ok');
  });

  test('a sleeper that wakes to a false condition sleeps again on the new cell value', () => {
    const s = new Sim({ strategy: first, waits: 'cell' });
    const cell = SharedWords.create(1).cell(0);
    let n = 0;
    const w = s.spawn('w', wait(waitFor(cell, () => n >= 2)));
    s.spawn(
      'waker',
      (function* (): Proc<void> {
        for (let i = 0; i < 2; i++) {
          yield point('host.pick');
          n++;
          cell.bump();
        }
      })(),
    );
    expect(s.run().status).toBe('done');
    expect(w.result()).toBe('ok');
  });
});

describe("'any-order' time", () => {
  function race(time: 'realistic' | 'any-order', seed: number): { outcome: WaitOutcome; trace: string[] } {
    const s = new Sim({ strategy: randomStrategy(seed), time });
    const cell = SharedWords.create(1).cell(0);
    let flag = false;
    const w = s.spawn('w', wait(waitFor(cell, () => flag, { deadline: 10 })));
    s.spawn(
      'host',
      (function* (): Proc<void> {
        for (let i = 0; i < 5; i++) yield point('host.pick');
        flag = true;
        cell.bump();
      })(),
    );
    const r = s.run();
    return { outcome: w.result(), trace: r.trace.map((t) => `${t.actor} ${t.what}`) };
  }

  test('realistic: a runnable host always beats the deadline', () => {
    for (let seed = 1; seed <= 20; seed++) expect(race('realistic', seed).outcome).toBe('ok');
  });

  test('any-order: the clock may pass the deadline while the host could still run', () => {
    const outcomes = new Set<WaitOutcome>();
    for (let seed = 1; seed <= 40; seed++) {
      const r = race('any-order', seed);
      outcomes.add(r.outcome);
      if (r.outcome === 'timeout') expect(r.trace).toContain('clock advance 10');
    }
    expect([...outcomes].sort()).toEqual(['ok', 'timeout']);
  });

  test('"clock" is a reserved actor id', () => {
    const s = new Sim({ strategy: first });
    expect(() => s.spawn('clock', (function* (): Proc<void> {})())).toThrow(/reserved/);
  });
});

describe('observer and strategies', () => {
  test('afterStep reports every step with the effect passed and the next one', () => {
    const events: StepEvent[] = [];
    const s = new Sim({ strategy: first, observer: { afterStep: (e) => events.push(e) } });
    s.spawn(
      'x',
      (function* (): Proc<void> {
        yield point('guest.alloc', 0x2000, 3);
        yield point('guest.free', 0x2000, 3);
      })(),
    );
    const r = s.run();
    expect(events.map((e) => e.what)).toEqual(['start', 'point guest.alloc', 'point guest.free']);
    expect(events[1]!.passed).toMatchObject({ k: 'point', addr: 0x2000, gen: 3 });
    expect(events[2]!.next).toBeUndefined();
    expect(r.trace[1]).toMatchObject({ addr: 0x2000, gen: 3 });
  });

  test('a transient observer is handed one event, filled in again at every step', () => {
    const seen: StepEvent[] = [];
    const whats: string[] = [];
    const observer = { transient: true, afterStep: (e: StepEvent) => (seen.push(e), whats.push(e.what)) };
    const s = new Sim({ strategy: first, observer });
    s.spawn(
      'x',
      (function* (): Proc<void> {
        yield point('guest.alloc', 0x2000, 3);
        yield point('guest.free', 0x2000, 3);
      })(),
    );
    s.run();
    // What each step said while it was the current one; afterwards every reference is the last step's.
    expect(whats).toEqual(['start', 'point guest.alloc', 'point guest.free']);
    expect(new Set(seen).size).toBe(1);
    expect(seen[0]!.step).toBe(2);
  });

  test('setStrategy applies from the next run on', () => {
    const order: string[] = [];
    const s = new Sim({ strategy: first });
    const tick = (name: string) =>
      (function* (): Proc<void> {
        order.push(name);
        yield point('host.pick');
        order.push(name);
      })();
    s.spawn('p', tick('p'));
    s.run();
    s.setStrategy({ pick: (enabled) => enabled.length - 1 });
    s.spawn('q', tick('q'));
    s.spawn('r', tick('r'));
    s.run();
    expect(order.join('')).toBe('pprrqq');
  });
});

describe('soft holds', () => {
  function held(cond: () => boolean): string {
    const log: string[] = [];
    const s = new Sim({ strategy: first });
    s.holdAt('a', 'host.pick', cond, { soft: true });
    const tick = (id: string) =>
      (function* (): Proc<void> {
        yield point('host.pick');
        log.push(id);
      })();
    s.spawn('a', tick('a'));
    s.spawn('b', tick('b'));
    expect(s.run().status).toBe('done');
    return log.join('');
  }

  test('hold an actor until the condition holds, then let it go', () => {
    const order: string[] = [];
    const sim = new Sim({ strategy: first });
    sim.holdAt('a', 'host.pick', () => order.includes('b'), { soft: true });
    for (const id of ['a', 'b'])
      sim.spawn(
        id,
        (function* (): Proc<void> {
          yield point('host.pick');
          order.push(id);
        })(),
      );
    sim.run();
    expect(order.join('')).toBe('ba');
  });

  test('a condition that never holds is let go when nothing else can run, not a deadlock', () => {
    expect(held(() => false)).toBe('ba');
  });
});
