// The guest-physical memory map of a machine:
//
//   0x00000000  null page: never handed out, so physical address 0 is never a valid request
//   0x00001000  guest kernel page: reserved for guest-kernel words
//   0x00002000  VbglR0PhysHeap: requests, bounce buffers, sessions (heapBytes)
//   ...         guest memory for programs: buffers they pass to the host (the rest of RAM)
import { PAGE_SIZE } from '../abi/index.js';

/** Start of the physical heap. */
export const PHYS_HEAP_BASE = 2 * PAGE_SIZE;

/** Where each region of a machine's RAM lies. */
export interface GuestMap {
  readonly ramBytes: number;
  readonly heapBase: number;
  readonly heapBytes: number;
  readonly memBase: number;
  readonly memBytes: number;
}

/** The map of a RAM of `ramBytes` with a physical heap of `heapBytes` (both multiples of 4096). */
export function guestMap(ramBytes: number, heapBytes: number): GuestMap {
  if (ramBytes % PAGE_SIZE !== 0 || heapBytes % PAGE_SIZE !== 0 || heapBytes < PAGE_SIZE) {
    throw new RangeError('guest RAM and heap sizes must be multiples of 4096');
  }
  const memBase = PHYS_HEAP_BASE + heapBytes;
  if (memBase + PAGE_SIZE > ramBytes)
    throw new RangeError(`guest RAM of ${ramBytes} bytes has no room after the heap`);
  return { ramBytes, heapBase: PHYS_HEAP_BASE, heapBytes, memBase, memBytes: ramBytes - memBase };
}

/** The guest kernel page: words the guest kernel (our guest library) keeps for all vCPUs. */
export const KERNEL_PAGE = PAGE_SIZE;

/** Byte offsets in the kernel page. */
export const KernelWord = {
  /** KERNEL_MAGIC once the driver initialised (vbg_core_init / VbglR0InitClient). */
  MAGIC: 0,
  /** VMMDEV_HVF_* from GetHostVersion. */
  HOST_FEATURES: 4,
  /** Linux: cancel_req_mutex, guarding the one preallocated Cancel2 request. */
  CANCEL_LOCK: 8,
  /** Linux: physical address of the preallocated Cancel2 request. */
  CANCEL_REQ: 12,
  HOST_MAJOR_MINOR: 16,
  HOST_BUILD: 20,
  HOST_REVISION: 24,
} as const;

/** 'VBGK' little-endian. */
export const KERNEL_MAGIC = 0x4b474256;
