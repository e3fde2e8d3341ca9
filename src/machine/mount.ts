// Machine.mount: a share of the machine mounted on the host through FUSE, served by the guest (runs on the
// main thread). The front's guest programs do the work on the vCPUs (src/fuse/serve.ts, one per vCPU, and
// session.ts at the start and the end); this file opens /dev/fuse, mounts, watches the servers, and ends
// the mount on every path: unmount(), a server crash (the connection is aborted and the mount detached),
// and, through the watchdog process, the death of this process.
import * as fs from 'node:fs';
import { FUSE_OP_NAMES } from '../abi/index.js';
import {
  abortConnection,
  connectionMountpoints,
  createFront,
  fuseProgram,
  FileTable,
  findMount,
  FrontState,
  FrontWord,
  FrontWords,
  Inflight,
  mountFuse,
  NodeTable,
  openFuseDevice,
  setReadahead,
  unmountFuse,
  Watchdog,
  type DisconnectReport,
  type FrontShared,
  type ServeReport,
} from '../fuse/index.js';
import { type CounterName, MountError } from '../runtime/index.js';
import { VBSF_SERVICE_NAME, vbsfOpenHandles } from '../vbsf/index.js';
import type { Machine } from './machine.js';

/**
 * How long after its bound an unmount waits for servers that serve no request but have not ended yet (a
 * loaded machine took over 200 ms to end an interrupted READ's server) before it rejects.
 */
const ENDING_CAP_MS = 15_000;

/** How a share is mounted. Every field is optional. */
export interface MountOptions {
  /** Owner of every file (vboxsf's uid= and gid=; default: this process's). */
  readonly uid?: number;
  readonly gid?: number;
  /** Attribute and entry timeout in ms, vboxsf's ttl (default 200). */
  readonly ttlMs?: number;
  /** Largest READ and WRITE request (default 1 MiB, with FUSE_MAX_PAGES). */
  readonly maxWrite?: number;
  /**
   * Readahead of the mount in KiB (default: maxWrite, so a sequential read asks the host for maxWrite at a
   * time; 0 leaves the kernel's 128 KiB). vboxsf turns readahead off and reads page by page.
   */
  readonly readaheadKb?: number;
  /** FUSE_ASYNC_READ: readahead in the background (default false: see docs/mount.md). */
  readonly asyncRead?: boolean;
  /** READ and WRITE wait interruptibly, so a signalled program's request is cancelled (default true). */
  readonly interruptibleIo?: boolean;
  /** Mount read-only (the share should be read-only too; default false). */
  readonly readonly?: boolean;
  /** The kernel checks the mode bits (default_permissions; default true). vboxsf checks nothing itself. */
  readonly defaultPermissions?: boolean;
  /** Let every user in (allow_other; default true). */
  readonly allowOther?: boolean;
  /** Nodes the kernel may hold at once (default 131072) and files open at once (default 4096). */
  readonly maxNodes?: number;
  readonly maxFiles?: number;
  /** Skip SET_SYMLINKS (vboxsf's follow_symlinks; default false). */
  readonly followSymlinks?: boolean;
  /** Start the watchdog that releases the mount point if this process dies (default true). */
  readonly watchdog?: boolean;
}

/** A mount's statistics (call counts are this mount's: counted from its start). */
export interface MountStats {
  readonly mountpoint: string;
  readonly share: string;
  /** FUSE requests by opcode name. */
  readonly requests: Readonly<Record<string, number>>;
  readonly front: Readonly<Record<string, number>>;
  readonly bytesRead: bigint;
  readonly bytesWritten: bigint;
  /** Servers reading /dev/fuse now (one per vCPU while mounted). */
  readonly readers: number;
  /** Nodes the kernel holds (the root included) and files and directories open now. */
  readonly nodes: number;
  readonly openFiles: number;
  /** Guest calls by outcome, cancels by result, leaks (the machine's counters since the mount began). */
  readonly calls: Readonly<Record<string, number>>;
  /** Host side now: handles open in the Shared Folders service, HGCM commands pending. */
  readonly host: { readonly openHandles: number; readonly pendingCommands: number };
}

/** How a mount ended. */
export interface MountEnd {
  readonly reason: 'unmounted' | 'crashed';
  readonly error?: string;
  readonly servers: readonly ServeReport[];
  readonly teardown?: DisconnectReport;
}

