// Requests built by hand from the Linux UAPI layouts, and malformed ones, submitted through the raw port
// API on real threads: upstream's statuses, and nothing thrown inside the device or host.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Status } from '../../src/abi/index.js';
import { Machine } from '../../src/machine/machine.js';
import type { Malformation, RawOutcome } from './programs/raw.js';

const program = new URL('./programs/raw.ts', import.meta.url);

describe('raw requests', () => {
  let m: Machine;
  beforeAll(async () => {
    m = await Machine.start({ vcpus: 1, hostWorkers: 1 });
  });
  afterAll(async () => {
    await m?.stop();
  });

  test.each([false, true])('a hand-built call (page lists: %s) echoes', async (pagelist) => {
    const r = await m.run<RawOutcome>({ module: program, export: 'handBuiltEcho', args: { pagelist } });
    expect(r.rc).toBe(Status.VINF_HGCM_ASYNC_EXECUTE);
    expect(r.wait).toBe('done');
    expect(r.flags & 1).toBe(1);
    expect(r.result).toBe(Status.VINF_SUCCESS);
    expect(r.out).toEqual(Array.from({ length: 16 }, (_, i) => 0xf0 - i));
  });

  const cases: [Malformation, number, string][] = [
    // Nothing is written back: the guest sees the VERR_GENERAL_FAILURE it put there.
    ['size-below-header', Status.VERR_GENERAL_FAILURE, 'sync'],
    ['bad-version', Status.VERR_GENERAL_FAILURE, 'sync'],
    ['unknown-type', Status.VERR_NOT_IMPLEMENTED, 'sync'],
    ['too-large', Status.VERR_NOT_SUPPORTED, 'sync'],
    ['cparms-over-limit', Status.VERR_INVALID_PARAMETER, 'sync'],
    ['cparms-beyond-size', Status.VERR_INVALID_PARAMETER, 'sync'],
    ['bad-parm-type', Status.VERR_INVALID_PARAMETER, 'sync'],
    ['physaddr-parm', Status.VERR_INVALID_PARAMETER, 'sync'],
    ['unknown-client', Status.VERR_HGCM_INVALID_CLIENT_ID, 'sync'],
    ['client-zero', Status.VERR_INVALID_PARAMETER, 'sync'],
    ['pagelist-offset-inside-parms', Status.VERR_INVALID_PARAMETER, 'sync'],
    ['pagelist-bad-flags', Status.VERR_INVALID_FLAGS, 'sync'],
  ];
  test.each(cases)('%s -> %i', async (kind, rc, wait) => {
    const r = await m.run<RawOutcome>({ module: program, export: 'malformed', args: { kind } });
    expect(r.rc).toBe(rc);
    expect(r.wait).toBe(wait);
    // A refused request never gets DONE, and its result is left as the guest wrote it.
    expect(r.flags & 1).toBe(0);
    expect(r.result).toBe(0x1234);
  });

  test('a LinAddr buffer outside RAM is skipped silently; the service sees no buffer data', async () => {
    const r = await m.run<RawOutcome>({
      module: program,
      export: 'malformed',
      args: { kind: 'linaddr-outside-ram' },
    });
    expect(r.rc).toBe(Status.VINF_HGCM_ASYNC_EXECUTE);
    expect(r.wait).toBe('done');
    // echo FILL wants [u32, buffer]: it got [buffer] and refuses with VERR_INVALID_PARAMETER, as a result.
    expect(r.result).toBe(Status.VERR_INVALID_PARAMETER);
  });

  test('bad request addresses: 0 and >= 4 GiB refused by the guest library, past RAM ignored by the device', async () => {
    const ignored = m.stats().counters['device.ignored'];
    const r = await m.run<{ zero: number; above4g: number }>({ module: program, export: 'badAddresses' });
    expect(r.zero).toBe(Status.VERR_VBGL_INVALID_ADDR);
    expect(r.above4g).toBe(Status.VERR_VBGL_INVALID_ADDR);
    expect(m.stats().counters['device.ignored']).toBe(ignored + 1);
  });

  test('after all of it the machine still works and holds nothing', async () => {
    const r = await m.run<RawOutcome>({ module: program, export: 'handBuiltEcho', args: { pagelist: true } });
    expect(r.result).toBe(Status.VINF_SUCCESS);
    // Completion frees its command just after setting DONE: until the host has finished (no deadline of
    // its own, 100 polls of 5 ms were a clock; the test's limit stops a hang).
    while (m.stats().host.snapshotBytes !== 0) await new Promise((res) => setTimeout(res, 5));
    const s = m.stats();
    expect(s.host.pendingCommands).toBe(0);
    expect(s.host.snapshotBytes).toBe(0);
    expect(m.logs().filter((l) => /threw|failed/.test(l))).toEqual([]);
  });
});
