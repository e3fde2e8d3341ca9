// `hgcm mount <hostDir> <mountpoint>`: serve a host directory as a guest's shared folder and mount it
// through FUSE in the foreground, every operation taking the whole emulated path (kernel FUSE -> the
// guest's vboxsf logic on a vCPU -> HGCM -> the Shared Folders service -> the host file); SIGINT or SIGTERM
// unmounts and prints the mount's statistics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FLAVORS, type GuestFlavorName, Machine, MAX_VCPUS, type MountStats } from '../machine/index.js';
import { choice, defineCommand, flag, int, text, UsageError } from './kit/index.js';
import { claimSignals } from './process.js';

const FLAVOR_NAMES = Object.keys(FLAVORS) as GuestFlavorName[];

/** The statistics as `hgcm mount` prints them at the end. */
export function formatMountStats(s: MountStats): string {
  const c = s.calls;
  const n = (k: string): number => c[k] ?? 0;
  const ops = Object.entries(s.requests)
    .sort((a, b) => b[1] - a[1])
    .map(([op, k]) => `${op} ${k}`)
    .join(', ');
  const mib = (b: bigint): string => (Number(b) / (1 << 20)).toFixed(1);
  return [
    `  requests        ${s.front.requests} (${ops}); ${s.front.errors} answered with an error; at most ${Math.max(1, s.front.maxInFlight ?? 0)} served at once`,
    `  calls by outcome ${n('guest.calls')} calls: ${n('guest.completed')} completed, ${n('guest.cancelled')} cancelled, ${n('guest.leaked')} leaked`,
    `  interrupts      ${s.front.interrupts} FUSE_INTERRUPT: ${s.front.interruptsSignalled} signalled a vCPU, ${s.front.interruptsIgnored} ignored, ${s.front.interruptsRetried} answered EAGAIN; ${s.front.eintr} requests answered EINTR`,
    `  cancels         ${n('guest.cancel.success')} succeeded, ${n('guest.cancel.notFound')} not found, ${n('guest.cancel.notImplemented')} not implemented (${n('guest.cancel.fallback')} legacy fallbacks); grace waits ${n('guest.grace.completed')} saw DONE, ${n('guest.grace.expired')} expired`,
    `  leaks           ${n('guest.leaked')} calls, ${n('guest.leakedBytes')} bytes quarantined; ${s.front.bufferLeaks} request buffers abandoned`,
    `  bytes           ${mib(s.bytesRead)} MiB read, ${mib(s.bytesWritten)} MiB written`,
    `  left            ${s.nodes} nodes, ${s.openFiles} open files; host: ${s.host.openHandles} handles open, ${s.host.pendingCommands} commands pending`,
  ].join('\n');
}

/** `hgcm mount`: runs in the foreground until SIGINT or SIGTERM, which unmount and print the statistics. */
export const mountCommand = defineCommand(
  {
    name: 'hgcm mount',
    summary:
      'mount a host directory through FUSE, every operation served by the guest on a vCPU (root; Ctrl-C unmounts)',
    positionals: { name: 'directory', usage: '<hostDir> <mountpoint>', min: 2, max: 2 },
    options: {
      vcpus: int('vCPUs, each reading /dev/fuse', { min: 1, max: MAX_VCPUS, default: 2 }),
      readonly: flag('serve the share read-only'),
      flavor: choice('the guest library whose cancel path interrupted calls take', FLAVOR_NAMES, 'vbox-7.0'),
      'old-host': flag('a host without HGCMCancel2 (a cancel falls back to the legacy HGCMCancel)'),
      trace: text('write the mount as a Chrome trace (Perfetto, chrome://tracing) to FILE at the end', {
        arg: 'FILE',
      }),
      'host-delay': int('delay every host READ and WRITE by MS (to Ctrl-C a program blocked on it)', {
        min: 0,
        max: 600_000,
        default: 0,
        arg: 'MS',
      }),
      ttl: int("how long the kernel may cache a name's and a file's attributes (vboxsf's TTL)", {
        min: 0,
        max: 3_600_000,
        default: 200,
        arg: 'MS',
      }),
    },
    more: () =>
      'SIGINT (Ctrl-C) or SIGTERM unmounts, prints the statistics (calls by outcome, cancels, leaks, bytes)\n' +
      'and exits 0 after a clean unmount. A crash of the server, or SIGKILL of this process, still releases\n' +
      'the mount point (docs/mount.md).',
  },
  async ({ values, positionals }, io) => {
    const hostDir = path.resolve(positionals[0]!);
    const mountpoint = path.resolve(positionals[1]!);
    if (!fs.statSync(hostDir, { throwIfNoEntry: false })?.isDirectory())
      throw new UsageError(`${hostDir} is not a directory`);
    const { vcpus, readonly, flavor } = values;
    const oldHost = values['old-host'];
    const hostDelayMs = values['host-delay'];
    const share = path.basename(hostDir).replace(/[^A-Za-z0-9._-]/g, '_') || 'share';
    // Claim the signals before the machine starts: one arriving while the mount starts ends it once it is up.
    let release: () => void = () => undefined;
    const signalled = new Promise<string>((resolve) => (release = claimSignals(resolve)));
    const machine = await Machine.start({
      vcpus,
      cancel2: !oldHost,
      guest: { flavor },
      hostDelay: { ms: hostDelayMs },
      sharedFolders: [{ name: share, hostPath: hostDir, writable: !readonly, createSymlinks: true }],
      ...(values.trace === undefined ? {} : { trace: { enabled: true, capacity: 1 << 15 } }),
    });
    try {
      const mount = await machine.mount(share, mountpoint, { readonly, ttlMs: values.ttl });
      io.out(`mounted ${mount.mountpoint}`);
      io.out(
        `  serving ${hostDir} as shared folder "${share}" (${readonly ? 'read-only' : 'read-write'}) through ${vcpus} vCPUs, guest ${flavor}, host ${oldHost ? 'without HGCMCancel2 (old host)' : 'with HGCMCancel2'}${hostDelayMs > 0 ? `, host READ/WRITE delayed ${hostDelayMs} ms` : ''}`,
      );
      io.out('  SIGINT (Ctrl-C) or SIGTERM unmounts');
      const why = await Promise.race([signalled, mount.ended.then(() => 'ended')]);
      if (why !== 'ended') io.out(`${why}: unmounting ${mount.mountpoint}`);
      const before = mount.stats();
      // Rejects only when a vCPU still waits in a host call after the kernel let go of the mount (a call
      // the host lost): said on stderr, then stop() below ends that vCPU.
      const end = await mount.unmount().catch((e: unknown) => {
        io.err(e instanceof Error ? e.message : String(e));
        return undefined;
      });
      if (end !== undefined)
        io.out(
          `unmounted ${mount.mountpoint}: ${end.reason}${end.error === undefined ? '' : ` (${end.error})`}`,
        );
      io.out(formatMountStats({ ...mount.stats(), requests: before.requests }));
      if (values.trace !== undefined) {
        fs.writeFileSync(
          values.trace,
          JSON.stringify(machine.trace.chrome({ meta: { mount: mount.mountpoint } })),
        );
        io.out(`  Chrome trace: ${values.trace}`);
      }
      return end?.reason === 'unmounted' ? 0 : 1;
    } finally {
      release();
      await machine.stop();
    }
  },
);
