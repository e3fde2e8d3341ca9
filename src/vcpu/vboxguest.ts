// The VBoxGuest driver's HGCM ioctls and sessions; models vgdrvIoCtl_HGCMConnect, vgdrvIoCtl_HGCMDisconnect,
// vgdrvIoCtl_HGCMCallInner (VBoxGuest.cpp) and VbglR0HGCMInternalConnect/Disconnect. A session is one open
// of the device: its 64 client-id slots live in guest RAM so any vCPU running the session's threads sees them.
// Runs on the calling vCPU.
import {
  HGCMServiceLocation,
  HGCM_SERVICE_NAME_MAX,
  HgcmLocation,
  RT_FAILURE,
  RT_SUCCESS,
  RequestType,
  Requestor,
  Status,
  VBGLIOCHGCMCALL,
  VBGLREQHDR,
  VBOXGUEST_SESSION_MAX_CLIENTS,
  VMMDEV_MAX_HGCM_PARMS,
  VMMDevHGCMConnect,
  VMMDevHGCMDisconnect,
  VMMDevHGCMRequestHeader,
  HGCMFunctionParameter64,
  type StatusCode,
} from '../abi/index.js';
import {
  gpa,
  type GuestAddress,
  lockSync,
  type Proc,
  returning,
  traced,
  unlockSync,
} from '../runtime/index.js';
import { grAlloc, grPerform } from './gr.js';
import { hgcmInternalCall, type CallReport } from './hgcm-call.js';
import { hgcmWait } from './hgcm-wait.js';
import type { GuestKernel } from './kernel.js';

const SLOT_FREE = 0;
const SLOT_BUSY = 0xffffffff;
const SESSION_BYTES = 16 + 4 * VBOXGUEST_SESSION_MAX_CLIENTS;

/** A VBoxGuest session (an open of /dev/vboxguest): mode and client ids. */
export class Session {
  readonly addr: GuestAddress;
  readonly user: boolean;

  private constructor(addr: GuestAddress, user: boolean) {
    this.addr = addr;
    this.user = user;
  }

  /** Open a session ('user' sessions: every call interruptible, buffers bounced, no page lists). */
  static open(k: GuestKernel, user: boolean): Session | StatusCode {
    const a = k.heap.alloc(SESSION_BYTES);
    if (a === undefined) return Status.VERR_NO_MEMORY;
    k.mem.fill(a.addr, SESSION_BYTES, 0);
    k.mem.writeU32(a.addr, 4, user ? 1 : 0);
    return new Session(a.addr, user);
  }

  /** A session another vCPU opened (address from Session.addr). */
  static at(k: GuestKernel, addr: GuestAddress): Session {
    return new Session(addr, k.mem.readU32(addr, 4) === 1);
  }

  private slotOff(i: number): number {
    return 16 + 4 * i;
  }

  /** Under the session spinlock: find `match` and replace it with `value`; the slot index or -1. */
  swapSlot(k: GuestKernel, match: number, value: number): number {
    const lock = k.mem.cell(this.addr, 0);
    lockSync(lock);
    try {
      for (let i = 0; i < VBOXGUEST_SESSION_MAX_CLIENTS; i++) {
        if (k.mem.readU32(this.addr, this.slotOff(i)) === match >>> 0) {
          k.mem.writeU32(this.addr, this.slotOff(i), value);
          return i;
        }
      }
      return -1;
    } finally {
      unlockSync(lock);
    }
  }

  /**
   * Does the client id match a slot of this session? As upstream, ids are not special-cased: 0 matches a
   * free slot (the host then refuses client 0) and UINT32_MAX a disconnect in progress.
   */
  hasClient(k: GuestKernel, clientId: number): boolean {
    for (let i = 0; i < VBOXGUEST_SESSION_MAX_CLIENTS; i++) {
      if (k.mem.readU32(this.addr, this.slotOff(i)) === clientId >>> 0) return true;
    }
    return false;
  }

