// The guest library's HGCM call; models VbglR0HGCMInternalCall and vbglR0HGCMInternalDoCall
// (VBoxGuestR0LibHGCMInternal.cpp), as Linux's vbg_hgcm_call / vbg_hgcm_do_call: prepare the parameters,
// build the request, perform it, wait for DONE, cancel if the wait ends first, copy the results back, and
// free the request unless it must be leaked. Runs on the calling vCPU (the guest program's thread).
import {
  HGCMFunctionParameter64,
  RT_FAILURE,
  RT_INDEFINITE_WAIT,
  RequestType,
  Requestor,
  Status,
  VBGLIOCHGCMCALL,
  VMMDEV_MAX_HGCM_PARMS,
  VMMDevHGCMCall,
  VMMDevHGCMRequestHeader,
  type StatusCode,
} from '../abi/index.js';
import { FaultSteps, type GuestAddress, point, type Proc, traced } from '../runtime/index.js';
import { CALL_FAULTS } from './fault-steps.js';
import { grAlloc, grPerform } from './gr.js';
import type { Allocation } from './guest-heap.js';
import { cancelCall, type CancelOutcome } from './hgcm-cancel.js';
import { copyBack, initCall, preprocess, type Prepared } from './hgcm-parms.js';
import { hgcmWait } from './hgcm-wait.js';
import type { GuestKernel } from './kernel.js';

const PARM = HGCMFunctionParameter64.size;

/** How the call is made (VBGLR0_HGCMCALL_F_KERNEL / _USER, the wait callback's arguments). */
export interface CallMode {
  /** User-mode caller: LinAddr buffers are bounce-buffered, page lists are refused. */
  readonly user: boolean;
  /** Milliseconds to wait for completion; RT_INDEFINITE_WAIT (0xFFFFFFFF) waits forever. */
  readonly timeoutMs: number;
  readonly interruptible: boolean;
  /** VMMDEV_REQUESTOR_* for the request header. */
  readonly requestor: number;
}

/** What happened to a call, beyond its status. */
export interface CallReport {
  /** VBox status of the call machinery; on success the host's status is in the caller's Hdr.rc. */
  readonly rc: StatusCode;
  /** The host answered in the port write (no VINF_HGCM_ASYNC_EXECUTE). */
  readonly sync: boolean;
  readonly cancel: CancelOutcome | undefined;
  /** Guest-physical address and generation of the request (for tracing and oracles). */
  readonly request: Allocation | undefined;
  /** Bytes quarantined because the call was leaked. */
  readonly leakedBytes: number;
}

/** What vbglR0HGCMInternalDoCall reports: its status, whether the host answered at once, the cancel path's outcome. */
export interface DoCallResult {
  readonly rc: StatusCode;
  readonly sync: boolean;
  readonly cancel: CancelOutcome | undefined;
}

/**
 * VbglR0HGCMInternalCall on a VBGLIOCHGCMCALL (followed by its parameters, 64-bit layout) at `info`,
 * `cbInfo` bytes long. On success the host's status is in info's Hdr.rc and results are copied back.
 */
export const hgcmInternalCall = traced(
  {
    span: 'VbglR0HGCMInternalCall',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (_k, info) => [info, 0],
    status: (r) => r.rc,
  },
  function* hgcmInternalCall(
    k: GuestKernel,
    info: GuestAddress,
    cbInfo: number,
    mode: CallMode,
  ): Proc<CallReport> {
    const cParms = k.mem.readU16(info, VBGLIOCHGCMCALL.off.cParms);
    if (cParms > VMMDEV_MAX_HGCM_PARMS || cbInfo < VBGLIOCHGCMCALL.size + cParms * PARM)
      return failed(Status.VERR_INVALID_PARAMETER);
    const bounces: Allocation[] = [];
    const pre = preprocess(k, info, cbInfo, cParms, mode.user, bounces);
    if (typeof pre === 'number') return failed(pre, k, bounces);
    const cbReq = VMMDevHGCMCall.size + cParms * PARM + pre.extra;
    // A user caller that did not say who it is gets USERMODE | USR_NOT_GIVEN.
    const requestor =
      mode.user && (mode.requestor & Requestor.USERMODE) === 0
        ? Requestor.USERMODE | Requestor.USR_NOT_GIVEN
        : mode.requestor;
    const a = yield* grAlloc(k, cbReq, RequestType.HGCMCall64, requestor);
    if (typeof a === 'number') return failed(a, k, bounces);
    initCall(k, a.addr, info, cParms, pre.parms);
    k.stats.add('guest.calls');
    const fn = k.mem.readU32(info, VBGLIOCHGCMCALL.off.u32Function);
    const done = yield* doCall(k, a.addr, cbReq, fn, cParms, mode);
    const leakedBytes = yield* CALL.in(k.faults).finish(k, a, info, pre.parms, bounces, done);
    for (const b of bounces) k.heap.free(b.addr);
    return { rc: done.rc, sync: done.sync, cancel: done.cancel, request: a, leakedBytes };
  },
);

/** A call that never reached the host: its status, with the bounce buffers it took given back. */
function failed(rc: StatusCode, k?: GuestKernel, bounces: readonly Allocation[] = []): CallReport {
  for (const b of bounces) k!.heap.free(b.addr);
  return { rc, sync: false, cancel: undefined, request: undefined, leakedBytes: 0 };
}

/**
 * vbglR0HGCMInternalDoCall: perform the request; on VINF_HGCM_ASYNC_EXECUTE wait for DONE with the
 * caller's timeout; if the wait ends first, cancel (hgcm-cancel.ts).
 */
