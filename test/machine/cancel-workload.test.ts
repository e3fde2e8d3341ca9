// Random timeouts and signals against the delay service on real threads: every call ends exactly once as
// completed, cancelled or leaked; leaked bytes match the quarantine; no host write lands in freed memory.
// And the same workload on an old host (no HGCMCancel2) and a current one, showing the fallback taken.
import { describe, expect, test } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import type { MachineConfig } from '../../src/machine/config.js';
import type { WorkloadReport } from './programs/cancel-workload.js';

const program = new URL('./programs/cancel-workload.ts', import.meta.url);

async function runWorkload(
  config: MachineConfig,
  signals: boolean,
): Promise<{ reports: WorkloadReport[]; m: Machine; stats: ReturnType<Machine['stats']> }> {
  const m = await Machine.start({
    vcpus: 2,
    hostWorkers: 2,
    audit: true,
    ...config,
    guest: { graceNotFoundMs: 60, graceOtherMs: 120, ...config.guest },
  });
  try {
    const runs = [0, 1].map((vcpu) =>
      m.run<WorkloadReport>({
        module: program,
        export: 'workload',
        args: { calls: 150, seed: 11 + vcpu, maxMs: 12, maxTimeoutMs: 10 },
        vcpu,
      }),
    );
    let s = 1;
    const timer = signals
      ? setInterval(() => {
          s = (s * 1103515245 + 12345) >>> 0;
          m.signal(s % 2);
        }, 7)
      : undefined;
    const reports = await Promise.all(runs).finally(() => clearInterval(timer));
    // Let late completions of cancelled and leaked calls land before looking at the host: until the host
    // holds no command (a fixed 200 ms was both a wait too long and, on a loaded machine, too short).
    while (m.stats().host.pendingCommands > 0 || m.stats().host.snapshotBytes > 0)
      await new Promise((r) => setTimeout(r, 2));
    return { reports, m, stats: m.stats() };
  } finally {
    await m.stop();
  }
}

function check(reports: WorkloadReport[], stats: ReturnType<Machine['stats']>): void {
  let leakedBytes = 0;
  for (const r of reports) {
    expect(r.unclassified, JSON.stringify(r)).toBe(0);
    expect(r.badEchoes, JSON.stringify(r)).toBe(0);
    expect(r.completed + r.cancelled + r.leaked + r.sync).toBe(r.calls);
    leakedBytes += r.leakedBytes;
  }
  const c = stats.counters;
  const sum = (k: keyof WorkloadReport): number => reports.reduce((a, r) => a + (r[k] as number), 0);
  expect(c['guest.leaked']).toBe(sum('leaked'));
  expect(c['guest.cancelled']).toBe(sum('cancelled'));
  // Leaked bytes are exactly what sits in quarantine, and the counter agrees.
  expect(stats.heap.quarantinedBytes + stats.programMemory.quarantinedBytes).toBe(leakedBytes);
  expect(c['guest.leakedBytes']).toBe(leakedBytes);
  expect(c['audit.writeAfterFree'], 'write after free').toBe(0);
  expect(c['audit.checks']).toBeGreaterThan(0);
}

describe('cancel workload on real threads', () => {
  test('random timeouts and signals: trichotomy, leak accounting, no write after free', async () => {
    const { reports, stats } = await runWorkload({}, true);
    check(reports, stats);
    // The workload did reach the paths it is about.
    expect(stats.counters['guest.cancelled']).toBeGreaterThan(0);
    expect(stats.counters['guest.timeouts']).toBeGreaterThan(0);
    expect(stats.counters['guest.interrupts']).toBeGreaterThan(0);
    expect(stats.counters['guest.completed']).toBeGreaterThan(0);
  });

  test('old host vs current host: the fallback only on the old one, the same accounting on both', async () => {
    const current = await runWorkload({ cancel2: true }, false);
    const old = await runWorkload({ cancel2: false }, false);
    check(current.reports, current.stats);
    check(old.reports, old.stats);
    expect(current.stats.counters['guest.cancel.fallback']).toBe(0);
    expect(current.stats.counters['guest.cancel.notImplemented']).toBe(0);
    expect(old.stats.counters['guest.cancel.fallback']).toBeGreaterThan(0);
    expect(old.stats.counters['guest.cancel.fallback']).toBe(
      old.stats.counters['guest.cancel.notImplemented'],
    );
    expect(old.reports.reduce((a, r) => a + r.fallbacks, 0)).toBe(
      old.stats.counters['guest.cancel.fallback'],
    );
    // Cancels are found by Cancel2 on the current host and by the legacy request on the old one.
    expect(current.stats.counters['device.cancel.found']).toBeGreaterThan(0);
    expect(old.stats.counters['device.cancel.found']).toBeGreaterThan(0);
  });
});
