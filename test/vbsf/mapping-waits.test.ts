// WAIT_FOR_MAPPINGS_CHANGES on both executors: a guest blocked in it is woken by a share the host adds and
// by one it removes (with the new version, VINF_SUCCESS), and ended by CANCEL_MAPPINGS_CHANGES_WAITS
// (VERR_CANCELLED). Under the sim the wake-up lands at the virtual instant of the host's change, before the
// waiter's slow poll could have seen it: the pool worker holding the wait is told, not polling.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ShflFn, Status as S } from '../../src/abi/index.js';
import { SimMachine } from '../../src/machine/sim-machine.js';
import { randomStrategy } from '../../src/sim/index.js';
import type { Machine } from '../../src/machine/machine.js';
import type { Proc } from '../../src/runtime/proc.js';
import { H } from '../../src/vbsf/layout.js';
import { VBSF_SERVICE_NAME } from '../../src/vbsf/index.js';
import type { GuestLib } from '../../src/vcpu/guest-lib.js';
import type { GuestKernel } from '../../src/vcpu/kernel.js';
import { sfFastCall } from '../../src/vboxsf/host-req.js';
import * as sf from '../../src/vboxsf/wrappers.js';
import { WAIT_POLL_MS } from '../../src/vbsf/waits.js';
import { tempShare, type TempShare } from './helpers/fake-host.js';
import { runProgram, startRig, type Rig } from './helpers/machine.js';

/** Mapping waiters pending in the service (god's-eye, from its shared memory). */
function waiters(shared: {
  services: readonly { name: string; shared: SharedArrayBuffer | undefined }[];
}): number {
  const sab = shared.services.find((s) => s.name === VBSF_SERVICE_NAME)!.shared!;
  return Atomics.load(new Int32Array(sab), H.WAITERS);
}

describe('threads', () => {
  let rig: Rig;
  let extra = '';
  beforeAll(async () => {
    rig = await startRig({ vcpus: 2 });
    extra = path.join(rig.t.base, 'extra');
    fs.mkdirSync(extra);
  });
  afterAll(async () => {
    await rig?.stop();
  });

  /** Block a guest in WAIT_FOR_MAPPINGS_CHANGES, then `change` the shares on the host. */
  async function wokenBy(
    change: (m: Machine) => Promise<unknown>,
  ): Promise<{ first: number; rc: number; version: number }> {
    const sab = new SharedArrayBuffer(4);
    const run = runProgram<{ first: { version: number }; second: { rc: number; version: number } }>(
      rig,
      'waits.ts',
      'waitBlocked',
      { share: 'share', sab },
    );
    // Until the wait is held by the service, not merely on its way. No deadline of its own (10 000 polls
    // of a millisecond were a clock in disguise): the test's limit stops a wait that never comes.
    while (waiters(rig.m.sharedMemory) === 0) await new Promise((r) => setTimeout(r, 1));
    expect(waiters(rig.m.sharedMemory)).toBe(1);
    await change(rig.m);
    const r = await run;
    expect(waiters(rig.m.sharedMemory)).toBe(0);
    return { first: r.first.version, rc: r.second.rc, version: r.second.version };
  }

  test('a host add wakes a blocked wait with the new version', async () => {
    const r = await wokenBy((m) => m.shares.add({ name: 'extra', hostPath: extra }));
    expect(r.rc).toBe(S.VINF_SUCCESS);
    expect(r.version).toBe(r.first + 1);
  });

  test('a host remove wakes a blocked wait with the new version', async () => {
    const r = await wokenBy((m) => m.shares.remove('extra'));
    expect(r.rc).toBe(S.VINF_SUCCESS);
    expect(r.version).toBe(r.first + 1);
  });
});

