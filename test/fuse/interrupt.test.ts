// Ctrl-C of a program blocked on a slow host: SIGINT to a `cat` whose READ waits in the host (--host-delay)
// makes the kernel send FUSE_INTERRUPT; the front signals the vCPU serving the READ, whose interruptible
// wait ends, the call is cancelled (HGCMCancel2, or the legacy cancel on an old host), and cat is gone
// before the host has finished the call. The host holds READs until the test lets them go
// (Machine.shares.setHostDelay), so cat's end cannot be the host's, however slow the machine. The statistics
// show the cancel; the host then drops the cancelled call; a later read works; nothing is left behind but
// what the guest library counted as leaked.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { MachineConfig } from '../../src/machine/config.js';
import { cannotRun, mountShare, settle, start, unmountShare } from './mounted.js';

const skip = cannotRun('cat');
/** Longer than any test here lasts: the host holds the READ until the test sets the delay to 0. */
const HOLD_MS = 600_000;

const CASES: readonly { name: string; config: Partial<MachineConfig> }[] = [
  { name: 'vbox-7.0 guest, current host (HGCMCancel2)', config: { guest: { flavor: 'vbox-7.0' } } },
  {
    name: 'linux guest, old host (legacy HGCMCancel)',
    config: { guest: { flavor: 'linux' }, cancel2: false },
  },
];

