// The dispatch ring: a bounded multi-producer multi-consumer queue in shared memory (Vyukov's design:
// one sequence word per cell) carrying work from the thread handling a port write (a vCPU, or the device
// thread) to the host workers.
//
//   word 0 HEAD   next position to consume      word 2 BELL   bumped after every push; idle workers sleep here
//        1 TAIL   next position to fill
//   16 + 4*i: cell i = SEQ, KIND, ARG, ARG2 (cells: a power of two)
// Positions are int32 counters compared by signed difference, so they may wrap.
import { type AtomicCell, SharedWords, SlotTable } from '../runtime/index.js';

const HEAD = 0;
const TAIL = 1;
const BELL = 2;
const HEADER = 16;
const CELL_WORDS = 4;
/** Words of a cell. */
const C = { SEQ: 0, KIND: 1, ARG: 2, ARG2: 3 } as const;

/** What a ring entry asks the pool to do. */
export const Work = {
  /** ARG = command slot: run the service's pfnConnect. */
  CONNECT: 1,
  /** ARG = command slot: run the service's pfnDisconnect. */
  DISCONNECT: 2,
  /** ARG = command slot: run svcCall. */
  CALL: 3,
  /** ARG = client slot, ARG2 = client id: run pfnCancelled. */
  CANCELLED: 4,
  /** Stop serving (one entry per worker). */
  STOP: 5,
} as const;

/** A kind of work item. */
export type WorkKind = (typeof Work)[keyof typeof Work];

/** One entry. */
export interface WorkItem {
  readonly kind: number;
  readonly arg: number;
  readonly arg2: number;
}

/** The ring. */
export class DispatchRing {
  readonly words: SharedWords;
  readonly bell: AtomicCell;
  private readonly cells: SlotTable;
  private readonly cap: number;
  private readonly mask: number;

  private constructor(cells: SlotTable) {
    this.cells = cells;
    this.words = cells.words;
    this.cap = cells.capacity;
    this.mask = this.cap - 1;
    this.bell = cells.words.cell(BELL);
  }

  /**
   * A ring of `capacity` cells (rounded up to a power of two, at least 2: with one cell the sequence word
   * reads the same for "full" and "free for the next position", and a second push would overwrite the
   * first).
   */
  static create(capacity: number): DispatchRing {
    let cap = 2;
    while (cap < capacity) cap *= 2;
    const cells = new SlotTable(SharedWords.create(HEADER + CELL_WORDS * cap), HEADER, CELL_WORDS, cap);
    for (let i = 0; i < cap; i++) cells.set(i, C.SEQ, i);
    return new DispatchRing(cells);
  }

  static attach(sab: SharedArrayBuffer): DispatchRing {
    return new DispatchRing(new SlotTable(new SharedWords(sab), HEADER, CELL_WORDS));
  }

  get sab(): SharedArrayBuffer {
    return this.words.sab;
  }
  get capacity(): number {
    return this.cap;
  }

  /** Entries waiting (approximate while others push and pop). */
  get length(): number {
    return (this.words.load(TAIL) - this.words.load(HEAD)) | 0;
  }

  /** Append an entry and ring the bell; false if the ring is full. */
  push(kind: number, arg: number, arg2 = 0): boolean {
    const { words: w, cells } = this;
    for (;;) {
      const pos = w.load(TAIL);
      const cell = pos & this.mask;
      const dif = (cells.get(cell, C.SEQ) - pos) | 0;
      if (dif === 0) {
        if (Atomics.compareExchange(w.i32, TAIL, pos, (pos + 1) | 0) === pos) {
          cells.set(cell, C.KIND, kind);
          cells.set(cell, C.ARG, arg);
          cells.set(cell, C.ARG2, arg2);
          // ORDER: payload before the sequence word that publishes it.
          cells.set(cell, C.SEQ, (pos + 1) | 0);
          this.bell.add(1);
          this.bell.notify(1);
          return true;
        }
      } else if (dif < 0) {
        return false;
      }
    }
  }

  /** Take the oldest entry, or undefined if the ring is empty. */
  pop(): WorkItem | undefined {
    const { words: w, cells } = this;
    for (;;) {
      const pos = w.load(HEAD);
      const cell = pos & this.mask;
      const dif = (cells.get(cell, C.SEQ) - ((pos + 1) | 0)) | 0;
      if (dif === 0) {
        if (Atomics.compareExchange(w.i32, HEAD, pos, (pos + 1) | 0) === pos) {
          const item = {
            kind: cells.get(cell, C.KIND),
            arg: cells.get(cell, C.ARG),
            arg2: cells.get(cell, C.ARG2),
          };
          // ORDER: read the payload before handing the cell back to producers.
          cells.set(cell, C.SEQ, (pos + this.cap) | 0);
          return item;
        }
      } else if (dif < 0) {
        return undefined;
      }
    }
  }
}
