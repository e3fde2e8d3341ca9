// Shared Folders writes under random timeouts and signals on real threads: every WRITE ends exactly once
// as completed, cancelled or leaked; leaked bytes match the quarantine; and each file holds exactly what
// the completed writes reported, with cancelled and leaked writes landing whole or not at all, never
// outside their own range.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { explainFile as explain, type WriteRecord } from '../../src/programs/file-history.js';

const program = new URL('./programs/sf-workload.ts', import.meta.url);

describe('Shared Folders writes under timeouts and signals', () => {
  let share: string;
  let m: Machine;
  beforeAll(async () => {
    share = mkdtempSync(join(tmpdir(), 'hgcm-sfw-'));
    m = await Machine.start({
      vcpus: 2,
      hostWorkers: 2,
      audit: true,
      // The race under test needs writes that wait for a pool worker: on the EMT (the default placement) a
      // WRITE completes inside its port write, before any timeout or signal can reach it.
      servicePlacement: 'pool',
      sharedFolders: [{ name: 'w', hostPath: share, writable: true }],
      guest: { graceNotFoundMs: 40, graceOtherMs: 80 },
    });
  });
  afterAll(async () => {
    await m?.stop();
    rmSync(share, { recursive: true, force: true });
  });

  test('every write ends once; leaks are accounted; the files hold what completed writes reported', async () => {
    const sync = new SharedArrayBuffer(12);
    const words = new Int32Array(sync);
    const runs = [0, 1].map((vcpu) =>
      m.run<{ writes: WriteRecord[]; leakedBytes: number }>({
        module: program,
        export: 'sfWrites',
        args: {
          share: 'w',
          name: `f${vcpu}`,
          writes: 400,
          span: 8192,
          maxLen: 3000,
          maxTimeoutMs: 2,
          seed: 5 + vcpu,
          sync,
        },
        vcpu,
      }),
    );
    // Signals while both vCPUs write (not during mount, open or close).
    let s = 7;
    const timer = setInterval(() => {
      if (Atomics.load(words, 0) < 2) return;
      if (Atomics.load(words, 1) === 2) {
        clearInterval(timer);
        Atomics.store(words, 2, 1);
        Atomics.notify(words, 2);
        return;
      }
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      m.signal(s % 2);
    }, 2);
    const results = await Promise.all(runs).finally(() => clearInterval(timer));
    // Late completions of cancelled and leaked writes land first: until the host holds no command (not a
    // fixed 100 ms, too short on a loaded machine).
    while (m.stats().host.pendingCommands > 0 || m.stats().host.snapshotBytes > 0)
      await new Promise((r) => setTimeout(r, 2));
    const stats = m.stats();
    let leakedBytes = 0;
    const outcomes = { completed: 0, cancelled: 0, leaked: 0, failed: 0 };
    for (const [vcpu, { writes, leakedBytes: leakedHere }] of results.entries()) {
      expect(writes).toHaveLength(400);
      leakedBytes += leakedHere;
      for (const w of writes) {
        outcomes[w.outcome]++;
        if (w.outcome === 'completed') expect(w.count).toBe(w.length);
      }
      const file = new Uint8Array(readFileSync(join(share, `f${vcpu}`)));
      expect(explain(file, writes)).toBeUndefined();
    }
    expect(outcomes.failed).toBe(0);
    // Every call ended exactly once and is counted as such.
    expect(stats.counters['guest.cancelled']).toBeGreaterThanOrEqual(outcomes.cancelled);
    expect(stats.counters['guest.leaked']).toBe(outcomes.leaked);
    expect(stats.heap.quarantinedBytes + stats.programMemory.quarantinedBytes).toBe(leakedBytes);
    expect(stats.counters['audit.writeAfterFree']).toBe(0);
    // The run reached the paths it is about.
    expect(outcomes.completed).toBeGreaterThan(0);
    expect(outcomes.cancelled + outcomes.leaked).toBeGreaterThan(0);
  });
});
