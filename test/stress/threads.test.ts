// The threads executor: the same workloads on real vCPU, device and pool threads, checked offline from
// the trace ring and the ledger. A default campaign passes and reaches every class real timing reaches;
// a mutation shows in the log; a hang is reported by the watchdog with the log's tail.
import { afterAll, expect, test, vi } from 'vitest';
import { WORK_BOUNDED } from './harness.js';
import { formatTable, runCampaign } from '../../stress/campaign.js';
import { THREADS_CLASSES } from '../../stress/coverage.js';
import { resolveRun, type RunSpec } from '../../stress/run-spec.js';
import { PASSING } from '../../stress/scenarios/index.js';
import { MachinePool, runThreads, threadsExecute } from '../../stress/threads-run.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

const pool = new MachinePool();
afterAll(() => pool.stop());

test('a threads campaign over every scenario: no violation, every class it can see reached', async () => {
  const r = await runCampaign({
    scenarios: PASSING,
    seed: 0x5eed,
    iterations: 3,
    strategy: 'mix',
    profile: 'mix',
    execute: (spec: RunSpec) => threadsExecute(spec, pool),
    observable: THREADS_CLASSES,
    coverage: 'union',
  });
  console.log(formatTable(r).join('\n'));
  expect(r.problems).toEqual([]);
  expect(r.runs).toBe(3 * PASSING.length);
});

test('a host that writes back cancelled calls shows in the log (I2)', async () => {
  let found: string | undefined;
  for (let i = 0; i < 8 && found === undefined; i++) {
    const spec: RunSpec = {
      scenario: 'S4',
      seed: 9,
      iteration: i,
      strategy: 'random',
      profile: 'realistic',
      faults: ['host-ignores-cancel'],
    };
    const r = await threadsExecute(spec, pool);
    found = r.violations[0]?.inv;
  }
  expect(['I2', 'I1']).toContain(found);
});

test('a guest that waits forever: the watchdog reports the hang with the log tail', async () => {
  // S15's calls wait forever, uninterruptibly; with no interrupt raised nobody wakes them.
  const { workload } = resolveRun({
    scenario: 'S15',
    seed: 1,
    iteration: 0,
    strategy: 'random',
    profile: 'realistic',
    faults: [],
  });
  const r = await runThreads({ workload, faults: ['irq-no-raise'], hangMs: 1000 });
  expect(r.status).toBe('hang');
  expect(r.violations[0]?.inv).toBe('I6');
  expect(r.tail.length).toBeGreaterThan(0);
  expect(r.tail.join('\n')).toMatch(/guest\.sleep|guest\.checkDone|host\.complete\.setDone/);
});
