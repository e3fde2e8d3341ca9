// A machine's shared memory saved once and restored many times (a sim machine reused for run after run).
// Restoring costs what the runs wrote, not what the machine holds: the three heaps (the guest's physical
// heap and program memory, the host's snapshot arena) are written only up to their high-water marks
// (SharedHeap.touchedBytes), so only that much of each is copied back; a large buffer that is mostly
// zeros (the Shared Folders service's handle and mapping tables: 4.5 MiB, a few entries used) is kept
// page by page, its zero pages only compared and cleared when a run wrote them, and of those only the ones
// its service's extent (HgcmService.sharedExtent) says may have been written; everything else is small.
import { Buffer } from 'node:buffer';
import { GuestMemory, guestHeapBacking, sabHeapBacking, SharedHeap } from '../runtime/index.js';
import { guestMap } from '../vcpu/index.js';
import type { MachineShared } from './config.js';

/**
 * A part of a shared buffer and its saved bytes. For a heap, `saved` is its written prefix when saved
 * (past it the buffer still held the zeros it was created with) and `heap` bounds what a restore copies.
 */
interface Region {
  readonly live: Uint8Array;
  readonly saved: Uint8Array;
  readonly heap: SharedHeap | undefined;
}

/**
 * A large buffer saved by pages: the pages that held anything (copied back on restore) and, for the
 * pages that were zero, only that fact. Copying back all of a 4.5 MiB table for every run cost more than
 * the run, and kept every page of the live buffer and of its copy resident (issue 17: memory).
 */
interface PagedRegion {
  readonly live: Buffer;
  /** Saved bytes of each page that held anything; undefined for a zero page. */
  readonly pages: readonly (Uint8Array | undefined)[];
  /** The byte ranges that may hold anything but zeros (all of it without an extent). */
  readonly extent: Extent;
}

/** Byte ranges of a buffer that may hold anything but zeros (HgcmService.sharedExtent); read when used. */
export type Extent = () => readonly (readonly [start: number, end: number])[];

/** Buffers at least this large are saved by pages. */
const PAGED_FROM = 64 * 1024;
const PAGE = 4096;
/** Zero pages compared at once. */
const ZERO_RUN = 16;
/** Zeros to compare with (a native memcmp, where a loop over the shared buffer would be slower). */
const ZERO_STRETCH = Buffer.alloc(PAGE * ZERO_RUN);

/** Zeros to copy from (filling a shared buffer is slower than copying into it). */
let zeros = new Uint8Array(0);

/** The saved shared memory of a machine. */
export class MachineImage {
  private readonly regions: readonly Region[];
  private readonly paged: readonly PagedRegion[];

  private constructor(regions: readonly Region[], paged: readonly PagedRegion[]) {
    this.regions = regions;
    this.paged = paged;
  }

  /**
   * Save every shared buffer of `s` now. `extents`: for a service's shared block, what of it its service
   * says may hold anything (the rest is taken as the zeros it was created with, at save and at restore).
   */
  static save(s: MachineShared, extents?: ReadonlyMap<SharedArrayBuffer, Extent>): MachineImage {
    const regions: Region[] = [];
    const paged: PagedRegion[] = [];
    const whole = (sab: SharedArrayBuffer | undefined): void => {
      if (sab === undefined) return;
      if (sab.byteLength >= PAGED_FROM) {
        const all: readonly (readonly [number, number])[] = [[0, sab.byteLength]];
        paged.push(savePages(Buffer.from(sab), extents?.get(sab) ?? (() => all)));
        return;
      }
      const live = new Uint8Array(sab);
      regions.push({ live, saved: live.slice(), heap: undefined });
    };
    const heap = (sab: SharedArrayBuffer, start: number, end: number, h: SharedHeap): void => {
      const live = new Uint8Array(sab, start, end - start);
      regions.push({ live, saved: live.slice(0, h.touchedBytes()), heap: h });
    };
    const map = guestMap(s.config.ramBytes, s.config.heapBytes);
    const mem = GuestMemory.attach(s.ram);
    const ram = new Uint8Array(s.ram);
    regions.push({ live: ram.subarray(0, map.heapBase), saved: ram.slice(0, map.heapBase), heap: undefined });
    heap(s.ram, map.heapBase, map.memBase, SharedHeap.attach(guestHeapBacking(mem), map.heapBase));
    heap(s.ram, map.memBase, map.ramBytes, SharedHeap.attach(guestHeapBacking(mem), map.memBase));
    heap(s.snaps, 0, s.snaps.byteLength, SharedHeap.attach(sabHeapBacking(s.snaps), 0));
    for (const sab of [s.bus, s.cmds, s.clients, s.ring, s.stats, s.faults, s.hooks, s.trace, s.spinGate])
      whole(sab);
    for (const spec of s.services) {
      whole(spec.shared);
      whole(spec.clientState);
    }
    return new MachineImage(regions, paged);
  }

