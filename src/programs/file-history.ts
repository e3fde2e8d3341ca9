// The file-history check (invariant I12, FileHistory, Jepsen-style), one for every writer of a file: the
// demo and its test (Shared Folders writes of one guest program, in program order) and the stress harness
// (its histfile service, and Shared Folders writes of several guest threads, in real time).
//
// Every write is an operation that ended :ok (completed, with the byte count the host reported), :fail
// (never reached the host) or :info (cancelled or leaked: the host may or may not have written it - a
// cancel only stops the write-back). Each write's bytes are stamped with its tag (`byteOf`), so every byte
// of the final file can be attributed. The file must be explained by some order in which each :ok write
// took effect with exactly its count between its start and its end, each :fail write never, each :info
// write at most once, after its start and no later than its `landsBy`.
//
// The check is per byte: the final value must be the byte of a write that may have been the last to cover
// that position - an :ok or :info write covering it that no :ok write covering it definitely followed
// (started after the write's latest landing time) - or, where no :ok write covers it, the initial content
// (zero past its end: a hole). This also means a completed write is visible unless a write that may have
// come after it covers it. For a whole file, its size must lie between what the :ok writes reach and what
// any write may reach.

/** How a write ended, Jepsen style. */
export type FileOpStatus = 'ok' | 'fail' | 'info';

/** One write. Times are any real-time order stamps (sim steps, wall-clock ms, program order). */
export interface FileOp {
  readonly tag: number;
  readonly offset: number;
  /** Bytes the guest asked to write. */
  readonly len: number;
  /** For :ok, the bytes the host reported written. */
  readonly written: number;
  readonly status: FileOpStatus;
  readonly start: number;
  readonly end: number;
  /**
   * For :info, the latest time the write may take effect (default `end`: the service checks the cancel
   * mark before its side effect). Infinity when a host worker may still run it after the guest gave up
   * (Shared Folders: the host starts the write once it has copied the input, whatever the cancel says).
   */
  readonly landsBy?: number;
}

/** What the checked bytes are. */
export interface FileCheckOptions {
  /** The file before the first write (default empty); zero past its end. */
  readonly initial?: Uint8Array;
  /** The bytes checked start at this file offset (part of a file, as a read returned it). Default 0. */
  readonly from?: number;
  /** The bytes are the whole file: check its size too. Default false. */
  readonly whole?: boolean;
}

/** The first position the history cannot explain, or undefined when it is consistent. */
export function checkFileHistory(
  ops: readonly FileOp[],
  content: Uint8Array,
  byteOf: (tag: number, i: number) => number,
  o: FileCheckOptions = {},
): string | undefined {
  const initial = o.initial ?? new Uint8Array(0);
  const from = o.from ?? 0;
  const reach = (op: FileOp): number => (op.status === 'ok' ? op.written : op.len);
  const live = ops.filter((op) => op.status !== 'fail' && reach(op) > 0);
  if (o.whole === true) {
    let okEnd = initial.length;
    let anyEnd = initial.length;
    for (const op of live) {
      if (op.status === 'ok') okEnd = Math.max(okEnd, op.offset + op.written);
      anyEnd = Math.max(anyEnd, op.offset + reach(op));
    }
    if (content.length < okEnd)
      return `the file is ${content.length} bytes but completed writes reach ${okEnd}`;
    if (content.length > anyEnd)
      return `the file is ${content.length} bytes but no write reaches past ${anyEnd}`;
  }
  const landsBy = (op: FileOp): number => (op.status === 'ok' ? op.end : (op.landsBy ?? op.end));
  // Which writes cover a position changes only where a write begins or ends: the file is checked one
  // stretch between such bounds at a time, its covering writes and candidates worked out once (a final
  // check of every run of a campaign; per byte, this was most of its cost).
  const end = from + content.length;
  const bounds = new Set<number>([from, end]);
  for (const op of live) {
    if (op.offset > from && op.offset < end) bounds.add(op.offset);
    const stop = op.offset + reach(op);
    if (stop > from && stop < end) bounds.add(stop);
  }
  const cuts = [...bounds].sort((a, b) => a - b);
  for (let k = 0; k + 1 < cuts.length; k++) {
    const lo = cuts[k]!;
    const cover = live.filter((op) => lo >= op.offset && lo < op.offset + reach(op));
    const oks = cover.filter((op) => op.status === 'ok');
    // A candidate is a write no :ok write covering p definitely came after.
    const candidates = cover.filter((w) => !oks.some((ok) => ok !== w && ok.start > landsBy(w)));
    for (let p = lo; p < cuts[k + 1]!; p++) {
      const byte = content[p - from]!;
      const base = p < initial.length ? initial[p]! : 0;
      if (cover.length === 0) {
        if (byte !== base) return `byte ${p} is ${byte} but no write covers it (it was ${base})`;
        continue;
      }
      if (oks.length === 0 && byte === base) continue;
      let explained = false;
      for (const w of candidates) if (byteOf(w.tag, p - w.offset) === byte) explained = true;
      if (!explained) {
        const who = candidates.map((w) => `${w.tag}:${w.status}`).join(', ');
        return `byte ${p} is ${byte}; the writes that may have been last there (${who || 'none'}) say otherwise`;
      }
    }
  }
  return undefined;
}

/** One WRITE as a guest program saw it end (the demo's record). */
export interface WriteRecord {
  readonly id: number;
  readonly offset: number;
  readonly length: number;
  /** 'completed' (count bytes reported written), 'cancelled' / 'leaked' (indeterminate), or 'failed'. */
  readonly outcome: 'completed' | 'cancelled' | 'leaked' | 'failed';
  readonly count: number;
}

/** Byte `i` of write `id`. */
export function stamp(id: number, i: number): number {
  return (Math.imul(id + 1, 0x9e3779b1) ^ Math.imul(i + 7, 0x85ebca6b)) >>> 24;
}

/** The bytes write `id` writes. */
export function stamped(id: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = stamp(id, i);
  return b;
}

/**
 * Is `file` explained by `writes` (one writer, in program order, bytes by `stamp`)? Each write was issued
 * after the one before it ended; a cancelled or leaked write may take effect at any time after it was
 * issued (its host worker may run it after later writes). `from` and `checkSize` as `FileCheckOptions`'
 * `from` and `whole` (a read of part of a file). Returns the first unexplained byte, or undefined.
 */
export function explainFile(
  file: Uint8Array,
  writes: readonly WriteRecord[],
  from = 0,
  checkSize = true,
): string | undefined {
  const ops = writes.map((w, k): FileOp => ({
    tag: w.id,
    offset: w.offset,
    len: w.length,
    written: w.count,
    status: w.outcome === 'completed' ? 'ok' : w.outcome === 'failed' ? 'fail' : 'info',
    start: 2 * k,
    end: 2 * k + 1,
    landsBy: Infinity,
  }));
  return checkFileHistory(ops, file, stamp, { from, whole: checkSize });
}
