// What happens when a guest stops waiting before the host is done; models the cancel half of
// vbglR0HGCMInternalDoCall (VBoxGuestR0LibHGCMInternal.cpp) and Linux's hgcm_cancel_call /
// vbg_hgcm_do_call: Cancel2 naming the call's physical address (or, on an old host, the CANCELLED flag and
// the call re-submitted as HGCMCancel), then a grace wait if the cancel failed, then, if DONE still has not
// come, the request is leaked on purpose: the host may still write it, so it must never be reused.
// Runs on the vCPU whose wait ended.
import {
  HgcmReqFlag,
  RequestType,
  Status,
  VMMDevHGCMCancel2,
  VMMDevHGCMRequestHeader,
  VMMDevRequestHeader,
  RT_SUCCESS,
  statusName,
  type StatusCode,
} from '../abi/index.js';
import { FaultSteps, type GuestAddress, lock, point, type Proc, traced, unlock } from '../runtime/index.js';
import { CANCEL_FAULTS } from './fault-steps.js';
import { grAlloc, grFree, grPerform } from './gr.js';
import type { Allocation } from './guest-heap.js';
import { graceWait } from './hgcm-wait.js';
import type { GuestKernel } from './kernel.js';

/** How a call that stopped waiting ended. */
export interface CancelOutcome {
  /** VINF_SUCCESS if DONE came after all (during the grace wait), else the wait's VERR_TIMEOUT / VERR_INTERRUPTED. */
  readonly rc: StatusCode;
  /** The request must not be freed: the host may still write it. */
  readonly leak: boolean;
  /** Status of the cancel request (after the legacy fallback, if taken). */
  readonly cancelRc: StatusCode;
  /** The legacy HGCMCancel fallback was used. */
  readonly fallback: boolean;
  /** 'cancelled' | 'completed' | 'leaked'. */
  readonly outcome: 'cancelled' | 'completed' | 'leaked';
}

const OUTCOME_CODE: Readonly<Record<CancelOutcome['outcome'], number>> = {
  cancelled: 0,
  completed: 1,
  leaked: 2,
};

/** The span of a cancel request: BEGIN with the call's address, END with the request's status. */
const cancelSpan = (span: 'HGCMCancel2' | 'HGCMCancel') => ({
  span,
  tracer: (k: GuestKernel) => k.tracer,
  begin: (_k: GuestKernel, req: GuestAddress) => [req, 0] as const,
  status: (rc: StatusCode) => rc,
});

/** HGCMCancel2 naming `req`, the way the flavour sends it (preallocated under a mutex, or allocated). */
const sendCancel2 = traced(
  cancelSpan('HGCMCancel2'),
  function* sendCancel2(k: GuestKernel, req: GuestAddress): Proc<StatusCode> {
    const phys = k.heap.physAddr(req);
    const pre = k.cancelRequest;
    if (k.flavor.cancelRequest === 'preallocated' && pre !== undefined) {
      // Linux: "all cancellations get serialized, this should be fine since they should be rare".
      const mutex = k.cancelLock;
      yield* lock(mutex);
      try {
        fillCancel2(k, pre, phys);
        return yield* grPerform(k, pre);
      } finally {
        unlock(mutex);
      }
    }
    const a = yield* CANCEL.in(k.faults).allocCancel2(k);
    if (typeof a === 'number') return a;
    fillCancel2(k, a.addr, phys);
    const rc = yield* grPerform(k, a.addr);
    grFree(k, a.addr);
    return rc;
  },
);

/** Fill a Cancel2 request at `at` naming the call at guest-physical `phys` (the rest of it is zero). */
function fillCancel2(k: GuestKernel, at: GuestAddress, phys: number): void {
  const { mem } = k;
  mem.writeI32(at, VMMDevRequestHeader.off.rc, Status.VERR_GENERAL_FAILURE);
  mem.writeU32(at, VMMDevHGCMCancel2.off.physReqToCancel, phys);
  if (k.flavor.cancel2Size === 32) mem.writeU32(at, VMMDevHGCMCancel2.off.physReqToCancel + 4, 0);
}

/** VbglR0GRAlloc of a Cancel2 request. */
function allocCancel2(k: GuestKernel): Proc<Allocation | StatusCode> {
  return grAlloc(k, k.flavor.cancel2Size, RequestType.HGCMCancel2);
}

