// Host copies of guest requests ("the full request is copied into a host buffer"), kept in a shared arena
// so that whichever pool worker completes a call reads the same validated bytes the device accepted.
import { ByteView, sabHeapBacking, SharedHeap } from '../runtime/index.js';

/** The snapshot arena. */
export class SnapshotArena {
  readonly sab: SharedArrayBuffer;
  private readonly heap: SharedHeap;
  private readonly u8: Uint8Array;

  private constructor(sab: SharedArrayBuffer, heap: SharedHeap) {
    this.sab = sab;
    this.heap = heap;
    this.u8 = new Uint8Array(sab);
  }

  /** A new arena of `bytes` (rounded up to 16). */
  static create(bytes: number): SnapshotArena {
    const size = Math.ceil(bytes / 16) * 16 + 64;
    const sab = new SharedArrayBuffer(size);
    return new SnapshotArena(sab, SharedHeap.format(sabHeapBacking(sab), 0, size));
  }

  static attach(sab: SharedArrayBuffer): SnapshotArena {
    return new SnapshotArena(sab, SharedHeap.attach(sabHeapBacking(sab), 0));
  }

  /** Room for `len` bytes, or undefined (the host's heap budget is exhausted: VERR_NO_MEMORY). */
  alloc(len: number): number | undefined {
    return this.heap.alloc(len)?.off;
  }

  free(off: number): void {
    this.heap.free(off);
  }

  /** The bytes of a snapshot (a view; valid until freed). */
  bytes(off: number, len: number): Uint8Array {
    return this.u8.subarray(off, off + len);
  }

  view(off: number, len: number): ByteView {
    return new ByteView(this.bytes(off, len));
  }

  get inUseBytes(): number {
    return this.heap.stats().inUseBytes;
  }
}
