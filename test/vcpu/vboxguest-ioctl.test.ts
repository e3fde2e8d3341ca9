// VBoxGuest's HGCM ioctls under the sim machine (no threads): the checks vgdrvIoCtl_HGCMCall makes before
// the guest library sees a call (none of them reaches the host), and the session's 64 client-id slots.
import { describe, expect, test } from 'vitest';
import {
  HGCMFunctionParameter64,
  ParmType,
  Status,
  VBGLIOCHGCMCALL,
  VBGLREQHDR,
  VBGLREQHDR_VERSION,
  VBOXGUEST_SESSION_MAX_CLIENTS,
  RT_INDEFINITE_WAIT,
} from '../../src/abi/index.js';
import { ClientTable } from '../../src/hgcm/clients.js';
import type { MachineConfig } from '../../src/machine/config.js';
import { SimMachine } from '../../src/machine/sim-machine.js';
import type { GuestAddress } from '../../src/runtime/address.js';
import { StatsBlock } from '../../src/runtime/stats.js';
import type { GuestKernel } from '../../src/vcpu/kernel.js';
import { Session, ioctlHgcmCall, ioctlHgcmDisconnect } from '../../src/vcpu/vboxguest.js';

const SMALL: MachineConfig = {
  vcpus: 1,
  ramBytes: 4 << 20,
  heapBytes: 512 << 10,
  hostWorkers: 1,
  commandSlots: 32,
  clientSlots: 256,
  snapshotBytes: 1 << 20,
};

const PARM = HGCMFunctionParameter64.size;

/** Fields of a VBGLIOCHGCMCALL to write (defaults: a valid call of `cParms` U32 parameters). */
interface Info {
  cbIn?: number;
  cbOut?: number;
  version?: number;
  clientId: number;
  cParms?: number;
}

/** Build a VBGLIOCHGCMCALL in program memory; returns its address and size. */
function buildInfo(k: GuestKernel, o: Info): { info: GuestAddress; cb: number } {
  const cParms = o.cParms ?? 1;
  const cb = VBGLIOCHGCMCALL.size + Math.min(cParms, 40) * PARM;
  const a = k.data.alloc(cb)!;
  const { mem } = k;
  mem.fill(a.addr, cb, 0);
  mem.writeU32(a.addr, VBGLREQHDR.off.cbIn, o.cbIn ?? cb);
  mem.writeU32(a.addr, VBGLREQHDR.off.uVersion, o.version ?? VBGLREQHDR_VERSION);
  mem.writeI32(a.addr, VBGLREQHDR.off.rc, Status.VERR_INTERNAL_ERROR);
  mem.writeU32(a.addr, VBGLREQHDR.off.cbOut, o.cbOut ?? cb);
  mem.writeU32(a.addr, VBGLIOCHGCMCALL.off.u32ClientID, o.clientId);
  mem.writeU32(a.addr, VBGLIOCHGCMCALL.off.u32Function, 2); // echo VALUES
  mem.writeU32(a.addr, VBGLIOCHGCMCALL.off.cMsTimeout, RT_INDEFINITE_WAIT);
  mem.writeU16(a.addr, VBGLIOCHGCMCALL.off.cParms, cParms);
  for (let i = 0; i < Math.min(cParms, 40); i++) {
    mem.writeU32(a.addr, VBGLIOCHGCMCALL.size + i * PARM, ParmType.U32);
  }
  return { info: a.addr, cb };
}

async function machine(): Promise<SimMachine> {
  return SimMachine.create(SMALL, { seed: 11 });
}

function requests(m: SimMachine): number {
  return new StatsBlock(m.shared.stats).get('device.requests');
}

