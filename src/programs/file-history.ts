// The file-history check for Shared Folders writes (invariant I12, FileHistory): each write stamps its
// bytes with its own id, so every byte of the final file can be attributed to the write that put it there.

/** One WRITE as the guest saw it end. */
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
 * Is `file` explained by `writes` (one writer, in program order)? Completed writes took effect in order,
 * each before the next was issued; a cancelled or leaked write is indeterminate: it took effect whole or
 * not at all, at any time after it was issued (its host worker may run it after later writes). So a byte
 * holds the stamp of the last completed write covering it (0 if none), or of any indeterminate write
 * covering it. Returns the first unexplained byte, or undefined. `from`/`to` limit the check to a range
 * (for reads of part of a file).
 */
export function explainFile(
  file: Uint8Array,
  writes: readonly WriteRecord[],
  from = 0,
  checkSize = true,
): string | undefined {
  if (checkSize) {
    let completedEnd = 0;
    let anyEnd = 0;
    for (const w of writes) {
      if (w.outcome === 'completed') completedEnd = Math.max(completedEnd, w.offset + w.count);
      if (w.outcome !== 'failed')
        anyEnd = Math.max(anyEnd, w.offset + (w.outcome === 'completed' ? w.count : w.length));
    }
    if (file.length < completedEnd)
      return `file is ${file.length} bytes but completed writes reach ${completedEnd}`;
    if (file.length > anyEnd) return `file is ${file.length} bytes but no write reaches past ${anyEnd}`;
  }
  for (let i = 0; i < file.length; i++) {
    const p = from + i;
    let settled = false;
    let ok = false;
    for (let k = writes.length - 1; k >= 0 && !ok; k--) {
      const w = writes[k]!;
      const indeterminate = w.outcome === 'cancelled' || w.outcome === 'leaked';
      const covers = p >= w.offset && p < w.offset + (w.outcome === 'completed' ? w.count : w.length);
      if (!covers || w.outcome === 'failed' || (settled && !indeterminate)) continue;
      if (file[i] === stamp(w.id, p - w.offset)) ok = true;
      if (w.outcome === 'completed') settled = true;
    }
    if (!ok && !settled && file[i] === 0) ok = true;
    if (!ok) return `byte ${p} is ${file[i]}, which no write explains`;
  }
  return undefined;
}
