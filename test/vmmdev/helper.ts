// The device test helper: a machine's shared memory created in this process, the device's request
// handler run inline (runSync, no threads), host workers pumped inline through the real HostWorker loop
// and completion path, request-image builders, and expectStatus / expectBytes.
import { expect } from 'vitest';
import {
  HGCM_SERVICE_NAME_MAX,
  HGCMFunctionParameter32,
  HGCMFunctionParameter64,
  HgcmLocation,
  HGCMPageListInfo,
  RequestType,
  Status,
  statusName,
  VMMDEV_REQUEST_HEADER_VERSION,
  VMMDEV_VERSION,
  VMMDevHGCMCall,
  VMMDevHGCMCancel2,
  VMMDevHGCMConnect,
  VMMDevHGCMDisconnect,
  VMMDevHGCMRequestHeader,
  VMMDevReportGuestInfo,
  VMMDevRequestHeader,
  ParmType,
  VmmDevEvent,
} from '../../src/abi/index.js';
import { buildRegistry, loadService } from '../../src/hgcm/registry.js';
import { attachDeviceEnv, attachHostEnv, createShared, hostWorker } from '../../src/machine/assemble.js';
import { resolveConfig, type MachineConfig, type MachineShared } from '../../src/machine/config.js';
import { gpa } from '../../src/runtime/address.js';
import { ByteView } from '../../src/runtime/bytes.js';
import { Bus } from '../../src/vmmdev/bus-layout.js';
import type { GuestMemory } from '../../src/runtime/guest-memory.js';
import {
  runSync,
  type PointEffect,
  type Proc,
  type ThreadExecOptions,
  type WaitEffect,
} from '../../src/runtime/proc.js';
import type { StatsBlock } from '../../src/runtime/stats.js';
import { guestMap, type GuestMap } from '../../src/vcpu/layout.js';
import type { DeviceBus } from '../../src/vmmdev/bus.js';
import type { CommandTable } from '../../src/vmmdev/commands.js';
import type { DeviceEnv } from '../../src/vmmdev/device-env.js';
import { handleRequest } from '../../src/vmmdev/device.js';

// ---------------------------------------------------------------------------------------------------------
// Request images (host-side bytes; write them into guest RAM with Harness.write).

/** A request image of `size` bytes with a valid header; the body is filled with `fill`. */
export function requestImage(type: number, size: number, fill = 0): ByteView {
  const v = new ByteView(new Uint8Array(size).fill(fill));
  const H = VMMDevRequestHeader.off;
  if (size >= 24) {
    v.setU32(H.size, size);
    v.setU32(H.version, VMMDEV_REQUEST_HEADER_VERSION);
    v.setU32(H.requestType, type);
    v.setI32(H.rc, Status.VERR_GENERAL_FAILURE);
    v.setU32(H.reserved1, 0);
    v.setU32(H.fRequestor, 0);
  }
  return v;
}

/** An HGCM request image (connect, disconnect, call, cancel): flags 0, result VINF_SUCCESS. */
export function hgcmImage(type: number, size: number, fill = 0): ByteView {
  const v = requestImage(type, size, fill);
  if (size >= 32) {
    v.setU32(VMMDevHGCMRequestHeader.off.fu32Flags, 0);
    v.setI32(VMMDevHGCMRequestHeader.off.result, Status.VINF_SUCCESS);
  }
  return v;
}

/** Options of an HGCM call image. */
export interface CallImage {
  /** HGCMCall64 (default) or HGCMCall32. */
  readonly type?: number;
  readonly clientId?: number;
  readonly fn?: number;
  readonly cParms: number;
  /** Bytes after the parameter array (page lists, embedded data). */
  readonly extra?: number;
  /** Override the total size (header.size and the image length). */
  readonly size?: number;
}

/** Size of one parameter in a call of `type`. */
export function parmSize(type: number = RequestType.HGCMCall64): number {
  return type === RequestType.HGCMCall32 ? HGCMFunctionParameter32.size : HGCMFunctionParameter64.size;
}

/** Offset of parameter i. */
export function parmOff(i: number, type: number = RequestType.HGCMCall64): number {
  return VMMDevHGCMCall.size + i * parmSize(type);
}

