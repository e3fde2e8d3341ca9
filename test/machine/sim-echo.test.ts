// The same echo call sequence under the sim executor: two seeds interleave differently and give the same
// results; one seed gives the same trace twice.
import { describe, expect, test } from 'vitest';
import { SimMachine } from '../../src/machine/sim-machine.js';
import type { Proc } from '../../src/runtime/proc.js';
import type { GuestLib } from '../../src/vcpu/guest-lib.js';

function* echoes(lib: GuestLib, calls: number, seed: number): Proc<string[]> {
  const c = yield* lib.connect('echo');
  const { mem, data } = lib.k;
  const src = data.alloc(256)!.addr;
  const dst = data.alloc(256)!.addr;
  const out: string[] = [];
  for (let i = 0; i < calls; i++) {
    mem.write(
      src,
      Uint8Array.from({ length: 256 }, (_, j) => (seed * 31 + i * 7 + j) & 0xff),
    );
    const r = yield* lib.call(c.clientId, 1, [
      { type: 'in', addr: src, size: 256 },
      { type: 'out', addr: dst, size: 256 },
    ]);
    out.push(`${r.rc}/${r.result}/${Buffer.from(mem.read(dst, 256)).toString('base64').slice(0, 24)}`);
  }
  data.free(src);
  data.free(dst);
  yield* lib.disconnect(c.clientId);
  return out;
}

async function runOnce(seed: number): Promise<{ hash: string; trace: string[]; results: string[][] }> {
  const m = await SimMachine.create({ vcpus: 2, hostWorkers: 2 }, { seed });
  const a = m.spawn('guest0', 0, (lib) => echoes(lib, 20, 1));
  const b = m.spawn('guest1', 1, (lib) => echoes(lib, 20, 2));
  const r = m.run();
  expect(r.status).toBe('done');
  return {
    hash: r.hash,
    trace: r.trace.map((t) => `${t.actor} ${t.what}`),
    results: [a.result(), b.result()],
  };
}

describe('sim executor', () => {
  test('two seeds: different interleavings, the same results', async () => {
    const one = await runOnce(1);
    const two = await runOnce(2);
    expect(one.hash).not.toBe(two.hash);
    expect(one.trace).not.toEqual(two.trace);
    expect(one.results).toEqual(two.results);
    for (const rs of one.results) {
      expect(rs).toHaveLength(20);
      for (const r of rs) expect(r.startsWith('0/0/')).toBe(true);
    }
  });

  test('one seed twice: the same trace, step for step', async () => {
    const a = await runOnce(42);
    const b = await runOnce(42);
    expect(a.hash).toBe(b.hash);
    expect(a.trace).toEqual(b.trace);
  });
});
