// The guest library's HGCM call; models VbglR0HGCMInternalCall and its helpers in
// VBoxGuestR0LibHGCMInternal.cpp: check and prepare the parameters (lock or bounce LinAddr buffers, size
// the page lists), build a VMMDevHGCMCall64 in the physical heap, perform it, wait, cancel if needed, copy
// the results back to the caller's VBGLIOCHGCMCALL, and free the request unless it must be leaked.
import {
  HGCMFunctionParameter64,
  HGCMPageListInfo,
  HostFeature,
  PAGE_SIZE,
  ParmDirection,
  ParmType,
  RT_FAILURE,
  RT_INDEFINITE_WAIT,
  RequestType,
  Requestor,
  Status,
  VBGLIOCHGCMCALL,
  VBGLR0_MAX_HGCM_KERNEL_PARM,
  VBGLR0_MAX_HGCM_USER_PARM,
  VBGLR0_MAX_LOCKED_BUFFERS,
  VBGLREQHDR,
  VMMDEV_MAX_HGCM_PARMS,
  VMMDevHGCMCall,
  VMMDevHGCMRequestHeader,
  pageListInfoSize,
  pagesSpanned,
  parmFlagsAreValid,
  type StatusCode,
} from '../abi/index.js';
import { gpa, type GuestAddress } from '../runtime/address.js';
import { bigToSafe } from '../runtime/bytes.js';
import { point, type Proc } from '../runtime/proc.js';
import { grAlloc, grPerform } from './gr.js';
import type { Allocation } from './guest-heap.js';
import { cancelCall, type CancelOutcome } from './hgcm-cancel.js';
import { hgcmWait } from './hgcm-wait.js';
import type { GuestKernel } from './kernel.js';
import { writePageListInfo, writeParm, type PointerParmType } from './parms.js';

const P = HGCMFunctionParameter64.off;
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

/** A prepared parameter (VbglR0ParmInfo). */
interface Prepared {
  readonly type: number;
  /** Offset of the parameter in the caller's VBGLIOCHGCMCALL. */
  readonly at: number;
  /** For buffers: where the host should see the data, its size and direction. */
  readonly buf?: {
    addr: number;
    size: number;
    dir: number;
    bounce: Allocation | undefined;
    callerAddr: number;
  };
  /** For caller-built page lists: the info's offset in the caller's structure and its size. */
  readonly pageList?: { infoOff: number; infoSize: number };
}

function dirOf(type: number): number {
  switch (type) {
    case ParmType.LinAddr_In:
    case ParmType.LinAddr_Locked_In:
      return ParmDirection.TO_HOST;
    case ParmType.LinAddr_Out:
    case ParmType.LinAddr_Locked_Out:
      return ParmDirection.FROM_HOST;
    default:
      return ParmDirection.BOTH;
  }
}

