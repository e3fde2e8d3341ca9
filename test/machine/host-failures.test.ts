// A service that throws and a pool worker that dies: the call completes with an error status, never hangs,
// and the pool keeps serving.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { Status } from '../../src/abi/index.js';
import { Machine } from '../../src/machine/machine.js';

const program = new URL('./programs/services.ts', import.meta.url);

describe('host failures', () => {
  let m: Machine;
  beforeAll(async () => {
    m = await Machine.start({
      vcpus: 1,
      hostWorkers: 2,
      services: [{ name: 'crash', module: new URL('./services/crash.ts', import.meta.url), export: 'crash' }],
    });
  });
  afterAll(async () => {
    await m?.stop();
  });

  test('a service that throws completes the call with VERR_INTERNAL_ERROR', async () => {
    const r = await m.run<{ rc: number; result: number; after: number }>({
      module: program,
      export: 'crashCalls',
      args: { fn: 1, timeoutMs: 5000 },
    });
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.result).toBe(Status.VERR_INTERNAL_ERROR);
    expect(r.after).toBe(Status.VINF_SUCCESS);
    expect(m.stats().counters['host.serviceErrors']).toBe(1);
    // Log lines travel on their own port, unordered with the program's result: wait for it.
    await vi.waitFor(() => expect(m.logs().some((l) => l.includes('svcCall bug'))).toBe(true), {
      timeout: 5000,
    });
  });

  test('a pool worker that dies: its call completes with VERR_HGCM_INTERNAL and the worker is replaced', async () => {
    // An infinite wait: only the host's own recovery can end this call.
    const r = await m.run<{ rc: number; result: number; after: number }>({
      module: program,
      export: 'crashCalls',
      args: { fn: 2, timeoutMs: 0xffffffff },
    });
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.result).toBe(Status.VERR_HGCM_INTERNAL);
    expect(r.after).toBe(Status.VINF_SUCCESS);
    expect(m.stats().counters['host.workerDeaths']).toBe(1);
    expect(m.stats().host.pendingCommands).toBe(0);
  });
});