  /** Client ids registered in the session. */
  clients(k: GuestKernel): number[] {
    const out: number[] = [];
    for (let i = 0; i < VBOXGUEST_SESSION_MAX_CLIENTS; i++) {
      const id = k.mem.readU32(this.addr, this.slotOff(i));
      if (id !== SLOT_FREE && id !== SLOT_BUSY) out.push(id);
    }
    return out;
  }

  get requestor(): number {
    return this.user ? Requestor.USERMODE | Requestor.USR_USER : Requestor.KERNEL | Requestor.USR_DRV_OTHER;
  }
}

/**
 * Perform a connect or disconnect request and wait for it to complete, uninterruptibly and forever
 * (connect and disconnect are never cancelled: "not able to deal with cancelled requests").
 */
function* performToCompletion(k: GuestKernel, req: GuestAddress): Proc<StatusCode> {
  const rc = yield* grPerform(k, req);
  if (rc === Status.VINF_HGCM_ASYNC_EXECUTE) {
    yield* hgcmWait(k, req, Infinity, false);
    return k.mem.readI32(req, VMMDevHGCMRequestHeader.off.result);
  }
  if (RT_FAILURE(rc)) return rc;
  return k.mem.readI32(req, VMMDevHGCMRequestHeader.off.result);
}

/** VbglR0HGCMInternalConnect: a client id, or a failure status. */
export function* hgcmConnect(
  k: GuestKernel,
  service: string,
  requestor: number,
): Proc<{ rc: StatusCode; clientId: number }> {
  const name = Buffer.from(service, 'utf8');
  if (name.length >= HGCM_SERVICE_NAME_MAX) return { rc: Status.VERR_INVALID_PARAMETER, clientId: 0 };
  const a = yield* grAlloc(k, VMMDevHGCMConnect.size, RequestType.HGCMConnect, requestor);
  if (typeof a === 'number') return { rc: a, clientId: 0 };
  const { mem } = k;
  mem.writeU32(a.addr, VMMDevHGCMRequestHeader.off.fu32Flags, 0);
  mem.writeI32(a.addr, VMMDevHGCMRequestHeader.off.result, Status.VINF_SUCCESS);
  mem.writeU32(
    a.addr,
    VMMDevHGCMConnect.off.loc + HGCMServiceLocation.off.type,
    HgcmLocation.LocalHost_Existing,
  );
  const nameAt = gpa(a.addr + VMMDevHGCMConnect.off.locName);
  mem.fill(nameAt, HGCM_SERVICE_NAME_MAX, 0);
  mem.write(nameAt, name);
  mem.writeU32(a.addr, VMMDevHGCMConnect.off.u32ClientID, 0);
  const rc = yield* performToCompletion(k, a.addr);
  const clientId = RT_SUCCESS(rc) ? mem.readU32(a.addr, VMMDevHGCMConnect.off.u32ClientID) : 0;
  k.heap.free(a.addr);
  return { rc, clientId };
}

/** VbglR0HGCMInternalDisconnect. */
export function* hgcmDisconnect(k: GuestKernel, clientId: number, requestor: number): Proc<StatusCode> {
  const a = yield* grAlloc(k, VMMDevHGCMDisconnect.size, RequestType.HGCMDisconnect, requestor);
  if (typeof a === 'number') return a;
  k.mem.writeU32(a.addr, VMMDevHGCMRequestHeader.off.fu32Flags, 0);
  k.mem.writeI32(a.addr, VMMDevHGCMRequestHeader.off.result, Status.VINF_SUCCESS);
  k.mem.writeU32(a.addr, VMMDevHGCMDisconnect.off.u32ClientID, clientId);
  const rc = yield* performToCompletion(k, a.addr);
  k.heap.free(a.addr);
  return rc;
}

/** vgdrvIoCtl_HGCMConnect: connect and register the id in the session (64 slots). */
export function* ioctlHgcmConnect(
  k: GuestKernel,
  s: Session,
  service: string,
): Proc<{ rc: StatusCode; clientId: number }> {
  const r = yield* hgcmConnect(k, service, s.requestor);
  if (RT_FAILURE(r.rc)) return r;
  if (s.swapSlot(k, SLOT_FREE, r.clientId) < 0) {
    yield* hgcmDisconnect(k, r.clientId, s.requestor);
    return { rc: Status.VERR_TOO_MANY_OPEN_FILES, clientId: 0 };
  }
  return r;
}