/** vbglR0HGCMInternalPreprocessCall. Returns the prepared parameters and the extra request bytes. */
function preprocess(
  k: GuestKernel,
  info: GuestAddress,
  cbInfo: number,
  cParms: number,
  mode: CallMode,
  bounces: Allocation[],
): { parms: Prepared[]; extra: number } | StatusCode {
  const { mem } = k;
  const pageLists = (k.hostFeatures & HostFeature.HGCM_PHYS_PAGE_LIST) !== 0;
  const parms: Prepared[] = [];
  let extra = 0;
  let locked = 0;
  for (let i = 0; i < cParms; i++) {
    const at = VBGLIOCHGCMCALL.size + i * PARM;
    const type = mem.readU32(info, at + P.type);
    switch (type) {
      case ParmType.U32:
      case ParmType.U64:
        parms.push({ type, at });
        break;
      case ParmType.PageList: {
        if (mode.user) return Status.VERR_INVALID_PARAMETER;
        const size = mem.readU32(info, at + P.pageListSize);
        if (size === 0) {
          parms.push({ type, at, pageList: { infoOff: 0, infoSize: 0 } });
          break;
        }
        if (size > VBGLR0_MAX_HGCM_KERNEL_PARM) return Status.VERR_OUT_OF_RANGE;
        // The info's offset is relative to the start of the caller's structure; upstream's lower bound
        // is cParms * 16 (not counting the 40-byte header).
        const infoOff = mem.readU32(info, at + P.pageListOffset);
        if (
          infoOff < cParms * PARM ||
          cbInfo < HGCMPageListInfo.size ||
          infoOff > cbInfo - HGCMPageListInfo.size
        ) {
          return Status.VERR_INVALID_PARAMETER;
        }
        const flags = mem.readU32(info, infoOff + HGCMPageListInfo.off.flags);
        const cPages = mem.readU16(info, infoOff + HGCMPageListInfo.off.cPages);
        const offFirst = mem.readU16(info, infoOff + HGCMPageListInfo.off.offFirstPage);
        const infoSize = pageListInfoSize(cPages);
        if (infoOff + infoSize > cbInfo || offFirst >= PAGE_SIZE || cPages !== pagesSpanned(offFirst, size)) {
          return Status.VERR_INVALID_PARAMETER;
        }
        if (!parmFlagsAreValid(flags)) return Status.VERR_INVALID_PARAMETER;
        for (let p = 0; p < cPages; p++) {
          const page = mem.readU64(info, infoOff + HGCMPageListInfo.off.aPages + 8 * p);
          // Page addresses must be page aligned and below 2^52 (the guest library's own check).
          if ((page & 0xfffn) !== 0n || page >> 52n !== 0n) return Status.VERR_INVALID_PARAMETER;
        }
        extra += infoSize;
        parms.push({ type, at, pageList: { infoOff, infoSize } });
        break;
      }
      case ParmType.LinAddr_Locked:
      case ParmType.LinAddr_Locked_In:
      case ParmType.LinAddr_Locked_Out:
      case ParmType.LinAddr:
      case ParmType.LinAddr_In:
      case ParmType.LinAddr_Out: {
        const isLocked = type >= ParmType.LinAddr_Locked;
        if (isLocked && mode.user) return Status.VERR_INVALID_PARAMETER;
        const size = mem.readU32(info, at + P.pointerSize);
        const addr = bigToSafe(mem.readU64(info, at + P.pointerLinearAddr));
        const dir = dirOf(type);
        if (size > (mode.user ? VBGLR0_MAX_HGCM_USER_PARM : VBGLR0_MAX_HGCM_KERNEL_PARM))
          return Status.VERR_OUT_OF_RANGE;
        let hostAddr = addr ?? 0;
        let bounce: Allocation | undefined;
        if (size > 0) {
          if (++locked > VBGLR0_MAX_LOCKED_BUFFERS) return Status.VERR_INVALID_PARAMETER;
          // Locking the caller's memory fails for addresses the guest has no RAM behind.
          if (addr === undefined || !mem.contains(addr, size)) return Status.VERR_INVALID_POINTER;
          if (mode.user) {
            // User buffers are bounce-buffered (Linux/Darwin builds): copy in unless output-only.
            const b = k.heap.alloc(size);
            if (b === undefined) return Status.VERR_NO_MEMORY;
            bounces.push(b);
            if ((dir & ParmDirection.TO_HOST) !== 0) mem.copyWithin(b.addr, gpa(addr), size);
            else mem.fill(b.addr, size, 0);
            bounce = b;
            hostAddr = b.addr;
          }
          if (pageLists) extra += pageListInfoSize(pagesSpanned(hostAddr, size));
        }
        parms.push({ type, at, buf: { addr: hostAddr, size, dir, bounce, callerAddr: addr ?? 0 } });
        break;
      }
      default:
        return Status.VERR_INVALID_PARAMETER;
    }
  }
  return { parms, extra };
}

/** vbglR0HGCMInternalInitCall: fill the VMMDevHGCMCall64 from the caller's structure. */
function initCall(
  k: GuestKernel,
  req: GuestAddress,
  info: GuestAddress,
  cParms: number,
  parms: readonly Prepared[],
): void {
  const { mem } = k;
  const pageLists = (k.hostFeatures & HostFeature.HGCM_PHYS_PAGE_LIST) !== 0;
  mem.writeU32(req, VMMDevHGCMRequestHeader.off.fu32Flags, 0);
  mem.writeI32(req, VMMDevHGCMRequestHeader.off.result, Status.VINF_SUCCESS);
  mem.writeU32(req, VMMDevHGCMCall.off.u32ClientID, mem.readU32(info, VBGLIOCHGCMCALL.off.u32ClientID));
  mem.writeU32(req, VMMDevHGCMCall.off.u32Function, mem.readU32(info, VBGLIOCHGCMCALL.off.u32Function));
  mem.writeU32(req, VMMDevHGCMCall.off.cParms, cParms);
  let offExtra = VMMDevHGCMCall.size + cParms * PARM;
  for (const [i, p] of parms.entries()) {
    const dst = VMMDevHGCMCall.size + i * PARM;
    if (p.buf !== undefined) {
      const { addr, size, dir } = p.buf;
      if (pageLists && size > 0) {
        writeParm(mem, req, dst, { type: ParmType.PageList, size, offset: offExtra });
        offExtra += writePageListInfo(mem, req, offExtra, dir, addr, pagesSpanned(addr, size));
      } else {
        // No page-list support (or an empty buffer): plain LinAddr types; Locked ones become plain.
        // SAFETY: p.buf is set only for the six LinAddr types (preprocess), and Locked - 3 is its plain type.
        const plain = (p.type >= ParmType.LinAddr_Locked ? p.type - 3 : p.type) as PointerParmType;
        writeParm(mem, req, dst, { type: plain, size, addr: size === 0 ? 0 : addr });
      }
    } else if (p.pageList !== undefined) {
      // An empty list gets offset 0 (upstream: "will fail on the host", and it does).
      const { infoOff, infoSize } = p.pageList;
      const size = mem.readU32(info, p.at + P.pageListSize);
      writeParm(mem, req, dst, { type: ParmType.PageList, size, offset: infoSize === 0 ? 0 : offExtra });
      if (infoSize > 0) mem.copyWithin(gpa(req + offExtra), gpa(info + infoOff), infoSize);
      offExtra += infoSize;
    } else {
      // 32/64-bit values: the whole 16-byte parameter as the caller wrote it.
      mem.copyWithin(gpa(req + dst), gpa(info + p.at), PARM);
    }
  }
}