const CALL_COUNTERS: readonly CounterName[] = [
  'guest.calls',
  'guest.completed',
  'guest.cancelled',
  'guest.leaked',
  'guest.leakedBytes',
  'guest.interrupts',
  'guest.timeouts',
  'guest.cancel.success',
  'guest.cancel.notFound',
  'guest.cancel.notImplemented',
  'guest.cancel.fallback',
  'guest.grace.completed',
  'guest.grace.expired',
  'host.calls',
  'host.started',
  'host.completedCancelled',
];

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A share mounted through FUSE. */
export class FuseMount {
  readonly mountpoint: string;
  readonly share: string;
  /** The fuse connection (its directory in /sys/fs/fuse/connections). */
  readonly connection: number;
  /** Settles when the mount has ended (unmounted, or torn down after a crash), with how. */
  readonly ended: Promise<MountEnd>;
  private readonly machine: Machine;
  private readonly front: FrontShared;
  private readonly fd: number;
  private readonly watchdog: Watchdog | undefined;
  private readonly base: Record<string, number>;
  /** The servers' in-flight words: what each vCPU serves now. */
  private readonly inflight: Inflight;
  private state: 'mounted' | 'ending' | 'ended' = 'mounted';
  private endWith: ((end: MountEnd) => void) | undefined;
  /** The connection is aborted, or ended by the kernel (a server's reads ended): never abort it again. */
  private connectionEnded = false;
  /** What unmount() answers once called: `ended`, bounded. */
  private unmounted: Promise<MountEnd> | undefined;

  private constructor(p: {
    machine: Machine;
    share: string;
    mountpoint: string;
    connection: number;
    front: FrontShared;
    fd: number;
    servers: Promise<ServeReport>[];
    watchdog: Watchdog | undefined;
    base: Record<string, number>;
  }) {
    this.machine = p.machine;
    this.share = p.share;
    this.mountpoint = p.mountpoint;
    this.connection = p.connection;
    this.front = p.front;
    this.fd = p.fd;
    this.watchdog = p.watchdog;
    this.base = p.base;
    this.inflight = new Inflight(new FrontWords(p.front).wide, p.machine.config.vcpus);
    this.ended = new Promise<MountEnd>((resolve) => (this.endWith = resolve));
    void this.watch(p.servers);
  }

  /** Mount `share` of `machine` at `mountpoint` (an existing directory). */
  static async start(
    machine: Machine,
    share: string,
    mountpoint: string,
    o: MountOptions = {},
  ): Promise<FuseMount> {
    const svc = machine.config.services.find((s) => s.name === VBSF_SERVICE_NAME);
    // SAFETY: the Shared Folders service's config is { mappings: SharedFolderConfig[] } (resolveConfig).
    const names = ((svc?.config as { mappings?: { name: string }[] } | undefined)?.mappings ?? []).map(
      (m) => m.name,
    );
    if (!names.some((n) => n.toLowerCase() === share.toLowerCase()))
      throw new MountError(
        `the machine has no shared folder "${share}" (it has: ${names.join(', ') || 'none'})`,
      );
    let canonical: string;
    try {
      canonical = fs.realpathSync(mountpoint);
      if (!fs.statSync(canonical).isDirectory()) throw new Error('not a directory');
    } catch (e) {
      throw new MountError(`mount point ${mountpoint}: ${errorText(e)}`);
    }
    const maxWrite = o.maxWrite ?? 1 << 20;
    if (!Number.isInteger(maxWrite) || maxWrite < 4096 || maxWrite > 1 << 20 || maxWrite % 4096 !== 0)
      throw new MountError('maxWrite must be a multiple of 4096 in [4096, 1 MiB]');
    const uid = o.uid ?? process.getuid?.() ?? 0;
    const gid = o.gid ?? process.getgid?.() ?? 0;
    const front = createFront(
      {
        ttlMs: o.ttlMs ?? 200,
        uid,
        gid,
        maxWrite,
        asyncRead: o.asyncRead ?? false,
        interruptibleIo: o.interruptibleIo ?? true,
        interruptRetryMs: 10,
      },
      { nodes: o.maxNodes ?? 1 << 17, files: o.maxFiles ?? 4096 },
    );
    const base = machine.stats().counters;
    const session = fuseProgram('session');
    await machine.run({
      module: session,
      export: 'connect',
      vcpu: 0,
      args: { front, share, followSymlinks: o.followSymlinks },
    });
    const fd = openFuseDevice();
    const teardown = async (): Promise<void> => {
      fs.closeSync(fd);
      await machine.run({ module: session, export: 'disconnect', vcpu: 0, args: { front } });
    };
    try {
      mountFuse(fd, canonical, {
        source: `hgcm:${share}`,
        uid,
        gid,
        allowOther: o.allowOther ?? true,
        defaultPermissions: o.defaultPermissions ?? true,
        readonly: o.readonly ?? false,
      });
    } catch (e) {
      await teardown();
      throw e;
    }
    const info = findMount(canonical);
    const vcpus = machine.config.vcpus;
    const servers = Array.from({ length: vcpus }, (_, vcpu) =>
      machine.run<ServeReport>({ module: fuseProgram('serve'), vcpu, args: { fd, front, vcpus } }),
    );
    const m = new FuseMount({
      machine,
      share,
      mountpoint: canonical,
      connection: info?.connection ?? -1,
      front,
      fd,
      servers,
      watchdog:
        o.watchdog === false || info === undefined ? undefined : Watchdog.start(canonical, info.connection),
      base,
    });
    // The kernel sends INIT at mount; the mount is ready once a server answered it and every server reads.
    const words = new FrontWords(front);
    const ready = (): boolean =>
      words.get(FrontWord.STATE) >= FrontState.INITIALISED && words.get(FrontWord.READERS) === vcpus;
    const initialised = (async () => {
      while (!ready() && m.state === 'mounted') {
        // ORDER: the server stores the state, then notifies (FrontWords.set); re-read after every wake. The
        // reader count is not notified: the 10 ms timeout polls it.
        const w = Atomics.waitAsync(words.words.i32, FrontWord.STATE, words.get(FrontWord.STATE), 10);
        if (w.async) await w.value;
      }
    })();
    const end = await Promise.race([initialised.then(() => undefined), m.ended]);
    if (end !== undefined)
      throw new MountError(`the mount ended before it was initialised: ${end.error ?? end.reason}`);
    // After INIT: its reply sets the readahead too (it can only lower it).
    const readahead = o.readaheadKb ?? maxWrite / 1024;
    if (info !== undefined && readahead > 0) setReadahead(info.connection, readahead);
    return m;
  }

