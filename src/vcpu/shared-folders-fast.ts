// Shared Folders requests built in place and submitted straight to the port, with no-bounce page lists;
// models the 7.x additions' host requests (VbglR0SfHostReqReadPgLst / WritePgLst in
// VBoxGuestR0LibSharedFolders.h) sent through VbglR0HGCMFastCall (vgdrvIoCtl_HGCMFastCall): no ioctl
// checks, no bounce buffers, a non-interruptible wait without timeout. The host sees such buffers as
// VBOX_HGCM_SVC_PARM_PAGES and reads or writes guest memory in place.
import {
  HGCMFunctionParameter64,
  HGCMPageListInfo,
  PAGE_SIZE,
  ParmDirection,
  ParmType,
  RT_INDEFINITE_WAIT,
  RequestType,
  ShflFn,
  Status,
  VMMDevHGCMCall,
  VMMDevHGCMRequestHeader,
  pageListInfoSize,
  type StatusCode,
} from '../abi/index.js';
import { gpa } from '../runtime/address.js';
import type { Proc } from '../runtime/proc.js';
import { grAlloc } from './gr.js';
import { doCall } from './hgcm-call.js';
import type { GuestKernel } from './kernel.js';

/** A parameter of a fast call; `pages` buffers become NoBouncePageList parameters. */
export type FastParm =
  | { readonly type: 'u32'; readonly value: number }
  | { readonly type: 'u64'; readonly value: bigint }
  | {
      readonly type: 'pages';
      readonly addr: number;
      readonly size: number;
      readonly dir: 'in' | 'out' | 'inout';
    };

const P = HGCMFunctionParameter64.off;
const PARM = HGCMFunctionParameter64.size;
const DIR = { in: ParmDirection.TO_HOST, out: ParmDirection.FROM_HOST, inout: ParmDirection.BOTH } as const;

function pagesOf(addr: number, size: number): number {
  return Math.ceil(((addr % PAGE_SIZE) + size) / PAGE_SIZE);
}

/**
 * Build a VMMDevHGCMCall64 with these parameters in the physical heap (header set as VbglR0GRAlloc does).
 * The request is not submitted: sfFastCall does that; tests use it to keep requests outstanding.
 */
export function* buildFastRequest(
  k: GuestKernel,
  clientId: number,
  fn: number,
  parms: readonly FastParm[],
): Proc<{ addr: number; size: number } | StatusCode> {
  const { mem } = k;
  let extra = 0;
  for (const p of parms) if (p.type === 'pages') extra += pageListInfoSize(pagesOf(p.addr, p.size));
  const cbReq = VMMDevHGCMCall.size + parms.length * PARM + extra;
  const a = yield* grAlloc(k, cbReq, RequestType.HGCMCall64);
  if (typeof a === 'number') return a;
  const req = a.addr;
  mem.writeU32(req, VMMDevHGCMRequestHeader.off.fu32Flags, 0);
  mem.writeI32(req, VMMDevHGCMRequestHeader.off.result, Status.VINF_SUCCESS);
  mem.writeU32(req, VMMDevHGCMCall.off.u32ClientID, clientId);
  mem.writeU32(req, VMMDevHGCMCall.off.u32Function, fn);
  mem.writeU32(req, VMMDevHGCMCall.off.cParms, parms.length);
  let offExtra = VMMDevHGCMCall.size + parms.length * PARM;
  for (const [i, p] of parms.entries()) {
    const at = VMMDevHGCMCall.size + i * PARM;
    if (p.type === 'u32') {
      mem.writeU32(req, at + P.type, ParmType.U32);
      mem.writeU32(req, at + P.value32, p.value);
    } else if (p.type === 'u64') {
      mem.writeU32(req, at + P.type, ParmType.U64);
      mem.writeU64(req, at + P.value64, p.value);
    } else {
      const cPages = pagesOf(p.addr, p.size);
      mem.writeU32(req, at + P.type, ParmType.NoBouncePageList);
      mem.writeU32(req, at + P.pageListSize, p.size);
      mem.writeU32(req, at + P.pageListOffset, offExtra);
      mem.writeU32(req, offExtra + HGCMPageListInfo.off.flags, DIR[p.dir]);
      mem.writeU16(req, offExtra + HGCMPageListInfo.off.offFirstPage, p.addr % PAGE_SIZE);
      mem.writeU16(req, offExtra + HGCMPageListInfo.off.cPages, cPages);
      const first = p.addr - (p.addr % PAGE_SIZE);
      for (let pg = 0; pg < cPages; pg++)
        mem.writeU64(req, offExtra + HGCMPageListInfo.off.aPages + 8 * pg, BigInt(first + pg * PAGE_SIZE));
      offExtra += pageListInfoSize(cPages);
    }
  }
  return { addr: req, size: cbReq };
}

/** The values of a completed request's parameters, in order. */
export function fastRequestValues(
  k: GuestKernel,
  addr: number,
  parms: readonly FastParm[],
): (number | bigint)[] {
  return parms.map((p, i) => {
    const at = gpa(addr + VMMDevHGCMCall.size + i * PARM);
    return p.type === 'u64' ? k.mem.readU64(at, P.value64) : k.mem.readU32(at, P.value32);
  });
}

/** Build, perform, wait for DONE (never interrupted, never timing out), read back; like VbglR0HGCMFastCall. */
export function* sfFastCall(
  k: GuestKernel,
  clientId: number,
  fn: number,
  parms: readonly FastParm[],
): Proc<{ rc: StatusCode; out: readonly (number | bigint)[] }> {
  const req = yield* buildFastRequest(k, clientId, fn, parms);
  if (typeof req === 'number') return { rc: req, out: [] };
  const addr = gpa(req.addr);
  try {
    const r = yield* doCall(k, addr, req.size, fn, parms.length, {
      timeoutMs: RT_INDEFINITE_WAIT,
      interruptible: false,
    });
    if (r.rc < 0) return { rc: r.rc, out: [] };
    return {
      rc: k.mem.readI32(addr, VMMDevHGCMRequestHeader.off.result),
      out: fastRequestValues(k, req.addr, parms),
    };
  } finally {
    k.heap.free(addr);
  }
}

/** VbglR0SfHostReqReadPgLst: read `size` bytes at `offset` straight into guest memory at `addr`. */
export function* vboxCallReadPages(
  k: GuestKernel,
  clientId: number,
  root: number,
  handle: bigint,
  offset: bigint,
  addr: number,
  size: number,
): Proc<{ rc: StatusCode; count: number }> {
  const r = yield* sfFastCall(k, clientId, ShflFn.READ, [
    { type: 'u32', value: root },
    { type: 'u64', value: handle },
    { type: 'u64', value: offset },
    { type: 'u32', value: size },
    { type: 'pages', addr, size, dir: 'out' },
  ]);
  return { rc: r.rc, count: Number(r.out[3] ?? 0) };
}

/** VbglR0SfHostReqWritePgLst: write `size` bytes from guest memory at `addr`. */
export function* vboxCallWritePages(
  k: GuestKernel,
  clientId: number,
  root: number,
  handle: bigint,
  offset: bigint,
  addr: number,
  size: number,
): Proc<{ rc: StatusCode; count: number; offset: bigint }> {
  const r = yield* sfFastCall(k, clientId, ShflFn.WRITE, [
    { type: 'u32', value: root },
    { type: 'u64', value: handle },
    { type: 'u64', value: offset },
    { type: 'u32', value: size },
    { type: 'pages', addr, size, dir: 'in' },
  ]);
  return { rc: r.rc, count: Number(r.out[3] ?? 0), offset: BigInt(r.out[2] ?? 0n) };
}
