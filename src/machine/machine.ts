// The Machine: a guest with N vCPU worker threads, the VMMDev device thread and a piscina pool of host
// workers running HGCM services, all sharing guest RAM and the device bus. The composition root and the
// library's public API: start, run guest programs, signal a vCPU, read stats, stop.
import * as Comlink from 'comlink';
import { MessageChannel, type Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { Work, DispatchRing } from '../hgcm/ring.js';
import { ClientTable } from '../hgcm/clients.js';
import { buildRegistry } from '../hgcm/registry.js';
import { MachineStateError, WorkerError } from '../runtime/errors.js';
import { FaultTable, type FaultName } from '../runtime/faults.js';
import { HookTable } from '../runtime/hooks.js';
import { runSync } from '../runtime/proc.js';
import { failOwnedCommands } from '../vmmdev/host-commands.js';
import { GuestMemory } from '../runtime/guest-memory.js';
import type { HeapStats } from '../runtime/shared-heap.js';
import { StatsBlock, type CounterName } from '../runtime/stats.js';
import { GuestHeap } from '../vcpu/guest-heap.js';
import { guestMap } from '../vcpu/layout.js';
import { DeviceBus } from '../vmmdev/bus.js';
import { DeviceState } from '../vmmdev/bus-layout.js';
import { CommandTable } from '../vmmdev/commands.js';
import { SnapshotArena } from '../vmmdev/snapshots.js';
import { attachHostEnv, createShared, threadExec } from './assemble.js';
import { resolveConfig, type MachineConfig, type MachineShared, type ResolvedConfig } from './config.js';
import { nodeEndpoint } from './endpoint.js';
import { MachineTrace } from './trace.js';
import { isWorkerMessage } from './messages.js';
import type { PoolTask } from './pool-task.js';
import type { VcpuApi } from './vcpu-worker.js';
import { moduleUrl, poolExecArgv, spawnWorker } from './worker-url.js';
import { FuseMount, type MountOptions } from './mount.js';

/** A guest program to run: `export` (default "main") of `module`, called as fn(guestContext, args). */
export interface ProgramRef {
  readonly module: string | URL;
  readonly export?: string;
  readonly args?: unknown;
  /** vCPU to run on (default 0). */
  readonly vcpu?: number;
  /** Run in a user-mode session (buffers bounced, always interruptible). Default: kernel session. */
  readonly user?: boolean;
}

/** What Machine.stats() reports. */
export interface MachineStats {
  readonly counters: Record<CounterName, number>;
  readonly heap: HeapStats;
  readonly programMemory: HeapStats;
  readonly host: {
    readonly pendingCommands: number;
    readonly clients: number;
    readonly snapshotBytes: number;
  };
  readonly irqLine: boolean;
}

const MAX_LOG_LINES = 10_000;

interface Vcpu {
  readonly worker: Worker;
  readonly api: Comlink.Remote<VcpuApi>;
  /** Runs on one vCPU are serialised. */
  queue: Promise<unknown>;
}

/** A running machine. */
export class Machine {
  readonly config: ResolvedConfig;
  private readonly shared: MachineShared;
  private readonly device: Worker;
  private readonly pool: Piscina;
  private readonly host: HostPool;
  private readonly vcpus: Vcpu[];
  private readonly bus: DeviceBus;
  private readonly statsBlock: StatsBlock;
  private readonly logLines: string[];
  private readonly onLog: ((line: string) => void) | undefined;
  private state: 'running' | 'stopping' | 'stopped' = 'running';
  private readonly mounts = new Set<FuseMount>();
  /** stop() is unmounting this machine's mounts (a second stop() returns at once, as in 'stopping'). */
  private unmounting = false;
  private failure: Error | undefined;

  private constructor(p: {
    config: ResolvedConfig;
    shared: MachineShared;
    device: Worker;
    pool: Piscina;
    host: HostPool;
    vcpus: Vcpu[];
    logLines: string[];
    onLog: ((line: string) => void) | undefined;
  }) {
    this.config = p.config;
    this.shared = p.shared;
    this.device = p.device;
    this.pool = p.pool;
    this.host = p.host;
    this.vcpus = p.vcpus;
    this.bus = DeviceBus.attach(p.shared.bus);
    this.statsBlock = new StatsBlock(p.shared.stats);
    this.logLines = p.logLines;
    this.onLog = p.onLog;
  }

  /** Start a machine: device thread, host pool, vCPUs, and the guest driver's initialisation. */
  static async start(config: MachineConfig = {}): Promise<Machine> {
    const resolved = resolveConfig(config);
    const specs = await buildRegistry(resolved.services, resolved.clientSlots);
    const shared = createShared(resolved, specs);
    const logLines: string[] = [];
    const log = (line: string): void => {
      if (logLines.length >= MAX_LOG_LINES) logLines.shift();
      logLines.push(line);
      config.log?.(line);
    };
    const errors: Error[] = [];
    const watch = (w: Worker, name: string): void => {
      w.on('message', (m: unknown) => {
        if (isWorkerMessage(m) && m.type === 'log') log(m.line);
      });
      w.on('error', (e) => {
        errors.push(new WorkerError(`${name} failed: ${e.stack ?? e.message}`));
        log(`${name} failed: ${e.message}`);
      });
    };

    const device = spawnWorker('device-worker', { workerData: { shared } });
    watch(device, 'device');
    await new Promise<void>((resolve, reject) => {
      device.on('message', (m: unknown) => {
        if (isWorkerMessage(m) && m.type === 'ready') resolve();
      });
      device.once('error', reject);
      device.once('exit', (code) =>
        reject(new WorkerError(`device worker exited (${code}) before it was ready`)),
      );
    });

    const pool = new Piscina({
      filename: moduleUrl('pool-task').href,
      minThreads: resolved.hostWorkers,
      maxThreads: resolved.hostWorkers,
      idleTimeout: Infinity,
      concurrentTasksPerWorker: 1,
      // File descriptors belong to the process: a service (Shared Folders) may open one on one pool worker
      // and close it on another. Node's per-worker tracking would warn about that and, worse, close an fd
      // number the opening worker no longer owns when that worker exits.
      trackUnmanagedFds: false,
      execArgv: poolExecArgv(),
    });
    const host = new HostPool(pool, shared, log);
    for (let workerId = 0; workerId < resolved.hostWorkers; workerId++) host.serve(workerId);
    // Every host worker has loaded the services (or one failed): then the guest may start.
    const startup = await host.started();
    if (startup !== undefined) {
      await pool.destroy();
      await device.terminate();
      throw startup;
    }

    const vcpus: Vcpu[] = [];
    for (let i = 0; i < resolved.vcpus; i++) {
      const worker = spawnWorker('vcpu-worker', { workerData: { shared, vcpu: i } });
      watch(worker, `vcpu${i}`);
      vcpus.push({ worker, api: Comlink.wrap<VcpuApi>(nodeEndpoint(worker)), queue: Promise.resolve() });
    }
    const machine = new Machine({
      config: resolved,
      shared,
      device,
      pool,
      host,
      vcpus,
      logLines,
      onLog: config.log,
    });
    try {
      await vcpus[0]!.api.boot();
      await Promise.all(vcpus.map((v) => v.api.init()));
    } catch (e) {
      await machine.stop().catch(() => undefined);
      throw errors[0] ?? e;
    }
    device.on('error', (e) => (machine.failure ??= e));
    for (const v of vcpus) v.worker.on('error', (e) => (machine.failure ??= e));
    return machine;
  }

  private checkRunning(): void {
    if (this.state !== 'running') throw new MachineStateError(`machine is ${this.state}`);
    if (this.failure !== undefined) throw new WorkerError(`machine failed: ${this.failure.message}`);
  }

  /** Run a guest program on a vCPU and return what it returns. Runs on one vCPU are serialised. */
  run<T = unknown>(program: ProgramRef): Promise<T> {
    this.checkRunning();
    const vcpu = program.vcpu ?? 0;
    const v = this.vcpus[vcpu];
    if (v === undefined) throw new RangeError(`no vCPU ${vcpu} (machine has ${this.vcpus.length})`);
    const module = program.module instanceof URL ? program.module.href : program.module;
    const next = v.queue.then(() =>
      v.api.run(module, program.export ?? 'main', program.args, program.user === true),
    );
    v.queue = next.catch(() => undefined);
    // SAFETY: the program's return value, as structured-cloned from the vCPU; its type is the caller's claim.
    return next as Promise<T>;
  }

  /** Post a signal to whatever runs on `vcpu` (an interruptible wait there ends with VERR_INTERRUPTED). */
  signal(vcpu: number): void {
    this.checkRunning();
    if (vcpu < 0 || vcpu >= this.vcpus.length || !Number.isInteger(vcpu))
      throw new RangeError(`no vCPU ${vcpu}`);
    this.bus.signal(vcpu);
  }

  /**
   * Mount shared folder `share` at the existing directory `mountpoint` through FUSE, served by this
   * machine's vCPUs as the guest's vboxsf would serve it (src/machine/mount.ts; needs root and /dev/fuse).
   * stop() unmounts what is still mounted.
   */
  async mount(share: string, mountpoint: string, opts: MountOptions = {}): Promise<FuseMount> {
    this.checkRunning();
    const m = await FuseMount.start(this, share, mountpoint, opts);
    this.mounts.add(m);
    void m.ended.then(() => this.mounts.delete(m));
    return m;
  }

  /** Counters and heap figures, read from shared memory. */
  stats(): MachineStats {
    const mem = GuestMemory.attach(this.shared.ram);
    const map = guestMap(this.config.ramBytes, this.config.heapBytes);
    return {
      counters: this.statsBlock.snapshot(),
      heap: GuestHeap.attach('phys', mem, map.heapBase).stats(),
      programMemory: GuestHeap.attach('data', mem, map.memBase).stats(),
      host: {
        pendingCommands: CommandTable.attach(this.shared.cmds).listed,
        clients: ClientTable.attach(this.shared.clients).liveSlots().length,
        snapshotBytes: SnapshotArena.attach(this.shared.snaps).inUseBytes,
      },
      irqLine: this.bus.irqLine,
    };
  }

  /** The machine's trace (off unless `trace.enabled` or switched on here). */
  get trace(): MachineTrace {
    return new MachineTrace(this.shared);
  }

  /** Test hooks at interleaving points, shared with every thread (see runtime/hooks.ts). */
  get hooks(): HookTable {
    return new HookTable(this.shared.hooks);
  }

  /** The machine's shared memory, for god's-eye oracles (the stress harness's offline checks, tests). */
  get sharedMemory(): MachineShared {
    return this.shared;
  }

  /** The fault table's shared memory, for guest programs in tests that switch faults at a precise moment. */
  get faultsSab(): SharedArrayBuffer {
    return this.shared.faults;
  }

  /** Switch a fault (host fault or mutation) on or off in every thread. */
  setFault(name: FaultName, on: boolean): void {
    new FaultTable(this.shared.faults).set(name, on);
  }

  /** Log lines from every thread (the last 10,000). */
  logs(): readonly string[] {
    return this.logLines;
  }

  /** Guest RAM, for inspection from the main thread (read it; writing races the guest). */
  get ram(): GuestMemory {
    return GuestMemory.attach(this.shared.ram);
  }

  /** Stop every thread. Programs still running are abandoned (their vCPU is terminated). */
  async stop(): Promise<void> {
    if (this.state !== 'running' || this.unmounting) return;
    // Mounts first, while programs may still run (their tear-down does): their servers occupy the vCPUs
    // until the kernel ends the connection.
    if (this.mounts.size > 0) {
      this.unmounting = true;
      await Promise.all([...this.mounts].map((m) => m.unmount().catch(() => undefined)));
    }
    this.state = 'stopping';
    await Promise.race([Promise.all(this.vcpus.map((v) => v.queue)), delay(5000)]);
    for (const v of this.vcpus) {
      v.api[Comlink.releaseProxy]();
      await v.worker.terminate();
    }
    this.host.stopping = true;
    const ring = DispatchRing.attach(this.shared.ring);
    for (let i = 0; i < this.config.hostWorkers; i++) ring.push(Work.STOP, 0);
    await Promise.race([this.host.allDone(), delay(5000)]);
    await this.pool.destroy();
    const exited = new Promise((resolve) => this.device.once('exit', resolve));
    this.bus.setState(DeviceState.STOP_REQUESTED);
    await Promise.race([exited, delay(5000).then(() => this.device.terminate())]);
    this.state = 'stopped';
    this.onLog?.('machine stopped');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The host pool's long-lived service loops. A worker that dies (a service crashed its thread) has its
 * commands failed with VERR_HGCM_INTERNAL, so no guest waits forever, and is replaced.
 */
class HostPool {
  private readonly pool: Piscina;
  private readonly shared: MachineShared;
  private readonly log: (line: string) => void;
  private readonly loops = new Map<number, Promise<void>>();
  private readonly ready = new Map<number, Promise<void>>();
  private firstError: Error | undefined;
  /** Set while the machine stops: a loop ending then is expected. */
  stopping = false;

  constructor(pool: Piscina, shared: MachineShared, log: (line: string) => void) {
    this.pool = pool;
    this.shared = shared;
    this.log = log;
  }

  /** Start (or restart) the service loop of pool worker `workerId`. */
  serve(workerId: number): void {
    const { port1, port2 } = new MessageChannel();
    let markReady: () => void = () => undefined;
    this.ready.set(workerId, new Promise<void>((resolve) => (markReady = resolve)));
    port1.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === 'log') this.log(m.line);
      else if (m.type === 'ready') markReady();
    });
    port1.unref();
    const task: PoolTask = { shared: this.shared, workerId, logPort: port2 };
    const loop = this.pool.run(task, { transferList: [port2] }).then(
      () => port1.close(),
      (e: unknown) => {
        port1.close();
        markReady();
        this.died(workerId, e instanceof Error ? e : new Error(String(e)));
      },
    );
    this.loops.set(workerId, loop);
  }

  private died(workerId: number, e: Error): void {
    this.log(`host worker ${workerId} died: ${e.message}`);
    this.firstError ??= new WorkerError(`host worker ${workerId} failed: ${e.stack ?? e.message}`);
    if (this.stopping) return;
    const env = attachHostEnv(this.shared);
    env.stats.add('host.workerDeaths');
    const failed = runSync(failOwnedCommands(env, workerId), threadExec(this.shared));
    this.log(
      `host worker ${workerId}: ${failed} of its commands failed with VERR_HGCM_INTERNAL; restarting it`,
    );
    this.serve(workerId);
  }

  /** Resolves when every loop has loaded its services; the first failure if one died meanwhile. */
  async started(): Promise<Error | undefined> {
    await Promise.all(this.ready.values());
    return this.firstError;
  }

  /** Resolves when every loop has ended. */
  async allDone(): Promise<void> {
    await Promise.all(this.loops.values());
  }
}
