// The threads executor under faults that break invariants: every failure ends in a report and a replay
// line (exit 1), never an uncaught exception - a heap double free thrown on a vCPU included - and a
// machine that saw a failure is never handed out again. A failing threads run's log is lifted into a sim
// schedule that breaks the same invariant and replays exactly.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { WORK_BOUNDED, cli } from './harness.js';
import { resolveRun } from '../../stress/run-spec.js';
import { MachinePool, runThreads } from '../../stress/threads-run.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

const dir = mkdtempSync(join(tmpdir(), 'stress-threads-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a guest program that throws on its vCPU (a heap double free) is a failure with a report, not a crash', async () => {
  // quarantine-reuse frees a leaked buffer, so the program's own free of it throws on the vCPU thread.
  const r = await cli([
    '--executor',
    'threads',
    '--scenario',
    'S9',
    '--iterations',
    '2',
    '--fault',
    'quarantine-reuse',
    '--quiet',
    '--failures',
    dir,
  ]);
  expect(r.code).toBe(1);
  const fail = r.out.find((l) => l.startsWith('FAIL X1'));
  expect(fail).toMatch(/HeapError: double free or wild pointer/);
  expect(r.out).toContain('  where it threw:');
  expect(
    r.out.some((l) =>
      /^ {2}replay: hgcm stress replay --scenario S9 .*--fault quarantine-reuse --executor threads$/.test(l),
    ),
  ).toBe(true);
  expect(r.out.at(-1)).toBe('FAILED');
});

test('a machine that saw a violation is discarded, one that did not is kept', async () => {
  const pool = new MachinePool();
  try {
    const w = resolveRun({
      scenario: 'S4',
      seed: 9,
      iteration: 0,
      strategy: 'random',
      profile: 'realistic',
      faults: [],
    }).workload;
    const ok = await runThreads({ workload: w }, pool);
    expect(ok.violations).toEqual([]);
    expect(pool.size).toBe(1);
    const bad = await runThreads({ workload: w, faults: ['host-ignores-cancel'] }, pool);
    expect(bad.violations.length).toBeGreaterThan(0);
    expect(pool.size).toBe(0);
  } finally {
    await pool.stop();
  }
});

test('a threads failure lifted into a sim schedule breaks the same invariant and replays exactly', async () => {
  const r = await cli([
    '--executor',
    'threads',
    '--scenario',
    'S4',
    '--iterations',
    '3',
    '--fault',
    'host-ignores-cancel',
    '--quiet',
    '--failures',
    dir,
  ]);
  expect(r.code).toBe(1);
  expect(
    r.out.some((l) =>
      /^ {2}lifted into a sim schedule: \d+ of \d+ logged points followed, \d+ skipped; the sim run breaks I2 too$/.test(
        l,
      ),
    ),
  ).toBe(true);
  const lifted = readdirSync(dir).filter((f) => f.endsWith('-lifted.schedule.json'));
  expect(lifted.length).toBeGreaterThan(0);
  for (const f of lifted) {
    const again = await cli(['replay', join(dir, f)]);
    expect(again.out).toContain('the same failure at the same step, as recorded');
    expect(again.out.find((l) => l.startsWith('FAIL '))).toMatch(/^FAIL I2 CancelledNeverWritten/);
    expect(again.code).toBe(0);
  }
});