/** Offset of the first byte after the parameters (upstream's offExtra). */
export function extraOff(cParms: number, type: number = RequestType.HGCMCall64): number {
  return parmOff(cParms, type);
}

/** A VMMDevHGCMCall image; parameters all Invalid (0) until set. */
export function callImage(o: CallImage): ByteView {
  const type = o.type ?? RequestType.HGCMCall64;
  const size = o.size ?? extraOff(o.cParms, type) + (o.extra ?? 0);
  const v = hgcmImage(type, size);
  const L = VMMDevHGCMCall.off;
  if (size >= VMMDevHGCMCall.size) {
    v.setU32(L.u32ClientID, o.clientId ?? 1);
    v.setU32(L.u32Function, o.fn ?? 1);
    v.setU32(L.cParms, o.cParms);
  }
  return v;
}

/** Write parameter i: its type, the u32 at +4 and the u32 (or, 64-bit, u64 when a bigint) at +8. */
export function setParm(
  v: ByteView,
  i: number,
  p: { type: number; w4?: number; w8?: number | bigint },
  callType: number = RequestType.HGCMCall64,
): void {
  const at = parmOff(i, callType);
  v.setU32(at, p.type);
  if (p.w4 !== undefined) v.setU32(at + 4, p.w4);
  if (typeof p.w8 === 'bigint') v.setU64(at + 8, p.w8);
  else if (p.w8 !== undefined) v.setU32(at + 8, p.w8);
}

/** Write an HGCMPageListInfo at `off`. */
export function setPageList(
  v: ByteView,
  off: number,
  p: { flags: number; offFirst: number; cPages: number; pages: readonly (number | bigint)[] },
): void {
  const L = HGCMPageListInfo.off;
  v.setU32(off + L.flags, p.flags);
  v.setU16(off + L.offFirstPage, p.offFirst);
  v.setU16(off + L.cPages, p.cPages);
  for (const [i, page] of p.pages.entries()) v.setU64(off + L.aPages + 8 * i, BigInt(page));
}

/** A VMMDevHGCMConnect image naming `service` (NUL-terminated, zero-padded); u32ClientID = `clientIdIn`. */
export function connectImage(service: string | Uint8Array, clientIdIn = 0): ByteView {
  const v = hgcmImage(RequestType.HGCMConnect, VMMDevHGCMConnect.size);
  v.setU32(VMMDevHGCMConnect.off.locType, HgcmLocation.LocalHost_Existing);
  const name = typeof service === 'string' ? new TextEncoder().encode(service) : service;
  v.bytes.set(name.subarray(0, HGCM_SERVICE_NAME_MAX), VMMDevHGCMConnect.off.locName);
  v.setU32(VMMDevHGCMConnect.off.u32ClientID, clientIdIn);
  return v;
}

/** A VMMDevHGCMDisconnect image. */
export function disconnectImage(clientId: number): ByteView {
  const v = hgcmImage(RequestType.HGCMDisconnect, VMMDevHGCMDisconnect.size);
  v.setU32(VMMDevHGCMDisconnect.off.u32ClientID, clientId);
  return v;
}

