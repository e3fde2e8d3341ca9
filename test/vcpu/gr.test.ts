// The guest's generic requests (VbglR0GRAlloc / VbglR0GRPerform) and driver init, under the sim machine
// (no threads): allocation fill and header, the address checks before the port write, what init leaves.
import { describe, expect, test } from 'vitest';
import {
  RequestType,
  Requestor,
  Status,
  VMMDEV_MAX_VMMDEVREQ_SIZE,
  VMMDEV_REQUEST_HEADER_VERSION,
  VMMDevReqHostVersion,
  VMMDevRequestHeader,
} from '../../src/abi/index.js';
import { SimMachine } from '../../src/machine/sim-machine.js';
import type { MachineConfig } from '../../src/machine/config.js';
import { gpa } from '../../src/runtime/address.js';
import { StatsBlock } from '../../src/runtime/stats.js';
import { REQUEST_FILL, grAlloc, grFree, grPerform } from '../../src/vcpu/gr.js';
import type { GuestKernel } from '../../src/vcpu/kernel.js';
import type { Proc } from '../../src/runtime/proc.js';

const SMALL: MachineConfig = {
  vcpus: 1,
  ramBytes: 4 << 20,
  heapBytes: 256 << 10,
  hostWorkers: 1,
  commandSlots: 32,
  clientSlots: 64,
  snapshotBytes: 1 << 20,
};

/** Run one guest step machine on vCPU 0 of a fresh sim machine. */
async function runGuest<T>(
  body: (k: GuestKernel) => Proc<T>,
  config: MachineConfig = {},
): Promise<{ value: T; m: SimMachine; points: string[] }> {
  const m = await SimMachine.create({ ...SMALL, ...config }, { seed: 1 });
  const h = m.spawn('prog', 0, (_lib, k) => body(k));
  const r = m.run();
  expect(r.status).toBe('done');
  const points = r.trace.filter((t) => t.actor === 'prog').map((t) => t.what);
  return { value: h.result(), m, points };
}

function stats(m: SimMachine): StatsBlock {
  return new StatsBlock(m.shared.stats);
}

describe('VbglR0GRAlloc', () => {
  test('fills the request with 0xAA and sets up the header (rc = VERR_GENERAL_FAILURE)', async () => {
    const { value, points } = await runGuest(function* (k) {
      const a = yield* grAlloc(k, 64, RequestType.GetHostVersion);
      if (typeof a === 'number') throw new Error(`alloc failed: ${a}`);
      const H = VMMDevRequestHeader.off;
      const out = {
        aligned: a.addr % 16,
        header: [
          k.mem.readU32(a.addr, H.size),
          k.mem.readU32(a.addr, H.version),
          k.mem.readU32(a.addr, H.requestType),
          k.mem.readI32(a.addr, H.rc),
          k.mem.readU32(a.addr, H.reserved1),
          k.mem.readU32(a.addr, H.fRequestor),
        ],
        body: [...k.mem.read(gpa(a.addr + 24), 40)],
        inHeap: k.heap.info(a.addr)?.payloadBytes,
      };
      grFree(k, a.addr);
      return out;
    });
    expect(value.aligned).toBe(0);
    expect(value.header).toEqual([
      64,
      VMMDEV_REQUEST_HEADER_VERSION,
      RequestType.GetHostVersion,
      Status.VERR_GENERAL_FAILURE,
      0,
      Requestor.KERNEL | Requestor.USR_DRV,
    ]);
    expect(value.body).toEqual(Array<number>(40).fill(REQUEST_FILL));
    expect(value.inHeap).toBeGreaterThanOrEqual(64);
    expect(points).toEqual(['start', 'point guest.alloc', 'point guest.fill']);
  });

  test('stamps the requestor it is given', async () => {
    const { value } = await runGuest(function* (k) {
      const a = yield* grAlloc(k, 24, RequestType.HGCMCall64, Requestor.USERMODE | Requestor.USR_USER);
      if (typeof a === 'number') throw new Error('alloc failed');
      return k.mem.readU32(a.addr, VMMDevRequestHeader.off.fRequestor);
    });
    expect(value).toBe(0xe);
  });

  test('refuses sizes below the header, above 1 MiB, or fractional; fails with VERR_NO_MEMORY when the heap is full', async () => {
    const { value } = await runGuest(function* (k) {
      const out: (number | string)[] = [];
      for (const size of [23, VMMDEV_MAX_VMMDEVREQ_SIZE + 1, 30.5]) {
        const a = yield* grAlloc(k, size, RequestType.GetHostVersion);
        out.push(typeof a === 'number' ? a : 'allocated');
      }
      // The physical heap is 256 KiB: 1 MiB is a valid size it cannot hold.
      const big = yield* grAlloc(k, VMMDEV_MAX_VMMDEVREQ_SIZE, RequestType.GetHostVersion);
      out.push(typeof big === 'number' ? big : 'allocated');
      return out;
    });
    expect(value).toEqual([
      Status.VERR_INVALID_PARAMETER,
      Status.VERR_INVALID_PARAMETER,
      Status.VERR_INVALID_PARAMETER,
      Status.VERR_NO_MEMORY,
    ]);
  });
});

