// No hung mounts: the mount point is released on a normal unmount, when a server crashes (an exception on a
// vCPU: the connection is aborted and the mount detached), and when the mounting process is killed with
// SIGKILL (the watchdog process detaches it). After each, a program using the path does not hang.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FuseOp } from '../../src/abi/index.js';
import { connectionMountpoints, isMounted } from '../../src/fuse/index.js';
import { MountError } from '../../src/runtime/index.js';
import {
  alive,
  cannotRun,
  mountShare,
  run,
  settle,
  start,
  startCliMount,
  unmountShare,
  type Mounted,
} from './mounted.js';

const skip = cannotRun('stat', 'ls');

describe.skipIf(skip !== undefined)(`the end of a mount${skip ? ` (skipped: ${skip})` : ''}`, () => {
  test('unmount releases the mount point and the watchdog exits', async () => {
    let m: Mounted | undefined = await mountShare();
    try {
      const { mp, mount } = m;
      fs.writeFileSync(join(mp, 'kept.txt'), 'kept\n');
      const watchdog = mount.watchdogPid;
      expect(watchdog !== undefined && alive(watchdog)).toBe(true);
      // The connection's number is this mount point's while mounted, and no one's after.
      expect(connectionMountpoints(mount.connection)).toEqual([mp]);
      const end = await mount.unmount();
      expect(end.reason).toBe('unmounted');
      expect(connectionMountpoints(mount.connection)).toEqual([]);
      expect(end.servers.map((s) => s.end)).toEqual(['ENODEV', 'ENODEV']);
      expect(isMounted(mp)).toBe(false);
      expect(await settle(() => !alive(watchdog!))).toBe(true);
      // The file went to the host, and the host is left as it was: no handle open.
      expect(fs.readFileSync(join(m.host, 'kept.txt'), 'utf8')).toBe('kept\n');
      expect(mount.stats().host.openHandles).toBe(0);
    } finally {
      await unmountShare(m);
      m = undefined;
    }
  });

  test('unmount of a busy mount detaches it, then aborts the connection the holder keeps: it settles', async () => {
    const m = await mountShare();
    const { mp, mount } = m;
    fs.writeFileSync(join(mp, 'held.txt'), 'held\n');
    // A program that keeps a file of the mount open and does not go away.
    const holder = start('sh', ['-c', `exec 3<${mp}/held.txt; echo open; exec sleep 600`]);
    try {
      expect(await settle(() => mount.stats().openFiles === 1)).toBe(true);
      const end = await mount.unmount({ graceMs: 200 });
      expect(end.reason).toBe('unmounted');
      expect(isMounted(mp)).toBe(false);
      expect(alive(holder.pid)).toBe(true);
      // What the holder had open was closed on the host when the share was unmapped.
      expect(mount.stats().host.openHandles).toBe(0);
    } finally {
      process.kill(holder.pid, 'SIGKILL');
      await holder.done;
      await unmountShare(m);
    }
  });

  test('unmount while a READ waits on a slow host: the abort interrupts the READ, and the mount ends', async () => {
    const m = await mountShare({ hostDelay: { ms: 20_000 } });
    try {
      const { mp, mount } = m;
      fs.writeFileSync(join(m.host, 'slow.txt'), 'slow\n');
      const cat = start('cat', [join(mp, 'slow.txt')]);
      expect(
        await settle(() => {
          const s = mount.stats();
          return (s.requests.READ ?? 0) >= 1 && s.host.pendingCommands >= 1;
        }),
      ).toBe(true);
      // cat holds the file: detached, then aborted after the grace. The READ's server is interrupted then
      // (before, it waited out the host's 20 s and unmount() gave up on it first).
      const end = await mount.unmount({ graceMs: 200 });
      expect(end.reason).toBe('unmounted');
      expect(isMounted(mp)).toBe(false);
      const s = mount.stats();
      expect(s.calls['guest.interrupts']).toBe(1);
      expect(s.calls['guest.cancelled']).toBe(1);
      expect(s.host.openHandles).toBe(0);
      const ended = await cat.done;
      expect(ended.signal).toBe(null);
      expect(ended.status).not.toBe(0);
    } finally {
      await unmountShare(m);
    }
  });

  test('unmount with a host call the host lost: it rejects naming the vCPU, stop() ends the mount, no other', async () => {
    // Attributes and entries never cached (ttl 0): a stat is a LOOKUP, which waits uninterruptibly in its
    // host call as vboxsf's do; the host loses it. Before the bound, unmount() never settled.
    const m = await mountShare({}, { ttlMs: 0 });
    let other: Mounted | undefined;
    try {
      const { mp, mount, machine } = m;
      fs.writeFileSync(join(m.host, 'f.txt'), 'f\n');
      const dropped = (): number => machine.stats().counters['host.dropped'];
      const before = dropped();
      machine.setFault('host-drop', true);
      const stat = start('stat', [join(mp, 'f.txt')]);
      expect(await settle(() => dropped() > before)).toBe(true);
      machine.setFault('host-drop', false);
      const err = await mount.unmount({ graceMs: 200 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MountError);
      expect(String(err)).toMatch(/vCPU \d \(request \d+\) still waits in a host call after 200 ms/);
      expect(isMounted(mp)).toBe(false);
      // The connection is gone for the kernel (the waiting program got an error), so its number is free:
      // the next mount may get it. Ending this mount must not abort that one.
      expect((await stat.done).status).not.toBe(0);
      other = await mountShare();
      const reused = other.mount.connection === mount.connection;
      // stop() ends the vCPU that waits: the mount ends. (At once: its program never returns, and the
      // default waitMs would only wait 5 s for it first.)
      await machine.stop({ waitMs: 0 });
      expect((await mount.ended).reason).toBe('crashed');
      expect((await mount.unmount()).reason).toBe('crashed');
      fs.writeFileSync(join(other.mp, 'after.txt'), `connection reused: ${reused}\n`);
      expect(fs.readFileSync(join(other.host, 'after.txt'), 'utf8')).toBe(`connection reused: ${reused}\n`);
    } finally {
      await unmountShare(other);
      await unmountShare(m);
    }
  });

  test('a server that crashes takes the mount down: the waiting program gets an error, the path is free', async () => {
    const m = await mountShare();
    try {
      const { mp, mount } = m;
      mount.injectCrash(FuseOp.STATFS);
      const statfs = await start('stat', ['-f', mp]).done;
      expect(statfs.status).not.toBe(0);
      const end = await mount.ended;
      expect(end.reason).toBe('crashed');
      expect(end.error).toMatch(/injected crash at FUSE opcode 17/);
      expect(isMounted(mp)).toBe(false);
      // The path is an ordinary empty directory again.
      expect(run('ls', ['-A', mp]).stdout).toBe('');
      // The share was unmapped and its client disconnected: no host handle is left.
      expect(mount.stats().host.openHandles).toBe(0);
    } finally {
      await unmountShare(m);
    }
  });

  test('SIGKILL of `hgcm mount` releases the mount point (the watchdog detaches it)', async () => {
    const { host, mp, cli, cleanup } = await startCliMount();
    try {
      fs.writeFileSync(join(mp, 'before-kill.txt'), 'x');
      process.kill(cli.pid, 'SIGKILL');
      const ended = await cli.done;
      expect(ended.signal).toBe('SIGKILL');
      expect(await settle(() => !isMounted(mp), 1000)).toBe(true);
      expect(run('ls', ['-A', mp]).stdout).toBe('');
      expect(fs.readFileSync(join(host, 'before-kill.txt'), 'utf8')).toBe('x');
    } finally {
      cleanup();
    }
  });
});
