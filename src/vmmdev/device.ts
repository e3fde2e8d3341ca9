// VMMDev's request handling; models vmmdevRequestHandler (header checks, the additions gate, the one copy
// of the request, write-back) and vmmdevReqDispatcher (one handler per request type, in requests/). Runs on
// the thread handling a port write: the vCPU that wrote it, under the device's request lock (device
// 'emt', as an EMT runs its `out`), or the device thread, which waits on the doorbell (device 'thread').
import {
  RequestType,
  Status,
  VMMDEV_MAX_VMMDEVREQ_SIZE,
  VMMDEV_REQUEST_HEADER_VERSION,
  VMMDevHGCMRequestHeader,
  VMMDevRequestHeader,
} from '../abi/index.js';
import {
  ByteView,
  gpa,
  lock,
  point,
  type Proc,
  returning,
  traced,
  unlock,
  waitFor,
} from '../runtime/index.js';
import type { PortWriteHandler } from './bus.js';
import { DeviceState } from './bus-layout.js';
import type { DeviceEnv, HandlerResult, RequestCtx, RequestHandler } from './device-env.js';
import { acknowledgeEvents } from './requests/acknowledge-events.js';
import { ctlGuestFilterMask } from './requests/ctl-guest-filter-mask.js';
import { getHostVersion } from './requests/get-host-version.js';
import { hgcmCall } from './requests/hgcm-call.js';
import { hgcmCancel } from './requests/hgcm-cancel.js';
import { hgcmCancel2 } from './requests/hgcm-cancel2.js';
import { hgcmConnect } from './requests/hgcm-connect.js';
import { hgcmDisconnect } from './requests/hgcm-disconnect.js';
import { idle } from './requests/idle.js';
import { reportGuestInfo } from './requests/report-guest-info.js';

/** The request handlers, one line per request type. */
const handlers: ReadonlyMap<number, RequestHandler> = new Map<number, RequestHandler>([
  [RequestType.GetHostVersion, getHostVersion],
  [RequestType.Idle, idle],
  [RequestType.AcknowledgeEvents, acknowledgeEvents],
  [RequestType.CtlGuestFilterMask, ctlGuestFilterMask],
  [RequestType.ReportGuestInfo, reportGuestInfo],
  [RequestType.HGCMConnect, hgcmConnect],
  [RequestType.HGCMDisconnect, hgcmDisconnect],
  [RequestType.HGCMCall32, hgcmCall],
  [RequestType.HGCMCall64, hgcmCall],
  [RequestType.HGCMCancel, hgcmCancel],
  [RequestType.HGCMCancel2, hgcmCancel2],
]);

/** Request types allowed before the additions reported a supported interface version. */
const BEFORE_ADDITIONS: ReadonlySet<number> = new Set([
  RequestType.ReportGuestInfo,
  RequestType.ReportGuestInfo2,
  RequestType.WriteCoreDump,
  RequestType.GetHostVersion,
]);

/** Types that become HGCM commands: their snapshot lives in the shared arena and "ASYNC" is pre-written. */
function isHgcmCommand(type: number): boolean {
  return type >= RequestType.HGCMConnect && type <= RequestType.HGCMCall64;
}

/** Types whose image has the HGCM header (fu32Flags at 24). */
function hasHgcmHeader(type: number): boolean {
  return type >= RequestType.HGCMConnect && type <= RequestType.HGCMCancel;
}

/**
 * The device thread's loop: runs until stop is requested. `scratch`: the thread's request buffers (a sim
 * machine keeps one across the device actors it starts run after run).
 */
export function* deviceLoop(dev: DeviceEnv, scratch: RequestScratch = new RequestScratch()): Proc<void> {
  const { bus } = dev;
  bus.setState(DeviceState.RUNNING);
  for (;;) {
    // ORDER: read the doorbell before scanning: a port write after the scan bumps it, so the wait below
    // returns at once instead of missing it.
    const seen = bus.doorbell.load();
    for (let vcpu = 0; vcpu < bus.vcpus; vcpu++) {
      const pw = bus.pendingPortWrite(vcpu);
      if (pw === undefined) continue;
      yield* handleRequest(dev, vcpu, pw.phys, scratch);
      bus.ackPortWrite(vcpu, pw.seq);
    }
    if (bus.stopRequested) break;
    yield point('device.doorbell');
    yield waitFor(bus.doorbell, () => bus.doorbell.load() !== seen, { hint: 'idle' });
  }
  bus.setState(DeviceState.STOPPED);
}

/**
 * The port write handled on the writing vCPU's thread (device 'emt'): vmmdevRequestHandler runs on the
 * EMT that did the `out`, under the device's lock, as upstream runs it under PDM's device critsect. No
 * device thread, no doorbell, no wake-up: the request is handled when the port write returns.
 */
export function emtPortWrites(dev: DeviceEnv): PortWriteHandler {
  const scratch = new RequestScratch();
  const lockCell = dev.bus.requestLock;
  return function* (vcpu: number, phys: number): Proc<void> {
    yield* lock(lockCell);
    try {
      yield* handleRequest(dev, vcpu, phys, scratch);
    } finally {
      unlock(lockCell);
    }
  };
}

/**
 * A thread's reusable host buffers: the request header's copy (with its view: no allocation and no
 * DataView per request) and the body of requests that do not become commands.
 */
