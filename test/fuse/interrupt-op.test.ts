// FUSE_INTERRUPT's handler without threads: a request in flight and interruptible is signalled (no reply);
// one in flight but not interruptible is left alone (no reply); one in flight nowhere is looked for a
// bounded number of times, then answered EAGAIN so the kernel requeues the INTERRUPT.
import { describe, expect, test } from 'vitest';
import { gpa } from '../../src/runtime/address.js';
import { SharedWords64 } from '../../src/runtime/atomic-cell64.js';
import { GuestMemory } from '../../src/runtime/guest-memory.js';
import type { Ctx } from '../../src/fuse/ctx.js';
import { Inflight } from '../../src/fuse/inflight.js';
import { FrontWords } from '../../src/fuse/layout.js';
import { testFront } from './mounted.js';
import { interrupt } from '../../src/fuse/op/interrupt.js';

function fixture(): { c: Ctx; inflight: Inflight; front: FrontWords; signals: number[]; pauses: number[] } {
  const shared = testFront(10);
  const inflight = new Inflight(new SharedWords64(shared.wide), 2);
  const front = new FrontWords(shared);
  const mem = GuestMemory.create(1 << 16);
  const signals: number[] = [];
  const pauses: number[] = [];
  const c = {
    req: { opcode: 36, unique: 101n, nodeid: 0n, uid: 0, gid: 0, pid: 0, body: gpa(0x100), bodyLen: 8 },
    mem,
    front,
    inflight,
    config: shared.config,
    signal: (v: number) => void signals.push(v),
    pause: (ms: number) => void pauses.push(ms),
  };
  // SAFETY: the handler uses only the fields above.
  return { c: c as unknown as Ctx, inflight, front, signals, pauses };
}

describe('FUSE_INTERRUPT', () => {
  test('signals the vCPU serving an interruptible request, once', () => {
    const f = fixture();
    f.c.mem.writeU64(f.c.req.body, 0, 100n);
    f.inflight.begin(1, 100n, true);
    expect(interrupt(f.c)).toEqual({ kind: 'none' });
    expect(f.signals).toEqual([1]);
    expect(f.front.snapshot().counters).toMatchObject({
      interrupts: 1,
      interruptsSignalled: 1,
      interruptsRetried: 0,
    });
  });

  test('leaves an uninterruptible request alone', () => {
    const f = fixture();
    f.c.mem.writeU64(f.c.req.body, 0, 100n);
    f.inflight.begin(0, 100n, false);
    expect(interrupt(f.c)).toEqual({ kind: 'none' });
    expect(f.signals).toEqual([]);
    expect(f.front.snapshot().counters.interruptsIgnored).toBe(1);
  });

  test('answers EAGAIN for a request in flight nowhere, after a bounded search', () => {
    const f = fixture();
    f.c.mem.writeU64(f.c.req.body, 0, 100n);
    expect(interrupt(f.c)).toEqual({ kind: 'error', err: 11 });
    expect(f.signals).toEqual([]);
    // Ten pauses of a tenth of the configured grace each.
    expect(f.pauses).toEqual(new Array(10).fill(1));
    expect(f.front.snapshot().counters.interruptsRetried).toBe(1);
  });
});
