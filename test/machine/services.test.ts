// Services on real threads: a user-defined one registered like the built-ins, the delay service with
// timeouts and signals, and connecting to a service that does not exist.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Status } from '../../src/abi/index.js';
import { Machine } from '../../src/machine/machine.js';

const program = new URL('./programs/services.ts', import.meta.url);

describe('services', () => {
  let m: Machine;
  beforeAll(async () => {
    m = await Machine.start({
      vcpus: 2,
      hostWorkers: 2,
      services: [{ name: 'tally', module: new URL('./services/tally.ts', import.meta.url), export: 'tally' }],
    });
  });
  afterAll(async () => {
    await m?.stop();
  });

  test("a user's own service runs in the pool, with shared state across pool workers", async () => {
    const [a, b] = await Promise.all([
      m.run<{ totals: number[]; perClient: number[]; workers: number[] }>({
        module: program,
        export: 'tallyCalls',
        args: { n: 300 },
        vcpu: 0,
      }),
      m.run<{ totals: number[]; perClient: number[]; workers: number[] }>({
        module: program,
        export: 'tallyCalls',
        args: { n: 300 },
        vcpu: 1,
      }),
    ]);
    // Per-client state counts each client's calls in order.
    expect(a!.perClient).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(b!.perClient).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    // The shared counter saw all 600 calls exactly once.
    expect([...a!.totals, ...b!.totals].sort((x, y) => x - y)).toEqual(
      Array.from({ length: 600 }, (_, i) => i + 1),
    );
    // Calls ran on pool workers (ids 0 and 1), not on the vCPUs.
    for (const w of [...a!.workers, ...b!.workers]) expect([0, 1]).toContain(w);
  });

  test('connecting to an unknown service fails asynchronously with VERR_HGCM_SERVICE_NOT_FOUND', async () => {
    const r = await m.run<{ rc: number; clientId: number }>({ module: program, export: 'connectMissing' });
    expect(r.rc).toBe(Status.VERR_HGCM_SERVICE_NOT_FOUND);
    expect(r.clientId).toBe(0);
  });

  test('a delay call completes after its delay', async () => {
    const r = await m.run<{ rc: number; result: number; tookMs: number }>({
      module: program,
      export: 'delayCall',
      args: { ms: 30, timeoutMs: 0xffffffff, interruptible: true },
    });
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.result).toBe(Status.VINF_SUCCESS);
    expect(r.tookMs).toBeGreaterThanOrEqual(29);
  });

  test('a delay call longer than its timeout is cancelled with VERR_TIMEOUT', async () => {
    const r = await m.run<{ rc: number; outcome: string }>({
      module: program,
      export: 'delayCall',
      args: { ms: 2000, timeoutMs: 20, interruptible: false },
    });
    expect(r.rc).toBe(Status.VERR_TIMEOUT);
    expect(r.outcome).toBe('cancelled');
  });

  test('Machine.signal interrupts an interruptible wait: VERR_INTERRUPTED, cancelled', async () => {
    const run = m.run<{ rc: number; outcome: string; tookMs: number }>({
      module: program,
      export: 'delayCall',
      // Far longer than any test: the call can only end by the signal (an outcome of 'cancelled').
      args: { ms: 600_000, timeoutMs: 0xffffffff, interruptible: true },
      vcpu: 1,
    });
    // Signal repeatedly until the call has returned (the first one may land before the wait starts,
    // which interrupts it just the same).
    const timer = setInterval(() => m.signal(1), 25);
    const r = await run.finally(() => clearInterval(timer));
    expect(r.rc).toBe(Status.VERR_INTERRUPTED);
    expect(r.outcome).toBe('cancelled');
  });
});
