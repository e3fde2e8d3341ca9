// The control block's layout (controlled threads, issue 17): shared by the gates (runtime/control.ts), the
// coordinator's view of them and the controlled machine's virtual clock and timers (control-clock.ts). No
// upstream source. Runs on every thread of a controlled machine and on the coordinating thread.
//
// Int32 words, then Float64s:
//   word 0 ENABLED   1 while a coordinator decides (and time is virtual); 0: every gate is open, wall time
//   word 1 CHANGE    bumped (and notified) whenever a thread leaves RUNNING or a timer fired: the bell
//   word 2 CLOCK     bumped (and notified) whenever the clock moves or changes mode: host timers wait on it
//   slot s at 4 + 10 s: STATE, AT, ADDR, GEN, GRANT, CELL_BUF, CELL_WORD, CELL_SEEN, LOOP, WAKES
//   f64 0 VNOW       virtual time (ms since the epoch) while ENABLED
//   f64 1 OFFSET     while not ENABLED the clock reads wall time + OFFSET (the virtual time gained so far)
//   f64 2 + s        slot s's wait deadline (clock ms since the epoch; Infinity)
//   f64 2 + n + s    slot s's earliest host timer (clock ms since the epoch; Infinity when none)

/** Word indices of the control block (header, then a slot's words from its base). */
export const CtlWord = {
  ENABLED: 0,
  CHANGE: 1,
  CLOCK: 2,
  HEADER: 4,
  SLOT: 10,
  STATE: 0,
  AT: 1,
  ADDR: 2,
  GEN: 3,
  GRANT: 4,
  CELL_BUF: 5,
  CELL_WORD: 6,
  CELL_SEEN: 7,
  /** 1 while no step machine runs synchronously on the thread: its event loop can fire a timer. */
  LOOP: 8,
  /** Real waits this thread returned from (bumped before its WAKE gate). */
  WAKES: 9,
} as const;

/** Float64 indices of the control block. */
export const CtlF64 = { VNOW: 0, OFFSET: 1, DEADLINES: 2 } as const;

const wordsFor = (slots: number): number => CtlWord.HEADER + CtlWord.SLOT * slots;
const f64sFor = (slots: number): number => CtlF64.DEADLINES + 2 * slots;

/** Bytes of a block for `slots` threads (the Float64s start 8-aligned: HEADER and SLOT are even). */
export function controlBytes(slots: number): number {
  return 4 * wordsFor(slots) + 8 * f64sFor(slots);
}

/** A block's two views and its slot count. */
export interface ControlViews {
  readonly slots: number;
  readonly w: Int32Array;
  readonly f: Float64Array;
  /** Index in `f` of slot s's deadline is `deadline + s`, of its earliest timer `timer + s`. */
  readonly deadline: number;
  readonly timer: number;
}

/** The views of a control block. */
export function controlViews(sab: SharedArrayBuffer): ControlViews {
  // bytes = 4 (HEADER + SLOT n) + 8 (DEADLINES + 2 n)
  const slots = (sab.byteLength - 4 * CtlWord.HEADER - 8 * CtlF64.DEADLINES) / (4 * CtlWord.SLOT + 16);
  return {
    slots,
    w: new Int32Array(sab, 0, wordsFor(slots)),
    f: new Float64Array(sab, 4 * wordsFor(slots), f64sFor(slots)),
    deadline: CtlF64.DEADLINES,
    timer: CtlF64.DEADLINES + slots,
  };
}

/** Ring a bell word: bump it and wake whoever waits on it. */
export function ring(w: Int32Array, index: number): void {
  Atomics.add(w, index, 1);
  Atomics.notify(w, index);
}

/** Wall time in ms since the epoch, comparable across threads (each has its own performance.timeOrigin). */
export const wallEpoch = (): number => performance.timeOrigin + performance.now();
