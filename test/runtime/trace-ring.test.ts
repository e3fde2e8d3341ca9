// The shared-memory trace ring: records merge by global sequence, a slot keeps its last `capacity`
// records, writers sharing a slot do not tear records, and a machine with `trace.steps` records the points
// of every thread (guest, device, host) in its own slot.
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { TraceSlot } from '../../src/machine/assemble.js';
import { Machine } from '../../src/machine/machine.js';
import { PointId } from '../../src/runtime/points.js';
import { RecordKind, TraceRing } from '../../src/runtime/trace-ring.js';

const P = RecordKind.POINT;

describe('trace ring', () => {
  test('records from several slots come back in global order; points carry names and epoch times', () => {
    const ring = TraceRing.create(3, 8);
    const t0 = performance.timeOrigin + performance.now();
    ring.record(2, P, PointId['host.pick'], 5, 0);
    ring.record(0, P, PointId['guest.alloc'], 0x2000, 7);
    ring.record(1, RecordKind.BEGIN, 3, 1, 2);
    ring.record(1, P, PointId['device.accept'], 0x2000, 0);
    const other = TraceRing.attach(ring.sab);
    const snap = other.snapshot();
    expect(snap.map((r) => [r.seq, r.slot, r.kind])).toEqual([
      [0, 2, P],
      [1, 0, P],
      [2, 1, RecordKind.BEGIN],
      [3, 1, P],
    ]);
    const pts = other.points(snap);
    expect(pts.map((r) => r.point)).toEqual(['host.pick', 'guest.alloc', 'device.accept']);
    expect(pts[1]).toMatchObject({ addr: 0x2000, gen: 7, seq: 1 });
    expect(pts[0]!.time).toBeGreaterThanOrEqual(t0 - 1);
    expect(pts[2]!.time).toBeGreaterThanOrEqual(pts[0]!.time);
    expect(ring.seq).toBe(4);
  });

  test('a slot keeps its last records (capacity rounds up to a power of two); tail takes the newest', () => {
    const ring = TraceRing.create(1, 3);
    expect(ring.capacity).toBe(4);
    for (let i = 0; i < 10; i++) ring.record(0, P, PointId['guest.free'], i, 0);
    expect(ring.snapshot().map((r) => r.a)).toEqual([6, 7, 8, 9]);
    expect(ring.tail(2).map((r) => r.seq)).toEqual([8, 9]);
    expect(ring.written(0)).toBe(10);
    ring.clear();
    expect(ring.snapshot()).toEqual([]);
  });

  test('a slot number past the end goes to the last slot (the shared one)', () => {
    const ring = TraceRing.create(2, 4);
    ring.record(9, P, PointId['irq.ack'], 0, 0);
    expect(ring.snapshot()[0]!.slot).toBe(1);
  });

  test('two threads writing one slot while a third reads never yield a torn record', async () => {
    const ring = TraceRing.create(1, 64);
    const src = `
      const { workerData } = require('node:worker_threads');
      const i32 = new Int32Array(workerData.sab);
      // the layout of runtime/trace-ring.ts, written by hand: a = b = the writer's running value
      const cap = i32[3], base = 8, REC = 8;
      for (let n = 1; n <= 20000; n++) {
        const r = base + 2 + REC * (Atomics.add(i32, base, 1) & (cap - 1));
        const seq = Atomics.add(i32, 1, 1);
        Atomics.store(i32, r, 0);
        i32[r + 1] = workerData.id; i32[r + 2] = n; i32[r + 3] = n; i32[r + 4] = 0;
        Atomics.store(i32, r, seq + 1);
      }`;
    const writers = [1, 2].map((id) => new Worker(src, { eval: true, workerData: { sab: ring.sab, id } }));
    const done = Promise.all(writers.map((w) => new Promise((r) => w.once('exit', r))));
    let reads = 0;
    let torn = 0;
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      for (const r of ring.snapshot()) if (r.a !== r.b) torn++;
      reads++;
      await new Promise((r) => setImmediate(r));
    }
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
    expect(ring.seq).toBe(40000);
  });

  test('with trace.steps a machine records every thread in its own slot; without, no points', async () => {
    const program = new URL('../machine/programs/basic.ts', import.meta.url);
    // The device thread handles the port writes here, so each of the three threads has points of its own.
    const m = await Machine.start({
      vcpus: 1,
      hostWorkers: 1,
      device: 'thread',
      trace: { capacity: 256, steps: true },
    });
    try {
      await m.run({ module: program, export: 'echoOnce', args: { size: 64 } });
      const recs = m.trace.ring.points();
      const at = (s: number): string[] => recs.filter((r) => r.slot === s).map((r) => r.point);
      expect(at(TraceSlot.vcpu(0))).toContain('guest.portWrite');
      expect(at(TraceSlot.device)).toContain('device.accept');
      expect(at(TraceSlot.host(m.sharedMemory, 0))).toContain('host.complete.setDone');
      expect(recs.every((r, i) => i === 0 || r.seq > recs[i - 1]!.seq)).toBe(true);
    } finally {
      await m.stop();
    }
    const plain = await Machine.start({ vcpus: 1, hostWorkers: 1 });
    try {
      await plain.run({ module: program, export: 'echoOnce', args: { size: 64 } });
      expect(plain.trace.ring.seq).toBe(0);
    } finally {
      await plain.stop();
    }
  });
});