/** The legacy cancel: mark the call cancelled and re-submit its own buffer as VMMDevReq_HGCMCancel. */
const legacyCancel = traced(
  cancelSpan('HGCMCancel'),
  function* legacyCancel(k: GuestKernel, req: GuestAddress): Proc<StatusCode> {
    yield point('guest.fallbackSetFlags', req);
    CANCEL.in(k.faults).markCancelled(k, req);
    k.mem.writeU32(req, VMMDevRequestHeader.off.requestType, RequestType.HGCMCancel);
    yield point('guest.fallbackSubmit', req);
    const rc = yield* grPerform(k, req);
    // The old host reports "not found" as VERR_INVALID_PARAMETER.
    return rc === Status.VERR_INVALID_PARAMETER ? Status.VERR_NOT_FOUND : rc;
  },
);

/** Set CANCELLED on the request, by atomic OR: a DONE the host sets meanwhile is never lost. */
function markCancelled(k: GuestKernel, req: GuestAddress): void {
  k.mem.or32(req, VMMDevHGCMRequestHeader.off.fu32Flags, HgcmReqFlag.CANCELLED);
}

/**
 * vbglR0HGCMInternalCancel: cancel a call whose wait ended with `waitRc` (VERR_TIMEOUT or
 * VERR_INTERRUPTED), wait out a failed cancel, leak what never completes. `cbReq`, `fn` and `cParms` are
 * for the leak's log line.
 */
export const cancelCall = traced(
  {
    span: 'vbglR0HGCMInternalCancel',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (_k, req, waitRc) => [req, waitRc],
    status: (o) => OUTCOME_CODE[o.outcome],
  },
  function* cancelCall(
    k: GuestKernel,
    req: GuestAddress,
    waitRc: StatusCode,
    cbReq: number,
    fn: number,
    cParms: number,
  ): Proc<CancelOutcome> {
    yield point('guest.cancel2', req);
    let rc2 = yield* sendCancel2(k, req);
    yield point('guest.readCancelRc', req);
    let fallback = false;
    if (rc2 === Status.VERR_NOT_IMPLEMENTED) k.stats.add('guest.cancel.notImplemented');
    if (rc2 === Status.VERR_NOT_IMPLEMENTED && CANCEL.in(k.faults).fallsBack(k)) {
      fallback = true;
      k.stats.add('guest.cancel.fallback');
      rc2 = yield* legacyCancel(k, req);
    }
    k.stats.add(
      RT_SUCCESS(rc2)
        ? 'guest.cancel.success'
        : rc2 === Status.VERR_NOT_FOUND
          ? 'guest.cancel.notFound'
          : 'guest.cancel.other',
    );
    if (RT_SUCCESS(rc2)) {
      // The host promised never to write this request back: it can be freed at once.
      markCancelled(k, req);
      return { rc: waitRc, leak: false, cancelRc: rc2, fallback, outcome: 'cancelled' };
    }

    // The cancel lost the race with completion (NOT_FOUND) or failed otherwise: wait a bounded time.
    const notFound = rc2 === Status.VERR_NOT_FOUND || rc2 === Status.VERR_SEM_DESTROYED;
    if (!notFound) k.log(`HGCM: cancel of call to fn ${fn} failed: ${statusName(rc2)}`);
    if (yield* graceWait(k, req, CANCEL.in(k.faults).graceMs(k, notFound), k.flavor.graceWait)) {
      // "The call has completed normally after all."
      k.stats.add('guest.grace.completed');
      return { rc: Status.VINF_SUCCESS, leak: false, cancelRc: rc2, fallback, outcome: 'completed' };
    }
    k.stats.add('guest.grace.expired');
    k.tracer.instant('leak', req, cbReq);
    yield point('guest.leak', req);
    k.log(k.flavor.leakMessage(cbReq, fn, cParms, statusName(rc2)));
    return { rc: waitRc, leak: true, cancelRc: rc2, fallback, outcome: 'leaked' };
  },
);

/** The grace after a failed cancel: graceNotFoundMs when the host no longer had the call, else graceOtherMs. */
function graceMs(k: GuestKernel, notFound: boolean): number {
  return notFound ? k.lib.graceNotFoundMs : k.lib.graceOtherMs;
}

/** A host without HGCMCancel2: does this flavour fall back to the legacy HGCMCancel? */
function fallsBack(k: GuestKernel): boolean {
  return k.flavor.legacyFallback;
}

/** The steps of a cancel that faults replace (their wrong versions: fault-steps.ts). */
export interface CancelSteps {
  readonly allocCancel2: typeof allocCancel2;
  readonly markCancelled: typeof markCancelled;
  readonly graceMs: typeof graceMs;
  readonly fallsBack: typeof fallsBack;
}

const CANCEL = new FaultSteps<CancelSteps>(
  { allocCancel2, markCancelled, graceMs, fallsBack },
  CANCEL_FAULTS,
);
