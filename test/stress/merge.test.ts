// Campaigns on more than one machine: four shard processes (`hgcm stress --shard i/4 --json`), merged with
// `hgcm stress merge`, are the unsharded campaign on the same seed - the same runs, steps and class counts
// per scenario, the same first failures, the same verdict.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, test, vi } from 'vitest';
import { WORK_BOUNDED, cli } from './harness.js';
import { mergeReports } from '../../stress/merge.js';
import type { CampaignReport } from '../../stress/report.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'stress-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `hgcm stress` in a process of its own, as a CI job or a pod runs it; its --json report. */
async function shardProcess(args: string[], json: string): Promise<CampaignReport> {
  const cli = new URL('../../src/cli/hgcm.ts', import.meta.url).pathname;
  await run(
    process.execPath,
    [
      '--import',
      'tsx',
      cli,
      'stress',
      ...args,
      '--quiet',
      '--json',
      json,
      '--failures',
      join(dir, 'failures'),
    ],
    {
      cwd: new URL('../..', import.meta.url).pathname,
    },
  ).catch((e: { code?: number }) => {
    // Exit 1 is a campaign that found failures (this one does): its report is still written.
    if (e.code !== 1) throw e;
  });
  return JSON.parse(readFileSync(json, 'utf8')) as CampaignReport;
}

/** What must be equal: everything but the clocks. */
function verdict(r: CampaignReport) {
  return {
    seed: r.seed,
    weights: r.weights,
    rounds: r.rounds,
    runs: r.runs,
    steps: r.steps,
    scenarios: r.scenarios.map((s) => ({
      id: s.id,
      runs: s.runs,
      fails: s.fails,
      steps: s.steps,
      tags: Object.fromEntries(Object.entries(s.tags).sort(([a], [b]) => (a < b ? -1 : 1))),
      missing: s.missing,
      first:
        s.firstFailure === undefined
          ? undefined
          : { spec: s.firstFailure.spec, violation: s.firstFailure.violation },
    })),
    coverageCheck: r.coverageCheck,
    drift: r.drift,
    problems: r.problems,
    ok: r.ok,
  };
}

test('four shard processes merged are the unsharded campaign', async () => {
  // A mutation that some runs catch and some do not, so first failures come from different shards.
  const args = [
    '--scenario',
    'S4,S5,S7,S12',
    '--iterations',
    '10',
    '--seed',
    '0x77',
    '--fault',
    'check-before-remove',
  ];
  const [whole, ...shards] = await Promise.all([
    shardProcess(args, join(dir, 'whole.json')),
    ...[0, 1, 2, 3].map((i) => shardProcess([...args, '--shard', `${i}/4`], join(dir, `shard${i}.json`))),
  ]);
  expect(shards.map((s) => s.shard)).toEqual(['0/4', '1/4', '2/4', '3/4']);
  expect(shards.every((s) => s.runs > 0 && s.runs < whole!.runs)).toBe(true);
  const merged = mergeReports(shards);
  expect(merged.shard).toBe('4 shards');
  expect(verdict(merged)).toEqual(verdict(whole!));
  expect(whole!.scenarios.some((s) => s.fails > 0)).toBe(true);
  expect(merged.runsPerSec).toBeGreaterThan(0);

  // The subcommand: the same, printed, with the exit code of the verdict.
  const { code, out } = await cli([
    'merge',
    ...[0, 1, 2, 3].map((i) => join(dir, `shard${i}.json`)),
    '--json',
    join(dir, 'merged.json'),
  ]);
  expect(code).toBe(whole!.ok ? 0 : 1);
  expect(out[0]).toMatch(/^hgcm stress merge: 4 reports, seed 0x77, 4 shards$/);
  expect(
    out.some((l) =>
      /^\d+ runs, \d+ steps in [\d.]+ s \(\d+ runs\/s, \d+ steps\/s, peak RSS \d+ MB\), seed 0x77, shard 4 shards$/.test(
        l,
      ),
    ),
  ).toBe(true);
  const written = JSON.parse(readFileSync(join(dir, 'merged.json'), 'utf8')) as CampaignReport;
  expect(verdict(written)).toEqual(verdict(whole!));
});

test('reports of different campaigns, or a shard twice, do not merge', () => {
  const r = JSON.parse(readFileSync(join(dir, 'shard0.json'), 'utf8')) as CampaignReport;
  expect(() => mergeReports([r, r])).toThrow(/does not fit 4 distinct shards/);
  expect(() => mergeReports([r, { ...r, shard: '1/4', seed: '0x78' }])).toThrow(/has seed 0x78/);
});
