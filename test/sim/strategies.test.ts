// Scheduling strategies: PCT's determinism and depth, strict replay with divergence, guided replay,
// recording, and the bounded exhaustive search's schedule counts.
import { describe, expect, test } from 'vitest';
import { point, type Proc } from '../../src/runtime/proc.js';
import { DfsExplorer } from '../../src/sim/dfs.js';
import { Sim, randomStrategy, type Strategy } from '../../src/sim/index.js';
import {
  DivergenceError,
  guidedStrategy,
  pctStrategy,
  recording,
  replayStrategy,
  stickyStrategy,
} from '../../src/sim/strategies.js';

/** Two or three actors of `n` points each; returns the interleaving as a string. */
function world(strategy: Strategy, actors = ['a', 'b'], n = 2): string {
  const log: string[] = [];
  const s = new Sim({ strategy });
  for (const id of actors)
    s.spawn(
      id,
      (function* (): Proc<void> {
        log.push(id);
        for (let i = 0; i < n; i++) {
          yield point('host.pick');
          log.push(id);
        }
      })(),
    );
  s.run();
  return log.join('');
}

describe('PCT', () => {
  test('the same seed gives the same schedule; depth 1 never preempts', () => {
    expect(world(pctStrategy(5, 3, 10), ['a', 'b', 'c'])).toBe(world(pctStrategy(5, 3, 10), ['a', 'b', 'c']));
    for (let seed = 0; seed < 20; seed++) {
      const s = world(pctStrategy(seed, 1, 10), ['a', 'b', 'c']);
      // Highest priority first, each to its end: three runs of three.
      expect(s).toMatch(/^(a{3}|b{3}|c{3}){3}$/);
    }
  });

  test('depth 2 switches once somewhere, over many seeds in many places', () => {
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) seen.add(world(pctStrategy(seed, 2, 6)));
    expect(seen.size).toBeGreaterThan(4);
    expect([...seen].every((s) => s.length === 6)).toBe(true);
  });

  test('depth must be positive', () => {
    expect(() => pctStrategy(1, 0, 10)).toThrow(RangeError);
  });
});

describe('replay', () => {
  test('a recorded schedule replays exactly', () => {
    const rec = recording(randomStrategy(9));
    const original = world(rec.strategy, ['a', 'b', 'c']);
    expect(world(replayStrategy(rec.decisions), ['a', 'b', 'c'])).toBe(original);
  });

  test('a divergence stops at the first step that differs', () => {
    const rec = recording(randomStrategy(9));
    world(rec.strategy);
    const edited = [...rec.decisions];
    edited[3] = 'zz';
    let err: unknown;
    try {
      world(replayStrategy(edited));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as DivergenceError).step).toBe(3);
    expect(() => world(replayStrategy(rec.decisions.slice(0, 2)))).toThrow(/recording ends/);
  });

  test('guided replay follows what it can and keeps the last actor going past the end', () => {
    expect(world(guidedStrategy(['b']))).toBe('bbbaaa');
    expect(world(guidedStrategy(['a', 'b', 'zz', 'a']))).toBe('abbaab');
    expect(world(stickyStrategy(), ['a', 'b', 'c'])).toBe('aaabbbccc');
  });
});

describe('bounded exhaustive search', () => {
  function explore(bound: number, actors = ['a', 'b'], n = 2): Set<string> {
    const dfs = new DfsExplorer({ preemptions: bound });
    const seen = new Set<string>();
    for (let s = dfs.next(); s !== undefined; s = dfs.next()) seen.add(world(s, actors, n));
    expect(dfs.runs).toBe(seen.size);
    return seen;
  }

  test('unbounded, it visits every interleaving once', () => {
    // Two actors of three steps each: C(6, 3) = 20 interleavings.
    expect(explore(99).size).toBe(20);
    // Three actors of two steps: 6! / (2! 2! 2!) = 90.
    expect(explore(99, ['a', 'b', 'c'], 1).size).toBe(90);
  });

  test('bound 0 only chooses who starts; bound 1 adds one switch', () => {
    expect([...explore(0)].sort()).toEqual(['aaabbb', 'bbbaaa']);
    const one = explore(1);
    expect(one.size).toBeGreaterThan(2);
    expect(one.size).toBeLessThan(20);
    const switches = (s: string): number => [...s].filter((c, i) => i > 0 && c !== s[i - 1]).length;
    // One preemption, plus the free switch when an actor finishes.
    for (const s of one) expect(switches(s)).toBeLessThanOrEqual(2);
  });
});
