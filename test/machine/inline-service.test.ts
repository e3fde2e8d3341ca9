// Inline services (HgcmService.inline): the device thread runs the call and completes it, results, DONE and
// all, before the guest's port write returns; the request still answers VINF_HGCM_ASYNC_EXECUTE, and the
// completion rules are the pool's (remove, then check the cancel mark). On real threads and under sim.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { Status } from '../../src/abi/index.js';
import { Machine } from '../../src/machine/machine.js';
import { SimMachine } from '../../src/machine/sim-machine.js';
import type { Proc } from '../../src/runtime/proc.js';
import type { GuestLib } from '../../src/vcpu/guest-lib.js';
import type { PortWriteView } from './programs/inline.js';

const program = new URL('./programs/inline.ts', import.meta.url);
const probe = new URL('./services/inline-probe.ts', import.meta.url);

describe('inline services on real threads', () => {
  let m: Machine;
  beforeAll(async () => {
    m = await Machine.start({ vcpus: 1, hostWorkers: 1, services: [{ name: 'probe', module: probe }] });
  });
  afterAll(async () => {
    await m?.stop();
  });

  test('the call is complete when the port write returns', async () => {
    const before = m.stats().counters;
    const views = await m.run<PortWriteView[]>({
      module: program,
      export: 'portWriteOnly',
      args: { service: 'noop-inline', fn: 1, n: 50 },
    });
    for (const v of views)
      expect(v).toEqual({ rc: Status.VINF_HGCM_ASYNC_EXECUTE, doneAtReturn: true, result: 0 });
    // The disconnect's DONE reaches the guest before its host thread counts it and frees the command.
    await vi.waitFor(() => {
      const after = m.stats();
      expect(after.counters['host.calls'] - before['host.calls']).toBe(50);
      expect(after.counters['host.completed'] - before['host.completed']).toBe(52); // 50 calls, connect, disconnect
      expect(after.host.pendingCommands).toBe(0);
      expect(after.host.snapshotBytes).toBe(0);
    });
  });

  test('buffers go both ways, as through the pool', async () => {
    for (const service of ['echo-inline', 'echo']) {
      for (const size of [1, 4096, 70_000]) {
        const r = await m.run<{ rc: number; same: boolean }>({
          module: program,
          export: 'echoThrough',
          args: { service, size },
        });
        expect(r, `${service} ${size}`).toEqual({ rc: 0, same: true });
      }
    }
  });

  test('a call an inline service cannot finish in place fails, and the device carries on', async () => {
    const call = (fn: number): Promise<number> =>
      m.run<number>({ module: program, export: 'callOnce', args: { service: 'probe', fn } });
    expect(await call(1)).toBe(Status.VERR_NOT_SUPPORTED); // returned VINF_HGCM_ASYNC_EXECUTE
    expect(await call(2)).toBe(Status.VERR_INTERNAL_ERROR); // asked for a timer: the service threw
    expect(await call(3)).toBe(Status.VERR_ACCESS_DENIED); // completed inside its call: allowed
    expect(await call(4)).toBe(Status.VINF_SUCCESS);
    expect(m.logs().some((l) => l.includes('inline service probe returned VINF_HGCM_ASYNC_EXECUTE'))).toBe(
      true,
    );
    expect(m.stats().host.pendingCommands).toBe(0);
  });
});

function* inlineEchoes(lib: GuestLib, n: number): Proc<string[]> {
  const c = yield* lib.connect('echo-inline');
  const { mem, data } = lib.k;
  const src = data.alloc(64)!.addr;
  const dst = data.alloc(64)!.addr;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    mem.write(
      src,
      Uint8Array.from({ length: 64 }, (_, j) => (i * 7 + j) & 0xff),
    );
    const r = yield* lib.call(c.clientId, 1, [
      { type: 'in', addr: src, size: 64 },
      { type: 'out', addr: dst, size: 64 },
    ]);
    out.push(`${r.rc}/${r.result}/${mem.read(dst, 64)[63]}`);
  }
  yield* lib.disconnect(c.clientId);
  return out;
}

describe('inline services under sim', () => {
  test.each([
    ['thread', 'the device actor'],
    ['emt', 'the calling vCPU'],
  ] as const)('device %s: %s runs the service and completes every call', async (device, _who) => {
    const sm = await SimMachine.create({ vcpus: 2, hostWorkers: 1, device }, { seed: 5 });
    const a = sm.spawn('guest0', 0, (lib) => inlineEchoes(lib, 5));
    const b = sm.spawn('guest1', 1, (lib) => inlineEchoes(lib, 5));
    const r = sm.run();
    expect(r.status).toBe('done');
    const expected = Array.from({ length: 5 }, (_, i) => `0/0/${(i * 7 + 63) & 0xff}`);
    expect(a.result()).toEqual(expected);
    expect(b.result()).toEqual(expected);
    // Every call's completion ran where port writes are handled, never on a pool actor.
    const completions = r.trace.filter((t) => t.what === 'point host.complete.setDone');
    const handlers = device === 'thread' ? ['device'] : ['guest0', 'guest1'];
    expect(completions.filter((t) => handlers.includes(t.actor))).toHaveLength(10);
    expect(completions.filter((t) => !handlers.includes(t.actor))).toHaveLength(4); // connects, disconnects
  });
});
