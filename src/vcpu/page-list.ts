// The HGCMPageListInfo a guest writes after its parameters for a buffer it hands over as a page list
// (VbglR0HGCMInternalCall's and VbglR0HGCMFastCall's builders share it): flags, the first page's offset,
// the page count and one 64-bit guest-physical address per page (identity-mapped, so linear = physical).
import { HGCMPageListInfo, pageListInfoSize } from '../abi/index.js';
import type { GuestAddress } from '../runtime/address.js';
import type { GuestMemory } from '../runtime/guest-memory.js';

const PAGE_SIZE = 4096;
const TWO_32 = 2 ** 32;

/**
 * Write the page list of `cPages` pages from the one holding `addr` at `off` of the request at `base`
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
