// A race in upstream's cancel lookup, found by the threads workload's auditor and pinned down here: a
// cancelled command stays listed until its service completes it; when the guest reuses its address for a
// new call B and B's cancel arrives after B's completion took B off the list, upstream's first-match
// lookup finds the old command, reports success, and the guest frees B while B's completion writes it.
// The model's default lookup skips commands already cancelled; `upstreamDefects: true` is upstream's.
import { describe, expect, test } from 'vitest';
import { Status } from '../../src/abi/index.js';
import { SimMachine } from '../../src/machine/sim-machine.js';
import type { Proc } from '../../src/runtime/proc.js';
import { StatsBlock } from '../../src/runtime/stats.js';
import type { GuestLib, HgcmCallResult } from '../../src/vcpu/guest-lib.js';

function* twoCalls(lib: GuestLib): Proc<HgcmCallResult[]> {
  const c = yield* lib.connect('delay');
  // A: cancelled on timeout while its service is still busy with it (it completes at t=1000).
  const a = yield* lib.call(c.clientId, 1, [{ type: 'u32', value: 1000 }], { timeoutMs: 10 });
  // B: the same request size, so the heap hands out A's address again.
  const b = yield* lib.call(c.clientId, 1, [{ type: 'u32', value: 5 }], { timeoutMs: 30 });
  yield* lib.disconnect(c.clientId);
  return [a, b];
}

async function run(seed: number, upstreamDefects: boolean) {
  const m = await SimMachine.create({ vcpus: 1, hostWorkers: 2, audit: true, upstreamDefects }, { seed });
  const st = new StatsBlock(m.shared.stats);
  const host = (id: string): boolean => id.startsWith('host') || id.startsWith('complete');
  // B's completion (the device's third command) stops after removing B, until the guest has dealt with
  // B's cancel answer: freed B (a "success") or gone back to waiting for DONE ("not found").
  const answered = (): boolean => st.get('device.cancel.found') + st.get('device.cancel.notFound') >= 2;
  const freed = (): boolean => st.get('guest.cancelled') >= 2 && m.sim.pendingPoint('g') !== 'guest.free';
  m.sim.holdAt(
    host,
    'host.complete.checkCancelled',
    () =>
      st.get('device.hgcm.accepted') !== 3 ||
      (answered() && (freed() || st.get('guest.cancel.notFound') >= 1)),
  );
  const g = m.spawn('g', 0, (lib) => twoCalls(lib));
  expect(m.run().status).toBe('done');
  const [a, b] = g.result();
  return { a: a!, b: b!, st };
}

describe.each([1, 2, 3])('seed %i', (seed) => {
  test("upstream's first match: B's cancel hits A, B is freed while written (write after free)", async () => {
    const { a, b, st } = await run(seed, true);
    expect(a.cancel?.outcome).toBe('cancelled');
    expect(b.request?.addr).toBe(a.request?.addr);
    expect(b.cancel?.outcome).toBe('cancelled');
    expect(b.cancel?.cancelRc).toBe(Status.VINF_SUCCESS);
    // B's completion writes freed memory (and, when the next request reuses the address, can set that
    // request's DONE early, so its own completion lands after it was freed too).
    expect(st.get('audit.writeAfterFree')).toBeGreaterThanOrEqual(1);
  });

  test("the model's default skips cancelled commands: B's cancel is NOT_FOUND and B completes", async () => {
    const { a, b, st } = await run(seed, false);
    expect(a.cancel?.outcome).toBe('cancelled');
    expect(b.request?.addr).toBe(a.request?.addr);
    expect(b.cancel?.cancelRc).toBe(Status.VERR_NOT_FOUND);
    expect(b.cancel?.outcome).toBe('completed');
    expect(b.rc).toBe(Status.VINF_SUCCESS);
    expect(st.get('audit.writeAfterFree')).toBe(0);
  });
});

// The second defect: on an old host the guest's legacy fallback rewrites the call as HGCMCancel and
// re-submits it. If completion removed the call first, the fallback gets "not found" and the guest waits
// for DONE; completion then finds the type HGCMCancel and (upstream) writes only result and DONE, so the
// guest takes the call as completed without its output.
function* echoCall(lib: GuestLib): Proc<{ r: HgcmCallResult; out: number[] }> {
  const c = yield* lib.connect('delay');
  const { mem, data } = lib.k;
  const src = data.alloc(32)!.addr;
  const dst = data.alloc(32)!.addr;
  mem.write(
    src,
    Uint8Array.from({ length: 32 }, (_, i) => i + 100),
  );
  const r = yield* lib.call(
    c.clientId,
    2,
    [
      { type: 'u32', value: 5 },
      { type: 'in', addr: src, size: 32 },
      { type: 'out', addr: dst, size: 32 },
    ],
    { timeoutMs: 20 },
  );
  const out = Array.from(mem.read(dst, 32));
  yield* lib.disconnect(c.clientId);
  return { r, out };
}

async function legacyRace(seed: number, upstreamDefects: boolean) {
  const m = await SimMachine.create({ vcpus: 1, hostWorkers: 2, cancel2: false, upstreamDefects }, { seed });
  const st = new StatsBlock(m.shared.stats);
  const host = (id: string): boolean => id.startsWith('host') || id.startsWith('complete');
  // The call's completion stops after removing it until the fallback's "not found" has come back.
  m.sim.holdAt(
    host,
    'host.complete.readReq',
    () => st.get('device.hgcm.accepted') !== 2 || st.get('guest.cancel.notFound') >= 1,
  );
  const g = m.spawn('g', 0, (lib) => echoCall(lib));
  expect(m.run().status).toBe('done');
  return g.result();
}

describe.each([1, 2, 3])('legacy fallback race, seed %i', (seed) => {
  test('upstream: the call "completes" without its output buffer', async () => {
    const { r, out } = await legacyRace(seed, true);
    expect(r.cancel?.fallback).toBe(true);
    expect(r.cancel?.outcome).toBe('completed');
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(out).toEqual(new Array(32).fill(0));
  });

  test('the model: the output is written, the completed call is complete', async () => {
    const { r, out } = await legacyRace(seed, false);
    expect(r.cancel?.outcome).toBe('completed');
    expect(out).toEqual(Array.from({ length: 32 }, (_, i) => i + 100));
  });
});
