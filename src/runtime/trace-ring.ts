// A per-thread event ring in shared memory: every thread of a machine records the interleaving points it
// passes (global sequence number, wall-clock time, thread slot, point, addr, gen) without locks or messages,
// and any thread can take a snapshot merged by sequence number. The stress harness checks it offline and
// prints its tail when a run hangs; tracing (Chrome trace export) reads the same records.
//
//   word 0 SEQ   next global sequence number (Atomics.add)
//   word 1 SLOTS   word 2 CAPACITY (records per slot, a power of two)   word 3 MAGIC
//   word 16 + s: WRITE(s), records claimed in slot s so far (Atomics.add: several threads may share a slot)
//   then records, 8 words each, slot after slot:
//     +0 COMMIT  seq + 1 once the record is complete (0 while being written)
//     +1 point id   +2 addr   +3 gen   +4..+5 time (float64, ms since the epoch: comparable across threads)
import { POINTS, type PointName } from './points.js';
import type { PointEffect } from './proc.js';

const SEQ = 0;
const SLOTS = 1;
const CAPACITY = 2;
const MAGIC = 3;
const WRITE = 16;
const REC = 8;
const RING_MAGIC = 0x54524347; // 'TRCG'

/** One recorded point. */
export interface TraceRecord {
  /** Global order across every thread. */
  readonly seq: number;
  readonly slot: number;
  readonly point: PointName;
  readonly addr: number;
  readonly gen: number;
  /** ms since the epoch (performance.timeOrigin + performance.now() of the recording thread). */
  readonly time: number;
}

/** The ring of one machine. */
export class TraceRing {
  readonly sab: SharedArrayBuffer;
  readonly slots: number;
  readonly capacity: number;
  private readonly w: Int32Array;
  private readonly f: Float64Array;
  private readonly recBase: number;

  private constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.w = new Int32Array(sab);
    this.f = new Float64Array(sab);
    if (Atomics.load(this.w, MAGIC) !== RING_MAGIC) throw new Error('not a trace ring');
    this.slots = this.w[SLOTS]!;
    this.capacity = this.w[CAPACITY]!;
    // Records start on an 8-word boundary so their float64 time is aligned.
    this.recBase = Math.ceil((WRITE + this.slots) / REC) * REC;
  }

  /** A ring of `slots` threads keeping the last `capacity` records each (rounded up to a power of two). */
  static create(slots: number, capacity: number): TraceRing {
    if (!Number.isInteger(slots) || slots < 1)
      throw new RangeError(`trace ring slots must be >= 1, got ${slots}`);
    const cap = 2 ** Math.ceil(Math.log2(Math.max(2, capacity)));
    const base = Math.ceil((WRITE + slots) / REC) * REC;
    const w = new Int32Array(new SharedArrayBuffer(4 * (base + slots * cap * REC)));
    w[SLOTS] = slots;
    w[CAPACITY] = cap;
    Atomics.store(w, MAGIC, RING_MAGIC);
    return new TraceRing(w.buffer as SharedArrayBuffer);
  }

  /** The ring another thread created. */
  static attach(sab: SharedArrayBuffer): TraceRing {
    return new TraceRing(sab);
  }

  /** Points recorded so far by every thread (a progress counter for watchdogs). */
  get seq(): number {
    return Atomics.load(this.w, SEQ);
  }

  /** Record one point in `slot`. */
  record(slot: number, point: number, addr: number, gen: number): void {
    const s = slot < this.slots ? slot : this.slots - 1;
    const i = Atomics.add(this.w, WRITE + s, 1) & (this.capacity - 1);
    const at = this.recBase + (s * this.capacity + i) * REC;
    // ORDER: take the sequence number first (it is the point's place in the global order), invalidate the
    // record, fill it, then commit; a reader that sees the same COMMIT before and after read a whole record.
    const seq = Atomics.add(this.w, SEQ, 1);
    Atomics.store(this.w, at, 0);
    this.w[at + 1] = point;
    this.w[at + 2] = addr | 0;
    this.w[at + 3] = gen | 0;
    this.f[(at + 4) / 2] = performance.timeOrigin + performance.now();
    Atomics.store(this.w, at, seq + 1);
  }

  /** A ThreadExecOptions.onPoint that records into `slot`. */
  recorder(slot: number): (p: PointEffect) => void {
    return (p) => this.record(slot, p.id, p.addr, p.gen);
  }

  /** Every complete record still in the ring, in global order. */
  snapshot(): TraceRecord[] {
    const out: TraceRecord[] = [];
    for (let s = 0; s < this.slots; s++) {
      for (let i = 0; i < this.capacity; i++) {
        const at = this.recBase + (s * this.capacity + i) * REC;
        const commit = Atomics.load(this.w, at);
        if (commit === 0) continue;
        const rec: TraceRecord = {
          seq: commit - 1,
          slot: s,
          point: POINTS[this.w[at + 1]!] ?? ('?' as PointName),
          addr: this.w[at + 2]! >>> 0,
          gen: this.w[at + 3]! >>> 0,
          time: this.f[(at + 4) / 2]!,
        };
        if (Atomics.load(this.w, at) === commit) out.push(rec);
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  /** The last `n` records in global order. */
  tail(n: number): TraceRecord[] {
    return this.snapshot().slice(-n);
  }
}
