// Guest programs for the host-hardening tests (issue 13): calls to the misbehaving service, a page list the
// echo service may not write, calls left queued for a client that disconnects, a wait that never ends.
import { Status, VMMDevHGCMRequestHeader as Hdr } from '../../../src/abi/index.js';
import type { GuestContext } from '../../../src/guest/context.js';
import { gpa } from '../../../src/runtime/address.js';
import type { HgcmParm } from '../../../src/vcpu/guest-lib.js';
import type { HgcmWaitResult } from '../../../src/vcpu/hgcm-wait.js';

/** One call's ending as the guest saw it. */
export interface Ending {
  readonly rc: number;
  readonly result: number;
}

const PARMS: Record<string, (g: GuestContext) => HgcmParm[]> = {
  none: () => [],
  u32: () => [{ type: 'u32', value: 7 }],
  u64: () => [{ type: 'u64', value: 7n }],
  out: (g) => [{ type: 'out', addr: g.alloc(64), size: 64 }],
};

/**
 * `n` calls to misbehave function `fn` with parameters of kind `parm`, each on its own client; then an
 * echo VALUES call proves the machine still serves. `outByte`: the first byte of the last out buffer.
 */
export function badCalls(
  g: GuestContext,
  a: { fn: number; n: number; parm: string; timeoutMs: number },
): { endings: Ending[]; echo: number; outByte: number } {
  const endings: Ending[] = [];
  let outByte = -1;
  for (let i = 0; i < a.n; i++) {
    const c = g.connect('misbehave');
    if (c.rc !== Status.VINF_SUCCESS) {
      endings.push({ rc: c.rc, result: 0 });
      continue;
    }
    const parms = PARMS[a.parm]!(g);
    const r = g.call(c.clientId, a.fn, parms, { timeoutMs: a.timeoutMs });
    endings.push({ rc: r.rc, result: r.result });
    const p = parms[0];
    if (p !== undefined && p.type === 'out') {
      outByte = g.read(p.addr, 1)[0]!;
      g.free(p.addr);
    }
    g.disconnect(c.clientId);
  }
  return { endings, echo: echoValues(g), outByte };
}

/** Connect to echo and make one VALUES call: its result (or the failing status on the way). */
export function echoValues(g: GuestContext): number {
  const e = g.connect('echo');
  if (e.rc !== Status.VINF_SUCCESS) return e.rc;
  const r = g.call(e.clientId, 2, [{ type: 'u32', value: 1 }]);
  g.disconnect(e.clientId);
  if (r.rc !== Status.VINF_SUCCESS) return r.rc;
  const v = r.parms[0];
  return r.result === Status.VINF_SUCCESS && v?.type === 'u32' && v.value === 2 ? 0 : -1;
}

/** echo FILL into a no-bounce page list marked guest-to-host only: the service's status. */
export function fillReadOnlyPages(g: GuestContext): number {
  const c = g.connect('echo');
  const buf = g.alloc(4096);
  const req = g.prepareCall(
    c.clientId,
    3,
    [
      { type: 'u32', value: 0x5a },
      { type: 'in', addr: buf, size: 4096 },
    ],
    { noBounce: true },
  );
  const rc = g.fastCall(req.addr);
  g.heap.free(gpa(req.addr));
  g.free(buf);
  g.disconnect(c.clientId);
  return rc;
}

/** A call the service never completes, cancelled by its timeout, then its client disconnected. */
export function neverThenDisconnect(g: GuestContext, a: { timeoutMs: number }): Ending & { outcome: string } {
  const c = g.connect('misbehave');
  const r = g.call(c.clientId, 6, [], { timeoutMs: a.timeoutMs });
  g.disconnect(c.clientId);
  return { rc: r.rc, result: r.result, outcome: r.cancel?.outcome ?? 'none' };
}

/**
 * With one pool worker held by a GATE call of client A, a call of client X waits in the dispatch ring
 * when X disconnects (the test opens the gate once X is disconnecting). How X's call ended.
 */
export function queuedAtDisconnect(g: GuestContext): { gate: Ending; queued: Ending } {
  const a = g.connect('misbehave');
  const x = g.connect('misbehave');
  const gate = g.prepareCall(a.clientId, 8, []);
  const queued = g.prepareCall(x.clientId, 7, []);
  g.port.perform(gate.addr);
  g.port.perform(queued.addr);
  g.disconnect(x.clientId);
  const q = g.waitDone(queued.addr, { timeoutMs: 30_000 });
  const gw = g.waitDone(gate.addr, { timeoutMs: 30_000 });
  // A request still held by the host is left alone (a leak), never freed.
  const ending = (w: HgcmWaitResult, addr: number): Ending => ({
    rc: w === 'done' ? Status.VINF_SUCCESS : Status.VERR_TIMEOUT,
    result: g.ram.readI32(gpa(addr), Hdr.off.result),
  });
  const out = { gate: ending(gw, gate.addr), queued: ending(q, queued.addr) };
  if (q === 'done') g.heap.free(gpa(queued.addr));
  if (gw === 'done') g.heap.free(gpa(gate.addr));
  g.disconnect(a.clientId);
  return out;
}

/** A call that never completes, waited for without a timeout and without signals. */
export function waitForever(g: GuestContext): Ending {
  const c = g.connect('misbehave');
  const r = g.call(c.clientId, 6, [], { interruptible: false });
  return { rc: r.rc, result: r.result };
}

/** Allocate `bytes` of program memory `n` times and return without freeing it. */
export function allocAndReturn(g: GuestContext, a: { bytes: number; n: number }): number {
  for (let i = 0; i < a.n; i++) g.alloc(a.bytes);
  return g.mem.stats().inUseBytes;
}

/**
 * Submit `n` HOLD calls, each with a `size`-byte out buffer (host copies, charged to the budget), without
 * waiting; then wait for the accepted ones (the test releases them). The port write's status of each.
 */
export function heldCalls(g: GuestContext, a: { n: number; size: number }): number[] {
  const c = g.connect('misbehave');
  const buf = g.alloc(a.size);
  const reqs = Array.from(
    { length: a.n },
    () => g.prepareCall(c.clientId, 10, [{ type: 'out', addr: buf, size: a.size }]).addr,
  );
  const rcs = reqs.map((addr) => g.port.perform(addr));
  for (const [i, addr] of reqs.entries()) {
    if (rcs[i] === Status.VINF_HGCM_ASYNC_EXECUTE) g.waitDone(addr);
    g.heap.free(gpa(addr));
  }
  g.free(buf);
  g.disconnect(c.clientId);
  return rcs;
}

/** `n` calls to the crash service's function 2 (its worker dies while holding the call): their results. */
export function killWorker(g: GuestContext, a: { n: number }): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.n; i++) {
    const c = g.connect('crash');
    const r = g.call(c.clientId, 2, [], { interruptible: false });
    out.push(r.rc === Status.VINF_SUCCESS ? r.result : r.rc);
    g.disconnect(c.clientId);
  }
  return out;
}