describe('VbglR0GRPerform', () => {
  test('performs the request and returns header.rc as the device left it', async () => {
    const { value } = await runGuest(function* (k) {
      const a = yield* grAlloc(k, VMMDevReqHostVersion.size, RequestType.GetHostVersion);
      if (typeof a === 'number') throw new Error('alloc failed');
      const rc = yield* grPerform(k, a.addr);
      return { rc, major: k.mem.readU16(a.addr, VMMDevReqHostVersion.off.major) };
    });
    expect(value).toEqual({ rc: Status.VINF_SUCCESS, major: 7 });
  });

  test.each([
    ['0', 0],
    ['4 GiB', 2 ** 32],
    ['above 4 GiB', 2 ** 40 + 0x1000],
  ])('address %s: VERR_VBGL_INVALID_ADDR, and no port write', async (_name, addr) => {
    const { value, m, points } = await runGuest(function* (k) {
      return yield* grPerform(k, gpa(addr));
    });
    expect(value).toBe(Status.VERR_VBGL_INVALID_ADDR);
    expect(points).not.toContain('point guest.portWrite');
    // Only driver init's two requests (ReportGuestInfo, GetHostVersion) ever reached the device.
    expect(stats(m).get('device.requests')).toBe(2);
  });
});

describe('driver initialisation (vbg_core_init / vgdrvInitDevExt)', () => {
  test('reports the guest, records the host features, and is marked initialised', async () => {
    const m = await SimMachine.create(SMALL, { seed: 2 });
    const k = m.kernel(0);
    expect(k.initialised).toBe(true);
    expect(k.hostFeatures).toBe(0x8000000f);
    // vbox-7.0 allocates a Cancel2 per cancel and acks IRQs on the fast port.
    expect(k.cancelRequest).toBeUndefined();
    expect(k.ackRequest).toBeUndefined();
    // ReportGuestInfo and GetHostVersion, nothing else.
    expect(stats(m).get('device.requests')).toBe(2);
    k.heap.check();
    expect(k.heap.stats().liveBlocks).toBe(0);
  });

  test('the Linux flavour keeps a preallocated Cancel2 request and an AcknowledgeEvents request', async () => {
    const m = await SimMachine.create({ ...SMALL, guest: { flavor: 'linux' } }, { seed: 2 });
    const k = m.kernel(0);
    expect(k.cancelRequest).not.toBeUndefined();
    expect(k.ackRequest).not.toBeUndefined();
    expect(k.mem.readU32(k.cancelRequest!, VMMDevRequestHeader.off.requestType)).toBe(
      RequestType.HGCMCancel2,
    );
    expect(k.mem.readU32(k.ackRequest!, VMMDevRequestHeader.off.requestType)).toBe(
      RequestType.AcknowledgeEvents,
    );
  });

  test('a host without the fast IRQ ack feature makes the ISR use a request', async () => {
    const m = await SimMachine.create({ ...SMALL, hostFeatures: 0xf }, { seed: 2 });
    expect(m.kernel(0).hostFeatures).toBe(0xf);
    expect(m.kernel(0).ackRequest).not.toBeUndefined();
  });
});
