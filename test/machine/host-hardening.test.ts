// The host against its services, its users and its own start and stop (issue 13, items 1-5 and 7): every
// call a misbehaving service gets ends in exactly one completion with an upstream status, nothing it held
// stays taken, and every public promise settles.
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { Status } from '../../src/abi/index.js';
import { ClientState, ClientTable } from '../../src/hgcm/clients.js';
import { Machine, type MachineConfig } from '../../src/machine/index.js';
import { MachineStateError } from '../../src/runtime/errors.js';
import { BadFn } from './services/misbehave.js';

const program = new URL('./programs/hardening.ts', import.meta.url);
const misbehave = {
  name: 'misbehave',
  module: new URL('./services/misbehave.ts', import.meta.url),
  export: 'misbehave',
};

/**
 * How long a wait for something the machine will do may take: not a bound on the machine's speed (no
 * check here is about time), only the guard against a hang, wide enough for a heavily loaded machine.
 */
const SETTLE = { timeout: 60_000, interval: 5 };
vi.setConfig({ testTimeout: 180_000 });

let m: Machine | undefined;
afterEach(async () => {
  await m?.stop({ waitMs: 100 });
  m = undefined;
});

async function start(config: MachineConfig = {}): Promise<Machine> {
  m = await Machine.start({ vcpus: 1, hostWorkers: 1, services: [misbehave], ...config });
  return m;
}

/**
 * Nothing a call holds is left: no listed command, no snapshot bytes, no client. A guest may return as
 * soon as it sees DONE, a moment before the host frees the command, hence the wait.
 */
async function expectNothingHeld(machine: Machine): Promise<void> {
  await vi.waitFor(
    () => expect(machine.stats().host).toMatchObject({ pendingCommands: 0, snapshotBytes: 0, clients: 0 }),
    SETTLE,
  );
}

type BadRun = { endings: { rc: number; result: number }[]; echo: number; outByte: number };

describe('service outputs are checked before the command leaves the list (items 1, 7)', () => {
  const cases: [string, number, string][] = [
    ['a number for a u64', BadFn.U64_AS_NUMBER, 'u64'],
    ['a string for a u32', BadFn.U32_AS_STRING, 'u32'],
    ['a string for a buffer', BadFn.BUF_AS_STRING, 'out'],
    ['a result of undefined', BadFn.RESULT_UNDEFINED, 'none'],
    ['a result that is a string', BadFn.RESULT_STRING, 'none'],
    ['a buffer size past 2^32', BadFn.SIZE_PAST_32, 'out'],
  ];
  // One machine for the six cases (a machine start is most of a case's work): each makes 20 calls on its
  // 16 slots, then an echo call, so a slot a case lost would starve its own echo call or a later case's.
  let machine: Machine;
  beforeAll(async () => {
    machine = await Machine.start({ vcpus: 1, hostWorkers: 1, services: [misbehave], commandSlots: 16 });
  });
  afterAll(() => machine?.stop({ waitMs: 100 }));
  test.each(cases)('%s: VERR_INVALID_PARAMETER, nothing written, nothing lost', async (_what, fn, parm) => {
    const errors = machine.stats().counters['host.serviceErrors'];
    const r = await machine.run<BadRun>({
      module: program,
      export: 'badCalls',
      args: { fn, n: 20, parm, timeoutMs: 30_000 },
    });
    expect(r.endings).toHaveLength(20);
    for (const e of r.endings)
      expect(e).toEqual({ rc: Status.VINF_SUCCESS, result: Status.VERR_INVALID_PARAMETER });
    expect(r.echo).toBe(0);
    // The output of a rejected call never reaches the guest.
    if (parm === 'out') expect(r.outByte).toBe(0);
    await expectNothingHeld(machine);
    expect(machine.stats().counters['host.serviceErrors'] - errors).toBe(20);
    // One line per error, naming the service, the function and the client; no stack.
    await vi.waitFor(
      () => expect(machine.logs().filter((l) => l.includes(`misbehave fn ${fn} client`))).toHaveLength(20),
      SETTLE,
    );
    expect(machine.logs().some((l) => /\n\s+at /.test(l))).toBe(false);
  });
});