  /** Put every buffer back as saved (a heap: only the part written since; its mark is read first). */
  restore(): void {
    for (const r of this.regions) {
      if (r.heap === undefined) {
        r.live.set(r.saved);
        continue;
      }
      const n = Math.min(r.live.length, r.heap.touchedBytes());
      if (n > r.saved.length) {
        if (zeros.length < n - r.saved.length) zeros = new Uint8Array(n - r.saved.length);
        r.live.set(zeros.subarray(0, n - r.saved.length), r.saved.length);
      }
      r.live.set(r.saved);
    }
    for (const r of this.paged) restorePages(r);
  }
}

/** The pages [first, end) of a buffer of `pages` pages that the byte ranges touch, each range once. */
function pageSpans(ranges: readonly (readonly [number, number])[], pages: number): [number, number][] {
  const spans: [number, number][] = [];
  for (const [start, end] of ranges) {
    const first = Math.max(0, Math.floor(start / PAGE));
    const last = Math.min(pages, Math.ceil(end / PAGE));
    if (first < last) spans.push([first, last]);
  }
  return spans;
}

/** Save `live` by pages (see PagedRegion): only the pages its extent touches can hold anything. */
function savePages(live: Buffer, extent: Extent): PagedRegion {
  const n = Math.ceil(live.length / PAGE);
  const pages: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(n).fill(undefined);
  for (const [first, last] of pageSpans(extent(), n))
    for (let i = first; i < last; i++) {
      const at = i * PAGE;
      const end = Math.min(at + PAGE, live.length);
      if (pages[i] !== undefined || ZERO_STRETCH.compare(live, at, end, 0, end - at) === 0) continue;
      // (A copy: Buffer's own slice() would be a view.)
      pages[i] = new Uint8Array(live.subarray(at, end));
    }
  return { live, pages, extent };
}

/**
 * Put a paged region back: its saved pages copied, any other page a run wrote cleared. Of the pages saved
 * as zeros only those the extent touches now are looked at (read before anything is copied back: the
 * extent may live in the region). They are compared a stretch of up to ZERO_RUN at a time (a compare is a
 * call into the runtime: one per page cost more than the copy it saves), page by page only where a
 * stretch differs.
 */
function restorePages(r: PagedRegion): void {
  const n = r.pages.length;
  for (const [first, last] of pageSpans(r.extent(), n))
    for (let i = first; i < last;) {
      if (r.pages[i] !== undefined) {
        i++;
        continue;
      }
      let j = i + 1;
      while (j < last && j - i < ZERO_RUN && r.pages[j] === undefined) j++;
      const at = i * PAGE;
      const end = Math.min(j * PAGE, r.live.length);
      if (ZERO_STRETCH.compare(r.live, at, end, 0, end - at) !== 0) {
        for (let p = at; p < end; p += PAGE) {
          const e = Math.min(p + PAGE, end);
          if (ZERO_STRETCH.compare(r.live, p, e, 0, e - p) !== 0)
            r.live.set(ZERO_STRETCH.subarray(0, e - p), p);
        }
      }
      i = j;
    }
  for (let i = 0; i < n; i++) {
    const page = r.pages[i];
    if (page !== undefined) r.live.set(page, i * PAGE);
  }
}
