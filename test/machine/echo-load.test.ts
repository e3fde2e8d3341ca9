// 2 vCPUs x 5,000 echo calls on real threads: every byte checked, the requests' bytes in guest RAM,
// and no heap leak at the end.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HgcmReqFlag, ParmType, RequestType, Status } from '../../src/abi/index.js';
import { Machine } from '../../src/machine/machine.js';
import type { EchoLoadReport } from './programs/echo-load.js';

const program = new URL('./programs/echo-load.ts', import.meta.url);

function u32(bytes: number[], off: number): number {
  return (bytes[off]! | (bytes[off + 1]! << 8) | (bytes[off + 2]! << 16) | (bytes[off + 3]! << 24)) >>> 0;
}

describe('echo load on real threads', () => {
  let m: Machine;
  beforeAll(async () => {
    m = await Machine.start({ vcpus: 2, hostWorkers: 2 });
  });
  afterAll(async () => {
    await m?.stop();
  });

  test('2 vCPUs x 5000 calls of 1 KiB, LinAddr and PageList, every byte checked', async () => {
    const before = m.stats();
    const reports = await Promise.all(
      [0, 1].map((vcpu) =>
        m.run<EchoLoadReport>({
          module: program,
          export: 'echoLoad',
          args: { calls: 5000, size: 1024, seed: 7 + vcpu },
          vcpu,
        }),
      ),
    );
    for (const r of reports) {
      expect(r.firstBad).toBeUndefined();
      expect(r.bad).toBe(0);
      expect(r.calls).toBe(5000);
      // A request as the guest built it and the device and host left it in guest RAM.
      const t = r.requestBytes;
      expect(u32(t, 0)).toBe(124); // size: 44 + 2 parameters + 2 page lists of 2 pages
      expect(u32(t, 4)).toBe(0x10001); // version
      expect(u32(t, 8)).toBe(RequestType.HGCMCall64);
      expect(u32(t, 12) | 0).toBe(Status.VINF_HGCM_ASYNC_EXECUTE); // rc, pre-written by the device
      expect(u32(t, 16)).toBe(0); // reserved1
      expect(u32(t, 24) & HgcmReqFlag.DONE).toBe(HgcmReqFlag.DONE); // fu32Flags
      expect(u32(t, 28) | 0).toBe(Status.VINF_SUCCESS); // result
      expect(u32(t, 32)).toBe(r.clientId);
      expect(u32(t, 36)).toBe(1); // u32Function
      expect(u32(t, 40)).toBe(2); // cParms
      expect(u32(t, 44)).toBe(ParmType.PageList); // parameter 0 type
      expect(u32(t, 48)).toBe(1024); // its size
      expect(u32(t, 52)).toBe(76); // its HGCMPageListInfo, right after the two parameters
      expect(u32(t, 60)).toBe(ParmType.PageList); // parameter 1 type
    }
    expect(reports[0]!.clientId).not.toBe(reports[1]!.clientId);
    // The host frees a call's command and snapshot just after setting DONE, so a program may return a
    // moment before the host has finished its last call: wait for that (no deadline of its own; a host
    // that never goes quiet fails the test at its timeout), as the cancel scenarios do.
    while (m.stats().host.pendingCommands !== 0 || m.stats().host.snapshotBytes !== 0)
      await new Promise((r) => setTimeout(r, 2));
    const after = m.stats();
    // 5,000 calls per vCPU plus 10 fast calls each.
    expect(after.counters['guest.calls'] - before.counters['guest.calls']).toBe(10_020);
    expect(after.counters['guest.completed'] - before.counters['guest.completed']).toBe(10_020);
    expect(after.counters['host.completedCancelled']).toBe(0);
    // Nothing left behind: heaps back to where they were, no command pending, no snapshot held.
    expect(after.heap.inUseBytes).toBe(before.heap.inUseBytes);
    expect(after.heap.quarantinedBytes).toBe(0);
    expect(after.programMemory.inUseBytes).toBe(before.programMemory.inUseBytes);
    expect(after.host.pendingCommands).toBe(0);
    expect(after.host.snapshotBytes).toBe(0);
    expect(after.host.clients).toBe(0);
  });
});
