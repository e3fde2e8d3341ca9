// The default sim campaign: every catalogued scenario, zero invariant violations, every class reached;
// the expected failures (the faithful scope's gap, two upstream defects) found; shards split the
// iterations without overlap.
import { describe, expect, test, vi } from 'vitest';
import { WORK_BOUNDED } from './limit.js';
import { formatTable, runCampaign } from '../../stress/campaign.js';
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
    expect(r.runs).toBe(60 * PASSING.length);
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
    const r = await runCampaign({
      scenarios: PASSING,
      seed: 1,
      durationMs: 300,
      strategy: 'random',
      profile: 'realistic',
    });
    // The clock stops it between iterations, never halfway through one: every scenario has as many runs.
    expect(r.scenarios.every((s) => s.runs >= 1 && s.runs === r.scenarios[0]!.runs)).toBe(true);
  });
});
