// The guest's cancel path (vbglR0HGCMInternalDoCall's second half) end to end under the sim machine, in
// virtual time: Cancel2, the legacy fallback on an old host, the grace wait, and the deliberate leak.
import { describe, expect, test } from 'vitest';
import { Status } from '../../src/abi/index.js';
import type { MachineConfig } from '../../src/machine/config.js';
import { SimMachine } from '../../src/machine/sim-machine.js';
import { StatsBlock } from '../../src/runtime/stats.js';
import type { HgcmCallResult } from '../../src/vcpu/guest-lib.js';

const SMALL: MachineConfig = {
  vcpus: 1,
  ramBytes: 4 << 20,
  heapBytes: 256 << 10,
  hostWorkers: 1,
  commandSlots: 32,
  clientSlots: 64,
  snapshotBytes: 1 << 20,
};

/** One delay SLEEP call of `sleepMs` with a `timeoutMs` wait; what came back and what the heap holds. */
async function sleepCall(
  sleepMs: number,
  timeoutMs: number,
  config: MachineConfig = {},
  setup?: (m: SimMachine) => void,
): Promise<{ r: HgcmCallResult; m: SimMachine; quarantined: number; live: number }> {
  const m = await SimMachine.create({ ...SMALL, ...config }, { seed: 5 });
  setup?.(m);
  const h = m.spawn('prog', 0, function* (lib) {
    const c = yield* lib.connect('delay');
    if (c.rc !== Status.VINF_SUCCESS) throw new Error(`connect: ${c.rc}`);
    return yield* lib.call(c.clientId, 1, [{ type: 'u32', value: sleepMs }], {
      timeoutMs,
      interruptible: true,
    });
  });
  const run = m.run();
  expect(run.status).toBe('done');
  const heap = m.kernel(0).heap;
  heap.check();
  return { r: h.result(), m, quarantined: heap.stats().quarantinedBlocks, live: heap.stats().liveBlocks };
}

describe('a call that outlives its wait', () => {
  test('completing in time: no cancel', async () => {
    const { r } = await sleepCall(5, 100);
    expect(r).toMatchObject({
      rc: Status.VINF_SUCCESS,
      result: Status.VINF_SUCCESS,
      cancel: undefined,
      sync: false,
    });
  });

  test('Cancel2 finds it: VERR_TIMEOUT, cancelled, the request freed', async () => {
    const { r, quarantined, m } = await sleepCall(1000, 10);
    expect(r.rc).toBe(Status.VERR_TIMEOUT);
    expect(r.cancel).toMatchObject({
      outcome: 'cancelled',
      cancelRc: Status.VINF_SUCCESS,
      fallback: false,
      leak: false,
    });
    expect(r.leakedBytes).toBe(0);
    expect(quarantined).toBe(0);
    const s = new StatsBlock(m.shared.stats);
    expect(s.get('guest.timeouts')).toBe(1);
    expect(s.get('guest.cancelled')).toBe(1);
    expect(s.get('device.cancel.found')).toBe(1);
  });

  test('a signal ends an interruptible wait: VERR_INTERRUPTED, cancelled', async () => {
    const { r } = await sleepCall(1000, 0xffffffff, {}, (m) => m.sim.setTimer(3, () => m.signal(0)));
    expect(r.rc).toBe(Status.VERR_INTERRUPTED);
    expect(r.cancel?.outcome).toBe('cancelled');
  });

  test('an old host: vbox-7.0 falls back to the legacy cancel, which finds it', async () => {
    const { r, m } = await sleepCall(1000, 10, { cancel2: false, guest: { flavor: 'vbox-7.0' } });
    expect(r.rc).toBe(Status.VERR_TIMEOUT);
    expect(r.cancel).toMatchObject({ outcome: 'cancelled', fallback: true, cancelRc: Status.VINF_SUCCESS });
    expect(new StatsBlock(m.shared.stats).get('device.cancel.found')).toBe(1);
  });

  test('an old host without the fallback (trunk): the grace wait sees DONE, the call completes normally', async () => {
    const { r, quarantined } = await sleepCall(1000, 10, { cancel2: false, guest: { flavor: 'vbox-trunk' } });
    expect(r.cancel).toMatchObject({
      outcome: 'completed',
      cancelRc: Status.VERR_NOT_IMPLEMENTED,
      fallback: false,
    });
    expect(r.rc).toBe(Status.VINF_SUCCESS);
    expect(r.result).toBe(Status.VINF_SUCCESS);
    expect(quarantined).toBe(0);
  });

  test('no DONE within the grace wait: the request is leaked on purpose and never reused', async () => {
    const { r, quarantined, m } = await sleepCall(10_000, 10, {
      cancel2: false,
      guest: { flavor: 'vbox-trunk' },
    });
    expect(r.rc).toBe(Status.VERR_TIMEOUT);
    expect(r.cancel).toMatchObject({ outcome: 'leaked', leak: true });
    expect(r.leakedBytes).toBeGreaterThan(0);
    expect(quarantined).toBe(1);
    const s = new StatsBlock(m.shared.stats);
    expect(s.get('guest.leaked')).toBe(1);
    expect(s.get('guest.leakedBytes')).toBe(r.leakedBytes);
    expect(m.logs().some((l) => l.includes('Leaking'))).toBe(true);
  });
});
