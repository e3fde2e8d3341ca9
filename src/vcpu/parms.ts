// How the guest writes HGCM parameters (VbglR0HGCMInternalCall's, VBGL_IOCTL_HGCM_CALL callers' and
// VbglR0HGCMFastCall's builders share it): one HGCMFunctionParameter64, and the HGCMPageListInfo after the
// parameters for a buffer handed over as a page list (identity-mapped, so linear = physical).
import {
  HGCMFunctionParameter64,
  HGCMPageListInfo,
  PAGE_SIZE,
  ParmType,
  pageListInfoSize,
} from '../abi/index.js';
import type { GuestAddress, GuestMemory } from '../runtime/index.js';

const P = HGCMFunctionParameter64.off;
const TWO_32 = 2 ** 32;

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
  // Two 32-bit halves per entry: no BigInt per page (a 1 MiB buffer has 256 of them).
  for (let pg = 0, at = off + HGCMPageListInfo.off.aPages; pg < cPages; pg++, at += 8) {
    const page = first + pg * PAGE_SIZE;
    mem.writeU32(base, at, page % TWO_32);
    mem.writeU32(base, at + 4, Math.floor(page / TWO_32));
  }
  return pageListInfoSize(cPages);
}