export class RequestScratch {
  readonly header = new ByteView(new Uint8Array(VMMDevRequestHeader.size));
  private buf = new Uint8Array(4096);
  get(size: number): Uint8Array {
    if (this.buf.length < size) this.buf = new Uint8Array(Math.max(size, this.buf.length * 2));
    return this.buf.subarray(0, size);
  }
}

/** Write header.rc; dropped where there is no RAM (a header that runs past the end of RAM). */
function writeRc(dev: DeviceEnv, phys: number, rc: number): void {
  if (dev.mem.contains(phys + VMMDevRequestHeader.off.rc, 4))
    dev.mem.writeI32(gpa(phys), VMMDevRequestHeader.off.rc, rc);
}

/**
 * vmmdevRequestHandler for one port write, traced when the vCPU's current call is. Never throws for
 * anything the guest put in memory.
 */
export const handleRequest = traced(
  {
    span: 'vmmdevRequestHandler',
    tracer: (dev: DeviceEnv) => dev.tracer,
    begin: (_dev, vcpu, phys) => [phys, vcpu],
    joins: (dev, vcpu) => dev.bus.traced(vcpu),
  },
  function* handleRequest(
    dev: DeviceEnv,
    vcpu: number,
    phys: number,
    scratch: RequestScratch = new RequestScratch(),
  ): Proc<void> {
    yield point('device.accept', phys);
    dev.stats.add('device.requests');
    // The header is read once; its validated copy becomes the snapshot's header (no double fetch). Like
    // any guest-physical read, bytes with no RAM behind them read as 0xFF: a request wholly outside RAM
    // fails the version check, one whose header runs past the end may still be handled.
    const hv = scratch.header;
    const header = hv.bytes;
    dev.mem.readPhys(phys, header);
    const size = hv.u32(VMMDevRequestHeader.off.size);
    const type = hv.u32(VMMDevRequestHeader.off.requestType);
    if (
      size < VMMDevRequestHeader.size ||
      hv.u32(VMMDevRequestHeader.off.version) !== VMMDEV_REQUEST_HEADER_VERSION
    ) {
      dev.stats.add('device.ignored');
      return;
    }
    if (size > VMMDEV_MAX_VMMDEVREQ_SIZE || (!dev.bus.additionsOk && !BEFORE_ADDITIONS.has(type))) {
      dev.stats.add('device.notSupported');
      writeRc(dev, phys, Status.VERR_NOT_SUPPORTED);
      return;
    }

    const hgcm = isHgcmCommand(type);
    let snapOff = -1;
    let snap: Uint8Array;
    if (hgcm) {
      const off = dev.snaps.alloc(size);
      if (off === undefined) {
        writeRc(dev, phys, Status.VERR_NO_MEMORY);
        return;
      }
      snapOff = off;
      snap = dev.snaps.bytes(off, size);
    } else {
      snap = scratch.get(size);
    }
    snap.set(header);
    dev.mem.readPhys(phys + header.length, snap.subarray(header.length));
    const req: RequestCtx = {
      vcpu,
      phys,
      size,
      type,
      requestor: hv.u32(VMMDevRequestHeader.off.fRequestor),
      snap,
      view: new ByteView(snap),
      snapOff,
    };

    if (hgcm) writeRc(dev, phys, Status.VINF_HGCM_ASYNC_EXECUTE);
    const result = yield* dispatchRequest(dev, req);
    if (hgcm)
      dev.stats.add(
        result.rc === Status.VINF_HGCM_ASYNC_EXECUTE ? 'device.hgcm.accepted' : 'device.hgcm.refused',
      );
    if (result.rc === Status.VINF_HGCM_ASYNC_EXECUTE && hgcm) {
      // VMMDEVREQDISP_POST_F_NO_WRITE_OUT: completion may already be writing on another thread.
      return;
    }
    req.view.setI32(VMMDevRequestHeader.off.rc, result.rc);
    writeBack(dev, phys, snap, type);
    if (snapOff >= 0 && result.ownsSnapshot !== true) dev.snaps.free(snapOff);
  },
);

/** vmmdevReqDispatcher: the request type's handler; anything else is VERR_NOT_IMPLEMENTED. */
const dispatchRequest = traced(
  {
    span: 'vmmdevReqHandler',
    tracer: (dev: DeviceEnv) => dev.tracer,
    begin: (_dev, req) => [req.type, req.phys],
    status: (r) => r.rc,
  },
  // (It hands back the handler's step machine rather than running it inside one of its own: one resume
  // level fewer at each step of every request.)
  function vmmdevReqDispatcher(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
    const handler = handlers.get(req.type);
    if (handler !== undefined) return handler(dev, req);
    dev.stats.add('device.unknownType');
    return returning({ rc: Status.VERR_NOT_IMPLEMENTED });
  },
);

/**
 * Write the whole request image back (the part inside RAM). For images with the HGCM header the flags
 * word is skipped: fu32Flags only ever changes by atomic OR (DONE from the host, CANCELLED from the
 * guest). Upstream writes it back as it was read, which can erase a concurrent DONE (a spurious leak);
 * see ARCHITECTURE.md, "Deviations".
 */
function writeBack(dev: DeviceEnv, phys: number, snap: Uint8Array, type: number): void {
  const flags = VMMDevHGCMRequestHeader.off.fu32Flags;
  if (hasHgcmHeader(type)) {
    dev.mem.writePhys(phys, snap.subarray(0, flags));
    dev.mem.writePhys(phys + flags + 4, snap.subarray(flags + 4));
  } else {
    dev.mem.writePhys(phys, snap);
  }
}
