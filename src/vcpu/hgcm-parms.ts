// The guest's HGCM parameters: the one writer of an HGCMFunctionParameter64 and of the HGCMPageListInfo
// after the parameters (VbglR0HGCMInternalCall's, VBGL_IOCTL_HGCM_CALL callers' and VbglR0HGCMFastCall's
// builders share them), and the parameter half of the guest library's call: vbglR0HGCMInternalPreprocessCall,
// vbglR0HGCMInternalInitCall and vbglR0HGCMInternalCopyBackResult (VBoxGuestR0LibHGCMInternal.cpp) check
// the caller's parameters (lock or bounce LinAddr buffers, size the page lists), fill the VMMDevHGCMCall64
// from them, and copy the host's values, sizes and bounced data back. Runs on the calling vCPU.
import {
  HGCMFunctionParameter64,
  HGCMPageListInfo,
  HostFeature,
  PAGE_SIZE,
  ParmDirection,
  ParmType,
  Status,
  VBGLIOCHGCMCALL,
  VBGLR0_MAX_HGCM_KERNEL_PARM,
  VBGLR0_MAX_HGCM_USER_PARM,
  VBGLR0_MAX_LOCKED_BUFFERS,
  VBGLREQHDR,
  VMMDevHGCMCall,
  VMMDevHGCMRequestHeader,
  pageListInfoSize,
  pagesSpanned,
  parmFlagsAreValid,
  type StatusCode,
} from '../abi/index.js';
import { bigToSafe, ByteView, gpa, type GuestAddress, type GuestMemory } from '../runtime/index.js';
import type { Allocation } from './guest-heap.js';
import type { GuestKernel } from './kernel.js';

const P = HGCMFunctionParameter64.off;
const PARM = HGCMFunctionParameter64.size;
const TWO_32 = 2 ** 32;

/** A 32- or 64-bit value parameter, as callers pass it and read it back. */
export type ValueParm =
  { readonly type: 'u32'; readonly value: number } | { readonly type: 'u64'; readonly value: bigint };

/** Parameter types whose buffer is described by an HGCMPageListInfo after the parameters. */
export type PageListParmType =
  typeof ParmType.PageList | typeof ParmType.ContiguousPageList | typeof ParmType.NoBouncePageList;

/** Parameter types whose buffer is a pointer (LinAddr*, LinAddr_Locked*). */
export type PointerParmType =
  | typeof ParmType.LinAddr
  | typeof ParmType.LinAddr_In
  | typeof ParmType.LinAddr_Out
  | typeof ParmType.LinAddr_Locked
  | typeof ParmType.LinAddr_Locked_In
  | typeof ParmType.LinAddr_Locked_Out;

/** One HGCMFunctionParameter64: its type and the fields that type uses. */
export type ParmImage =
  | { readonly type: typeof ParmType.U32; readonly value: number }
  | { readonly type: typeof ParmType.U64; readonly value: bigint }
  | { readonly type: PointerParmType; readonly size: number; readonly addr: number }
  /** `offset`: where its HGCMPageListInfo starts, from the start of the structure the parameters are in. */
  | { readonly type: PageListParmType; readonly size: number; readonly offset: number };

/** Write one parameter at `at` of the structure at `base`: the type and its fields (other bytes untouched). */
export function writeParm(mem: GuestMemory, base: GuestAddress, at: number, p: ParmImage): void {
  mem.writeU32(base, at + P.type, p.type);
  switch (p.type) {
    case ParmType.U32:
      mem.writeU32(base, at + P.value32, p.value);
      return;
    case ParmType.U64:
      mem.writeU64(base, at + P.value64, p.value);
      return;
    case ParmType.PageList:
    case ParmType.ContiguousPageList:
    case ParmType.NoBouncePageList:
      mem.writeU32(base, at + P.pageListSize, p.size);
      mem.writeU32(base, at + P.pageListOffset, p.offset);
      return;
    default:
      mem.writeU32(base, at + P.pointerSize, p.size);
      mem.writeU64(base, at + P.pointerLinearAddr, BigInt(p.addr));
  }
}

/**
 * Write the page list of `cPages` pages from the one holding `addr` at `off` of the structure at `base`
 * (each builder counts pages its own way); returns the bytes it takes.
 */
export function writePageListInfo(
  mem: GuestMemory,
  base: GuestAddress,
  off: number,
  flags: number,
  addr: number,
  cPages: number,
): number {
  mem.writeU32(base, off + HGCMPageListInfo.off.flags, flags);
  mem.writeU16(base, off + HGCMPageListInfo.off.offFirstPage, addr % PAGE_SIZE);
  mem.writeU16(base, off + HGCMPageListInfo.off.cPages, cPages);
  const first = addr - (addr % PAGE_SIZE);
  // Two 32-bit halves per entry (no BigInt per page: a 1 MiB buffer has 256 of them), laid out in this
  // thread's scratch and written to guest memory in one checked copy instead of two checked writes a page.
  const bytes = 8 * cPages;
  if (entries.length < bytes) entries = new ByteView(new Uint8Array(Math.max(bytes, 2 * entries.length)));
  for (let pg = 0, at = 0; pg < cPages; pg++, at += 8) {
    const page = first + pg * PAGE_SIZE;
    const hi = Math.floor(page / TWO_32);
    entries.setU32(at, page - hi * TWO_32);
    entries.setU32(at + 4, hi);
  }
  mem.write(gpa(base + off + HGCMPageListInfo.off.aPages), entries.bytes.subarray(0, bytes));
  return pageListInfoSize(cPages);
}

/** writePageListInfo's scratch for the entries (one per thread: the module is loaded once per thread). */
let entries = new ByteView(new Uint8Array(8 * 256));

/** A prepared parameter (VbglR0ParmInfo). */
export interface Prepared {
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
export function preprocess(
  k: GuestKernel,
  info: GuestAddress,
  cbInfo: number,
  cParms: number,
  user: boolean,
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
        if (user) return Status.VERR_INVALID_PARAMETER;
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
        if (isLocked && user) return Status.VERR_INVALID_PARAMETER;
        const size = mem.readU32(info, at + P.pointerSize);
        const addr = bigToSafe(mem.readU64(info, at + P.pointerLinearAddr));
        const dir = dirOf(type);
        if (size > (user ? VBGLR0_MAX_HGCM_USER_PARM : VBGLR0_MAX_HGCM_KERNEL_PARM))
          return Status.VERR_OUT_OF_RANGE;
        let hostAddr = addr ?? 0;
        let bounce: Allocation | undefined;
        if (size > 0) {
          if (++locked > VBGLR0_MAX_LOCKED_BUFFERS) return Status.VERR_INVALID_PARAMETER;
          // Locking the caller's memory fails for addresses the guest has no RAM behind.
          if (addr === undefined || !mem.contains(addr, size)) return Status.VERR_INVALID_POINTER;
          if (user) {
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
export function initCall(
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
export function copyBack(
  k: GuestKernel,
  req: GuestAddress,
  info: GuestAddress,
  parms: readonly Prepared[],
): void {
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
