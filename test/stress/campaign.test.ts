// The default sim campaign: every catalogued scenario, zero invariant violations, every class reached;
// the expected failures (the faithful scope's gap, two upstream defects) found; shards split the
// iterations without overlap.
import { describe, expect, test, vi } from 'vitest';
import { WORK_BOUNDED } from './harness.js';
import { loadBaseline, needWeights } from '../../stress/baseline.js';
import { formatTable, runCampaign, simExecute } from '../../stress/campaign.js';
import { EXPECTED_FAILURES, PASSING, scenario } from '../../stress/scenarios/index.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

describe('sim campaign', () => {
  test('every passing scenario: no violation, every class reached', async () => {
    const r = await runCampaign({
      scenarios: PASSING,
      seed: 0x5eed,
      iterations: 60,
      strategy: 'mix',
      profile: 'mix',
    });
    console.log(formatTable(r).join('\n'));
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    // Runs by need: each scenario its weight's worth per round (the old-host scenarios at least 5).
    expect(r.weighting).toBe('need');
    expect(r.runs).toBe(60 * PASSING.reduce((a, s) => a + r.weights[s.id]!, 0));
    for (const s of r.scenarios) expect(s.runs).toBe(60 * r.weights[s.id]!);
    expect(r.weights.S7).toBeGreaterThanOrEqual(5);
    expect(r.weights.S10).toBeGreaterThanOrEqual(5);
    expect(r.coverageCheck).toBe('passed');
  });

  test('the expected failures are found: S10f (I1), U1 (stale cancel match), U2 (outputs dropped)', async () => {
    const r = await runCampaign({
      scenarios: EXPECTED_FAILURES,
      seed: 7,
      iterations: 40,
      strategy: 'mix',
      profile: 'mix',
    });
    expect(r.problems).toEqual([]);
    const first = Object.fromEntries(r.scenarios.map((s) => [s.id, s.firstFailure?.violation.inv]));
    expect(first.S10f).toBe('I1');
    expect(['I1', 'I2', 'I9', 'I11']).toContain(first.U1);
    expect(['I8', 'I11']).toContain(first.U2);
    for (const s of r.scenarios) expect(s.firstFailure?.replay).toMatch(/^hgcm stress replay --scenario/);
  });

  test('shards split the iterations: together they make exactly the unsharded campaign', async () => {
    const base = {
      scenarios: [scenario('S5')],
      seed: 3,
      iterations: 10,
      strategy: 'mix' as const,
      profile: 'mix' as const,
    };
    const all = await runCampaign(base);
    const a = await runCampaign({ ...base, shard: { index: 0, count: 2 } });
    const b = await runCampaign({ ...base, shard: { index: 1, count: 2 } });
    expect(a.runs + b.runs).toBe(all.runs);
    expect(a.scenarios[0]!.steps + b.scenarios[0]!.steps).toBe(all.scenarios[0]!.steps);
  });

  test('a duration bounds a campaign and every scenario still gets runs', async () => {
    // Time passes only when a run runs (1 ms a run, on the campaign's own clock), so the duration is a
    // number of runs: one and a half rounds' worth. The deadline passes during the second round, and the
    // campaign stops after it, never halfway through one: every scenario has its weight's share twice.
    let clock = 0;
    const weights = needWeights(loadBaseline(), PASSING);
    const perRound = PASSING.reduce((a, s) => a + weights[s.id]!, 0);
    const r = await runCampaign({
      scenarios: PASSING,
      seed: 1,
      durationMs: 1.5 * perRound,
      now: () => clock,
      execute: async (spec) => {
        const run = await simExecute(spec, undefined);
        clock += 1;
        return run;
      },
      executor: 'sim',
      weighting: 'need',
      strategy: 'random',
      profile: 'realistic',
    });
    expect(r.rounds).toBe(2);
    expect(r.runs).toBe(2 * perRound);
    for (const s of r.scenarios) expect(s.runs).toBe(r.rounds * r.weights[s.id]!);
  });
});
