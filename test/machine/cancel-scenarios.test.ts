// The cancel-race scenarios (reference: the project's scenario catalogue S1-S13) forced with hooks on real
// threads. Each asserts the call's outcome, the counters, and that no host write landed in freed guest
// memory (the auditor's audit.writeAfterFree stays 0 unless the scenario is the known faithful-scope gap).
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Status } from '../../src/abi/index.js';
import { Machine } from '../../src/machine/machine.js';
import type { MachineConfig } from '../../src/machine/config.js';
import { POINTS, type PointName } from '../../src/runtime/points.js';
import type { CounterName } from '../../src/runtime/stats.js';
import type { CallReport, OneCallArgs } from './programs/cancel.js';
import { sayWhilePending } from '../say-while-pending.js';

const program = new URL('./programs/cancel.ts', import.meta.url);
// Nothing here waits on the clock (see until); this is only the guard against a hang, wide enough for a
// machine loaded many times over, where one scenario has taken 40 s.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 });
const GRACE = { graceNotFoundMs: 300, graceOtherMs: 600 };
let machine: Machine | undefined;

afterEach(async () => {
  generation++;
  await machine?.stop();
  machine = undefined;
});

async function start(config: MachineConfig = {}): Promise<Machine> {
  machine = await sayWhilePending(
    Machine.start({
      vcpus: 2,
      hostWorkers: 2,
      audit: true,
      ...config,
      guest: { ...GRACE, ...config.guest },
    }),
    'Machine.start() is still pending',
    diagnosis,
  );
  return machine;
}

function call(m: Machine, args: OneCallArgs, vcpu = 0): Promise<CallReport> {
  const run = m.run<CallReport>({
    module: program,
    export: 'oneCall',
    args: { hooks: m.hooks.sab, faults: m.faultsSab, ...args },
    vcpu,
  });
  return sayWhilePending(run, 'the program still runs', diagnosis);
}

/** Counter deltas since `before`. */
function delta(m: Machine, before: Record<CounterName, number>): (name: CounterName) => number {
  const now = m.stats().counters;
  return (name) => now[name] - before[name];
}

/** Bumped after each test: a wait the test left behind (it timed out) ends instead of polling forever. */
let generation = 0;

/** What a wait that has lasted a minute prints: the machine's counters and the points its threads stopped at so far. */
function diagnosis(): string {
  if (machine === undefined) return 'no machine';
  const m = machine;
  const s = m.stats();
  const arrivedAt = POINTS.map((p) => `${p} x${m.hooks.arrivals(p)}`).filter((a) => !a.endsWith(' x0'));
  const counters = Object.entries(s.counters).filter(([, v]) => v !== 0);
  return JSON.stringify({ host: s.host, arrivedAt, counters: Object.fromEntries(counters) });
}

/**
 * Wait until `cond` holds. No deadline of its own: on a loaded machine anything may take long, and a test
 * bounds its work, not the clock; a condition that never comes fails the test at its timeout. Each minute
 * it prints what it waits for and the machine's state, so a hang says where it is.
 */
