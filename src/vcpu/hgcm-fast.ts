// Pre-built HGCM requests and the fast call; models VbglR0HGCMFastCall (VBoxGuestR0LibHGCM.cpp) and the
// IDC fast-call path of VBoxGuest: a kernel caller keeps its own VMMDevHGCMCall64 (buffers described by
// page lists in place), performs it directly and waits, non-interruptibly and without a timeout, for DONE.
// No per-call allocation, no ioctl copy: the fastest way through the call path. Runs on the calling vCPU.
import {
  HGCMFunctionParameter64,
  ParmDirection,
  ParmType,
  RequestType,
  Status,
  VMMDEV_MAX_HGCM_PARMS,
  VMMDevHGCMCall,
  VMMDevHGCMRequestHeader,
  VMMDevRequestHeader,
  pageListInfoSize,
  pagesSpanned,
  type StatusCode,
} from '../abi/index.js';
import { gpa, type GuestAddress, type Proc, tracedCall } from '../runtime/index.js';
import { grAlloc, grPerform, requestDone } from './gr.js';
import type { Allocation } from './guest-heap.js';
import { hgcmWait } from './hgcm-wait.js';
import { type ValueParm, writePageListInfo, writeParm } from './hgcm-parms.js';
import type { GuestKernel } from './kernel.js';

/** A parameter of a pre-built request: values, or a buffer in guest memory passed as a page list. */
export type FastParm =
  ValueParm | { readonly type: 'in' | 'out' | 'inout'; readonly addr: number; readonly size: number };

const PARM = HGCMFunctionParameter64.size;
const DIR = { in: ParmDirection.TO_HOST, out: ParmDirection.FROM_HOST, inout: ParmDirection.BOTH } as const;

/** Pages a buffer's list names: those it spans; a PageList names at least one, as the host requires. */
function pages(addr: number, size: number, type: PageListType): number {
  const n = pagesSpanned(addr, size);
  return type === ParmType.NoBouncePageList ? n : Math.max(1, n);
}

/** How a pre-built request passes buffers: PageList, or the 7.x NoBouncePageList (exact page count). */
export type PageListType = typeof ParmType.PageList | typeof ParmType.NoBouncePageList;

/**
 * Build a VMMDevHGCMCall64 in the physical heap for `clientId`/`fn`. Buffers become page-list parameters
 * (`pageList`, PageList by default) with the HGCMPageListInfo after the parameter array. The request is
 * not submitted. Free it with `k.heap.free(req.addr)`.
 */
export function* prepareCall(
  k: GuestKernel,
  clientId: number,
  fn: number,
  parms: readonly FastParm[],
  pageList: PageListType = ParmType.PageList,
): Proc<{ req: Allocation; size: number } | StatusCode> {
  if (parms.length > VMMDEV_MAX_HGCM_PARMS) return Status.VERR_INVALID_PARAMETER;
  let extra = 0;
  for (const p of parms)
    if (p.type !== 'u32' && p.type !== 'u64') extra += pageListInfoSize(pages(p.addr, p.size, pageList));
  const size = VMMDevHGCMCall.size + parms.length * PARM + extra;
  const a = yield* grAlloc(k, size, RequestType.HGCMCall64);
  if (typeof a === 'number') return a;
  const { mem } = k;
  const req = a.addr;
  mem.writeU32(req, VMMDevHGCMRequestHeader.off.fu32Flags, 0);
  mem.writeI32(req, VMMDevHGCMRequestHeader.off.result, Status.VINF_SUCCESS);
  mem.writeU32(req, VMMDevHGCMCall.off.u32ClientID, clientId);
  mem.writeU32(req, VMMDevHGCMCall.off.u32Function, fn);
  mem.writeU32(req, VMMDevHGCMCall.off.cParms, parms.length);
  let off = VMMDevHGCMCall.size + parms.length * PARM;
  for (const [i, p] of parms.entries()) {
    const at = VMMDevHGCMCall.size + i * PARM;
    mem.fill(gpa(req + at), PARM, 0);
    if (p.type === 'u32') {
      writeParm(mem, req, at, { type: ParmType.U32, value: p.value });
    } else if (p.type === 'u64') {
      writeParm(mem, req, at, { type: ParmType.U64, value: p.value });
    } else {
      writeParm(mem, req, at, { type: pageList, size: p.size, offset: off });
      off += writePageListInfo(mem, req, off, DIR[p.type], p.addr, pages(p.addr, p.size, pageList));
    }
  }
  return { req: a, size };
}

/**
 * VbglR0HGCMFastCall: (re)arm and perform a prepared request, wait for DONE without timeout or signal.
 * Returns the device's rc if it refused the call, else the service's result. A call of its own for the
 * tracer (sampled like every guest call).
 */
export const fastCall = tracedCall(
  {
    span: 'VbglR0HGCMFastCall',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (k, req) => [k.mem.readU32(req, VMMDevHGCMCall.off.u32Function), 0],
    status: (rc) => rc,
  },
  function* fastCall(k: GuestKernel, req: GuestAddress): Proc<StatusCode> {
    const { mem } = k;
    mem.writeU32(req, VMMDevRequestHeader.off.requestType, RequestType.HGCMCall64);
    mem.writeI32(req, VMMDevRequestHeader.off.rc, Status.VERR_GENERAL_FAILURE);
    mem.store32(req, VMMDevHGCMRequestHeader.off.fu32Flags, 0);
    mem.writeI32(req, VMMDevHGCMRequestHeader.off.result, Status.VINF_SUCCESS);
    k.stats.add('guest.calls');
    const rc = yield* grPerform(k, req);
    if (rc !== Status.VINF_HGCM_ASYNC_EXECUTE) {
      k.stats.add('guest.sync');
      return rc < 0 ? rc : mem.readI32(req, VMMDevHGCMRequestHeader.off.result);
    }
    k.stats.add('guest.async');
    yield* hgcmWait(k, req, Infinity, false);
    k.stats.add('guest.completed');
    // DONE was seen: every result byte was written before it (the host ORs DONE last).
    if (!requestDone(k, req)) return Status.VERR_INTERNAL_ERROR;
    return mem.readI32(req, VMMDevHGCMRequestHeader.off.result);
  },
);