export const doCall = traced(
  {
    span: 'vbglR0HGCMInternalDoCall',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (_k, req, _cbReq, fn) => [req, fn],
    status: (r) => r.rc,
  },
  function* doCall(
    k: GuestKernel,
    req: GuestAddress,
    cbReq: number,
    fn: number,
    cParms: number,
    mode: Pick<CallMode, 'timeoutMs' | 'interruptible'>,
  ): Proc<DoCallResult> {
    const rc = yield* grPerform(k, req);
    if (rc !== Status.VINF_HGCM_ASYNC_EXECUTE) return answeredAtOnce(k, req, rc);
    k.stats.add('guest.async');
    const s = CALL.in(k.faults);
    const w = yield* hgcmWait(k, req, s.deadline(k, mode.timeoutMs), mode.interruptible);
    if (w === 'done') {
      k.stats.add('guest.completed');
      return { rc: Status.VINF_SUCCESS, sync: false, cancel: undefined };
    }
    return yield* s.cancelAfterWait(k, req, w, cbReq, fn, cParms);
  },
);

/** When a wait with the caller's timeout ends: RT_INDEFINITE_WAIT (0xFFFFFFFF) never, else that many ms on. */
function deadline(k: GuestKernel, timeoutMs: number): number {
  return timeoutMs >>> 0 === RT_INDEFINITE_WAIT ? Infinity : k.clock.now() + timeoutMs;
}

/** The host answered in the port write: a failure that is the call's own result is the caller's to read. */
function answeredAtOnce(k: GuestKernel, req: GuestAddress, rc: StatusCode): DoCallResult {
  k.stats.add('guest.sync');
  if (RT_FAILURE(rc)) {
    if (k.flavor.name === 'linux') {
      // vbg_hgcm_do_call: "pretend success. Upper layers will interpret the result code in the packet."
      k.mem.writeI32(req, VMMDevHGCMRequestHeader.off.result, rc);
      rc = Status.VINF_SUCCESS;
    } else if (rc === k.mem.readI32(req, VMMDevHGCMRequestHeader.off.result)) {
      // The failure is the call's own result: the caller reads it from the packet.
      rc = Status.VINF_SUCCESS;
    }
  }
  return { rc, sync: true, cancel: undefined };
}

/** The wait ended without DONE (a timeout or a signal): cancel the call; a leak is counted by `finish`. */
function* cancelAfterWait(
  k: GuestKernel,
  req: GuestAddress,
  w: 'timeout' | 'signal',
  cbReq: number,
  fn: number,
  cParms: number,
): Proc<DoCallResult> {
  k.stats.add(w === 'timeout' ? 'guest.timeouts' : 'guest.interrupts');
  const waitRc = w === 'timeout' ? Status.VERR_TIMEOUT : Status.VERR_INTERRUPTED;
  const cancel = yield* cancelCall(k, req, waitRc, cbReq, fn, cParms);
  if (cancel.outcome !== 'leaked')
    k.stats.add(cancel.outcome === 'cancelled' ? 'guest.cancelled' : 'guest.completed');
  return { rc: cancel.rc, sync: false, cancel };
}

/**
 * vbglR0HGCMInternalCopyBackResult unless the call failed, then VbglR0GRFree, or a leak when the cancel
 * failed and DONE never came (the host may still write the request). Returns the bytes leaked.
 * (`leaky`: the quarantine-reuse mutation's broken quarantine; the protocol never passes it.)
 */
function* finish(
  k: GuestKernel,
  a: Allocation,
  info: GuestAddress,
  parms: readonly Prepared[],
  bounces: readonly Allocation[],
  done: DoCallResult,
  leaky = false,
): Proc<number> {
  if (!RT_FAILURE(done.rc)) {
    yield point('guest.copyBack', a.addr, a.gen);
    copyBack(k, a.addr, info, parms);
  }
  if (done.cancel?.leak === true) {
    const bytes = leakRequest(k, a.addr, parms, bounces, leaky);
    k.stats.add('guest.leaked');
    k.stats.add('guest.leakedBytes', bytes);
    return bytes;
  }
  yield point('guest.free', a.addr, a.gen);
  k.heap.free(a.addr);
  return 0;
}

/**
 * Leak a request on purpose: quarantine it so it is never reused. In strict scope everything it refers
 * to stays quarantined too (bounce buffers, and the caller's buffers in the heaps); faithful scope leaks
 * the request block only, as upstream does. Returns the bytes quarantined. (`leaky`: the broken quarantine
 * of the quarantine-reuse mutation, whose blocks go back to the heap.)
 */
function leakRequest(
  k: GuestKernel,
  req: GuestAddress,
  parms: readonly Prepared[],
  bounces: readonly Allocation[],
  leaky: boolean,
): number {
  let bytes = k.heap.quarantine(req, leaky);
  if (k.lib.leakScope !== 'strict') return bytes;
  for (const b of bounces) bytes += k.heap.quarantine(b.addr, leaky);
  for (const p of parms) {
    if (p.buf === undefined || p.buf.size === 0 || p.buf.bounce !== undefined) continue;
    bytes += k.heap.quarantineRange(p.buf.addr, p.buf.size, leaky);
    bytes += k.data.quarantineRange(p.buf.addr, p.buf.size, leaky);
  }
  return bytes;
}

/** The steps of a call that faults replace (their wrong versions: fault-steps.ts). */
export interface CallSteps {
  readonly deadline: typeof deadline;
  readonly cancelAfterWait: typeof cancelAfterWait;
  readonly finish: typeof finish;
}

const CALL = new FaultSteps<CallSteps>({ deadline, cancelAfterWait, finish }, CALL_FAULTS);
