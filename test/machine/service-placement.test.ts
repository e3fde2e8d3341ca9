// Service placement (MachineConfig.servicePlacement, ServiceConfig.placement): on the EMT, the calls a
// service says finish inside svcCall complete before the guest's port write returns, the others still go
// to the pool and complete there; in the pool nothing runs on the port-writing thread. Shared Folders
// placed on the EMT opens a file on a vCPU and closes it from the pool (file descriptors are the
// process's). On real threads and under sim.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Status } from '../../src/abi/index.js';
import { Machine } from '../../src/machine/machine.js';
import { SimMachine } from '../../src/machine/sim-machine.js';
import type { Proc } from '../../src/runtime/proc.js';
import type { GuestLib } from '../../src/vcpu/guest-lib.js';
import type { PortWriteView } from './programs/inline.js';

const program = new URL('./programs/inline.ts', import.meta.url);
const probe = new URL('./services/placement-probe.ts', import.meta.url);

describe('service placement on real threads', () => {
  let m: Machine | undefined;
  afterEach(async () => {
    await m?.stop();
    m = undefined;
  });

  const views = (mm: Machine, fn: number): Promise<PortWriteView[]> =>
    mm.run<PortWriteView[]>({
      module: program,
      export: 'portWriteOnly',
      args: { service: 'probe', fn, n: 20 },
    });

  test("'emt': a call that finishes inside svcCall is complete when the port write returns", async () => {
    m = await Machine.start({
      vcpus: 1,
      hostWorkers: 1,
      servicePlacement: 'emt',
      services: [{ name: 'probe', module: probe }],
    });
    for (const v of await views(m, 1))
      expect(v).toEqual({ rc: Status.VINF_HGCM_ASYNC_EXECUTE, doneAtReturn: true, result: 0 });
    // Function 2 needs a timer: the pool runs it, and it completes (portWriteOnly waits for its DONE).
    const later = await views(m, 2);
    expect(later.every((v) => v.rc === Status.VINF_HGCM_ASYNC_EXECUTE)).toBe(true);
    expect(later.some((v) => !v.doneAtReturn)).toBe(true);
    expect(m.logs().filter((l) => l.includes('probe'))).toEqual([]);
    expect(m.stats().host.pendingCommands).toBe(0);
  });

  test("'pool' (per service): the same call waits for a pool worker", async () => {
    m = await Machine.start({
      vcpus: 1,
      hostWorkers: 1,
      servicePlacement: 'emt',
      services: [{ name: 'probe', module: probe, placement: 'pool' }],
    });
    // A pool worker needs a wake-up of its own: at least one of 20 calls is not done at the return.
    expect((await views(m, 1)).some((v) => !v.doneAtReturn)).toBe(true);
  });

  test('Shared Folders on the EMT: a file opened on the vCPU is written, read back and closed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hgcm-placement-'));
    try {
      m = await Machine.start({
        vcpus: 2,
        hostWorkers: 1,
        servicePlacement: 'emt',
        sharedFolders: [{ name: 's', hostPath: dir, writable: true }],
      });
      const r = await m.run<string>({
        module: new URL('./programs/placement.ts', import.meta.url),
        export: 'roundTrip',
        args: { share: 's' },
      });
      expect(r).toBe('hello from the EMT');
      expect(fs.readFileSync(path.join(dir, 'p.txt'), 'utf8')).toBe('hello from the EMT');
    } finally {
      await m?.stop();
      m = undefined;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a page list is written in place only by a call that completes inside its port write', async () => {
    const fill = (mm: Machine, dir: 'in' | 'out') =>
      mm.run<{ rc: number; how: number; filled: number }>({
        module: new URL('./programs/placement.ts', import.meta.url),
        export: 'landing',
        args: { service: 'probe', size: 9000, dir },
      });
    m = await Machine.start({ vcpus: 1, hostWorkers: 1, services: [{ name: 'probe', module: probe }] });
    // On the EMT no cancel can come between the call's start and its completion: in place (1).
    expect(await fill(m, 'out')).toEqual({ rc: 0, how: 1, filled: 9000 });
    // A buffer the guest gave to the host only is never written, in place or otherwise (2).
    expect(await fill(m, 'in')).toEqual({ rc: 0, how: 2, filled: 0 });
    await m.stop();
    m = await Machine.start({
      vcpus: 1,
      hostWorkers: 1,
      services: [{ name: 'probe', module: probe, placement: 'pool' }],
    });
    // In the pool a cancel may overtake the call: staged, and copied in at completion (0).
    expect(await fill(m, 'out')).toEqual({ rc: 0, how: 0, filled: 9000 });
  });

  test('a placement that is not one is refused at the edge', async () => {
    await expect(
      Machine.start({ services: [{ name: 'probe', module: probe, placement: 'gpu' as 'pool' }] }),
    ).rejects.toThrow(/placement must be 'pool' or 'emt'/);
    await expect(Machine.start({ servicePlacement: 'gpu' as 'pool' })).rejects.toThrow(/servicePlacement/);
  });
});

function* calls(lib: GuestLib, fn: number, n: number): Proc<number[]> {
  const c = yield* lib.connect('probe');
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = yield* lib.call(c.clientId, fn, [{ type: 'u32', value: i }]);
    out.push(r.rc < 0 ? r.rc : r.result);
  }
  yield* lib.disconnect(c.clientId);
  return out;
}

describe('service placement under sim', () => {
  test.each(['thread', 'emt'] as const)('device %s: calls run where the placement says', async (device) => {
    const sm = await SimMachine.create(
      {
        vcpus: 2,
        hostWorkers: 1,
        device,
        servicePlacement: 'emt',
        services: [{ name: 'probe', module: probe }],
      },
      { seed: 9 },
    );
    const a = sm.spawn('guest0', 0, (lib) => calls(lib, 1, 4));
    const b = sm.spawn('guest1', 1, (lib) => calls(lib, 2, 4));
    const r = sm.run();
    expect(r.status).toBe('done');
    expect(a.result()).toEqual([0, 0, 0, 0]);
    expect(b.result()).toEqual([0, 0, 0, 0]);
    const setDone = r.trace.filter((t) => t.what === 'point host.complete.setDone').map((t) => t.actor);
    const handlers = device === 'thread' ? ['device'] : ['guest0'];
    // guest0's four function-1 calls completed where its port writes were handled; guest1's function-2
    // calls, connects and disconnects never there.
    expect(setDone.filter((x) => handlers.includes(x))).toHaveLength(4);
    expect(setDone.filter((x) => !handlers.includes(x) && x !== 'guest1')).toHaveLength(8);
  });
});