function until(cond: () => boolean, what: string): Promise<void> {
  const gen = generation;
  const poll = async (): Promise<void> => {
    while (!cond()) {
      if (gen !== generation) throw new Error(`a wait for ${what} outlived its test`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  return sayWhilePending(poll(), `still waiting for ${what}`, diagnosis);
}

/** Wait for a thread to stop at `point` (no deadline either; see until). */
function reached(m: Machine, point: PointName): Promise<void> {
  return until(() => m.hooks.arrivals(point) >= 1, `a thread at ${point}`);
}

/**
 * Hold the thread stopped at `point` until counter `name` has grown past `before` by more than `by`, then
 * let it go: the other side of the race has done its part first, however the threads are scheduled.
 */
async function holdUntilCounted(
  m: Machine,
  point: PointName,
  before: Record<CounterName, number>,
  name: CounterName,
  by = 0,
): Promise<void> {
  await reached(m, point);
  await until(() => m.stats().counters[name] > before[name] + by, name);
  m.hooks.release(point);
}

/**
 * Nothing is pending and no snapshot held (once the host has finished: completion frees its command just
 * after setting DONE), and no host write landed in freed memory.
 */
async function expectQuiet(m: Machine): Promise<void> {
  await until(
    () => m.stats().host.pendingCommands === 0 && m.stats().host.snapshotBytes === 0,
    'the host to go quiet',
  );
  const s = m.stats();
  expect(s.host.pendingCommands).toBe(0);
  expect(s.host.snapshotBytes).toBe(0);
  expect(s.counters['audit.writeAfterFree']).toBe(0);
}

describe('S1-S3: completion without cancel', () => {
  test('S1 the host refuses at once: SYNC, no wait, no cancel, nothing listed', async () => {
    const m = await start();
    const before = m.stats().counters;
    const r = await m.run<{ rc: number; requestRc: number }>({ module: program, export: 'syncRefusal' });
    expect(r.rc).toBe(Status.VERR_HGCM_INVALID_CLIENT_ID);
    expect(r.requestRc).toBe(Status.VERR_HGCM_INVALID_CLIENT_ID);
    const d = delta(m, before);
    expect(d('guest.sync')).toBe(1);
    expect(d('guest.async')).toBe(0);
    expect(d('device.cancel.found') + d('device.cancel.notFound')).toBe(0);
    await expectQuiet(m);
  });

  test('S2 completion lands between the DONE check and the sleep: no wake-up is lost', async () => {
    const m = await start();
    const before = m.stats().counters;
    // The host holds the call until the guest has checked DONE and enlisted, but not yet slept.
    // No timeout: a lost wake-up would leave the guest asleep (the test fails at its timeout), however
    // slow the machine.
    const run = call(m, {
      arm: ['host.sideEffect', 'guest.sleep'],
      ms: 0,
      timeoutMs: 0xffffffff,
      interruptible: false,
    });
    await reached(m, 'guest.sleep');
    await reached(m, 'host.sideEffect');
    m.hooks.release('host.sideEffect');
    // The host completes and raises the IRQ now, while the guest is between its check and its sleep.
    await until(() => m.stats().counters['host.completed'] > before['host.completed'] + 1, 'the completion');
    m.hooks.release('guest.sleep');
    const r = await run;
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.outcome).toBeUndefined();
    const d = delta(m, before);
    expect(d('guest.timeouts')).toBe(0);
    expect(d('guest.completed')).toBeGreaterThanOrEqual(1);
    await expectQuiet(m);
  });

  test('S2 with the no-recheck-done mutation: the completion is missed until the deadline', async () => {
    const m = await start();
    const before = m.stats().counters;
    // The mutation goes on once connected (it would lose the connect's wake-up just the same).
    const run = call(m, {
      arm: ['host.sideEffect', 'guest.sleep'],
      ms: 0,
      timeoutMs: 200,
      faultsOn: ['no-recheck-done'],
    });
    await reached(m, 'guest.sleep');
    await reached(m, 'host.sideEffect');
    m.hooks.release('host.sideEffect');
    await until(() => m.stats().counters['host.completed'] > before['host.completed'] + 1, 'the completion');
    m.hooks.release('guest.sleep');
    const r = await run;
    // The guest slept through DONE to its deadline; there the re-check finds DONE (DONE wins over the
    // timeout), so the damage is latency: the harness's bounded-return check is what catches this one.
    expect(r.tookMs).toBeGreaterThanOrEqual(199);
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.outcome).toBeUndefined();
    expect(delta(m, before)('guest.timeouts')).toBe(0);
  });

  test('S3 normal asynchronous completion during the wait, buffers returned', async () => {
    const m = await start();
    const r = await call(m, { ms: 20, echoBytes: 300 });
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.result).toBe(Status.VINF_SUCCESS);
    expect(r.out).toEqual(Array.from({ length: 300 }, (_, i) => (i * 13 + 1) & 0xff));
    await expectQuiet(m);
  });
});

