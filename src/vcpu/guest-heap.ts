// Guest allocators over guest RAM: VbglR0PhysHeap (requests, bounce buffers; models
// VBoxGuestR0LibPhysHeap.cpp) and the memory programs keep their buffers in. Both can quarantine a block:
// a leaked request (and, in strict leak scope, what it references) is never handed out again.
// Runs on a vCPU (the main thread formats the heaps once).
import {
  type FreeResult,
  gpa,
  type GuestAddress,
  guestHeapBacking,
  type GuestMemory,
  type HeapStats,
  SharedHeap,
} from '../runtime/index.js';

/** An allocation: its address and the heap's generation stamp (address + gen names one allocation). */
export interface Allocation {
  readonly addr: GuestAddress;
  readonly gen: number;
}

/** A heap of guest memory shared by every vCPU. */
export class GuestHeap {
  readonly name: string;
  private readonly heap: SharedHeap;

  private constructor(name: string, heap: SharedHeap) {
    this.name = name;
    this.heap = heap;
  }

  /** Format [base, base + bytes) of RAM as an empty heap. */
  static format(name: string, mem: GuestMemory, base: number, bytes: number): GuestHeap {
    return new GuestHeap(name, SharedHeap.format(guestHeapBacking(mem), base, bytes));
  }

  /** Attach to a heap formatted by another thread. */
  static attach(name: string, mem: GuestMemory, base: number): GuestHeap {
    return new GuestHeap(name, SharedHeap.attach(guestHeapBacking(mem), base));
  }

  /** Allocate `bytes` (16-byte aligned), or undefined when the heap is exhausted. */
  alloc(bytes: number): Allocation | undefined {
    const a = this.heap.alloc(bytes);
    return a === undefined ? undefined : { addr: gpa(a.off), gen: a.gen };
  }

  /** Free; a quarantined block stays quarantined. */
  free(addr: GuestAddress): FreeResult {
    return this.heap.free(addr);
  }

  /**
   * Never hand this block out again. Returns its size in bytes (header included), 0 if already so.
   * `leaky`: the quarantine-reuse mutation (the block is freed instead).
   */
  quarantine(addr: GuestAddress, leaky = false): number {
    return this.heap.quarantine(addr, leaky);
  }

  /** Quarantine every allocated block overlapping [addr, addr + len); bytes quarantined. */
  quarantineRange(addr: number, len: number, leaky = false): number {
    if (addr + len <= this.heap.base || addr >= this.heap.base + this.heap.size) return 0;
    return this.heap.quarantineRange(addr, len, leaky);
  }

  /** The block containing `addr` (header included), or undefined outside this heap. */
  containing(
    addr: number,
  ): { payload: number; state: number; gen: number; payloadBytes: number } | undefined {
    return this.heap.containing(addr);
  }

  /** State and generation of the block at `addr`. */
  info(addr: GuestAddress): { state: number; gen: number; payloadBytes: number } | undefined {
    return this.heap.blockInfo(addr);
  }

  /** Physical address of a heap pointer (VbglR0PhysHeapGetPhysAddr; identity-mapped). */
  physAddr(addr: GuestAddress): number {
    return addr;
  }

  stats(): HeapStats {
    return this.heap.stats();
  }

  /** Verify every block and the free list (throws HeapError on corruption). */
  check(): void {
    this.heap.check();
  }
}
