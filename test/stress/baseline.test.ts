// The coverage baseline: committed, regenerable, and used twice - runs by need (rare classes and the
// old-host path get more runs per round) and a statistical check that flags a class whose count moved far
// beyond its spread, which a fault that breaks no invariant still causes.
import { expect, test, vi } from 'vitest';
import { WORK_BOUNDED } from './harness.js';
import {
  MAX_WEIGHT,
  OLD_HOST_WEIGHT,
  coverageDrift,
  loadBaseline,
  needWeights,
  scenarioBaseline,
} from '../../stress/baseline.js';
import { recordBaseline } from '../../stress/baseline-record.js';
import { runCampaign } from '../../stress/campaign.js';
import { PASSING, scenario } from '../../stress/scenarios/index.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

const committed = loadBaseline()!;

test('the committed baseline covers every passing scenario and reaches each of its classes', () => {
  expect(committed).toBeDefined();
  expect(Object.keys(committed.scenarios).sort()).toEqual(PASSING.map((s) => s.id).sort());
  for (const s of PASSING) {
    const b = committed.scenarios[s.id]!;
    expect(b.runs).toBe(committed.seeds.length * committed.rounds);
    for (const c of s.classes) expect(b.tags[c] ?? 0, `${s.id} ${c}`).toBeGreaterThan(0);
  }
});

test("runs by need: the rarer a scenario's rarest class, the more runs per round; the old host its share", () => {
  const w = needWeights(committed, PASSING);
  for (const s of PASSING) expect(w[s.id]).toBeGreaterThanOrEqual(1);
  for (const s of PASSING) expect(w[s.id]).toBeLessThanOrEqual(MAX_WEIGHT);
  // S5's narrowest class (the cancel that wins the lock by a hair) is far rarer than S1's.
  expect(w.S5!).toBeGreaterThan(w.S1!);
  expect(w.S7!).toBeGreaterThanOrEqual(OLD_HOST_WEIGHT);
  expect(w.S10!).toBeGreaterThanOrEqual(OLD_HOST_WEIGHT);
  // A scenario the baseline does not know runs once per round.
  expect(needWeights(undefined, [scenario('S5')])).toEqual({ S5: 1 });
});

test('a campaign on another seed stays within the spread; a class that moved is flagged', async () => {
  const r = await runCampaign({
    scenarios: [scenario('S12'), scenario('S4')],
    seed: 0xabc,
    iterations: 40,
    strategy: 'mix',
    profile: 'mix',
  });
  expect(r.coverageCheck).toBe('passed');
  expect(coverageDrift(committed, r.scenarios)).toEqual([]);
  // The S12 class of issue 17: leaks went from about 1 in 100 runs to 65 with no alarm.
  const s12 = r.scenarios.find((s) => s.id === 'S12')!;
  const moved = coverageDrift(committed, [
    { id: 'S12', runs: s12.runs, tags: { ...s12.tags, leak: Math.round(0.65 * s12.runs) } },
  ]);
  expect(moved.map((d) => d.tag)).toEqual(['leak']);
  expect(moved[0]!.z).toBeGreaterThan(6);
  // ... and a class that disappeared.
  const gone = coverageDrift(committed, [
    { id: 'S4', runs: 200, tags: { ...r.scenarios[1]!.tags, cancelled: 0 } },
  ]);
  expect(gone.map((d) => d.tag)).toContain('cancelled');
});

test("a long campaign is not flagged for the baseline's own uncertainty", () => {
  // A 10-minute campaign ran S7 13,030 times and S19 7,818 times (sixteen times the baseline's runs): its
  // counts were within the baseline's estimate, which a check counting only the campaign's own binomial
  // spread took for moved classes (z = -7.2 and 7.3).
  const scaled = (id: string, runs: number, over: Record<string, number>) => {
    const b = committed.scenarios[id]!;
    const tags = Object.fromEntries(
      Object.entries(b.tags).map(([k, v]) => [k, Math.round((v / b.runs) * runs)]),
    );
    return { id, runs, tags: { ...tags, ...over } };
  };
  expect(
    coverageDrift(committed, [
      scaled('S7', 13030, { completed: 9570 }),
      scaled('S19', 7818, { cancelAtRemove: 59 }),
    ]),
  ).toEqual([]);
});

test('a fault that breaks no invariant in these runs still shows as coverage that moved', async () => {
  // wait-alloc-fail (a host fault) on every run: interruptible waits end at once as if signalled.
  const r = await runCampaign({
    scenarios: [scenario('S6')],
    seed: 5,
    iterations: 30,
    strategy: 'mix',
    profile: 'mix',
    faults: ['wait-alloc-fail'],
  });
  expect(r.scenarios[0]!.fails).toBe(0);
  expect(r.drift.length).toBeGreaterThan(0);
  expect(r.problems.some((p) => p.startsWith('coverage moved: S6: class '))).toBe(true);
  expect(r.ok).toBe(false);
});

test('the baseline is regenerable: recorded over seeds, with rates, spreads and the old-host share', async () => {
  const b = await recordBaseline([1, 2], 3);
  expect(b.seeds).toEqual([1, 2]);
  for (const s of PASSING) expect(b.scenarios[s.id]!.runs).toBe(6);
  expect(b.scenarios.S7!.oldHost).toBe(1);
  expect(b.scenarios.S1!.oldHost).toBe(0);
  // The spread between seeds: equal rates, none; different ones, some.
  expect(
    scenarioBaseline(
      [
        { runs: 10, tags: { a: 5 } },
        { runs: 10, tags: { a: 5 } },
      ],
      0,
    ).spread.a,
  ).toBe(0);
  expect(
    scenarioBaseline(
      [
        { runs: 10, tags: { a: 1 } },
        { runs: 10, tags: { a: 9 } },
      ],
      0,
    ).spread.a,
  ).toBeGreaterThan(1);
});
