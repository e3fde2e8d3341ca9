// HeapBacking adapters: a SharedHeap inside guest RAM (through GuestMemory) or inside a host-only
// SharedArrayBuffer (request snapshots). Used on every thread.
import { gpa } from './address.js';
import { AtomicCell } from './atomic-cell.js';
import type { GuestMemory } from './guest-memory.js';
import type { HeapBacking } from './shared-heap.js';

/** Heap metadata in guest RAM, like VbglR0PhysHeap's block headers. */
export function guestHeapBacking(mem: GuestMemory): HeapBacking {
  return {
    u32: (off) => mem.readU32(gpa(off)),
    setU32: (off, v) => mem.writeU32(gpa(off), 0, v),
    cell: (off) => mem.cell(gpa(off)),
  };
}

/** Heap metadata in a host SharedArrayBuffer. */
export function sabHeapBacking(sab: SharedArrayBuffer): HeapBacking {
  const i32 = new Int32Array(sab, 0, sab.byteLength >> 2);
  const u32 = new Uint32Array(sab, 0, sab.byteLength >> 2);
  return {
    u32: (off) => u32[off >> 2]!,
    setU32: (off, v) => {
      u32[off >> 2] = v;
    },
    cell: (off) => new AtomicCell(i32, off >> 2),
  };
}