/** vbglR0HGCMInternalCopyBackResult: the host's status, values, sizes and bounce-buffered data. */
function copyBack(k: GuestKernel, req: GuestAddress, info: GuestAddress, parms: readonly Prepared[]): void {
  const { mem } = k;
  mem.writeI32(info, VBGLREQHDR.off.rc, mem.readI32(req, VMMDevHGCMRequestHeader.off.result));
  for (const [i, p] of parms.entries()) {
    const src = VMMDevHGCMCall.size + i * PARM;
    if (p.buf !== undefined) {
      const { size, dir, bounce, callerAddr } = p.buf;
      // The host never changes LinAddr/PageList sizes, but the library copies the size back all the same.
      const hostSize = mem.readU32(req, src + P.pointerSize);
      if (bounce !== undefined && (dir & ParmDirection.FROM_HOST) !== 0 && size > 0) {
        const n = Math.min(hostSize, size);
        if (n > 0) mem.copyWithin(gpa(callerAddr), bounce.addr, n);
      }
      mem.writeU32(info, p.at + P.pointerSize, hostSize);
    } else if (p.pageList !== undefined) {
      mem.writeU32(info, p.at + P.pageListSize, mem.readU32(req, src + P.pageListSize));
    } else if (p.type === ParmType.U32) {
      mem.writeU32(info, p.at + P.value32, mem.readU32(req, src + P.value32));
    } else {
      mem.writeU64(info, p.at + P.value64, mem.readU64(req, src + P.value64));
    }
  }
}

const rcOf = (r: { readonly rc: StatusCode }): number => r.rc;

/**
 * VbglR0HGCMInternalCall on a VBGLIOCHGCMCALL (followed by its parameters, 64-bit layout) at `info`,
 * `cbInfo` bytes long. On success the host's status is in info's Hdr.rc and results are copied back.
 */
export function* hgcmInternalCall(
  k: GuestKernel,
  info: GuestAddress,
  cbInfo: number,
  mode: CallMode,
): Proc<CallReport> {
  return yield* k.tracer.spanProc(
    'VbglR0HGCMInternalCall',
    info,
    0,
    internalCall(k, info, cbInfo, mode),
    rcOf,
  );
}

function* internalCall(k: GuestKernel, info: GuestAddress, cbInfo: number, mode: CallMode): Proc<CallReport> {
  const { mem, stats } = k;
  const cParms = mem.readU16(info, VBGLIOCHGCMCALL.off.cParms);
  const bounces: Allocation[] = [];
  const report = (rc: StatusCode, extra: Partial<CallReport> = {}): CallReport => ({
    rc,
    sync: false,
    cancel: undefined,
    request: undefined,
    leakedBytes: 0,
    ...extra,
  });
  if (cParms > VMMDEV_MAX_HGCM_PARMS || cbInfo < VBGLIOCHGCMCALL.size + cParms * PARM) {
    return report(Status.VERR_INVALID_PARAMETER);
  }
  const pre = preprocess(k, info, cbInfo, cParms, mode, bounces);
  if (typeof pre === 'number') {
    for (const b of bounces) k.heap.free(b.addr);
    return report(pre);
  }
  const cbReq = VMMDevHGCMCall.size + cParms * PARM + pre.extra;
  const requestor =
    mode.user && (mode.requestor & Requestor.USERMODE) === 0
      ? Requestor.USERMODE | Requestor.USR_NOT_GIVEN
      : mode.requestor;
  const a = yield* grAlloc(k, cbReq, RequestType.HGCMCall64, requestor);
  if (typeof a === 'number') {
    for (const b of bounces) k.heap.free(b.addr);
    return report(a);
  }
  initCall(k, a.addr, info, cParms, pre.parms);
  stats.add('guest.calls');
  const fn = mem.readU32(info, VBGLIOCHGCMCALL.off.u32Function);
  const done = yield* doCall(k, a.addr, cbReq, fn, cParms, mode);
  if (!RT_FAILURE(done.rc) && !done.freedEarly) {
    yield point('guest.copyBack', a.addr, a.gen);
    copyBack(k, a.addr, info, pre.parms);
  }
  let leakedBytes = 0;
  const leaky = k.faults.on('quarantine-reuse');
  if (done.cancel?.leak === true && !k.faults.on('skip-leak') && !done.freedEarly) {
    leakedBytes = leakRequest(k, a.addr, pre.parms, bounces, leaky);
    stats.add('guest.leaked');
    stats.add('guest.leakedBytes', leakedBytes);
  } else if (!done.freedEarly) {
    // (MUTATION skip-leak lands here too: the request is freed although the host may still write it.)
    yield point('guest.free', a.addr, a.gen);
    k.heap.free(a.addr);
  }
  for (const b of bounces) k.heap.free(b.addr);
  return report(done.rc, { sync: done.sync, cancel: done.cancel, request: a, leakedBytes });
}

