// Fault injection on real threads (issue 13): a service that misbehaves at random by a seed (throws, leaves
// wrong types, never completes, completes twice, kills its worker, returns no status) under calls from
// three vCPUs at once, for a fixed number of calls. Every call must end once with the status its fault
// calls for (or through the cancel path when its wait timed out), nothing the calls held may stay taken
// once the guests are gone, no completion may write freed memory, and the machine must still serve.
// HGCM_CHAOS_SEED replays another seed.
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { Status } from '../../src/abi/index.js';
import { Machine } from '../../src/machine/index.js';
import type { ChaosEnding } from './programs/chaos.js';
import { Chaos } from './services/chaos.js';

const SEED = Number(process.env.HGCM_CHAOS_SEED ?? 20261206);
const VCPUS = 3;
const CALLS = 40;
const TIMEOUT_MS = 300;

/** The service's status each fault calls for, when the call completed (not timed out). */
const EXPECTED: Record<number, number> = {
  [Chaos.OK]: Status.VINF_SUCCESS,
  [Chaos.THROW]: Status.VERR_INTERNAL_ERROR,
  [Chaos.WRONG_TYPE]: Status.VERR_INVALID_PARAMETER,
  [Chaos.TWICE]: Status.VINF_SUCCESS,
  [Chaos.EXIT_WORKER]: Status.VERR_HGCM_INTERNAL,
  [Chaos.LATER]: Status.VINF_SUCCESS,
  [Chaos.NO_STATUS]: Status.VERR_INVALID_PARAMETER,
};

/** A guard against a hang only (nothing here is about time), wide enough for a heavily loaded machine. */
const SETTLE = { timeout: 60_000, interval: 5 };
vi.setConfig({ testTimeout: 180_000 });

let m: Machine;
beforeAll(async () => {
  m = await Machine.start({
    vcpus: VCPUS,
    hostWorkers: 2,
    audit: true,
    services: [{ name: 'chaos', module: new URL('./services/chaos.ts', import.meta.url), export: 'chaos' }],
  });
});
afterAll(async () => {
  await m?.stop();
});

/** Check one call's ending against its fault. */
function check(e: ChaosEnding, i: number): void {
  const what = `call ${i} (fault ${e.how}): ${JSON.stringify(e)}`;
  if (e.rc !== Status.VINF_SUCCESS) {
    // The wait ended first: the cancel path ended the call.
    expect(e.rc, what).toBe(Status.VERR_TIMEOUT);
    expect(['cancelled', 'completed', 'leaked'], what).toContain(e.cancel);
    return;
  }
  // A worker that dies fails every call it held with VERR_HGCM_INTERNAL, whatever their faults.
  if (e.result === Status.VERR_HGCM_INTERNAL) {
    expect(e.value, what).toBe(i);
    return;
  }
  expect(e.how, `${what}: a call never completed got an answer`).not.toBe(Chaos.NEVER);
  expect(e.result, what).toBe(EXPECTED[e.how]);
  // Outputs land only for a call that succeeded; a rejected output never does.
  expect(e.value, what).toBe(e.result === Status.VINF_SUCCESS ? i + 1 : i);
}

test(`seed ${SEED}: ${VCPUS} vCPUs x ${CALLS} calls to a misbehaving service`, async () => {
  const runs = Array.from({ length: VCPUS }, (_, v) =>
    m.run<ChaosEnding[]>({
      module: new URL('./programs/chaos.ts', import.meta.url),
      export: 'chaosLoop',
      args: { seed: SEED + v, calls: CALLS, timeoutMs: TIMEOUT_MS },
      vcpu: v,
    }),
  );
  const endings = await Promise.all(runs);
  const hows = new Set<number>();
  for (const list of endings) {
    expect(list).toHaveLength(CALLS);
    for (const [i, e] of list.entries()) {
      hows.add(e.how);
      check(e, i);
    }
  }
  // The seed exercised every fault.
  expect([...hows].sort()).toEqual(Object.values(Chaos).sort());

  // The guests are gone: nothing their calls held is left.
  await vi.waitFor(
    () =>
      expect(m.stats().host).toMatchObject({
        pendingCommands: 0,
        snapshotBytes: 0,
        clients: 0,
        bufferBytes: 0,
      }),
    SETTLE,
  );
  const c = m.stats().counters;
  expect(c['audit.writeAfterFree']).toBe(0);
  expect(c['host.workerDeaths']).toBeGreaterThan(0);
  expect(c['host.workerDeaths']).toBeLessThanOrEqual(VCPUS);
  expect(c['host.workerRestartsRefused']).toBe(0);
  expect(c['host.completionErrors']).toBe(0);

  // Still usable: a clean echo call.
  expect(
    await m.run<number>({
      module: new URL('./programs/hardening.ts', import.meta.url),
      export: 'echoValues',
    }),
  ).toBe(0);
});