  /** Watch the servers: when one fails, abort the connection and detach the mount; when all end, tear down. */
  private async watch(servers: Promise<ServeReport>[]): Promise<void> {
    let error: string | undefined;
    const reports = await Promise.all(
      servers.map((s) =>
        s
          .then((r) => {
            // Its reads ended: the kernel has ended the connection, and its number may soon be another's.
            this.connectionEnded = true;
            return r;
          })
          .catch((e: unknown): ServeReport => {
            error ??= errorText(e);
            // A crashed server: nobody may hang on this mount. Aborting ends the other servers' reads too.
            this.detach(true);
            return { vcpu: -1, requests: 0, end: 'crashed' };
          }),
      ),
    );
    fs.closeSync(this.fd);
    let teardown: DisconnectReport | undefined;
    try {
      teardown = await this.machine.run<DisconnectReport>({
        module: fuseProgram('session'),
        export: 'disconnect',
        vcpu: 0,
        args: { front: this.front },
      });
    } catch (e) {
      error ??= `tear-down failed: ${errorText(e)}`;
    }
    this.watchdog?.disarm();
    this.state = 'ended';
    // SAFETY: the promise executor in the constructor set endWith before any await could reach here.
    this.endWith!({
      reason: error === undefined ? 'unmounted' : 'crashed',
      ...(error === undefined ? {} : { error }),
      servers: reports,
      ...(teardown === undefined ? {} : { teardown }),
    });
  }

  /** Abort (if `abort` and possible) and detach the mount; the servers' reads then end. */
  private detach(abort: boolean): void {
    if (this.state === 'ended') return;
    this.state = 'ending';
    if (abort) this.abort();
    if (findMount(this.mountpoint) !== undefined) unmountFuse(this.mountpoint, true);
  }

  /**
   * Abort the connection: the kernel fails every request it holds. The servers' READs and WRITEs still in
   * their host calls are interrupted as a FUSE_INTERRUPT would (nobody will take their replies), so they
   * end now instead of when a slow host answers; the other operations wait for their calls, as vboxsf's do.
   */
  private abort(): void {
    // Once: the kernel reuses a connection's number as soon as it ends, and aborting it again (the server
    // crash that stop() causes after a rejected unmount, a grace timer after the holder let go) would abort
    // another mount's connection (an fio on a mount of another test file failed so, with ECONNABORTED).
    if (this.connection < 0 || this.connectionEnded) return;
    this.connectionEnded = true;
    // A number mounted elsewhere is another connection's: ours ended before we learnt it (the kernel ends
    // it when the last user of a detached mount lets go, before our servers have reported).
    if (!connectionMountpoints(this.connection).some((p) => p !== this.mountpoint))
      abortConnection(this.connection);
    for (const r of this.inflight.serving())
      this.inflight.interrupt(r.unique, (v) => {
        try {
          this.machine.signal(v);
        } catch {
          // A machine stopping takes no signal (its vCPUs are being ended, and their programs with them).
        }
      });
  }