describe.skipIf(skip !== undefined)(
  `SIGINT of a cat blocked on a slow host${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    for (const c of CASES) {
      test(c.name, async () => {
        const m = await mountShare({ ...c.config, hostDelay: { ms: HOLD_MS } });
        try {
          const { mp, mount, machine } = m;
          const text = 'slow host\n'.repeat(500);
          fs.writeFileSync(join(m.host, 'slow.txt'), text);
          const before = machine.stats();
          const cat = start('cat', [join(mp, 'slow.txt')]);
          // The READ is in flight on the host (its delay has begun) before the signal. A command still
          // listed once the front has counted the READ is the READ (cat makes one request at a time, and the
          // call before it left the list before its guest saw DONE). Its guest counted the call before its
          // port write, so the calls issued, read after the list, include it; the device counts each
          // request it handled only after listing it, so once it has counted as many as were issued (read
          // after that), the READ is among them, and then every command it accepted has been taken by a host
          // worker and started. (Listed is not enough: a call the host has not started when the cancel comes
          // is never started and completes cancelled at once, as upstream's does. Nor are the counters
          // alone: a completion is counted after its DONE.)
          const calls0 = before.counters['guest.calls'];
          const handled0 = before.counters['device.hgcm.accepted'] + before.counters['device.hgcm.refused'];
          const started = (): boolean => {
            const s = mount.stats(); // the front's counts, then the host's list
            if ((s.requests.READ ?? 0) < 1 || s.host.pendingCommands < 1) return false;
            const issued = machine.stats().counters['guest.calls'] - calls0; // after the list
            const c = machine.stats().counters; // after that
            const handled = c['device.hgcm.accepted'] + c['device.hgcm.refused'] - handled0;
            const taken = c['host.calls'] + c['host.connects'] + c['host.disconnects'];
            return (
              handled >= issued &&
              taken === c['device.hgcm.accepted'] &&
              c['host.started'] === c['host.calls']
            );
          };
          expect(await settle(started)).toBe(true);
          process.kill(cat.pid, 'SIGINT');
          const ended = await cat.done;
          // cat is gone while the host still holds the (cancelled) call: it did not wait for the host.
          const at = mount.stats();
          expect(ended.signal).toBe('SIGINT');
          expect(ended.stdout).toBe('');
          expect(at.calls['host.completedCancelled']).toBe(0);
          // (The kernel may retry the page read once more while the signal is pending: that READ is
          // interrupted too, so "at least one", and every interrupt is accounted for.)
          const interrupted = at.front.interruptsSignalled ?? 0;
          expect(interrupted).toBeGreaterThanOrEqual(1);
          expect(at.front.eintr).toBe(interrupted);
          expect(at.calls['guest.interrupts']).toBe(interrupted);
          expect(at.calls['guest.cancelled']).toBe(interrupted);
          if (c.config.cancel2 === false) expect(at.calls['guest.cancel.fallback']).toBe(interrupted);
          else expect(at.calls['guest.cancel.success']).toBe(interrupted);

          // The host lets the READ go: it finds the call cancelled and drops it (no file access). (A retried
          // READ the cancel reached before the host started it was never the host's: hence at most.)
          await machine.shares.setHostDelay(0);
          const dropped = (): number => mount.stats().calls['host.completedCancelled'] ?? 0;
          expect(await settle(() => mount.stats().host.pendingCommands === 0 && dropped() >= 1)).toBe(true);
          expect(dropped()).toBeLessThanOrEqual(interrupted);

          // A later read of the same file works.
          const again = await start('cat', [join(mp, 'slow.txt')]).done;
          expect(again.status).toBe(0);
          expect(again.stdout).toBe(text);

          // Nothing left behind: no host handle, no pending command, guest memory as before (less what the
          // guest library counted as leaked, quarantined for good).
          // (Polled: the kernel closes the file in the background, and a vCPU frees its request after it wakes.)
          const quiet = (): boolean => {
            const s = mount.stats();
            const h = machine.stats();
            return (
              s.host.openHandles === 0 &&
              s.host.pendingCommands === 0 &&
              h.heap.inUseBytes === before.heap.inUseBytes &&
              h.programMemory.inUseBytes === before.programMemory.inUseBytes
            );
          };
          expect(await settle(quiet)).toBe(true);
          const after = machine.stats();
          const leaked = after.counters['guest.leakedBytes'] - before.counters['guest.leakedBytes'];
          const quarantined = (x: typeof after): number =>
            x.heap.quarantinedBytes + x.programMemory.quarantinedBytes;
          expect(after.heap.inUseBytes).toBe(before.heap.inUseBytes);
          expect(after.programMemory.inUseBytes).toBe(before.programMemory.inUseBytes);
          expect(quarantined(after) - quarantined(before)).toBe(leaked);
        } finally {
          await unmountShare(m);
        }
      });
    }

    test('a READ the host lost: the cancel finds nothing, the grace expires, the call is leaked and counted', async () => {
      // Attributes cached for an hour: cat's fstat and its read then need no GETATTR, so the call the host
      // loses is the READ. (With the default 200 ms, a loaded machine let the attributes expire before cat
      // ran, the host lost a GETATTR instead, and the mount could not end: unmount() now bounds that.)
      const m = await mountShare(
        { guest: { flavor: 'vbox-7.0', graceNotFoundMs: 50 } },
        { ttlMs: 3_600_000 },
      );
      try {
        const { mp, mount, machine } = m;
        const text = 'lost\n'.repeat(100);
        fs.writeFileSync(join(m.host, 'lost.txt'), text);
        const before = machine.stats();
        // cat opens the file, then waits for a line on stdin before it reads: the READ comes when we say.
        const cat = start('sh', ['-c', `exec 3< ${join(mp, 'lost.txt')}; read -r _; exec cat <&3`], {
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        expect(await settle(() => mount.stats().openFiles === 1)).toBe(true);
        // The host loses the next call it picks up: the READ.
        machine.setFault('host-drop', true);
        cat.stdin!.write('go\n');
        expect(
          await settle(() => machine.stats().counters['host.dropped'] > before.counters['host.dropped']),
        ).toBe(true);
        machine.setFault('host-drop', false);
        expect(mount.stats().requests.READ).toBe(1);
        process.kill(cat.pid, 'SIGINT');
        const ended = await cat.done;
        expect(ended.signal).toBe('SIGINT');
        const s = mount.stats();
        expect(s.calls['guest.cancel.notFound']).toBe(1);
        expect(s.calls['guest.grace.expired']).toBe(1);
        expect(s.calls['guest.leaked']).toBe(1);
        expect(s.front.eintr).toBe(1);
        expect(s.front.bufferLeaks).toBe(1);
        // The mount goes on: a later read works (from fresh guest memory).
        const again = await start('cat', [join(mp, 'lost.txt')]).done;
        expect(again.stdout).toBe(text);
        // Exactly what the guest library counted as leaked is quarantined; everything else is back.
        const after = machine.stats();
        const leaked = after.counters['guest.leakedBytes'] - before.counters['guest.leakedBytes'];
        expect(leaked).toBeGreaterThan(1 << 20);
        const quarantined = (x: typeof after): number =>
          x.heap.quarantinedBytes + x.programMemory.quarantinedBytes;
        expect(quarantined(after) - quarantined(before)).toBe(leaked);
        const back = (): boolean =>
          mount.stats().host.openHandles === 0 && machine.stats().heap.inUseBytes === before.heap.inUseBytes;
        expect(await settle(back)).toBe(true);
        expect(machine.stats().programMemory.inUseBytes).toBe(before.programMemory.inUseBytes);
      } finally {
        await unmountShare(m);
      }
    });
  },
);
