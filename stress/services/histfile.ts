// Test service "histfile": one file in service-wide shared memory, written by guest calls, so the stress
// harness can check the file's history (invariant I12) without a real file system, on a service that polls
// the cancel mark before its write (S19 checks Shared Folders writes to a real file; stress/README.md,
// "File history").
//
// Function 1 (WRITE): parms [u32 ms, u32 offset, in buffer, u32 written (out)]. After `ms` the service
// polls isCancelled: a call already cancelled then never touches the file; otherwise the bytes are written
// (clipped to the file's size), `written` says how many, and the call completes. The write itself is the
// side effect a cancel does not undo: a call cancelled after it is indeterminate.
//
//   shared: word 0 writes applied   word 1 calls seen cancelled before the write   bytes 64.. the file
import { Status } from '../../src/abi/index.js';
import { defineService, type SvcCall } from '../../src/hgcm/service-api.js';

/** The file's size in bytes. */
export const HISTFILE_BYTES = 16384;
const DATA = 64;

/** Function numbers. */
export const HistFileFn = { WRITE: 1 } as const;

/** The file's bytes inside the service's shared memory. */
export function histFileBytes(shared: SharedArrayBuffer): Uint8Array {
  return new Uint8Array(shared, DATA, HISTFILE_BYTES);
}

function write(shared: SharedArrayBuffer, call: SvcCall): void {
  const [, off, src, out] = call.parms;
  const words = new Int32Array(shared, 0, 2);
  if (call.isCancelled()) {
    Atomics.add(words, 1, 1);
    call.complete(Status.VERR_CANCELLED);
    return;
  }
  if (off?.type !== 1 || src?.type !== 3 || out?.type !== 1) {
    call.complete(Status.VERR_INVALID_PARAMETER);
    return;
  }
  const file = histFileBytes(shared);
  const n = Math.max(0, Math.min(src.size, src.buf.length, HISTFILE_BYTES - off.u32));
  if (n > 0) file.set(src.buf.subarray(0, n), off.u32);
  out.u32 = n;
  Atomics.add(words, 0, 1);
  call.complete(Status.VINF_SUCCESS);
}

export default defineService({
  sharedBytes: DATA + HISTFILE_BYTES,
  call(ctx, call) {
    const ms = call.parms[0];
    if (call.fn !== HistFileFn.WRITE) return Status.VERR_NOT_IMPLEMENTED;
    if (ms?.type !== 1 || call.parms.length !== 4 || ctx.shared === undefined)
      return Status.VERR_INVALID_PARAMETER;
    const shared = ctx.shared;
    ctx.setTimer(ms.u32, () => write(shared, call));
    return Status.VINF_HGCM_ASYNC_EXECUTE;
  },
});
