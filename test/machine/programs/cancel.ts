// Guest programs for the cancel-race scenarios: one call with a chosen wait, optionally stopping at an
// armed hook once connected, and a report of everything the caller can observe.
import { Status } from '../../../src/abi/index.js';
import { FaultTable, type FaultName } from '../../../src/runtime/faults.js';
import { HookTable } from '../../../src/runtime/hooks.js';
import type { PointName } from '../../../src/runtime/points.js';
import type { GuestContext } from '../../../src/guest/context.js';
import { hgcmDisconnect } from '../../../src/vcpu/vboxguest.js';

/** What one call ended as. */
export interface CallReport {
  readonly rc: number;
  readonly result: number;
  readonly sync: boolean;
  readonly outcome: string | undefined;
  readonly cancelRc: number | undefined;
  readonly fallback: boolean | undefined;
  readonly leakedBytes: number;
  readonly request: { addr: number; gen: number } | undefined;
  readonly out: number[];
  readonly tookMs: number;
  /** The echo call made right after (reusing memory at once), if asked for. */
  readonly after: { rc: number; result: number; same: boolean } | undefined;
}

/** Arguments of `oneCall`. */
export interface OneCallArgs {
  /** The hook table (Machine.hooks.sab): points to arm once connected. */
  readonly hooks?: SharedArrayBuffer;
  readonly arm?: readonly PointName[];
  /** delay SLEEP (ms) or SLEEP_ECHO when `echoBytes` is set. */
  readonly ms: number;
  readonly echoBytes?: number;
  readonly timeoutMs?: number;
  readonly interruptible?: boolean;
  /** Make an echo call right after, so freed memory is reused at once. */
  readonly thenEcho?: boolean;
  /** The fault table (Machine.faultsSab) and faults to switch on once connected. */
  readonly faults?: SharedArrayBuffer;
  readonly faultsOn?: readonly FaultName[];
  /** Publish the client id here (Int32Array word 0) before the call, for another vCPU to use. */
  readonly share?: SharedArrayBuffer;
  /** The service to call function 1 (its u32 parameter `ms`) of; default 'delay'. */
  readonly service?: string;
}

/** Connect to delay (or `a.service`), arm the hooks, make one call, report. */
export function oneCall(g: GuestContext, a: OneCallArgs): CallReport {
  const c = g.connect(a.service ?? 'delay');
  if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect: ${c.rc}`);
  const echo = a.thenEcho === true ? g.connect('echo') : undefined;
  // Armed before the client id is published: another vCPU's call on it must find the hooks set.
  if (a.hooks !== undefined) for (const p of a.arm ?? []) new HookTable(a.hooks).arm(p);
  if (a.share !== undefined) {
    const w = new Int32Array(a.share);
    Atomics.store(w, 0, c.clientId);
    Atomics.notify(w, 0);
  }
  const n = a.echoBytes ?? 0;
  const src = n > 0 ? g.alloc(n) : 0;
  const dst = n > 0 ? g.alloc(n) : 0;
  if (n > 0)
    g.write(
      src,
      Uint8Array.from({ length: n }, (_, i) => (i * 13 + 1) & 0xff),
    );
  if (a.faults !== undefined) for (const f of a.faultsOn ?? []) new FaultTable(a.faults).set(f, true);
  const t0 = g.now();
  const r =
    n > 0
      ? g.call(
          c.clientId,
          2,
          [
            { type: 'u32', value: a.ms },
            { type: 'in', addr: src, size: n },
            { type: 'out', addr: dst, size: n },
          ],
          { timeoutMs: a.timeoutMs ?? 0xffffffff, interruptible: a.interruptible ?? true },
        )
      : g.call(c.clientId, 1, [{ type: 'u32', value: a.ms }], {
          timeoutMs: a.timeoutMs ?? 0xffffffff,
          interruptible: a.interruptible ?? true,
        });
  const tookMs = g.now() - t0;
  const out = n > 0 ? Array.from(g.read(dst, n)) : [];
  let after: CallReport['after'];
  if (echo !== undefined) {
    const s = g.alloc(64);
    const d = g.alloc(64);
    const bytes = Uint8Array.from({ length: 64 }, (_, i) => 255 - i);
    g.write(s, bytes);
    const e = g.call(echo.clientId, 1, [
      { type: 'in', addr: s, size: 64 },
      { type: 'out', addr: d, size: 64 },
    ]);
    after = {
      rc: e.rc,
      result: e.result,
      same: Buffer.compare(Buffer.from(g.read(d, 64)), Buffer.from(bytes)) === 0,
    };
  }
  return {
    rc: r.rc,
    result: r.result,
    sync: r.sync,
    outcome: r.cancel?.outcome,
    cancelRc: r.cancel?.cancelRc,
    fallback: r.cancel?.fallback,
    leakedBytes: r.leakedBytes,
    request: r.request,
    out,
    tookMs,
    after,
  };
}

/** The kernel fast path on a client id the host does not know: the host answers at once. */
export function syncRefusal(g: GuestContext): { rc: number; requestRc: number } {
  const p = g.prepareCall(0x7ffffff0, 1, [{ type: 'u32', value: 1 }]);
  const rc = g.fastCall(p.addr);
  const requestRc = g.ram.readI32(p.addr, 12);
  g.heap.free(p.addr);
  return { rc, requestRc };
}

/** Wait for a client id published in `share`, then disconnect it from the kernel (no session check). */
export function disconnectShared(g: GuestContext, a: { share: SharedArrayBuffer }): number {
  const w = new Int32Array(a.share);
  while (Atomics.load(w, 0) === 0) Atomics.wait(w, 0, 0, 50);
  return g.run(hgcmDisconnect(g.kernel, Atomics.load(w, 0), 0x1));
}

/** Wait for a client id published in `share`, then make one delay call on it as a kernel driver would. */
export function callShared(
  g: GuestContext,
  a: { share: SharedArrayBuffer; ms: number; timeoutMs: number },
): CallReport {
  const w = new Int32Array(a.share);
  while (Atomics.load(w, 0) === 0) Atomics.wait(w, 0, 0, 50);
  const t0 = g.now();
  const r = g.callKernel(Atomics.load(w, 0), 1, [{ type: 'u32', value: a.ms }], {
    timeoutMs: a.timeoutMs,
    interruptible: true,
  });
  return {
    rc: r.rc,
    result: r.result,
    sync: r.sync,
    outcome: r.cancel?.outcome,
    cancelRc: r.cancel?.cancelRc,
    fallback: r.cancel?.fallback,
    leakedBytes: r.leakedBytes,
    request: r.request,
    out: [],
    tookMs: g.now() - t0,
    after: undefined,
  };
}
