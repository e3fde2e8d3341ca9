// The file-history oracle (invariant I12, Jepsen-style): every guest write is an operation that ended
// :ok (completed, with the byte count the host reported), :fail (never reached the host) or :info
// (cancelled or leaked: the host may or may not have written it - cancel only stops the write-back).
// Each write's payload is stamped per byte (payloadByte), so every byte of the final file can be
// attributed. The final file must be explained by some order consistent with real time in which each :ok
// write took effect with exactly its count, each :fail never, each :info at most once.
//
// The check is per byte: the final value must be the byte of a write that may have been the last to
// cover that position - an :ok or :info write covering it that no :ok write covering it definitely
// followed (ended before it started) - or the initial zero when no :ok write covers it.
// Pluggable: anything that yields FileOps and the final bytes can be checked (histfile today; Shared
// Folders' SHFL_FN_WRITE once that service lands).

/** How a write ended, Jepsen style. */
export type FileOpStatus = 'ok' | 'fail' | 'info';

/** One guest write. Times are any real-time order stamps (sim steps, wall-clock ms). */
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
}

/** Something the oracle can check: the operations and the file they produced. */
export interface FileHistorySource {
  readonly name: string;
  ops(): readonly FileOp[];
  content(): Uint8Array;
}

/** The first position the history cannot explain, or undefined when it is consistent. */
export function checkFileHistory(
  ops: readonly FileOp[],
  content: Uint8Array,
  byteOf: (tag: number, i: number) => number,
): string | undefined {
  const covering = (op: FileOp, p: number): boolean =>
    p >= op.offset && p < op.offset + (op.status === 'ok' ? op.written : op.len);
  const touched = new Set<number>();
  for (const op of ops) {
    if (op.status === 'fail') continue;
    const n = op.status === 'ok' ? op.written : op.len;
    for (let p = op.offset; p < op.offset + n && p < content.length; p++) touched.add(p);
  }
  for (let p = 0; p < content.length; p++) {
    const byte = content[p]!;
    if (!touched.has(p)) {
      if (byte !== 0) return `byte ${p} is ${byte} but no write covers it`;
      continue;
    }
    const cover = ops.filter((op) => op.status !== 'fail' && covering(op, p));
    const oks = cover.filter((op) => op.status === 'ok');
    // A candidate is a write no :ok write covering p definitely came after.
    const candidates = cover.filter((w) => !oks.some((o) => o !== w && o.start > w.end));
    const allowed = new Set(candidates.map((w) => byteOf(w.tag, p - w.offset)));
    if (oks.length === 0) allowed.add(0);
    if (!allowed.has(byte)) {
      const who = candidates.map((w) => `${w.tag}:${w.status}`).join(', ');
      return `byte ${p} is ${byte}; the writes that may have been last there (${who || 'none'}) say otherwise`;
    }
  }
  // Every :ok write must be visible somewhere unless later :ok writes cover all of it.
  for (const w of ops) {
    if (w.status !== 'ok' || w.written === 0) continue;
    let seen = false;
    for (let p = w.offset; p < w.offset + w.written && !seen; p++) {
      const hidden = ops.some((o) => o !== w && o.status !== 'fail' && covering(o, p) && o.end >= w.start);
      if (hidden || content[p] === byteOf(w.tag, p - w.offset)) seen = true;
    }
    if (!seen) return `the completed write ${w.tag} at ${w.offset} (+${w.written}) left no trace`;
  }
  return undefined;
}