describe('S4-S6: cancel succeeds, or loses the race to completion', () => {
  test.each([
    ['while queued', 'host.pick'],
    ['while the service runs', 'host.sideEffect'],
    ['just before completion removes it', 'host.complete.remove'],
  ] as const)('S4 timeout, cancel %s: CANCELLED, the later completion writes nothing', async (_, point) => {
    const m = await start();
    const before = m.stats().counters;
    // The guest times out and cancels while the host is held; then the host goes on, and the guest (held
    // once its cancel succeeded) only goes on to reuse the memory and end its session after that.
    const run = call(m, { arm: [point, 'guest.free'], ms: 0, echoBytes: 64, timeoutMs: 30, thenEcho: true });
    await holdUntilCounted(m, point, before, 'device.cancel.found');
    await until(
      () => m.stats().counters['host.completedCancelled'] > before['host.completedCancelled'],
      'the dropped completion',
    );
    await reached(m, 'guest.free');
    m.hooks.release('guest.free');
    const r = await run;
    expect(r.rc).toBe(Status.VERR_TIMEOUT);
    expect(r.outcome).toBe('cancelled');
    expect(r.cancelRc).toBe(Status.VINF_SUCCESS);
    // The freed request and buffers are reused at once by the next call, which must come out intact.
    expect(r.after).toEqual({ rc: 0, result: 0, same: true });
    await until(
      () => m.stats().counters['host.completedCancelled'] > before['host.completedCancelled'],
      'the dropped completion',
    );
    const d = delta(m, before);
    expect(d('guest.cancelled')).toBe(1);
    expect(d('device.cancel.found')).toBe(1);
    expect(d('host.completedCancelled')).toBe(1);
    await expectQuiet(m);
  });

  test('S5a completion fully before the cancel: NOT_FOUND, DONE seen at once, COMPLETED with results', async () => {
    const m = await start();
    const before = m.stats().counters;
    // The service is held until the guest has timed out (a guest starved past the service's 40 ms would
    // see DONE first and never cancel); then the guest is held until the call has completed.
    const run = call(m, { arm: ['host.sideEffect', 'guest.cancel2'], ms: 40, echoBytes: 32, timeoutMs: 5 });
    await reached(m, 'guest.cancel2');
    m.hooks.release('host.sideEffect');
    await until(() => m.stats().counters['host.completed'] > before['host.completed'] + 1, 'the completion');
    m.hooks.release('guest.cancel2');
    const r = await run;
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.outcome).toBe('completed');
    expect(r.cancelRc).toBe(Status.VERR_NOT_FOUND);
    expect(r.out).toEqual(Array.from({ length: 32 }, (_, i) => (i * 13 + 1) & 0xff));
    const d = delta(m, before);
    expect(d('guest.cancel.notFound')).toBe(1);
    expect(d('guest.grace.completed')).toBe(1);
    expect(d('guest.leaked')).toBe(0);
    await expectQuiet(m);
  });

  test('S5b completion removed the command before the cancel, DONE during the grace: COMPLETED', async () => {
    const m = await start();
    const before = m.stats().counters;
    // The guest is held after its timeout until completion has taken the command off the list, so its
    // cancel finds nothing however the threads are scheduled.
    const run = call(m, {
      arm: ['guest.cancel2', 'guest.graceCheck', 'host.complete.checkCancelled'],
      ms: 10,
      echoBytes: 16,
      timeoutMs: 40,
    });
    await reached(m, 'host.complete.checkCancelled');
    await reached(m, 'guest.cancel2');
    m.hooks.release('guest.cancel2');
    await reached(m, 'guest.graceCheck');
    m.hooks.release('host.complete.checkCancelled');
    await until(() => m.stats().counters['host.completed'] > before['host.completed'] + 1, 'the completion');
    m.hooks.release('guest.graceCheck');
    const r = await run;
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.outcome).toBe('completed');
    expect(r.cancelRc).toBe(Status.VERR_NOT_FOUND);
    expect(r.out).toEqual(Array.from({ length: 16 }, (_, i) => (i * 13 + 1) & 0xff));
    expect(delta(m, before)('guest.grace.completed')).toBe(1);
    await expectQuiet(m);
  });

  test('S5b, DONE after the grace: LEAKED, quarantined, and the late write lands in quarantine', async () => {
    const m = await start();
    const before = m.stats().counters;
    const run = call(m, {
      arm: ['guest.cancel2', 'host.complete.checkCancelled'],
      ms: 10,
      echoBytes: 16,
      timeoutMs: 40,
    });
    await reached(m, 'host.complete.checkCancelled');
    await reached(m, 'guest.cancel2');
    m.hooks.release('guest.cancel2');
    const r = await run;
    expect(r.rc).toBe(Status.VERR_TIMEOUT);
    expect(r.outcome).toBe('leaked');
    expect(r.cancelRc).toBe(Status.VERR_NOT_FOUND);
    expect(r.leakedBytes).toBeGreaterThan(0);
    const s = m.stats();
    expect(s.heap.quarantinedBytes + s.programMemory.quarantinedBytes).toBe(r.leakedBytes);
    expect(s.counters['guest.leakedBytes'] - before['guest.leakedBytes']).toBe(r.leakedBytes);
    m.hooks.release('host.complete.checkCancelled');
    // connect, disconnect (the program is over), and now the late completion of the leaked call
    await until(
      () => m.stats().counters['host.completed'] > before['host.completed'] + 2,
      'the late completion',
    );
    // Log lines travel on their own port, unordered with the program's result: wait for it.
    await until(() => m.logs().some((l) => l.includes('Leaking')), 'the leak log line');
    await expectQuiet(m);
  });

  test('S5c the cancel marks the command before completion removes it: CANCELLED, no write', async () => {
    const m = await start();
    const before = m.stats().counters;
    const run = call(m, {
      arm: ['host.complete.remove'],
      ms: 10,
      echoBytes: 16,
      timeoutMs: 40,
      thenEcho: true,
    });
    await holdUntilCounted(m, 'host.complete.remove', before, 'device.cancel.found');
    const r = await run;
    expect(r.outcome).toBe('cancelled');
    expect(r.after).toEqual({ rc: 0, result: 0, same: true });
    await until(
      () => m.stats().counters['host.completedCancelled'] > before['host.completedCancelled'],
      'the dropped completion',
    );
    await expectQuiet(m);
  });

  test('S6 a signal instead of a timeout: VERR_INTERRUPTED, CANCELLED', async () => {
    const m = await start();
    const before = m.stats().counters;
    const run = call(m, { arm: ['host.sideEffect'], ms: 0, timeoutMs: 0xffffffff, interruptible: true }, 1);
    await reached(m, 'host.sideEffect');
    m.signal(1);
    await until(
      () => m.stats().counters['device.cancel.found'] > before['device.cancel.found'],
      'the cancel',
    );
    m.hooks.release('host.sideEffect');
    const r = await run;
    expect(r.rc).toBe(Status.VERR_INTERRUPTED);
    expect(r.outcome).toBe('cancelled');
    await until(
      () => m.stats().counters['host.completedCancelled'] > before['host.completedCancelled'],
      'the dropped completion',
    );
    await expectQuiet(m);
  });

  test('S6 a signal during the grace wait is ignored: the call still completes', async () => {
    const m = await start();
    const before = m.stats().counters;
    const run = call(
      m,
      { arm: ['guest.cancel2', 'guest.graceCheck', 'host.complete.checkCancelled'], ms: 10, timeoutMs: 40 },
      1,
    );
    await reached(m, 'host.complete.checkCancelled');
    await reached(m, 'guest.cancel2');
    m.hooks.release('guest.cancel2');
    await reached(m, 'guest.graceCheck');
    m.signal(1);
    m.hooks.release('guest.graceCheck');
    await new Promise((r) => setTimeout(r, 30));
    m.hooks.release('host.complete.checkCancelled');
    const r = await run;
    expect(r.outcome).toBe('completed');
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(delta(m, before)('guest.grace.completed')).toBe(1);
  });

  test('S6 a non-interruptible wait ignores signals and ends by its timeout', async () => {
    const m = await start();
    const before = m.stats().counters;
    // The service is held until the guest's cancel found the call, so only the timeout can end the wait
    // however the threads are scheduled (a guest starved past the service's time would see DONE).
    const run = call(m, { arm: ['host.sideEffect'], ms: 2000, timeoutMs: 150, interruptible: false }, 1);
    const timer = setInterval(() => m.signal(1), 10);
    await holdUntilCounted(m, 'host.sideEffect', before, 'device.cancel.found');
    const r = await run.finally(() => clearInterval(timer));
    expect(r.rc).toBe(Status.VERR_TIMEOUT);
    expect(r.tookMs).toBeGreaterThanOrEqual(149);
  });
});