describe('vgdrvIoCtl_HGCMCall checks (no host round trip)', () => {
  /** Connect to echo in the program's session, then make the ioctl described by `o`. */
  async function ioctl(
    make: (clientId: number) => Info & { cbData?: number },
  ): Promise<{ rc: number; sync: boolean; requestsDuringIoctl: number; result: number }> {
    const m = await machine();
    const h = m.spawn('prog', 0, function* (lib, k) {
      const c = yield* lib.connect('echo');
      const o = make(c.clientId);
      const { info, cb } = buildInfo(k, o);
      const before = requests(m);
      const r = yield* ioctlHgcmCall(k, lib.session, info, o.cbData ?? cb);
      return {
        rc: r.rc,
        sync: r.sync,
        result: k.mem.readI32(info, VBGLREQHDR.off.rc),
        requestsDuringIoctl: requests(m) - before,
      };
    });
    expect(m.run().status).toBe('done');
    return h.result();
  }

  test('a valid call goes to the host and its result comes back in Hdr.rc', async () => {
    const r = await ioctl((id) => ({ clientId: id }));
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.result).toBe(Status.VINF_SUCCESS);
    expect(r.requestsDuringIoctl).toBeGreaterThanOrEqual(1);
  });

  test.each([
    ['a buffer smaller than VBGLIOCHGCMCALL', (id: number) => ({ clientId: id, cbData: 39 })],
    ['a wrong header version', (id: number) => ({ clientId: id, version: 0x10000 })],
    ['cbIn below 40', (id: number) => ({ clientId: id, cbIn: 39, cParms: 0 })],
    ['cbIn above the buffer', (id: number) => ({ clientId: id, cbIn: 40 + PARM + 1 })],
    ['cbOut neither 0 nor cbIn', (id: number) => ({ clientId: id, cbOut: 40 })],
    ['cParms above 32 (room for them)', (id: number) => ({ clientId: id, cParms: 33 })],
    ['cbIn too small for cParms', (id: number) => ({ clientId: id, cParms: 2, cbIn: 40 + PARM, cbOut: 0 })],
  ])('%s: VERR_INVALID_PARAMETER', async (_name, make) => {
    const r = await ioctl(make);
    expect(r.rc).toBe(Status.VERR_INVALID_PARAMETER);
    expect(r.sync).toBe(true);
    expect(r.requestsDuringIoctl).toBe(0);
  });

  test('cbOut 0 means cbIn', async () => {
    const r = await ioctl((id) => ({ clientId: id, cbOut: 0 }));
    expect(r.rc).toBe(Status.VINF_SUCCESS);
  });

  test.each([
    ['not in the session', (id: number) => id + 1],
    ['0xFFFFFFFF (a busy slot marker) with no disconnect running', () => 0xffffffff],
  ])('a client id %s: VERR_INVALID_HANDLE', async (_name, pick) => {
    const r = await ioctl((id) => ({ clientId: pick(id) }));
    expect(r.rc).toBe(Status.VERR_INVALID_HANDLE);
    expect(r.requestsDuringIoctl).toBe(0);
  });

  test('client id 0 matches a free slot, as upstream: the host refuses it (VERR_INVALID_PARAMETER)', async () => {
    const r = await ioctl(() => ({ clientId: 0 }));
    expect(r.rc).toBe(Status.VERR_INVALID_PARAMETER);
    expect(r.requestsDuringIoctl).toBe(1);
  });

  test("another session's client is not this session's", async () => {
    const m = await machine();
    const a = m.spawn('a', 0, function* (lib) {
      const c = yield* lib.connect('echo');
      const s2 = Session.open(lib.k, false);
      if (typeof s2 === 'number') throw new Error('no session');
      const { info, cb } = buildInfo(lib.k, { clientId: c.clientId });
      const other = yield* ioctlHgcmCall(lib.k, s2, info, cb);
      const mine = yield* ioctlHgcmCall(lib.k, lib.session, info, cb);
      lib.k.heap.free(s2.addr);
      return [other.rc, mine.rc];
    });
    m.run();
    expect(a.result()).toEqual([Status.VERR_INVALID_HANDLE, Status.VINF_SUCCESS]);
  });
});

describe('session client slots (aHGCMClientIds[64])', () => {
  test('64 clients fit; the 65th connect is disconnected again and fails with VERR_TOO_MANY_OPEN_FILES', async () => {
    const m = await machine();
    const clients = ClientTable.attach(m.shared.clients);
    let liveAt65 = -1;
    const h = m.spawn('prog', 0, function* (lib) {
      const rcs: number[] = [];
      for (let i = 0; i <= VBOXGUEST_SESSION_MAX_CLIENTS; i++) rcs.push((yield* lib.connect('noop')).rc);
      liveAt65 = clients.liveSlots().length;
      return { rcs, registered: lib.session.clients(lib.k).length };
    });
    const r = m.run();
    expect(r.status).toBe('done');
    const { rcs, registered } = h.result();
    expect(rcs.slice(0, 64).every((rc) => rc === Status.VINF_SUCCESS)).toBe(true);
    expect(rcs[64]).toBe(Status.VERR_TOO_MANY_OPEN_FILES);
    expect(registered).toBe(64);
    // The host client of the 65th connect was disconnected again.
    expect(liveAt65).toBe(64);
    // Closing the session (when the program returned) disconnected the rest.
    expect(clients.liveSlots()).toEqual([]);
  });

  test('a disconnect frees its slot; ids outside the session are refused without a host round trip', async () => {
    const m = await machine();
    const h = m.spawn('prog', 0, function* (lib, k) {
      const c = yield* lib.connect('echo');
      const before = requests(m);
      const foreign = yield* ioctlHgcmDisconnect(k, lib.session, c.clientId + 7);
      const zero = yield* ioctlHgcmDisconnect(k, lib.session, 0);
      const busy = yield* ioctlHgcmDisconnect(k, lib.session, 0xffffffff);
      const refusedWithoutHost = requests(m) === before;
      const ok = yield* lib.disconnect(c.clientId);
      const again = yield* lib.disconnect(c.clientId);
      return { foreign, zero, busy, refusedWithoutHost, ok, again, left: lib.session.clients(k) };
    });
    m.run();
    expect(h.result()).toEqual({
      foreign: Status.VERR_INVALID_HANDLE,
      zero: Status.VERR_INVALID_HANDLE,
      busy: Status.VERR_INVALID_HANDLE,
      refusedWithoutHost: true,
      ok: Status.VINF_SUCCESS,
      again: Status.VERR_INVALID_HANDLE,
      left: [],
    });
  });
});
