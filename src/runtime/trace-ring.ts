// A per-thread event ring in shared memory: every thread of a machine appends records (interleaving
// points, span begins and ends, instants) to its own slot with no lock and no message; any thread can take
// a snapshot merged by a global sequence number, while the others keep writing. A slot keeps its last
// `capacity` records. Tracing (call trees, Chrome export) and the stress harness's threads executor (its
// step log, read by the offline oracles and the hang watchdog) both read it.
//
//   word 0 MAGIC   1 SEQ (next global sequence number, Atomics.add)   2 SLOTS   3 CAPACITY (a power of two)
//   4 ENABLED   5 SAMPLE (trace 1 call in N)   6-7 ORIGIN (f64: ms since the Unix epoch)
//   slot s at word HEADER + s * (2 + 8 * CAPACITY): [HEAD (records claimed so far), reserved, records...]
//   record (8 words): COMMIT (seq + 1 once complete, 0 while written), code, a, b, kind, reserved,
//                     ts (f64, µs since ORIGIN)
import { POINTS, type PointName } from './points.js';

const MAGIC = 0x54524143; // 'TRAC'
const HEADER = 8;
const REC = 8;
const W = { MAGIC: 0, SEQ: 1, SLOTS: 2, CAPACITY: 3, ENABLED: 4, SAMPLE: 5, ORIGIN: 6 } as const;

/** Record kinds. */
export const RecordKind = {
  /** An interleaving point; code is a POINTS index, a the address, b the generation. */
  POINT: 0,
  /** A span begins; code is a SPANS index. */
  BEGIN: 1,
  /** A span ends. */
  END: 2,
  /** An instant event; code is a SPANS index. */
  INSTANT: 3,
} as const;

/** One record, as read back. */
export interface TraceRecord {
  /** Its place in the global order across every thread. */
  readonly seq: number;
  readonly slot: number;
  readonly kind: number;
  readonly code: number;
  readonly a: number;
  readonly b: number;
  /** Microseconds since the ring's origin. */
  readonly ts: number;
}

/** A POINT record read as the step it is. */
export interface PointRecord {
  readonly seq: number;
  readonly slot: number;
  readonly point: PointName;
  readonly addr: number;
  readonly gen: number;
  /** ms since the Unix epoch (comparable with `performance.timeOrigin + performance.now()` anywhere). */
  readonly time: number;
}

