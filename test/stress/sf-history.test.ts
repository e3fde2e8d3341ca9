// S19: Shared Folders writes to a real host file (a fresh temporary share per run) under timeouts and
// signals, on both executors; I12 reads the file at the end and checks it with the file-history checker.
import { afterAll, describe, expect, test, vi } from 'vitest';
import { WORK_BOUNDED } from './harness.js';
import { runMutate } from '../../stress/mutate.js';
import { resolveRun, type RunSpec } from '../../stress/run-spec.js';
import { runSpec } from '../../stress/sim-run.js';
import { MachinePool, runThreads } from '../../stress/threads-run.js';

vi.setConfig({ testTimeout: WORK_BOUNDED });

const spec = (iteration: number): RunSpec => ({
  scenario: 'S19',
  seed: 0x19,
  iteration,
  strategy: 'mix',
  profile: 'mix',
  faults: [],
});

describe('S19: Shared Folders writes under I12', () => {
  const pool = new MachinePool();
  afterAll(() => pool.stop());

  test('sim: every run passes; completed and indeterminate writes reach the real file', async () => {
    const tags = new Set<string>();
    let sfWrites = 0;
    for (let i = 0; i < 12; i++) {
      const r = await runSpec(spec(i));
      expect(r.violations).toEqual([]);
      expect(r.status).toBe('done');
      for (const t of r.tags) tags.add(t);
      sfWrites += r.ledger.calls.filter((c) => c.plan.op === 'write').length;
      expect(r.run.workload.share).toBeDefined();
    }
    expect(sfWrites).toBeGreaterThan(12);
    expect(tags).toContain('sfWriteOk');
    expect(tags).toContain('sfWriteInfo');
  });

  test('sim: a host that starts writes cancelled while queued leaves bytes no write wrote (I12)', async () => {
    // The cancelled write runs on its buffer after the guest freed and reused it.
    const r = await runMutate({
      seed: 0x5eed,
      budget: 60,
      mutations: ['start-cancelled'],
      strategy: 'mix',
      profile: 'mix',
    });
    const row = r.rows[0]!;
    expect(row.baselineFailures).toBe(0);
    expect(row.violation?.inv).toBe('I12');
    expect(row.violation?.detail).toMatch(
      /^shared file: byte \d+ is \d+; the writes that may have been last/,
    );
  });

  test('threads: runs pass on real threads, each on a machine and share of its own', async () => {
    for (let i = 0; i < 2; i++) {
      const { workload } = resolveRun(spec(i));
      const r = await runThreads({ workload, drainMs: 300 }, pool);
      expect(r.violations).toEqual([]);
      expect(r.status).toBe('done');
      expect(r.ledger.calls.some((c) => c.plan.op === 'write' && c.outcome !== undefined)).toBe(true);
    }
  });
});