describe('S7-S10: old hosts, failed cancels, lost and slow hosts', () => {
  test.each(['vbox-7.0', 'linux'] as const)(
    'S7 old host, %s flavour: the legacy fallback cancels',
    async (flavor) => {
      const m = await start({ cancel2: false, guest: { flavor } });
      const before = m.stats().counters;
      // The service is held until the legacy cancel has taken the call (see the S6 timeout case).
      const run = call(m, { arm: ['host.sideEffect'], ms: 500, timeoutMs: 20, thenEcho: true });
      await holdUntilCounted(m, 'host.sideEffect', before, 'guest.cancelled');
      const r = await run;
      expect(r.rc).toBe(Status.VERR_TIMEOUT);
      expect(r.outcome).toBe('cancelled');
      expect(r.fallback).toBe(true);
      expect(r.after).toEqual({ rc: 0, result: 0, same: true });
      const d = delta(m, before);
      expect(d('guest.cancel.notImplemented')).toBe(1);
      expect(d('guest.cancel.fallback')).toBe(1);
      expect(d('device.unknownType')).toBe(0);
      await until(
        () => m.stats().counters['host.completedCancelled'] > before['host.completedCancelled'],
        'the dropped completion',
      );
      await expectQuiet(m);
    },
  );

  test('S7 old host, fallback loses the race: VERR_INVALID_PARAMETER read as NOT_FOUND, DONE in the grace', async () => {
    const m = await start({ cancel2: false });
    const run = call(m, {
      arm: ['host.sideEffect', 'guest.fallbackSubmit'],
      ms: 30,
      echoBytes: 8,
      timeoutMs: 5,
    });
    await reached(m, 'guest.fallbackSubmit');
    m.hooks.release('host.sideEffect');
    // The host completes the call while the guest is about to re-submit it as HGCMCancel.
    await until(() => m.stats().counters['host.completed'] > 1, 'the completion');
    m.hooks.release('guest.fallbackSubmit');
    const r = await run;
    expect(r.fallback).toBe(true);
    expect(r.cancelRc).toBe(Status.VERR_NOT_FOUND);
    expect(r.outcome).toBe('completed');
    await expectQuiet(m);
  });

  test('S8 the Cancel2 request cannot be allocated: 2000 ms-class grace, then COMPLETED', async () => {
    const m = await start({ faults: ['cancel2-alloc-fail'] });
    const before = m.stats().counters;
    // The guest's first grace check waits for the completion, so DONE comes within the grace however
    // late the service's timer fires.
    const run = call(m, { arm: ['guest.graceCheck'], ms: 150, timeoutMs: 20 });
    await holdUntilCounted(m, 'guest.graceCheck', before, 'host.completed', 1);
    const r = await run;
    expect(r.cancelRc).toBe(Status.VERR_NO_MEMORY);
    expect(r.outcome).toBe('completed');
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(delta(m, before)('guest.cancel.other')).toBe(1);
    await expectQuiet(m);
  });

  test('S8 an interruptible wait without a wait record ends at once as interrupted, and is cancelled', async () => {
    const m = await start({ faults: ['wait-alloc-fail'] });
    const before = m.stats().counters;
    // The host holds the call from its pick until the guest's run has returned: the wait cannot have
    // ended by DONE.
    const run = call(m, { arm: ['host.pick'], ms: 0, timeoutMs: 0xffffffff, interruptible: true });
    await reached(m, 'host.pick');
    const r = await run;
    m.hooks.release('host.pick');
    expect(r.rc).toBe(Status.VERR_INTERRUPTED);
    expect(r.outcome).toBe('cancelled');
    await until(
      () => m.stats().counters['host.completedCancelled'] > before['host.completedCancelled'],
      'the dropped completion',
    );
  });

  test('S9 the host loses the request: NOT_FOUND, grace, LEAKED, never written', async () => {
    const m = await start();
    const before = m.stats().counters;
    // Connect first (the fault applies to calls only), then lose the call.
    m.setFault('host-drop', true);
    // The guest's cancel waits until the host has lost the call: a cancel that came first would find it
    // still queued (a loaded host picks it up late).
    const run = call(m, { arm: ['guest.cancel2'], ms: 10, echoBytes: 16, timeoutMs: 30 });
    await holdUntilCounted(m, 'guest.cancel2', before, 'host.dropped');
    const r = await run;
    expect(r.outcome).toBe('leaked');
    expect(r.cancelRc).toBe(Status.VERR_NOT_FOUND);
    expect(r.out).toEqual(new Array(16).fill(0));
    const d = delta(m, before);
    expect(d('host.dropped')).toBe(1);
    expect(d('guest.leaked')).toBe(1);
    expect(d('audit.checks')).toBe(2); // the connect and disconnect completions only
    await expectQuiet(m);
  });

  test('S10 trunk flavour on an old host: no fallback, grace expires, LEAKED; the late write is safe in strict scope', async () => {
    const m = await start({ cancel2: false, guest: { flavor: 'vbox-trunk', leakScope: 'strict' } });
    const before = m.stats().counters;
    // The service is held until the guest has leaked the call, so its completion is late however slow
    // the guest's grace runs.
    const run = m.run<CallReport>({
      module: program,
      export: 'oneCall',
      args: { hooks: m.hooks.sab, arm: ['host.sideEffect'], ms: 900, echoBytes: 64, timeoutMs: 20 },
      user: true,
    });
    await holdUntilCounted(m, 'host.sideEffect', before, 'guest.leaked');
    const r = await run;
    expect(r.outcome).toBe('leaked');
    expect(r.cancelRc).toBe(Status.VERR_NOT_IMPLEMENTED);
    expect(r.fallback).toBe(false);
    await until(
      () => m.stats().counters['host.completed'] > before['host.completed'] + 2,
      'the late completion',
    );
    expect(m.stats().counters['audit.writeAfterFree']).toBe(0);
  });

  test('S10 in faithful scope the late write lands in a freed bounce buffer (the known upstream gap)', async () => {
    const m = await start({ cancel2: false, guest: { flavor: 'vbox-trunk', leakScope: 'faithful' } });
    const before = m.stats().counters;
    // The service is held until the guest has leaked the call, so its completion is late however slow
    // the guest's grace runs.
    const run = m.run<CallReport>({
      module: program,
      export: 'oneCall',
      args: { hooks: m.hooks.sab, arm: ['host.sideEffect'], ms: 900, echoBytes: 64, timeoutMs: 20 },
      user: true,
    });
    await holdUntilCounted(m, 'host.sideEffect', before, 'guest.leaked');
    const r = await run;
    expect(r.outcome).toBe('leaked');
    await until(
      () => m.stats().counters['host.completed'] > before['host.completed'] + 2,
      'the late completion',
    );
    expect(m.stats().counters['audit.writeAfterFree']).toBe(1);
  });
});