describe('sim', () => {
  let t: TempShare;
  beforeAll(() => {
    t = tempShare('vbsf-sim-');
    fs.mkdirSync(path.join(t.base, 'extra'));
  });
  afterAll(() => t.cleanup());

  /** A UTF-8 SHFLSTRING in the guest's program memory. */
  function name(k: GuestKernel, text: string): { addr: number; size: number } {
    const b = Buffer.alloc(4 + text.length + 1);
    b.writeUInt16LE(text.length + 1, 0);
    b.writeUInt16LE(text.length, 2);
    b.write(text, 4);
    const a = k.data.alloc(b.length)!;
    k.mem.write(a.addr, b);
    return { addr: a.addr, size: b.length };
  }

  interface Waited {
    first: number;
    rc: number;
    version: number;
    at: number;
  }

  /** Mount, learn the version (a stale wait), publish the client, wait for a change. */
  function* waiter(lib: GuestLib, k: GuestKernel, out: { client: number }): Proc<Waited> {
    const c = yield* sf.vboxConnect(lib);
    yield* sf.vboxCallSetUtf8(lib, c.clientId);
    yield* sf.vboxCallMapFolder(lib, c.clientId, name(k, 'share'), 0x2f, true);
    const first = yield* sf.vboxCallWaitForMappingsChanges(lib, c.clientId, 0xdeadbeef);
    out.client = c.clientId;
    const second = yield* sf.vboxCallWaitForMappingsChanges(lib, c.clientId, first.version);
    return { first: first.version, rc: second.rc, version: second.version, at: k.clock.now() };
  }

  /**
   * One machine, one waiter; at virtual time `at` (not a multiple of the poll period), `act` runs from a sim
   * timer. Returns what the waiter saw, how many waits the service held when `act` ran, and the run.
   */
  async function scenario(
    seed: number,
    act: (m: SimMachine, client: number) => void,
  ): Promise<{ w: Waited; heldAtAct: number; actAt: number; hash: string }> {
    const m = await SimMachine.create(
      { vcpus: 2, hostWorkers: 2, sharedFolders: [{ name: 'share', hostPath: t.share }] },
      { seed },
    );
    const out = { client: 0 };
    const w = m.spawn('waiter', 0, (lib, k) => waiter(lib, k, out));
    let heldAtAct = -1;
    const actAt = 1000 + WAIT_POLL_MS / 2;
    m.sim.setTimer(actAt, () => {
      heldAtAct = waiters(m.shared);
      act(m, out.client);
    });
    const r = m.run();
    expect(r.status).toBe('done');
    return { w: w.result(), heldAtAct, actAt, hash: r.hash };
  }

  const extraDir = (): string => path.join(t.base, 'extra');

  test('a host add wakes the wait at the instant of the add, on any interleaving', async () => {
    const runs = [];
    for (const seed of [1, 2, 3]) {
      const r = await scenario(seed, (m) => void m.shares.add({ name: 'extra', hostPath: extraDir() }));
      expect(r.heldAtAct).toBe(1);
      expect(r.w.rc).toBe(S.VINF_SUCCESS);
      expect(r.w.version).toBe(r.w.first + 1);
      expect(r.w.at).toBe(r.actAt);
      runs.push(r);
    }
    expect(new Set(runs.map((r) => r.hash)).size).toBeGreaterThan(1);
    // The same seed, the same run.
    expect((await scenario(2, (m) => void m.shares.add({ name: 'extra', hostPath: extraDir() }))).hash).toBe(
      runs[1]!.hash,
    );
  });

  test('a host remove wakes the wait at the instant of the remove', async () => {
    const m0 = await SimMachine.create(
      {
        vcpus: 1,
        hostWorkers: 2,
        sharedFolders: [
          { name: 'share', hostPath: t.share },
          { name: 'extra', hostPath: extraDir() },
        ],
      },
      { seed: 7 },
    );
    const out = { client: 0 };
    const w = m0.spawn('waiter', 0, (lib, k) => waiter(lib, k, out));
    let held = -1;
    m0.sim.setTimer(1000.5, () => {
      held = waiters(m0.shared);
      void m0.shares.remove('extra');
    });
    expect(m0.run().status).toBe('done');
    const r = w.result();
    expect(held).toBe(1);
    expect([r.rc, r.version, r.at]).toEqual([S.VINF_SUCCESS, r.first + 1, 1000.5]);
    expect(m0.shares.list().map((s) => s.name)).toEqual(['share']);
  });

  test('a recyclable machine reset after a woken wait runs it again as a fresh machine does', async () => {
    // The wake-up goes through a watch actor (ServiceContext.watch) and the service's own memory of it;
    // reset() must drop both, so the next run names and schedules its watch as a fresh machine would.
    const config = { vcpus: 2, hostWorkers: 2, sharedFolders: [{ name: 'share', hostPath: t.share }] };
    const once = async (m: SimMachine): Promise<{ w: Waited; trace: string; hash: string }> => {
      m.sim.setStrategy(randomStrategy(9));
      m.sim.reconfigure({ trace: true });
      const out = { client: 0 };
      const w = m.spawn('waiter', 0, (lib, k) => waiter(lib, k, out));
      let added: Promise<unknown> = Promise.resolve();
      m.sim.setTimer(1000 + WAIT_POLL_MS / 2, () => {
        added = m.shares.add({ name: 'extra', hostPath: extraDir() });
      });
      const r = m.run();
      expect(r.status).toBe('done');
      // The add checks its outcome after its host call: let it, before a reset takes the share away.
      await added;
      const trace = r.trace.map((s) => `${s.actor} ${s.what} ${s.at}`).join('\n');
      return { w: w.result(), trace, hash: r.hash };
    };
    const fresh = await once(await SimMachine.create(config, { seed: 9, recyclable: true }));
    expect(fresh.trace).toMatch(/^watch#0 /m);
    const reused = await SimMachine.create(config, { seed: 9, recyclable: true });
    for (let i = 0; i < 3; i++) {
      const again = await once(reused);
      expect(again).toEqual(fresh);
      reused.reset();
    }
  });

  test('CANCEL_MAPPINGS_CHANGES_WAITS from another vCPU ends the wait with VERR_CANCELLED', async () => {
    let cancelRc = 1;
    const r = await scenario(5, (m, client) => {
      m.spawn('canceller', 1, function* (_lib, k) {
        cancelRc = (yield* sfFastCall(k, client, ShflFn.CANCEL_MAPPINGS_CHANGES_WAITS, [])).rc;
      });
    });
    expect(r.heldAtAct).toBe(1);
    expect(cancelRc).toBe(S.VINF_SUCCESS);
    expect(r.w.rc).toBe(S.VERR_CANCELLED);
    expect(r.w.version).toBe(r.w.first);
    expect(r.w.at).toBeLessThan(r.actAt + WAIT_POLL_MS);
  });
});
