// The main job's guest workload: on one vCPU, a mix of Shared Folders writes and reads (every byte stamped
// and checked), echo calls (checked), and delay calls that outlive their timeouts, with the main thread's
// signals landing anywhere. It reports every call's outcome so the host side can check the invariants.
import { Status } from '../abi/index.js';
import { ShflFn } from '../abi/index.js';
import type { GuestContext } from '../guest/index.js';
import type { HgcmCallResult } from '../vcpu/index.js';
import { ioParms, O } from '../vboxsf/index.js';
import { explainFile, stamped, type WriteRecord } from './file-history.js';
import { Prng } from '../runtime/index.js';

/** Word of DemoArgs.progress the main thread sets once it sends no more signals. */
export const SIGNALS_STOPPED = 63;
/** First of the per-vCPU "mounted, signal away" words of DemoArgs.progress. */
export const READY = 32;

/** The workload's knobs. */
export interface DemoArgs {
  readonly share: string;
  readonly file: string;
  readonly ops: number;
  readonly seed: number;
  /** Largest write or read, bytes. */
  readonly maxIo: number;
  /** Offsets lie below this. */
  readonly span: number;
  /**
   * Word `index`: ops done (the main thread's progress line reads it); word 32 + `index`: 1 once mounted
   * (signals may start); word 63: 1 once the main thread sends no more signals.
   */
  readonly progress: SharedArrayBuffer;
  readonly index: number;
}

/** What one vCPU did. */
export interface DemoReport {
  readonly calls: number;
  readonly byOutcome: { completed: number; cancelled: number; leaked: number; sync: number };
  readonly leakedBytes: number;
  readonly bytesWritten: number;
  readonly bytesRead: number;
  readonly writes: WriteRecord[];
  /** Reads, echoes or outcomes that broke an invariant (must stay empty). */
  readonly violations: string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Run the mix. */
export function main(g: GuestContext, a: DemoArgs): DemoReport {
  const fs = g.sf.mount(a.share);
  const fd = fs.open(`/${a.file}`, O.RDWR | O.CREAT | O.TRUNC);
  const handle = fs.handleOf(fd);
  const echo = g.connect('echo');
  const delay = g.connect('delay');
  const prng = new Prng(a.seed);
  const rnd = (n: number): number => prng.int(n);
  const buf = g.alloc(a.maxIo);
  const out = g.alloc(a.maxIo);
  const progress = new Int32Array(a.progress);
  Atomics.store(progress, READY + a.index, 1);
  const r: Mutable<DemoReport> = {
    calls: 0,
    byOutcome: { completed: 0, cancelled: 0, leaked: 0, sync: 0 },
    leakedBytes: 0,
    bytesWritten: 0,
    bytesRead: 0,
    writes: [],
    violations: [],
  };
  const count = (res: HgcmCallResult): 'completed' | 'cancelled' | 'leaked' | 'sync' | 'failed' => {
    r.calls++;
    r.leakedBytes += res.leakedBytes;
    const o = res.sync
      ? 'sync'
      : res.cancel?.outcome === 'cancelled' || res.cancel?.outcome === 'leaked'
        ? res.cancel.outcome
        : 'completed';
    r.byOutcome[o]++;
    if (o === 'completed' && res.rc !== Status.VINF_SUCCESS)
      r.violations.push(`a completed call returned rc ${res.rc}`);
    return o === 'completed' && res.result < 0 ? 'failed' : o;
  };
  for (let op = 0; op < a.ops; op++) {
    const kind = rnd(10);
    // A third of the file I/O waits forever (only a signal ends it, as vboxsf); the rest 0-3 ms.
    const timeoutMs = rnd(3) === 0 ? 0xffffffff : rnd(4);
    if (kind < 5) {
      const length = 1 + rnd(a.maxIo);
      const offset = rnd(a.span);
      const id = r.writes.length;
      g.write(buf, stamped(id, length));
      const res = g.call(
        fs.clientId,
        ShflFn.WRITE,
        ioParms(ShflFn.WRITE, fs.root, handle, BigInt(offset), { addr: buf, size: length }),
        { timeoutMs, interruptible: true },
      );
      const o = count(res);
      const written = res.parms[3]?.type === 'u32' ? res.parms[3].value : 0;
      r.writes.push({ id, offset, length, outcome: o === 'sync' ? 'failed' : o, count: written });
      if (o === 'completed') r.bytesWritten += written;
    } else if (kind < 8) {
      const length = 1 + rnd(a.maxIo);
      const offset = rnd(a.span);
      const res = g.call(
        fs.clientId,
        ShflFn.READ,
        ioParms(ShflFn.READ, fs.root, handle, BigInt(offset), { addr: out, size: length }),
        { timeoutMs, interruptible: true },
      );
      if (count(res) === 'completed') {
        const got = res.parms[3]?.type === 'u32' ? res.parms[3].value : 0;
        r.bytesRead += got;
        const bad = explainFile(g.read(out, got), r.writes, offset, false);
        if (bad !== undefined) r.violations.push(`read at ${offset}: ${bad}`);
      }
    } else if (kind < 9) {
      const length = 1 + rnd(4096);
      g.write(buf, stamped(100_000 + op, length));
      const res = g.call(echo.clientId, 1, [
        { type: 'in', addr: buf, size: length },
        { type: 'out', addr: out, size: length },
      ]);
      if (
        count(res) === 'completed' &&
        Buffer.compare(Buffer.from(g.read(out, length)), Buffer.from(stamped(100_000 + op, length))) !== 0
      ) {
        r.violations.push(`echo ${op} came back different`);
      }
    } else {
      // A delay the timeout does not cover: the cancel path (and on an old host, the legacy fallback).
      count(
        g.call(delay.clientId, 1, [{ type: 'u32', value: 5 + rnd(20) }], {
          timeoutMs: rnd(5),
          interruptible: true,
        }),
      );
    }
    Atomics.store(progress, a.index, op + 1);
  }
  // Signals are for the workload: wait until the main thread has stopped sending them, then close.
  while (Atomics.load(progress, SIGNALS_STOPPED) === 0) Atomics.wait(progress, SIGNALS_STOPPED, 0, 20);
  g.kernel.bus.consumeSignals();
  g.free(buf);
  g.free(out);
  g.disconnect(echo.clientId);
  g.disconnect(delay.clientId);
  fs.close(fd);
  fs.unmount();
  return r;
}
