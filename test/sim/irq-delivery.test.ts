// The interrupt to one vCPU and the ISR's targeted wake-up, under sim: three vCPUs each wait for calls
// that complete close together, so completions coalesce into one interrupt and the vCPU that takes it
// must wake the others (VBoxGuest's HGCMWaitList walk; Linux wakes the whole queue). Every seed finishes
// with every call done and no vCPU woken for nothing it waited for; the wrong wake-ups the stress harness's
// mutants make (nobody, the wrong waiter) leave a waiter asleep with DONE set: a deadlock here.
import { describe, expect, test } from 'vitest';
import { Status } from '../../src/abi/index.js';
import type { FaultName } from '../../src/runtime/faults.js';
import { SimMachine } from '../../src/machine/sim-machine.js';
import { StatsBlock } from '../../src/runtime/stats.js';
import type { GuestFlavorName } from '../../src/vcpu/flavor.js';
import type { Proc } from '../../src/runtime/proc.js';
import type { GuestLib } from '../../src/vcpu/guest-lib.js';

function* sleeps(lib: GuestLib, ms: readonly number[]): Proc<number[]> {
  const c = yield* lib.connect('delay');
  const out: number[] = [];
  for (const d of ms) {
    const r = yield* lib.call(c.clientId, 1, [{ type: 'u32', value: d }]);
    out.push(r.rc < 0 ? r.rc : r.result);
  }
  yield* lib.disconnect(c.clientId);
  return out;
}

async function run(
  seed: number,
  o: { faults?: FaultName[]; flavor?: GuestFlavorName; irqDelivery?: 'one' | 'all' },
): Promise<{ status: string; results: (number[] | undefined)[]; isrs: number; irqs: number }> {
  const sm = await SimMachine.create(
    {
      vcpus: 3,
      hostWorkers: 2,
      faults: o.faults ?? [],
      ...(o.irqDelivery ? { irqDelivery: o.irqDelivery } : {}),
      ...(o.flavor ? { guest: { flavor: o.flavor } } : {}),
    },
    { seed, maxSteps: 200_000, sim: { waits: 'cell' } },
  );
  const guests = [0, 1, 2].map((v) => sm.spawn(`guest${v}`, v, (lib) => sleeps(lib, [1, 0, 1, 2, 0])));
  const r = sm.run();
  const st = new StatsBlock(sm.shared.stats).snapshot();
  return {
    status: r.status,
    results: guests.map((g) => (r.status === 'done' ? g.result() : undefined)),
    isrs: st['guest.isr'],
    irqs: st['device.irqs'],
  };
}

const SEEDS = Array.from({ length: 12 }, (_, i) => 0x1e0 + i);

describe('interrupts to one vCPU, under sim', () => {
  test.each(['vbox-7.0', 'linux'] as const)('%s: every seed ends with every call done', async (flavor) => {
    let coalesced = 0;
    for (const seed of SEEDS) {
      const r = await run(seed, { flavor });
      expect(r.status, `seed ${seed}`).toBe('done');
      for (const res of r.results) expect(res).toEqual(Array(5).fill(Status.VINF_SUCCESS));
      // Fifteen calls and six connects/disconnects complete; fewer interrupts than completions means some
      // completions rode on an interrupt already pending (coalesced) and were found by another's ISR.
      if (r.irqs < 21) coalesced++;
    }
    expect(coalesced).toBeGreaterThan(0);
  });

  test('an interrupt to every vCPU (the model before) still works', async () => {
    for (const seed of SEEDS.slice(0, 4))
      expect((await run(seed, { irqDelivery: 'all' })).status, `seed ${seed}`).toBe('done');
  });

  test.each(['isr-wakes-nobody', 'isr-wrong-waiter'] as const)(
    'the mutant %s leaves a waiter asleep with DONE set',
    async (fault) => {
      const statuses: string[] = [];
      for (const seed of SEEDS) statuses.push((await run(seed, { faults: [fault] })).status);
      expect(statuses).toContain('deadlock');
    },
  );
});
