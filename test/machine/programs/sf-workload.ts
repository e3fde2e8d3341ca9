// A guest workload for the cancel path with Shared Folders writes: each vCPU writes its own file at random
// offsets with short timeouts (and the test's random signals), every write's bytes stamped with the call
// that wrote them, and every outcome recorded so the file can be checked afterwards.
import { Status } from '../../../src/abi/index.js';
import { stamp, type WriteRecord } from '../../../src/programs/file-history.js';
import { ShflFn } from '../../../src/abi/shfl.js';
import { O } from '../../../src/vboxsf/mount.js';
import type { GuestContext } from '../../../src/guest/context.js';
import { Prng } from '../../../src/runtime/prng.js';
import * as sf from '../../../src/vboxsf/wrappers.js';

/** `writes` WRITEs to `/<name>` of share `share`, offsets below `span`, timeouts 0..maxTimeoutMs or forever. */
export function sfWrites(
  g: GuestContext,
  a: {
    share: string;
    name: string;
    writes: number;
    span: number;
    maxLen: number;
    maxTimeoutMs: number;
    seed: number;
    /** Word 0: vCPUs ready for signals; word 1: vCPUs done writing; word 2: 1 once signals stopped. */
    sync: SharedArrayBuffer;
  },
): { writes: WriteRecord[]; leakedBytes: number } {
  const fs = g.sf.mount(a.share);
  const fd = fs.open(`/${a.name}`, O.RDWR | O.CREAT | O.TRUNC);
  const sync = new Int32Array(a.sync);
  Atomics.add(sync, 0, 1);
  const handle = fs.handleOf(fd);
  const prng = new Prng(a.seed);
  const rnd = (n: number): number => prng.int(n);
  const buf = g.alloc(a.maxLen);
  const out: WriteRecord[] = [];
  let leaked = 0;
  for (let id = 0; id < a.writes; id++) {
    const length = 1 + rnd(a.maxLen);
    const offset = rnd(a.span);
    g.write(
      buf,
      Uint8Array.from({ length }, (_, i) => stamp(id, i)),
    );
    const timeoutMs = rnd(3) === 0 ? 0xffffffff : rnd(a.maxTimeoutMs + 1);
    const r = g.call(
      fs.clientId,
      ShflFn.WRITE,
      sf.ioParms(ShflFn.WRITE, fs.root, handle, BigInt(offset), { addr: buf, size: length }),
      { timeoutMs, interruptible: true },
    );
    const count = r.parms[3]?.type === 'u32' ? r.parms[3].value : 0;
    const outcome =
      r.cancel?.outcome === 'cancelled' || r.cancel?.outcome === 'leaked'
        ? r.cancel.outcome
        : r.rc === Status.VINF_SUCCESS && r.result >= 0
          ? 'completed'
          : 'failed';
    out.push({ id, offset, length, outcome, count });
    leaked += r.leakedBytes;
  }
  // Signals are only for the writes: close after the test has stopped sending them.
  Atomics.add(sync, 1, 1);
  while (Atomics.load(sync, 2) === 0) Atomics.wait(sync, 2, 0, 20);
  g.kernel.bus.consumeSignals();
  g.free(buf);
  fs.close(fd);
  fs.unmount();
  return { writes: out, leakedBytes: leaked };
}