describe('start and stop (items 2, 3)', () => {
  test('a service whose setup throws: start rejects with its error, and no restart loop', async () => {
    const lines: string[] = [];
    const started = Machine.start({
      vcpus: 1,
      hostWorkers: 2,
      services: [{ ...misbehave, config: { failSetup: true } }],
      log: (l) => lines.push(l),
    });
    await expect(started).rejects.toThrow(/misbehave setup refuses to run/);
    // Each worker fails once; nothing is retried.
    expect(lines.filter((l) => l.includes('refuses to run')).length).toBeLessThanOrEqual(4);
  });

  test('a worker that keeps dying is restarted with a delay, then given up with a clear error', async () => {
    const machine = await start({
      services: [{ name: 'crash', module: new URL('./services/crash.ts', import.meta.url), export: 'crash' }],
    });
    // MAX_RESTARTS (8) restarts, then the ninth death within the window: given up. Its only worker gone,
    // nothing can answer the program's next request (its disconnect): the machine fails and stops, and
    // the run rejects with the reason.
    const run = machine.run<number[]>({ module: program, export: 'killWorker', args: { n: 9 } });
    await expect(run).rejects.toThrow(/every host worker was given up/);
    expect(machine.stats().counters['host.workerRestartsRefused']).toBe(1);
    expect(machine.stats().counters['host.workerDeaths']).toBe(9);
    expect(machine.logs().some((l) => /host worker 0 given up .*died 9 times/.test(l))).toBe(true);
    await expect(machine.run({ module: program, export: 'echoValues' })).rejects.toThrow(
      /every host worker was given up/,
    );
  });

  test('a service module that cannot be loaded: start rejects', async () => {
    await expect(
      Machine.start({
        vcpus: 1,
        services: [{ name: 'gone', module: new URL('./services/no-such-module.ts', import.meta.url) }],
      }),
    ).rejects.toThrow(/no-such-module/);
  });

  test('stop() settles a run() whose program still waits, with a named error', async () => {
    const machine = await start();
    const run = machine.run({ module: program, export: 'waitForever' });
    await vi.waitFor(() => expect(machine.stats().host.pendingCommands).toBe(1), SETTLE);
    await machine.stop({ waitMs: 50 });
    await expect(run).rejects.toBeInstanceOf(MachineStateError);
    await expect(run).rejects.toThrow(/stopped/);
  });
});

describe('the echo service (item 4)', () => {
  test('FILL into a guest-to-host-only page list: VERR_INVALID_PARAMETER, not a service error', async () => {
    const machine = await start();
    const rc = await machine.run<number>({ module: program, export: 'fillReadOnlyPages' });
    expect(rc).toBe(Status.VERR_INVALID_PARAMETER);
    expect(machine.stats().counters['host.serviceErrors']).toBe(0);
    await expectNothingHeld(machine);
  });
});

describe('a client that disconnects frees what its calls held (item 5)', () => {
  test('a call queued when its client disconnects ends with VERR_HGCM_INVALID_CLIENT_ID and is freed', async () => {
    const machine = await start();
    const run = machine.run<{ gate: { rc: number; result: number }; queued: { rc: number; result: number } }>(
      {
        module: program,
        export: 'queuedAtDisconnect',
      },
    );
    const clients = ClientTable.attach(machine.sharedMemory.clients);
    // Open the gate once X is disconnecting: its call is then still in the ring.
    await vi.waitFor(
      () =>
        expect(clients.liveSlots().some((s) => clients.at(s).state === ClientState.DISCONNECTING)).toBe(true),
      SETTLE,
    );
    expect(await machine.hostCall('misbehave', 1, [])).toBe(Status.VINF_SUCCESS);
    const r = await run;
    expect(r.gate).toEqual({ rc: Status.VINF_SUCCESS, result: Status.VINF_SUCCESS });
    expect(r.queued).toEqual({ rc: Status.VINF_SUCCESS, result: Status.VERR_HGCM_INVALID_CLIENT_ID });
    await expectNothingHeld(machine);
  });

  test('a call the service never completes is freed when its cancelled client disconnects', async () => {
    const machine = await start();
    const r = await machine.run<{ rc: number; outcome: string }>({
      module: program,
      export: 'neverThenDisconnect',
      args: { timeoutMs: 20 },
    });
    expect(r.rc).toBe(Status.VERR_TIMEOUT);
    expect(r.outcome).toBe('cancelled');
    await expectNothingHeld(machine);
  });
});