/** vgdrvIoCtl_HGCMDisconnect: the id must belong to the session; its slot is busy during the call. */
export function* ioctlHgcmDisconnect(k: GuestKernel, s: Session, clientId: number): Proc<StatusCode> {
  if (clientId === SLOT_FREE || clientId >>> 0 === SLOT_BUSY) return Status.VERR_INVALID_HANDLE;
  const slot = s.swapSlot(k, clientId, SLOT_BUSY);
  if (slot < 0) return Status.VERR_INVALID_HANDLE;
  const rc = yield* hgcmDisconnect(k, clientId, s.requestor);
  // Clear the slot on success, restore it on failure.
  s.swapSlot(k, SLOT_BUSY, RT_SUCCESS(rc) ? SLOT_FREE : clientId);
  return rc;
}

/**
 * vgdrvIoCtl_HGCMCall (64-bit): the checks VBoxGuest makes before the guest library sees the call —
 * header sizes, cParms <= 32, room for the parameters, the client belongs to the session.
 */
export const ioctlHgcmCall = traced(
  {
    span: 'VBoxGuestCommonIOCtl_HGCMCall',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (_k, _s, info) => [info, 0],
    status: (r) => r.rc,
  },
  // (Its checks run in the call and it hands back the library's step machine: it yields nothing itself,
  // so it is no resume level at the call's steps.)
  function ioctlHgcmCall(k: GuestKernel, s: Session, info: GuestAddress, cbData: number): Proc<CallReport> {
    const { mem } = k;
    if (cbData < VBGLIOCHGCMCALL.size) return refused(Status.VERR_INVALID_PARAMETER);
    const cbIn = mem.readU32(info, VBGLREQHDR.off.cbIn);
    const cbOut = mem.readU32(info, VBGLREQHDR.off.cbOut);
    if (
      mem.readU32(info, VBGLREQHDR.off.uVersion) !== 0x10001 ||
      cbIn < VBGLIOCHGCMCALL.size ||
      cbIn > cbData ||
      (cbOut !== 0 && cbOut !== cbIn)
    ) {
      return refused(Status.VERR_INVALID_PARAMETER);
    }
    const cParms = mem.readU16(info, VBGLIOCHGCMCALL.off.cParms);
    if (cParms > VMMDEV_MAX_HGCM_PARMS) return refused(Status.VERR_INVALID_PARAMETER);
    if (cbIn < VBGLIOCHGCMCALL.size + cParms * HGCMFunctionParameter64.size)
      return refused(Status.VERR_INVALID_PARAMETER);
    if (!s.hasClient(k, mem.readU32(info, VBGLIOCHGCMCALL.off.u32ClientID)))
      return refused(Status.VERR_INVALID_HANDLE);
    return hgcmInternalCall(k, info, cbIn, {
      user: s.user,
      timeoutMs: mem.readU32(info, VBGLIOCHGCMCALL.off.cMsTimeout),
      // User sessions are always interruptible.
      interruptible: s.user || mem.readU8(info, VBGLIOCHGCMCALL.off.fInterruptible) !== 0,
      requestor: s.requestor,
    });
  },
);

/** A call VBoxGuest refuses before the library sees it, with status `rc`. */
function refused(rc: StatusCode): Proc<CallReport> {
  return returning({ rc, sync: true, cancel: undefined, request: undefined, leakedBytes: 0 });
}

/** Session close (vgdrvCloseSession): disconnect every client still registered, then free the session. */
export function* closeSession(k: GuestKernel, s: Session): Proc<number> {
  let n = 0;
  for (const id of s.clients(k)) {
    yield* ioctlHgcmDisconnect(k, s, id);
    n++;
  }
  k.heap.free(s.addr);
  return n;
}
