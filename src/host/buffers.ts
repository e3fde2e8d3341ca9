// Host buffers a thread lends services for staging page-list results (GuestPages.scratch), kept for
// reuse: a call of the same size as an earlier one on this thread allocates nothing. A buffer goes back
// when its call is over; one that never does (a service kept it) is simply left to the garbage collector.
// Each host worker thread (and each thread that serves inline services) has its own.

/** Buffers larger than this are never kept (a rare huge call should not pin its memory). */
const MAX_KEPT_BYTES = 4 << 20;
/** Kept bytes per worker, all sizes together. */
const BUDGET_BYTES = 16 << 20;
/** Buffers kept per size. */
const PER_SIZE = 4;

/** A worker's free host buffers, by exact size. Owned by one thread. */
export class HostBuffers {
  private readonly free = new Map<number, Uint8Array[]>();
  private keptBytes = 0;

  /** A buffer of `size` bytes, holding whatever an earlier call left in it. */
  acquire(size: number): Uint8Array {
    const list = this.free.get(size);
    const buf = list?.pop();
    if (buf === undefined) return new Uint8Array(size);
    this.keptBytes -= size;
    return buf;
  }

  /** Take back a buffer `acquire` gave out, once nothing uses it any more. */
  release(buf: Uint8Array): void {
    const size = buf.length;
    if (size === 0 || size > MAX_KEPT_BYTES || this.keptBytes + size > BUDGET_BYTES) return;
    let list = this.free.get(size);
    if (list === undefined) this.free.set(size, (list = []));
    if (list.length >= PER_SIZE) return;
    list.push(buf);
    this.keptBytes += size;
  }
}

/** This thread's buffers (every worker thread has its own module instance). */
export const threadHostBuffers = new HostBuffers();
