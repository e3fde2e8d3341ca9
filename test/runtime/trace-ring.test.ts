// The shared-memory trace ring: records merge by global sequence, a slot keeps its last `capacity`
// records, and a tracing machine records the points of every thread (guest, device, host) in its slot.
import { describe, expect, test } from 'vitest';
import { Machine } from '../../src/machine/machine.js';
import { traceSlot } from '../../src/machine/assemble.js';
import { PointId } from '../../src/runtime/points.js';
import { TraceRing } from '../../src/runtime/trace-ring.js';

describe('trace ring', () => {
  test('records from several slots come back in global order, with time', () => {
    const ring = TraceRing.create(3, 8);
    ring.record(2, PointId['host.pick'], 5, 0);
    ring.record(0, PointId['guest.alloc'], 0x2000, 7);
    ring.record(1, PointId['device.accept'], 0x2000, 0);
    const snap = TraceRing.attach(ring.sab).snapshot();
    expect(snap.map((r) => [r.seq, r.slot, r.point])).toEqual([
      [0, 2, 'host.pick'],
      [1, 0, 'guest.alloc'],
      [2, 1, 'device.accept'],
    ]);
    expect(snap[1]).toMatchObject({ addr: 0x2000, gen: 7 });
    expect(snap[2]!.time).toBeGreaterThanOrEqual(snap[0]!.time);
    expect(ring.seq).toBe(3);
  });

  test('a slot keeps its last records (capacity rounds up to a power of two); tail takes the newest', () => {
    const ring = TraceRing.create(1, 3);
    expect(ring.capacity).toBe(4);
    for (let i = 0; i < 10; i++) ring.record(0, PointId['guest.free'], i, 0);
    expect(ring.snapshot().map((r) => r.addr)).toEqual([6, 7, 8, 9]);
    expect(ring.tail(2).map((r) => r.seq)).toEqual([8, 9]);
  });

  test('a slot number past the end goes to the last slot (the shared one)', () => {
    const ring = TraceRing.create(2, 4);
    ring.record(9, PointId['irq.ack'], 0, 0);
    expect(ring.snapshot()[0]!.slot).toBe(1);
  });

  test('a tracing machine records every thread in its own slot; a machine without costs nothing', async () => {
    const m = await Machine.start({ vcpus: 1, hostWorkers: 1, trace: { capacity: 256 } });
    try {
      await m.run({
        module: new URL('../machine/programs/basic.ts', import.meta.url),
        export: 'echoOnce',
        args: { size: 64 },
      });
      const recs = m.trace!.snapshot();
      const slot = (k: Parameters<typeof traceSlot>[1]): number => traceSlot(m.config, k);
      const at = (s: number): string[] => recs.filter((r) => r.slot === s).map((r) => r.point);
      expect(at(slot({ k: 'vcpu', index: 0 }))).toContain('guest.portWrite');
      expect(at(slot({ k: 'device' }))).toContain('device.accept');
      expect(at(slot({ k: 'host', index: 0 }))).toContain('host.complete.setDone');
      expect(recs.every((r, i) => i === 0 || r.seq > recs[i - 1]!.seq)).toBe(true);
    } finally {
      await m.stop();
    }
    const plain = await Machine.start({ vcpus: 1, hostWorkers: 1 });
    expect(plain.trace).toBeUndefined();
    await plain.stop();
  });
});