  /**
   * Unmount: umount(8). If the mount is busy and `lazy` (default true), detach it now; programs still using
   * it get `graceMs` (default 2000) to let go, then the connection is aborted (they get ENOTCONN). Resolves
   * when the servers have ended and the share is unmapped. Always settles: a server still serving a request
   * that was not interrupted `graceMs` after the kernel let go of the mount (unmounted, or the connection
   * aborted, which interrupts READs and WRITEs) waits uninterruptibly, as vboxsf's calls do, in a host call
   * that has not completed (a call the host lost never will); then this rejects with a MountError naming
   * it, and `machine.stop()` ends it (the mount's `ended` settles then).
   */
  unmount(opts: { lazy?: boolean; graceMs?: number } = {}): Promise<MountEnd> {
    const grace = opts.graceMs ?? 2000;
    if (this.state === 'mounted') {
      let bound = grace;
      const err = unmountFuse(this.mountpoint, false);
      if (err !== undefined) {
        if (opts.lazy === false)
          return Promise.reject(new MountError(`unmount of ${this.mountpoint} failed: ${err}`));
        const lazy = unmountFuse(this.mountpoint, true);
        if (lazy !== undefined && findMount(this.mountpoint) !== undefined)
          return Promise.reject(new MountError(`unmount of ${this.mountpoint} failed: ${lazy}`));
        // Detached but still in use: the connection lives until its last user goes; bound that wait.
        const timer = setTimeout(() => {
          if (this.state !== 'ended') this.abort();
        }, grace);
        void this.ended.then(() => clearTimeout(timer));
        bound += grace;
      }
      this.state = 'ending';
      this.unmounted = this.endWithin(bound, grace);
    } else if (this.state === 'ending') {
      // Ending already (a server crashed: the connection is aborted); the same bound from now.
      this.unmounted ??= this.endWithin(grace, grace);
    }
    return this.state === 'ended' ? this.ended : (this.unmounted ?? this.ended);
  }

  /**
   * `ended`, or after `ms` a MountError naming the requests still served uninterruptibly (`grace`: their
   * share of it). Servers serving nothing, or only interrupted requests (whose calls the guest library
   * cancels, or leaks, within its own bounds), are ending, only slowly on a loaded machine (an interrupted
   * READ's cancel took over 200 ms there): that is waited for, looking again every grace (100 ms at least),
   * for up to ENDING_CAP_MS more; then the rejection says what was left.
   */
  private endWithin(ms: number, grace: number): Promise<MountEnd> {
    return new Promise((resolve, reject) => {
      let first: number | undefined;
      const look = (): void => {
        const busy = this.inflight
          .serving()
          .filter((r) => !r.interrupted)
          .map((r) => `vCPU ${r.vcpu} (request ${r.unique})`);
        first ??= performance.now();
        if (busy.length === 0 && performance.now() - first < ENDING_CAP_MS) {
          timer = setTimeout(look, Math.max(grace, 100));
          return;
        }
        reject(
          new MountError(
            busy.length > 0
              ? `unmount of ${this.mountpoint}: the kernel let go of it, but ${busy.join(', ')} still waits in ` +
                  `a host call after ${grace} ms (one the host has not completed, or lost); machine.stop() ends it`
              : `unmount of ${this.mountpoint}: the kernel let go of it and no request waits uninterruptibly, but its servers ` +
                  `have not ended within ${((ms + ENDING_CAP_MS) / 1000).toFixed(1)} s; machine.stop() ends them`,
          ),
        );
      };
      let timer = setTimeout(look, ms);
      void this.ended.then((end) => {
        clearTimeout(timer);
        resolve(end);
      });
    });
  }

  /** The watchdog's process id, if one runs. */
  get watchdogPid(): number | undefined {
    return this.watchdog?.pid;
  }

  /** Test hook: the next request with `opcode` makes its server throw (a crash of the server). */
  injectCrash(opcode: number): void {
    new FrontWords(this.front).set(FrontWord.CRASH_OP, opcode);
  }

  /** The mount's statistics now. */
  stats(): MountStats {
    const words = new FrontWords(this.front);
    const snap = words.snapshot();
    const requests: Record<string, number> = {};
    for (const [op, n] of Object.entries(snap.ops)) requests[FUSE_OP_NAMES[Number(op)] ?? `op${op}`] = n;
    const m = this.machine.stats();
    const calls: Record<string, number> = {};
    for (const name of CALL_COUNTERS) calls[name] = m.counters[name] - (this.base[name] ?? 0);
    const svc = this.machine.sharedMemory.services.find((s) => s.name === VBSF_SERVICE_NAME);
    return {
      mountpoint: this.mountpoint,
      share: this.share,
      requests,
      front: snap.counters,
      bytesRead: snap.bytesRead,
      bytesWritten: snap.bytesWritten,
      readers: words.get(FrontWord.READERS),
      nodes: NodeTable.attach(this.front.nodes).live,
      openFiles: FileTable.attach(this.front.files).live,
      calls,
      host: { openHandles: vbsfOpenHandles(svc?.shared), pendingCommands: m.host.pendingCommands },
    };
  }
}