/** A VMMDevHGCMCancel2 image (a plain request header plus the address). */
export function cancel2Image(phys: number, size: number = VMMDevHGCMCancel2.size): ByteView {
  const v = requestImage(RequestType.HGCMCancel2, size);
  if (size >= VMMDevHGCMCancel2.size) v.setU32(VMMDevHGCMCancel2.off.physReqToCancel, phys);
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// The harness.

/** Drives a step machine inline until it waits for something that does not hold yet. */
class Pump {
  private readonly proc: Proc<unknown>;
  private parked: WaitEffect | undefined;
  private started = false;
  constructor(proc: Proc<unknown>) {
    this.proc = proc;
  }
  /** Run until parked; returns the number of effects it went through. */
  run(): number {
    let n = 0;
    if (this.parked !== undefined && !this.parked.until()) return 0;
    let input: 'ok' | undefined = this.started ? 'ok' : undefined;
    this.started = true;
    this.parked = undefined;
    for (;;) {
      const r = this.proc.next(input);
      if (r.done === true) throw new Error('host worker loop returned');
      n++;
      const e = r.value;
      if (e.k === 'point') {
        input = undefined;
      } else if (e.until()) {
        input = 'ok';
      } else {
        this.parked = e;
        return n;
      }
    }
  }
}

/** A device with its whole host side in this process, nothing on other threads. */
export interface Harness {
  readonly shared: MachineShared;
  readonly dev: DeviceEnv;
  readonly mem: GuestMemory;
  readonly bus: DeviceBus;
  readonly cmds: CommandTable;
  readonly stats: StatsBlock;
  readonly map: GuestMap;
  /** Start of program memory past the data heap's control block: tests put requests from here on. */
  readonly base: number;
  /** Virtual clock of the device and host (ms); tests move it. */
  readonly clock: { t: number; now(): number };
  /** Timers services set (ctx.setTimer), in order; fire them with fireTimers(). */
  readonly timers: { at: number; fn: () => void }[];
  readonly logs: string[];
  /** Executor options (fake clock, no spinning). */
  readonly exec: ThreadExecOptions;
  /** Write a request image into guest RAM. */
  write(addr: number, image: ByteView | Uint8Array): void;
  /** The port write: run the device's handler for a request at `addr`, inline. */
  submit(addr: number, opts?: { vcpu?: number; onPoint?: (p: PointEffect) => void }): void;
  /** Run the host workers inline until the dispatch ring is empty and they all wait. */
  host(): void;
  /** Fire every timer due at the current clock (then run the host again). */
  fireTimers(): void;
  /** Let the additions in with a real ReportGuestInfo request (at the end of program memory). */
  reportGuestInfo(version?: number): number;
  /** Connect to `service` with a request at `addr` and run the host: the new client id (throws on failure). */
  connect(addr: number, service: string): number;
}

/** Small machine defaults for unit tests. */
export const HARNESS_CONFIG: MachineConfig = {
  vcpus: 2,
  ramBytes: 1 << 20,
  heapBytes: 64 << 10,
  hostWorkers: 2,
  commandSlots: 16,
  clientSlots: 16,
  snapshotBytes: 1 << 20,
};

/** Build a harness with the built-in services (echo, noop, delay) unless the config says otherwise. */
export async function createHarness(config: MachineConfig = {}): Promise<Harness> {
  const resolved = resolveConfig({ ...HARNESS_CONFIG, ...config });
  const specs = await buildRegistry(resolved.services, resolved.clientSlots);
  const services = await Promise.all(specs.map((s) => loadService(s.module, s.export)));
  const shared = createShared(resolved, specs);
  const logs: string[] = [];
  const clock = {
    t: 0,
    now(): number {
      return clock.t;
    },
  };
  const exec: ThreadExecOptions = { clock, spin: 0, spinLong: 0 };
  const dev = attachDeviceEnv(shared, clock, (l) => logs.push(`device: ${l}`));
  const map = guestMap(resolved.ramBytes, resolved.heapBytes);
  const timers: { at: number; fn: () => void }[] = [];
  const pumps: Pump[] = [];
  for (let w = 0; w < resolved.hostWorkers; w++) {
    const env = attachHostEnv(shared);
    const worker = hostWorker(shared, w, env, services, {
      clock,
      // Completions from timers run to the end at once, as on a pool worker.
      spawn: (proc) => void runSync(proc, exec),
      setTimer: (ms, fn) => void timers.push({ at: clock.t + ms, fn }),
      // Checked on the harness's timer tick (no service these tests load watches).
      watch: (cell, seen, fn) => {
        const check = (): void => {
          if (cell.load() !== seen) fn();
          else timers.push({ at: clock.t + 1, fn: check });
        };
        timers.push({ at: clock.t, fn: check });
      },
      log: (l) => logs.push(`host${w}: ${l}`),
    });
    pumps.push(new Pump(worker.run()));
  }

  const h: Harness = {
    shared,
    dev,
    mem: dev.mem,
    bus: dev.bus,
    cmds: dev.cmds,
    stats: dev.stats,
    map,
    base: map.memBase + 4096,
    clock,
    timers,
    logs,
    exec,
    write(addr, image) {
      dev.mem.write(gpa(addr), image instanceof ByteView ? image.bytes : image);
    },
    submit(addr, opts = {}) {
      runSync(handleRequest(dev, opts.vcpu ?? 0, addr), { ...exec, onPoint: opts.onPoint });
    },
    host() {
      // Round-robin until nobody moves: each worker takes what is on the ring.
      for (let moved = true; moved;) {
        moved = false;
        for (const p of pumps) if (p.run() > 0) moved = true;
      }
    },
    fireTimers() {
      for (;;) {
        const i = timers.findIndex((t) => t.at <= clock.t);
        if (i < 0) break;
        const [t] = timers.splice(i, 1);
        t!.fn();
      }
      h.host();
    },
    reportGuestInfo(version = VMMDEV_VERSION) {
      const addr = resolved.ramBytes - 4096;
      const v = requestImage(RequestType.ReportGuestInfo, VMMDevReportGuestInfo.size);
      v.setU32(VMMDevReportGuestInfo.off.interfaceVersion, version);
      h.write(addr, v);
      h.submit(addr);
      return dev.mem.readI32(gpa(addr), VMMDevRequestHeader.off.rc);
    },
    connect(addr, service) {
      h.write(addr, connectImage(service));
      h.submit(addr);
      h.host();
      const result = dev.mem.readI32(gpa(addr), VMMDevHGCMRequestHeader.off.result);
      if (result !== Status.VINF_SUCCESS) throw new Error(`connect to ${service}: ${statusName(result)}`);
      return dev.mem.readU32(gpa(addr), VMMDevHGCMConnect.off.u32ClientID);
    },
  };
  // Start the workers: they take nothing yet and wait on the ring's bell.
  h.host();
  return h;
}

// ---------------------------------------------------------------------------------------------------------
// Assertions.

/** The request header's rc at `addr`. */
export function rcAt(h: Harness, addr: number): number {
  return h.mem.readI32(gpa(addr), VMMDevRequestHeader.off.rc);
}

/** The HGCM header's result at `addr`. */
export function resultAt(h: Harness, addr: number): number {
  return h.mem.readI32(gpa(addr), VMMDevHGCMRequestHeader.off.result);
}

/** The HGCM header's flags at `addr`. */
export function flagsAt(h: Harness, addr: number): number {
  return h.mem.readU32(gpa(addr), VMMDevHGCMRequestHeader.off.fu32Flags);
}

/** Expect header.rc (or the HGCM result with `field: 'result'`) at `addr` to be `status`, by name. */
export function expectStatus(h: Harness, addr: number, status: number, field: 'rc' | 'result' = 'rc'): void {
  const got = field === 'rc' ? rcAt(h, addr) : resultAt(h, addr);
  expect(statusName(got), `${field} at 0x${addr.toString(16)}`).toBe(statusName(status));
}

/** Expect guest RAM at `addr` to hold exactly `bytes`. */
export function expectBytes(
  h: Harness,
  addr: number,
  bytes: Uint8Array | ByteView | readonly number[],
): void {
  const want = bytes instanceof ByteView ? bytes.bytes : Uint8Array.from(bytes);
  expect(h.mem.read(gpa(addr), want.length), `guest bytes at 0x${addr.toString(16)}`).toEqual(want);
}

/** The image as it should be after the device wrote `rc` into the header and nothing else. */
export function withRc(image: ByteView, rc: number): Uint8Array {
  const out = new ByteView(image.bytes.slice());
  out.setI32(VMMDevRequestHeader.off.rc, rc);
  return out.bytes;
}

/** A call to `clientId` (a delay SLEEP of `ms`): stays pending until its timer fires. */
export function sleepCall(clientId: number, ms: number): ByteView {
  const v = callImage({ clientId, fn: 1, cParms: 1 });
  setParm(v, 0, { type: ParmType.U32, w4: ms });
  return v;
}

/** HGCM requests are accepted and the HGCM event is in the guest's filter mask. */
export function hgcmEnabled(h: Harness): boolean {
  return h.bus.words.load(Bus.HGCM_ENABLED) === 1 && (h.bus.filterMask & VmmDevEvent.HGCM) !== 0;
}