/** The ring. */
export class TraceRing {
  readonly sab: SharedArrayBuffer;
  readonly slots: number;
  readonly capacity: number;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  /** The ring's origin in ms since the epoch. */
  readonly origin: number;
  /** The origin in this thread's performance.now() clock (each thread has its own timeOrigin). */
  private readonly originNow: number;

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.i32 = new Int32Array(sab);
    this.f64 = new Float64Array(sab);
    if (Atomics.load(this.i32, W.MAGIC) !== MAGIC) throw new Error('not a trace ring');
    this.slots = this.i32[W.SLOTS]!;
    this.capacity = this.i32[W.CAPACITY]!;
    this.origin = this.f64[W.ORIGIN / 2]!;
    this.originNow = this.origin - performance.timeOrigin;
  }

  /** A ring for `slots` threads keeping the last `capacity` records each (rounded up to a power of two). */
  static create(slots: number, capacity: number): TraceRing {
    if (!Number.isInteger(slots) || slots < 1)
      throw new RangeError(`trace ring slots must be >= 1, got ${slots}`);
    const cap = 2 ** Math.ceil(Math.log2(Math.max(2, capacity)));
    const words = HEADER + slots * (2 + REC * cap);
    const sab = new SharedArrayBuffer(words * 4);
    const i32 = new Int32Array(sab);
    i32[W.SLOTS] = slots;
    i32[W.CAPACITY] = cap;
    i32[W.SAMPLE] = 1;
    new Float64Array(sab)[W.ORIGIN / 2] = performance.timeOrigin + performance.now();
    Atomics.store(i32, W.MAGIC, MAGIC);
    return new TraceRing(sab);
  }

  /** The ring another thread created. */
  static attach(sab: SharedArrayBuffer): TraceRing {
    return new TraceRing(sab);
  }

  /** Span recording on or off (off costs one test per would-be record). */
  get enabled(): boolean {
    return Atomics.load(this.i32, W.ENABLED) === 1;
  }
  set enabled(on: boolean) {
    Atomics.store(this.i32, W.ENABLED, on ? 1 : 0);
  }
  /** Trace 1 in `sample` calls (1: every call). */
  get sample(): number {
    return Atomics.load(this.i32, W.SAMPLE);
  }
  set sample(n: number) {
    Atomics.store(this.i32, W.SAMPLE, Math.max(1, Math.floor(n)));
  }

  /** Records made so far by every thread (a progress counter for watchdogs). */
  get seq(): number {
    return Atomics.load(this.i32, W.SEQ);
  }

  private slotBase(slot: number): number {
    return HEADER + slot * (2 + REC * this.capacity);
  }

  /** Append a record to `slot`; a slot past the end is the last one (shared: several threads may write). */
  record(slot: number, kind: number, code: number, a: number, b: number): void {
    const s = slot < this.slots ? slot : this.slots - 1;
    const base = this.slotBase(s);
    const i32 = this.i32;
    const r = base + 2 + REC * (Atomics.add(i32, base, 1) & (this.capacity - 1));
    // ORDER: take the sequence number (the record's place in the global order), invalidate the record,
    // fill it, commit; a reader that sees the same COMMIT before and after its read has a whole record.
    const seq = Atomics.add(i32, W.SEQ, 1);
    Atomics.store(i32, r, 0);
    i32[r + 1] = code;
    i32[r + 2] = a | 0;
    i32[r + 3] = b | 0;
    i32[r + 4] = kind;
    this.f64[(r + 6) / 2] = (performance.now() - this.originNow) * 1000;
    Atomics.store(i32, r, seq + 1);
  }

  /** Records ever claimed in a slot (the ring keeps the last `capacity`). */
  written(slot: number): number {
    return Atomics.load(this.i32, this.slotBase(slot));
  }

  /** Every complete record still held, all slots merged in sequence order. Safe while threads write. */
  snapshot(): TraceRecord[] {
    const out: TraceRecord[] = [];
    for (let slot = 0; slot < this.slots; slot++) {
      const base = this.slotBase(slot);
      for (let i = 0; i < this.capacity; i++) {
        const r = base + 2 + REC * i;
        const commit = Atomics.load(this.i32, r);
        if (commit === 0) continue;
        const rec: TraceRecord = {
          seq: commit - 1,
          slot,
          kind: this.i32[r + 4]!,
          code: this.i32[r + 1]!,
          a: this.i32[r + 2]! >>> 0,
          b: this.i32[r + 3]! >>> 0,
          ts: this.f64[(r + 6) / 2]!,
        };
        if (Atomics.load(this.i32, r) === commit) out.push(rec);
      }
    }
    return out.sort((x, y) => x.seq - y.seq);
  }

  /** The newest `n` records, in order. */
  tail(n: number): TraceRecord[] {
    return this.snapshot().slice(-n);
  }

  /** The POINT records among `records`, as steps with their point names and epoch times. */
  points(records: readonly TraceRecord[] = this.snapshot()): PointRecord[] {
    const out: PointRecord[] = [];
    for (const r of records) {
      if (r.kind !== RecordKind.POINT) continue;
      out.push({
        seq: r.seq,
        slot: r.slot,
        point: POINTS[r.code] ?? ('?' as PointName),
        addr: r.a,
        gen: r.b,
        time: this.origin + r.ts / 1000,
      });
    }
    return out;
  }

  /** Forget everything recorded so far. Only while no thread records. */
  clear(): void {
    for (let slot = 0; slot < this.slots; slot++) {
      const base = this.slotBase(slot);
      Atomics.store(this.i32, base, 0);
      for (let i = 0; i < this.capacity; i++) Atomics.store(this.i32, base + 2 + REC * i, 0);
    }
  }
}