/**
 * Leak a request on purpose: quarantine it so it is never reused. In strict scope everything it refers
 * to stays quarantined too (bounce buffers, and the caller's buffers in the heaps); faithful scope leaks
 * the request block only, as upstream does. Returns the bytes quarantined.
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

/**
 * vbglR0HGCMInternalDoCall: perform the request; on VINF_HGCM_ASYNC_EXECUTE wait for DONE with the
 * caller's timeout; if the wait ends first, cancel (hgcm-cancel.ts).
 */
export function* doCall(
  k: GuestKernel,
  req: GuestAddress,
  cbReq: number,
  fn: number,
  cParms: number,
  mode: Pick<CallMode, 'timeoutMs' | 'interruptible'>,
): Proc<{ rc: StatusCode; sync: boolean; cancel: CancelOutcome | undefined; freedEarly: boolean }> {
  return yield* k.tracer.spanProc(
    'vbglR0HGCMInternalDoCall',
    req,
    fn,
    performAndWait(k, req, cbReq, fn, cParms, mode),
    rcOf,
  );
}

function* performAndWait(
  k: GuestKernel,
  req: GuestAddress,
  cbReq: number,
  fn: number,
  cParms: number,
  mode: Pick<CallMode, 'timeoutMs' | 'interruptible'>,
): Proc<{ rc: StatusCode; sync: boolean; cancel: CancelOutcome | undefined; freedEarly: boolean }> {
  const { stats } = k;
  let rc = yield* grPerform(k, req);
  const result = k.mem.readI32(req, VMMDevHGCMRequestHeader.off.result);
  if (rc !== Status.VINF_HGCM_ASYNC_EXECUTE) {
    stats.add('guest.sync');
    if (RT_FAILURE(rc)) {
      if (k.flavor.name === 'linux') {
        // vbg_hgcm_do_call: "pretend success. Upper layers will interpret the result code in the packet."
        k.mem.writeI32(req, VMMDevHGCMRequestHeader.off.result, rc);
        rc = Status.VINF_SUCCESS;
      } else if (rc === result) {
        // The failure is the call's own result: the caller reads it from the packet.
        rc = Status.VINF_SUCCESS;
      }
    }
    return { rc, sync: true, cancel: undefined, freedEarly: false };
  }
  stats.add('guest.async');
  const deadline = mode.timeoutMs >>> 0 === RT_INDEFINITE_WAIT ? Infinity : k.clock.now() + mode.timeoutMs;
  const w = yield* hgcmWait(k, req, deadline, mode.interruptible);
  if (w === 'done') {
    stats.add('guest.completed');
    return { rc: Status.VINF_SUCCESS, sync: false, cancel: undefined, freedEarly: false };
  }
  if (k.faults.on('timeout-as-done')) {
    // MUTATION: the wait's end is taken for completion; nothing is cancelled.
    return { rc: Status.VINF_SUCCESS, sync: false, cancel: undefined, freedEarly: false };
  }
  const waitRc = w === 'timeout' ? Status.VERR_TIMEOUT : Status.VERR_INTERRUPTED;
  stats.add(w === 'timeout' ? 'guest.timeouts' : 'guest.interrupts');
  let freedEarly = false;
  if (k.faults.on('free-before-cancel')) {
    // MUTATION: the request goes back to the heap while the host may still hold it (ABA on its address).
    k.heap.free(req);
    freedEarly = true;
  }
  const cancel = yield* cancelCall(k, req, waitRc, cbReq, fn, cParms);
  // Leaks are counted by the caller, which quarantines the memory.
  if (cancel.outcome !== 'leaked')
    stats.add(cancel.outcome === 'cancelled' ? 'guest.cancelled' : 'guest.completed');
  return { rc: cancel.rc, sync: false, cancel, freedEarly };
}