describe('a host memory budget per machine (item 6)', () => {
  test('a call whose host buffers would exceed it fails with VERR_NO_MEMORY at submission', async () => {
    const machine = await start({ hostMemoryBytes: 1 << 20 });
    expect(machine.stats().host).toMatchObject({ bufferBytes: 0, bufferBudget: 1 << 20 });
    const run = machine.run<number[]>({
      module: program,
      export: 'heldCalls',
      args: { n: 3, size: 512 << 10 },
    });
    await vi.waitFor(() => expect(machine.stats().counters['host.budgetRefused']).toBe(1), SETTLE);
    expect(machine.stats().host).toMatchObject({ pendingCommands: 2, bufferBytes: 1 << 20 });
    expect(await machine.hostCall('misbehave', 2, [])).toBe(Status.VINF_SUCCESS);
    expect(await run).toEqual([
      Status.VINF_HGCM_ASYNC_EXECUTE,
      Status.VINF_HGCM_ASYNC_EXECUTE,
      Status.VERR_NO_MEMORY,
    ]);
    await expectNothingHeld(machine);
    expect(machine.stats().host.bufferBytes).toBe(0);
  });

  test('pending calls per client are capped per requestor category, as upstream', async () => {
    const machine = await start();
    const run = (user: boolean): Promise<number[]> =>
      machine.run<number[]>({ module: program, export: 'heldCalls', args: { n: 3, size: 64 }, user });
    // A user process's client gets 2 (the service's user figure), the driver's 64.
    const asUser = run(true);
    // The third call is refused at its submission; only then may the first two complete.
    await vi.waitFor(() => expect(machine.stats().counters['host.clientCallsRefused']).toBe(1), SETTLE);
    expect(machine.stats().host.pendingCommands).toBe(2);
    expect(await machine.hostCall('misbehave', 2, [])).toBe(Status.VINF_SUCCESS);
    expect(await asUser).toEqual([
      Status.VINF_HGCM_ASYNC_EXECUTE,
      Status.VINF_HGCM_ASYNC_EXECUTE,
      Status.VERR_HGCM_TOO_MANY_CLIENT_CALLS,
    ]);
    expect(await machine.hostCall('misbehave', 3, [])).toBe(Status.VINF_SUCCESS);
    const asKernel = run(false);
    await vi.waitFor(() => expect(machine.stats().host.pendingCommands).toBe(3), SETTLE);
    expect(await machine.hostCall('misbehave', 2, [])).toBe(Status.VINF_SUCCESS);
    expect(await asKernel).toEqual(new Array(3).fill(Status.VINF_HGCM_ASYNC_EXECUTE));
    expect(machine.stats().counters['host.clientCallsRefused']).toBe(1);
    await expectNothingHeld(machine);
  });

  test('the default is an eighth of guest RAM within [32 MiB, 1 GiB]', async () => {
    const machine = await start({ ramBytes: 512 << 20 });
    expect(machine.stats().host.bufferBudget).toBe(64 << 20);
  });
});

describe("a program's allocations end with it (item 9)", () => {
  test('memory a program allocated and did not free is free for the next program', async () => {
    const machine = await start({ ramBytes: 8 << 20, heapBytes: 1 << 20 });
    const idle = machine.stats().programMemory.inUseBytes;
    // Most of program memory, twice: the second run fits only if the first one's allocations were freed.
    const args = { bytes: 1 << 20, n: 5 };
    expect(await machine.run<number>({ module: program, export: 'allocAndReturn', args })).toBeGreaterThan(
      5 << 20,
    );
    expect(machine.stats().programMemory.inUseBytes).toBe(idle);
    await expect(
      machine.run<number>({ module: program, export: 'allocAndReturn', args }),
    ).resolves.toBeGreaterThan(5 << 20);
    expect(machine.stats().programMemory.inUseBytes).toBe(idle);
  });
});
