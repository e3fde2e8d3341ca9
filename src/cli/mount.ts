// `hgcm mount <hostDir> <mountpoint>`: serve a host directory as a guest's shared folder and mount it
// through FUSE in the foreground, every operation taking the whole emulated path (kernel FUSE -> the
// guest's vboxsf logic on a vCPU -> HGCM -> the Shared Folders service -> the host file); SIGINT or SIGTERM
// unmounts and prints the mount's statistics.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Machine } from '../machine/machine.js';
import type { MountStats } from '../machine/mount.js';
import { FLAVORS, type GuestFlavorName } from '../vcpu/flavor.js';
import { MAX_VCPUS } from '../vmmdev/bus-layout.js';
import { intOption, UsageError } from './args.js';

/** `hgcm mount`'s options, parsed and checked. */
export interface MountCliOptions {
  readonly hostDir: string;
  readonly mountpoint: string;
  readonly vcpus: number;
  readonly readonly: boolean;
  readonly flavor: GuestFlavorName;
  readonly oldHost: boolean;
  readonly trace: string | undefined;
  readonly hostDelayMs: number;
  readonly ttlMs: number;
}

/** Parse `hgcm mount`'s arguments (UsageError for a bad one). */
export function parseMountArgs(argv: readonly string[]): MountCliOptions {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      vcpus: { type: 'string' },
      readonly: { type: 'boolean', default: false },
      flavor: { type: 'string', default: 'vbox-7.0' },
      'old-host': { type: 'boolean', default: false },
      trace: { type: 'string' },
      'host-delay': { type: 'string' },
      ttl: { type: 'string' },
    },
  });
  const [hostDir, mountpoint, ...extra] = positionals;
  if (hostDir === undefined || mountpoint === undefined || extra.length > 0)
    throw new UsageError('a host directory and a mount point are required (and nothing else)');
  if (!(values.flavor in FLAVORS))
    throw new UsageError(
      `--flavor must be one of ${Object.keys(FLAVORS).join(', ')} (got ${JSON.stringify(values.flavor)})`,
    );
  return {
    hostDir: path.resolve(hostDir),
    mountpoint: path.resolve(mountpoint),
    vcpus: intOption('vcpus', values.vcpus, 1, MAX_VCPUS, 2),
    readonly: values.readonly,
    // SAFETY: checked against FLAVORS just above.
    flavor: values.flavor as GuestFlavorName,
    oldHost: values['old-host'],
    trace: values.trace,
    hostDelayMs: intOption('host-delay', values['host-delay'], 0, 600_000, 0),
    ttlMs: intOption('ttl', values.ttl, 0, 3_600_000, 200),
  };
}

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

/** Run `hgcm mount`; returns the exit code (0 after a clean unmount, 1 if the mount ended with an error). */
export async function mountCommand(argv: readonly string[]): Promise<number> {
  const o = parseMountArgs(argv);
  if (!fs.statSync(o.hostDir, { throwIfNoEntry: false })?.isDirectory())
    throw new UsageError(`${o.hostDir} is not a directory`);
  const share = path.basename(o.hostDir).replace(/[^A-Za-z0-9._-]/g, '_') || 'share';
  const machine = await Machine.start({
    vcpus: o.vcpus,
    cancel2: !o.oldHost,
    guest: { flavor: o.flavor },
    hostDelay: { ms: o.hostDelayMs },
    sharedFolders: [{ name: share, hostPath: o.hostDir, writable: !o.readonly, createSymlinks: true }],
    ...(o.trace === undefined ? {} : { trace: { enabled: true, capacity: 1 << 15 } }),
  });
  // Listen before mounting: a signal that arrives while the mount starts ends it as soon as it is up.
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  try {
    const mount = await machine.mount(share, o.mountpoint, { readonly: o.readonly, ttlMs: o.ttlMs });
    console.log(`mounted ${mount.mountpoint}`);
    console.log(
      `  serving ${o.hostDir} as shared folder "${share}" (${o.readonly ? 'read-only' : 'read-write'}) through ${o.vcpus} vCPUs, guest ${o.flavor}, host ${o.oldHost ? 'without HGCMCancel2 (old host)' : 'with HGCMCancel2'}${o.hostDelayMs > 0 ? `, host READ/WRITE delayed ${o.hostDelayMs} ms` : ''}`,
    );
    console.log('  SIGINT (Ctrl-C) or SIGTERM unmounts');
    const why = await Promise.race([signalled, mount.ended.then(() => 'ended')]);
    if (why !== 'ended') console.log(`${why}: unmounting ${mount.mountpoint}`);
    const before = mount.stats();
    const end = await mount.unmount();
    console.log(
      `unmounted ${mount.mountpoint}: ${end.reason}${end.error === undefined ? '' : ` (${end.error})`}`,
    );
    console.log(formatMountStats({ ...mount.stats(), requests: before.requests }));
    if (o.trace !== undefined) {
      fs.writeFileSync(o.trace, JSON.stringify(machine.trace.chrome({ meta: { mount: mount.mountpoint } })));
      console.log(`  Chrome trace: ${o.trace}`);
    }
    return end.reason === 'unmounted' ? 0 : 1;
  } finally {
    await machine.stop();
  }
}
