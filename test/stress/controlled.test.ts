// The controlled-threads executor: real device, vCPU and host threads stopped at every protocol point and
// granted one step at a time by a coordinator with the sim's strategies. It finds an ordering mutant that
// short free-threads runs miss, in a bounded number of runs; its decision file replays the failure on real
// threads, decision for decision; a seed alone replays a run (virtual time); a clean campaign passes; a run that cannot go on is reported (I6) with every thread's state and
// its machine stopped; no machine outlives the pool.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test, vi } from 'vitest';
import { WORK_BOUNDED, cli } from './harness.js';
import { runningMachines } from '../../src/machine/index.js';
import { runCampaign } from '../../stress/campaign.js';
import { controlledExecute, readDecisions, runControlled } from '../../stress/controlled/run.js';
import { THREADS_CLASSES } from '../../stress/coverage.js';
import { resolveRun, type RunSpec } from '../../stress/run-spec.js';
import { PASSING } from '../../stress/scenarios/index.js';
import { MachinePool, runThreads } from '../../stress/threads-run.js';
import type { FaultName } from '../../src/runtime/index.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

const dir = mkdtempSync(join(tmpdir(), 'stress-controlled-'));
const pool = new MachinePool(25, true);
afterAll(async () => {
  await pool.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Controlled runs of S5 under `fault` (iterations 0, 1, ... up to `budget`): the first violation, if any. */
async function hunt(
  fault: FaultName,
  seed: number,
  budget: number,
  out: string,
): Promise<{ inv: string; replay: string | undefined } | undefined> {
  for (let i = 0; i < budget; i++) {
    const spec: RunSpec = {
      scenario: 'S5',
      seed,
      iteration: i,
      strategy: 'mix',
      profile: 'mix',
      faults: [fault],
    };
    const r = await controlledExecute(spec, pool, out);
    const v = r.violations[0];
    if (v !== undefined) return { inv: v.inv, replay: r.replay };
  }
  return undefined;
}

test('a controlled campaign finds check-before-remove within 40 runs and its decision file replays it', async () => {
  // Measured (stress/README.md): found within 20 runs (S5 and S4 in turn) on seeds 1-10, where 30 free
  // threads runs found it on no seed; the bound is generous and the work still bounded.
  const found = await hunt('check-before-remove', 5, 40, dir);
  expect(found).toBeDefined();
  // A marked command written back: I2 in the log (or I1, the auditor's view of the same write).
  expect(['I2', 'I1']).toContain(found!.inv);
  const file = readdirSync(dir).find((f) => f.endsWith('-controlled.decisions.json'));
  expect(file).toBeDefined();
  const path = join(dir, file!);
  expect(found!.replay).toBe(`hgcm stress replay ${path}`);
  const recorded = readDecisions(path);
  expect(recorded.decisions.length).toBeGreaterThan(20);
  expect(recorded.violation?.inv).toBe(found!.inv);
  // The replay follows the decisions on fresh real threads in virtual time: one try.
  const replayed = await cli(['replay', path]);
  expect(replayed.out.join('\n')).toMatch(/the same invariant as recorded/);
  expect(replayed.code).toBe(0);
  const n = recorded.decisions.length;
  expect(replayed.out[0]).toMatch(
    new RegExp(`^replayed S5 on controlled threads: \\d+ of ${n} recorded decisions`),
  );
});

test('a controlled campaign kills cancel-without-lock within 10 runs and its decision file replays it', async () => {
  // The race needs a completion between its remove and its check while a cancel is between its find and
  // its mark; in realistic virtual time the cancel's deadline passes only when the host is idle, so only
  // the workload's holds (S5's directed prefix, kept as the sim keeps it) bring the two together. Measured
  // (stress/README.md): seed 2 finds it at S5's iteration 1 (4 of its first 12 iterations), every time;
  // without the holds no controlled run found it on seeds 1-10 in 30 runs each.
  const own = mkdtempSync(join(tmpdir(), 'stress-controlled-cwl-'));
  try {
    const found = await hunt('cancel-without-lock', 2, 10, own);
    expect(found).toBeDefined();
    // The cancel marked a command the host had already written back (or was writing back).
    expect(found!.inv).toBe('I2');
    const file = readdirSync(own).find((f) => f.endsWith('-controlled.decisions.json'));
    expect(file).toBeDefined();
    // A replay follows the recorded decisions (the holds are in them) on a fresh machine.
    const replayed = await cli(['replay', join(own, file!)]);
    expect(replayed.out.join('\n')).toMatch(/the same invariant as recorded/);
    expect(replayed.code).toBe(0);
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});

test('a seed alone replays a controlled run: the same decisions and outcome on a fresh machine', async () => {
  // Virtual time: deadlines, service timers and signals fall at the same decisions whatever the load, so a
  // run's spec names its decisions. S6 (signals and timeouts, any-order time) and S4 (cancels racing the
  // delay service's timers, realistic time), on the kept pool and then on a fresh machine. (S7's old-host
  // fallback still differs now and then by one host worker's wake round: stress/README.md.)
  for (const [scenario, iteration] of [
    ['S6', 0],
    ['S4', 2],
  ] as const) {
    const spec: RunSpec = { scenario, seed: 1, iteration, strategy: 'mix', profile: 'mix', faults: [] };
    const a = await runControlled(spec, pool);
    const own = new MachinePool(1, true);
    const b = await runControlled(spec, own).finally(() => own.stop());
    expect(a.control?.status).toBe('done');
    expect(a.control!.decisions.length).toBeGreaterThan(20);
    expect(b.control?.decisions).toEqual(a.control?.decisions);
    expect(b.violations).toEqual(a.violations);
    expect(a.control?.lateWakes).toBe(0);
  }
});

test('a controlled campaign over every scenario passes: no violation, no stuck run', async () => {
  const r = await runCampaign({
    scenarios: PASSING,
    seed: 0x5eed,
    iterations: 1,
    strategy: 'mix',
    profile: 'mix',
    execute: (spec: RunSpec) => controlledExecute(spec, pool),
    observable: THREADS_CLASSES,
    coverage: 'union',
    executor: 'controlled',
  });
  expect(r.runs).toBe(PASSING.length);
  expect(r.scenarios.filter((s) => s.firstFailure !== undefined).map((s) => s.firstFailure)).toEqual([]);
  expect(r.executor).toBe('controlled');
});

test('a run that cannot go on is stuck, not hung: I6 with every thread, its machine stopped', async () => {
  // S15's calls wait forever, uninterruptibly; with no interrupt raised nobody wakes them.
  const { workload, strategy } = resolveRun({
    scenario: 'S15',
    seed: 1,
    iteration: 0,
    strategy: 'random',
    profile: 'realistic',
    faults: [],
  });
  const own = new MachinePool(25, true);
  try {
    const r = await runThreads(
      { workload, faults: ['irq-no-raise'], hangMs: 1000, control: { strategy } },
      own,
    );
    expect(r.status).toBe('hang');
    expect(r.violations[0]?.inv).toBe('I6');
    expect(r.violations[0]?.detail).toMatch(/controlled run stuck/);
    expect(r.control?.status).toBe('stuck');
    // The picture names every thread; the sleeping guests are blocked, not parked.
    expect(r.tail.filter((l) => /^(device|vcpu\d|host\d|main): /.test(l))).toHaveLength(8);
    expect(r.tail).toContain('vcpu0: blocked');
    expect(r.control!.steps).toBeGreaterThan(0);
    // A machine that saw a failure is not kept.
    expect(own.size).toBe(0);
  } finally {
    await own.stop();
  }
});

test('the CLI takes --executor controlled and ends every machine it started', async () => {
  const before = runningMachines().length;
  const r = await cli(['--executor', 'controlled', '--scenario', 'S1', '--iterations', '1', '--quiet']);
  expect(r.out[0]).toMatch(/^hgcm stress: controlled executor, 1 scenarios/);
  expect(r.out.some((l) => /^S1 +1 +0 /.test(l))).toBe(true);
  expect(runningMachines().length).toBe(before);
});