describe('S12-S13: disconnects and many cancels', () => {
  // Upstream drops such a call (never completed; after the guest's cancel it stays listed for good). The
  // model completes it with VERR_HGCM_INVALID_CLIENT_ID, which frees it (ARCHITECTURE.md, deviations).
  test('S12 disconnect with a call still queued: completed with VERR_HGCM_INVALID_CLIENT_ID, freed', async () => {
    const m = await start();
    const share = new SharedArrayBuffer(4);
    // The call is held at host.pick (taken off the ring, not started) while the client goes away. No
    // timeout: only the host's answer can end the call, however long the disconnect takes.
    const run = call(m, { arm: ['host.pick'], ms: 0, timeoutMs: 0xffffffff, interruptible: false, share });
    await reached(m, 'host.pick');
    const rc = await m.run<number>({ module: program, export: 'disconnectShared', args: { share }, vcpu: 1 });
    expect(rc).toBe(Status.VINF_SUCCESS);
    m.hooks.release('host.pick');
    const r = await run;
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.result).toBe(Status.VERR_HGCM_INVALID_CLIENT_ID);
    expect(r.outcome).toBeUndefined();
    await expectQuiet(m);
  });

  test('S12 disconnect while the service holds the call: the service completes it, as upstream', async () => {
    const m = await start();
    const share = new SharedArrayBuffer(4);
    // The call reaches the service, which holds it (delay: 300 ms) while the client is disconnected from
    // another vCPU. (A call stopped before svcCall holds the disconnect back: pfnDisconnect comes after
    // the svcCall of every call that passed its client check, as on upstream's one service thread.)
    const run = call(m, { arm: ['host.sideEffect'], ms: 300, timeoutMs: 5000, share });
    await reached(m, 'host.sideEffect');
    m.hooks.release('host.sideEffect');
    expect(
      await m.run<number>({ module: program, export: 'disconnectShared', args: { share }, vcpu: 1 }),
    ).toBe(0);
    const r = await run;
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.outcome).toBeUndefined();
    await expectQuiet(m);
  });

  test('S13 one client, many calls time out together: each is cancelled on its own', async () => {
    // A host worker per call: each holds its call in the service (at host.sideEffect) until all four
    // guests have cancelled, so no call can complete first however the threads are scheduled.
    const m = await start({ vcpus: 4, hostWorkers: 4, guest: { flavor: 'linux' } });
    const share = new SharedArrayBuffer(4);
    const before = m.stats().counters;
    const held = new Array<PointName>(4).fill('host.sideEffect');
    const owner = call(m, { arm: held, ms: 400, timeoutMs: 40, share }, 0);
    const others = [1, 2, 3].map((vcpu) =>
      m.run<CallReport>({
        module: program,
        export: 'callShared',
        args: { share, ms: 400, timeoutMs: 40 },
        vcpu,
      }),
    );
    await until(
      () => m.stats().counters['device.cancel.found'] - before['device.cancel.found'] === 4,
      'the four cancels',
    );
    m.hooks.release('host.sideEffect', 4);
    const all = await Promise.all([owner, ...others]);
    for (const r of all) {
      expect(r.rc).toBe(Status.VERR_TIMEOUT);
      expect(r.outcome).toBe('cancelled');
    }
    const d = delta(m, before);
    expect(d('guest.cancelled')).toBe(4);
    expect(d('device.cancel.found')).toBe(4);
    await until(
      () => m.stats().counters['host.completedCancelled'] - before['host.completedCancelled'] === 4,
      'the dropped completions',
    );
    await expectQuiet(m);
  });
});
