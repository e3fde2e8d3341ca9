// A per-thread event ring in shared memory: every thread of a machine appends records (points and spans)
// to its own slot with no lock; any thread can take a snapshot merged by a global sequence number. It
// keeps the last `capacity` records per thread. Tracing and the threads stress executor's step log both
// write here.
//
//   word 0 MAGIC   1 SEQ (global sequence, Atomics.add)   2 SLOTS   3 CAPACITY   4 ENABLED   5 SAMPLE (1 in N)
//   6 origin time (f64 at byte 24, ms since the Unix epoch)
//   slot s at word HEADER + s * (2 + 8 * CAPACITY): [HEAD (records ever written), reserved, records...]
//   record (8 words, 32 bytes): seq, code, a, b, kind, reserved, ts (f64, µs since origin)

const MAGIC = 0x54524143; // 'TRAC'
const HEADER = 8;
const REC = 8;
const W = { MAGIC: 0, SEQ: 1, SLOTS: 2, CAPACITY: 3, ENABLED: 4, SAMPLE: 5, ORIGIN: 6 } as const;

/** Record kinds. */
export const RecordKind = {
  /** An interleaving point; code is a POINTS index. */
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
  readonly seq: number;
  readonly slot: number;
  readonly kind: number;
  readonly code: number;
  readonly a: number;
  readonly b: number;
  /** Microseconds since the ring's origin. */
  readonly ts: number;
}

/** The ring. */
export class TraceRing {
  readonly sab: SharedArrayBuffer;
  readonly slots: number;
  readonly capacity: number;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  /** performance.now() at the ring's origin, in this thread's clock. */
  private readonly originNow: number;

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.i32 = new Int32Array(sab);
    this.f64 = new Float64Array(sab);
    if (Atomics.load(this.i32, W.MAGIC) !== MAGIC) throw new Error('not a trace ring');
    this.slots = this.i32[W.SLOTS]!;
    this.capacity = this.i32[W.CAPACITY]!;
    // Each thread has its own performance.now() origin; the shared epoch origin ties them together.
    this.originNow = this.f64[W.ORIGIN / 2]! - performance.timeOrigin;
  }

  /** A ring for `slots` threads keeping `capacity` records each. */
  static create(slots: number, capacity: number): TraceRing {
    const words = HEADER + slots * (2 + REC * capacity);
    const sab = new SharedArrayBuffer(words * 4 + 8);
    const i32 = new Int32Array(sab);
    i32[W.SLOTS] = slots;
    i32[W.CAPACITY] = capacity;
    i32[W.SAMPLE] = 1;
    new Float64Array(sab)[W.ORIGIN / 2] = performance.timeOrigin + performance.now();
    Atomics.store(i32, W.MAGIC, MAGIC);
    return new TraceRing(sab);
  }

  static attach(sab: SharedArrayBuffer): TraceRing {
    return new TraceRing(sab);
  }

  /** Recording on or off (off costs one load per would-be record). */
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

  private slotBase(slot: number): number {
    return HEADER + slot * (2 + REC * this.capacity);
  }

  /** Append a record to `slot` (only ever called by the thread that owns the slot). */
  record(slot: number, kind: number, code: number, a: number, b: number): void {
    const base = this.slotBase(slot);
    const head = this.i32[base]!;
    const r = base + 2 + REC * (head % this.capacity);
    const i32 = this.i32;
    i32[r] = Atomics.add(i32, W.SEQ, 1);
    i32[r + 1] = code;
    i32[r + 2] = a | 0;
    i32[r + 3] = b | 0;
    i32[r + 4] = kind;
    this.f64[(r + 6) / 2] = (performance.now() - this.originNow) * 1000;
    // ORDER: the record is complete before the head that publishes it.
    Atomics.store(i32, base, head + 1);
  }

  /** Records ever written to a slot (the ring keeps the last `capacity`). */
  written(slot: number): number {
    return Atomics.load(this.i32, this.slotBase(slot));
  }

  /** Every record still held, all slots merged in sequence order. Safe while threads keep writing. */
  snapshot(): TraceRecord[] {
    const out: TraceRecord[] = [];
    for (let slot = 0; slot < this.slots; slot++) {
      const base = this.slotBase(slot);
      const head = Atomics.load(this.i32, base);
      const first = Math.max(0, head - this.capacity);
      for (let n = first; n < head; n++) {
        const r = base + 2 + REC * (n % this.capacity);
        out.push({
          seq: this.i32[r]! >>> 0,
          slot,
          kind: this.i32[r + 4]!,
          code: this.i32[r + 1]!,
          a: this.i32[r + 2]! >>> 0,
          b: this.i32[r + 3]! >>> 0,
          ts: this.f64[(r + 6) / 2]!,
        });
      }
    }
    out.sort((x, y) => x.seq - y.seq);
    return out;
  }

  /** Forget everything recorded so far. Only while no thread records. */
  clear(): void {
    for (let slot = 0; slot < this.slots; slot++) Atomics.store(this.i32, this.slotBase(slot), 0);
  }
}
