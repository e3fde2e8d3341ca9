// The Machine: a guest with N vCPU worker threads, a piscina pool of host workers running HGCM services
// and, with device 'thread', the VMMDev device thread, all sharing guest RAM and the device bus. The
// composition root and the library's public API: start, run guest programs, signal a vCPU, read stats, stop.
import * as Comlink from 'comlink';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { StatusCode } from '../abi/index.js';
import {
  buildRegistry,
  ClientTable,
  DispatchRing,
  hostCall,
  loadService,
  type SvcParm,
  Work,
} from '../hgcm/index.js';
import {
  ConfigError,
  type CounterName,
  type FaultName,
  FaultTable,
  GuestMemory,
  type HeapStats,
  HookTable,
  MachineStateError,
  moduleHref,
  StatsBlock,
  WorkerError,
} from '../runtime/index.js';
import { VBSF_SERVICE_NAME } from '../vbsf/index.js';
import { GuestHeap, guestMap } from '../vcpu/index.js';
import { CommandTable, DeviceBus, DeviceState, SnapshotArena } from '../vmmdev/index.js';
import { createShared, machineBuffers } from './assemble.js';
import { resolveConfig, type MachineConfig, type MachineShared, type ResolvedConfig } from './config.js';
import { nodeEndpoint } from './endpoint.js';
import { installErrorTransfer } from './error-transfer.js';
import { HostPool } from './host-pool.js';
import { KeepAlive } from './keep-alive.js';
import {
  destroySparePools,
  keepSparePool,
  keepSpareVcpu,
  poolKey as spareKey,
  takeSparePool,
  takeSpareVcpu,
} from './spare-pools.js';
import { MachineTrace } from './trace.js';
import { isWorkerMessage } from './messages.js';
import { Shares } from './shares.js';
import type { VcpuApi } from './vcpu-worker.js';
import { moduleUrl, poolExecArgv, spawnWorker } from './worker-url.js';
import { FuseMount, type MountOptions } from './mount.js';
import { type MachineEnd, vcpuEnd } from './vcpu-end.js';

/** A guest program to run: `export` (default "main") of `module`, called as fn(guestContext, args). */
export interface ProgramRef {
  /**
   * The module: a URL (`new URL('./guest.js', import.meta.url)`), an absolute path, or a path relative to
   * the current directory. A TypeScript module needs tsx beside hgcm-runtime (docs/library.md).
   */
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
    /** Host buffer bytes the pending calls hold, and the budget (MachineConfig.hostMemoryBytes). */
    readonly bufferBytes: number;
    readonly bufferBudget: number;
  };
  readonly irqLine: boolean;
}

const MAX_LOG_LINES = 10_000;

/** How Machine.stop() treats programs still running. */
export interface StopOptions {
  /** How long running programs get to return before their vCPUs are terminated (ms, default 5000). */
  readonly waitMs?: number;
}

/**
 * Machines started and not yet stopped in this thread, for a command line that must stop them on a signal.
 * One set per thread even when two copies of this module are loaded (the built command running the stress
 * harness from source), so that a signal stops the machines of both.
 */
// SAFETY: only this module stores under the key, and always a Set of machines.
const running: Set<Machine> = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('hgcm-runtime.machines')
] ??= new Set<Machine>()) as Set<Machine>;

/** Every machine started and not yet stopped in this thread. */
export function runningMachines(): readonly Machine[] {
  return [...running];
}

installErrorTransfer();

/**
 * Each machine's weight: as many bytes as its shared memory, in a plain buffer nobody reads, freed with the
 * machine. V8 counts an ArrayBuffer's memory toward its next garbage collection but not a
 * SharedArrayBuffer's: without this a loop of machine starts and stops, once their threads were reused
 * (spare-pools.ts) and each cycle allocated little else, left a hundred stopped machines' memory
 * uncollected (500 cycles: RSS 128 -> 1,650 MB; with it and the rest, 129.5 -> 130.3 MB). Allocated
 * uninitialised, so none of it is ever touched.
 */
const weights = new WeakMap<Machine, Buffer>();

interface Vcpu {
  /** The module its thread was started on (spare-pools.ts). */
  readonly entry: string;
  readonly worker: Worker;
  readonly api: Comlink.Remote<VcpuApi>;
  /** Runs on one vCPU are serialised. */
  queue: Promise<unknown>;
  /** Rejects when the vCPU's thread exits: every run() on it settles then. */
  readonly ended: Promise<never>;
  /** The thread exited. */
  readonly exited: () => boolean;
  /** Removes what this machine listens to on the thread (it goes on to serve another: spare-pools.ts). */
  readonly unwatch: (() => void)[];
}

/** A running machine. Stop it with stop(), or let `await using` do it (Symbol.asyncDispose). */
export class Machine implements AsyncDisposable {
  readonly config: ResolvedConfig;
  private readonly shared: MachineShared;
  /** The device thread, with device 'thread' (with 'emt' every vCPU handles its own port writes). */
  private readonly device: Worker | undefined;
  private readonly pool: Piscina;
  private readonly host: HostPool;
  private readonly vcpus: Vcpu[];
  private readonly bus: DeviceBus;
  private readonly statsBlock: StatsBlock;
  private readonly logLines: string[];
  private readonly onLog: ((line: string) => void) | undefined;
  private readonly keepAlive: KeepAlive;
  /** Where the host pool goes when the machine stops cleanly (spare-pools.ts); undefined: destroyed. */
  private readonly poolKey: string | undefined;
  private state: 'running' | 'stopping' | 'stopped' = 'running';
  private stopped: Promise<void> | undefined;
  private readonly mounts = new Set<FuseMount>();
  private failure: Error | undefined;
  /**
   * The shared folders, while the machine runs: add and remove shares (as Main does for a running VM),
   * list them. Needs MachineConfig.sharedFolders (even empty).
   */
  readonly shares: Shares;

  private constructor(p: {
    config: ResolvedConfig;
    shared: MachineShared;
    device: Worker | undefined;
    pool: Piscina;
    host: HostPool;
    vcpus: Vcpu[];
    logLines: string[];
    onLog: ((line: string) => void) | undefined;
    keepAlive: KeepAlive;
    poolKey: string | undefined;
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
    this.keepAlive = p.keepAlive;
    weights.set(this, Buffer.allocUnsafeSlow(machineBuffers(p.shared).reduce((n, b) => n + b.byteLength, 0)));
    this.poolKey = p.poolKey;
    this.shares = new Shares(
      (fn, parms) => this.hostCall(VBSF_SERVICE_NAME, fn, parms),
      () => this.shared.services.find((s) => s.name === VBSF_SERVICE_NAME)?.shared,
    );
  }

  /**
   * End now the threads (host pools, vCPUs) kept from stopped machines for the next one
   * (MachineConfig.reuseWorkers), instead of after 10 s unused. They never keep the process alive; this
   * is for a caller that counts threads or wants the memory back at once.
   */
  static async dropSpareWorkers(): Promise<void> {
    await destroySparePools();
  }

  /** Let a vCPU thread with no program running go to the spares (spare-pools.ts); false if it did not. */
  private async detached(v: Vcpu): Promise<boolean> {
    let ok = false;
    const detach = v.api.detach().then(
      () => void (ok = true),
      () => undefined,
    );
    if (!(await within(detach, 5000)) || !ok) return false;
    for (const u of v.unwatch) u();
    keepSpareVcpu({ entry: v.entry, worker: v.worker, api: v.api });
    return true;
  }

  /** Start a machine: the device thread (device 'thread'), host pool, vCPUs, the guest driver's init. */
  static async start(config: MachineConfig = {}): Promise<Machine> {
    const resolved = resolveConfig(config);
    const specs = await buildRegistry(resolved.services, resolved.clientSlots);
    const shared = createShared(resolved, specs);
    const logLines: string[] = [];
    const log = (line: string): void => appendLog(logLines, line, config.log);
    const errors: Error[] = [];
    const watch = (w: Worker, name: string): (() => void) => {
      const onMessage = (m: unknown): void => {
        if (isWorkerMessage(m) && m.type === 'log') log(m.line);
      };
      const onError = (e: Error): void => {
        errors.push(new WorkerError(`${name} failed: ${e.stack ?? e.message}`));
        log(`${name} failed: ${e.message}`);
      };
      w.on('message', onMessage);
      w.on('error', onError);
      return () => {
        w.off('message', onMessage);
        w.off('error', onError);
      };
    };

    // With device 'emt' no port write ever reaches a device thread: none is started.
    const device = resolved.device === 'thread' ? await startDevice(shared, watch) : undefined;

    const execArgv = poolExecArgv();
    const poolTask = moduleUrl('pool-task').href;
    const poolKey = resolved.reuseWorkers ? spareKey(resolved.hostWorkers, poolTask, execArgv) : undefined;
    const pool =
      (poolKey === undefined ? undefined : takeSparePool(poolKey)) ??
      new Piscina({
        filename: poolTask,
        minThreads: resolved.hostWorkers,
        maxThreads: resolved.hostWorkers,
        idleTimeout: Infinity,
        concurrentTasksPerWorker: 1,
        // An idle piscina worker otherwise blocks in Atomics.wait inside the frame of the task it last ran,
        // holding that task (the machine's shared memory) until the next one comes: a kept pool
        // (spare-pools.ts) then held a stopped machine's memory. Each loop is one task for the machine's
        // life, so the faster dispatch the atomics buy does not matter here.
        atomics: 'disabled',
        // File descriptors belong to the process: a service (Shared Folders) may open one on one pool
        // worker and close it on another. Node's per-worker tracking would warn about that and, worse,
        // close an fd number the opening worker no longer owns when that worker exits.
        trackUnmanagedFds: false,
        execArgv,
      });
    const keepAlive = new KeepAlive(pool);
    // Set once the machine exists: the host pool's failure stops it.
    let fail = (_e: Error): void => undefined;
    const host = new HostPool(
      pool,
      shared,
      resolved.hostWorkers,
      log,
      () => keepAlive.releasePorts(),
      (e) => fail(e),
    );
    for (let workerId = 0; workerId < resolved.hostWorkers; workerId++) host.serve(workerId);
    // Every host worker has loaded the services (or one failed): then the guest may start.
    const startup = await host.started();
    if (startup !== undefined) {
      // A loop that failed to start must not be restarted into the pool being destroyed.
      host.stopping = true;
      keepAlive.detach();
      try {
        await pool.destroy();
        await device?.terminate();
      } finally {
        keepAlive.letGo();
      }
      throw startup;
    }

    const vcpus: Vcpu[] = [];
    // Set once the machine exists: a vCPU that exits before then fails start().
    let end: MachineEnd = () => undefined;
    // vCPU threads kept from stopped machines first (spare-pools.ts); each is attached to this one.
    const attaching: Promise<void>[] = [];
    const entry = moduleUrl('vcpu-worker').href;
    for (let i = 0; i < resolved.vcpus; i++) {
      const spare = resolved.reuseWorkers ? takeSpareVcpu(entry) : undefined;
      const worker = spare?.worker ?? spawnWorker('vcpu-worker');
      const api = spare?.api ?? Comlink.wrap<VcpuApi>(nodeEndpoint(worker));
      attaching.push(api.attach(shared, i));
      const unwatch = watch(worker, `vcpu${i}`);
      const vend = vcpuEnd(worker, `vcpu${i}`, () => end());
      const v: Vcpu = {
        entry,
        worker,
        api,
        queue: Promise.resolve(),
        ended: vend.ended,
        exited: vend.exited,
        unwatch: [unwatch, vend.dispose],
      };
      vcpus.push(v);
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
      keepAlive,
      poolKey,
    });
    end = () => machine.failure ?? host.failure ?? (machine.state === 'running' ? undefined : 'stopping');
    fail = (e) => machine.fail(e);
    try {
      await Promise.all(attaching);
      await vcpus[0]!.api.boot();
      await Promise.all(vcpus.map((v) => v.api.init()));
    } catch (e) {
      await machine.stop().catch(() => undefined);
      throw errors[0] ?? e;
    }
    device?.on('error', (e) => (machine.failure ??= e));
    for (const v of vcpus) {
      const onError = (e: Error): void => void (machine.failure ??= e);
      v.worker.on('error', onError);
      v.unwatch.push(() => v.worker.off('error', onError));
    }
    running.add(machine);
    keepAlive.release([...(device === undefined ? [] : [device]), ...vcpus.map((v) => v.worker)]);
    return machine;
  }

  /**
   * Nothing can serve the guest any more (every host worker was given up): log why and stop, so that
   * every run() rejects with `e` rather than wait for a call no one will answer.
   */
  private fail(e: Error): void {
    this.failure ??= e;
    this.log(`machine failed: ${e.message}; stopping`);
    void this.stop({ waitMs: 0 });
  }

  private checkRunning(): void {
    // A failure first: it says why the machine stopped.
    const failure = this.failure ?? this.host.failure;
    if (failure !== undefined) throw new WorkerError(`machine failed: ${failure.message}`);
    if (this.state !== 'running') throw new MachineStateError(`machine is ${this.state}`);
  }

  /**
   * Run a guest program on a vCPU and return what it returns. Runs on one vCPU are serialised. Every
   * failure (a stopped machine, no such vCPU, a bad module reference) is a rejection, never a throw.
   */
  run<T = unknown>(program: ProgramRef): Promise<T> {
    let v: Vcpu, module: string;
    try {
      this.checkRunning();
      const vcpu = program.vcpu ?? 0;
      const found = this.vcpus[vcpu];
      if (found === undefined) throw new RangeError(`no vCPU ${vcpu} (machine has ${this.vcpus.length})`);
      v = found;
      module = moduleHref(program.module);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    // A program whose vCPU exits (stop() after waitMs, a dying worker) never returns: its run() rejects.
    const next = Promise.race([
      v.queue.then(() => v.api.run(module, program.export ?? 'main', program.args, program.user === true)),
      v.ended,
    ]);
    v.queue = next.catch(() => undefined);
    // SAFETY: the program's return value, as structured-cloned from the vCPU; its type is the caller's claim.
    return this.keepAlive.hold(v.worker, next) as Promise<T>;
  }

  /**
   * HGCMHostCall: function `fn` of service `service` from the host side (HgcmService.hostCall), on this
   * thread, with the parameters as the service sees them. VERR_NOT_SUPPORTED for a service without host
   * calls; a ConfigError for a service the machine does not have.
   */
  async hostCall(service: string, fn: number, parms: SvcParm[]): Promise<StatusCode> {
    this.checkRunning();
    const spec = this.shared.services.find((s) => s.name === service);
    if (spec === undefined) throw new ConfigError(`no service named ${service}`);
    const svc = await loadService(spec.module, spec.export);
    this.checkRunning();
    return hostCall(spec, svc, fn, parms, (line) => this.log(line));
  }

  private log(line: string): void {
    appendLog(this.logLines, line, this.onLog);
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
    const cmds = CommandTable.attach(this.shared.cmds);
    return {
      counters: this.statsBlock.snapshot(),
      heap: GuestHeap.attach('phys', mem, map.heapBase).stats(),
      programMemory: GuestHeap.attach('data', mem, map.memBase).stats(),
      host: {
        pendingCommands: cmds.listed,
        clients: ClientTable.attach(this.shared.clients).liveSlots().length,
        snapshotBytes: SnapshotArena.attach(this.shared.snaps).inUseBytes,
        bufferBytes: cmds.hostBytes.inUse,
        bufferBudget: cmds.hostBytes.budget,
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

  /**
   * Stop every thread. Programs still running after `waitMs` are abandoned (their vCPU is terminated).
   * Every call, concurrent ones included, resolves when the machine has stopped.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopped ??= this.halt(options.waitMs ?? 5000);
    return this.stopped;
  }

  /** `await using machine = await Machine.start()` stops the machine at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  private async halt(waitMs: number): Promise<void> {
    // Mounts first, while programs may still run (their tear-down does): their servers occupy the vCPUs
    // until the kernel ends the connection.
    if (this.mounts.size > 0)
      await Promise.all([...this.mounts].map((m) => m.unmount().catch(() => undefined)));
    this.state = 'stopping';
    this.keepAlive.pin();
    try {
      await this.stopThreads(waitMs);
    } finally {
      this.keepAlive.letGo();
    }
    this.state = 'stopped';
    running.delete(this);
    this.onLog?.('machine stopped');
  }

  /** halt: the vCPUs (after `waitMs` for their programs), the host pool, then the device. */
  private async stopThreads(waitMs: number): Promise<void> {
    const idle = await within(Promise.all(this.vcpus.map((v) => v.queue)), waitMs);
    const reuse = idle && this.config.reuseWorkers && this.failure === undefined;
    for (const v of this.vcpus) {
      if (reuse && !v.exited() && (await this.detached(v))) continue;
      v.api[Comlink.releaseProxy]();
      await v.worker.terminate();
    }
    this.host.stopping = true;
    const ring = DispatchRing.attach(this.shared.ring);
    for (let i = 0; i < this.config.hostWorkers; i++) ring.push(Work.STOP, 0);
    const ended = await within(this.host.allDone(), 5000);
    this.keepAlive.detach();
    if (ended && this.host.reusable && this.poolKey !== undefined) keepSparePool(this.poolKey, this.pool);
    else await this.pool.destroy();
    const device = this.device;
    if (device === undefined) return;
    const exited = new Promise((resolve) => device.once('exit', resolve));
    this.bus.setState(DeviceState.STOP_REQUESTED);
    if (!(await within(exited, 5000))) await device.terminate();
  }
}

/** Start the device thread and wait until its loop runs (services loaded). */
async function startDevice(shared: MachineShared, watch: (w: Worker, name: string) => void): Promise<Worker> {
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
  return device;
}

/** Keep a log line (the last MAX_LOG_LINES) and pass it on. */
function appendLog(lines: string[], line: string, onLog: ((line: string) => void) | undefined): void {
  if (lines.length >= MAX_LOG_LINES) lines.shift();
  lines.push(line);
  onLog?.(line);
}

/**
 * Wait for `work` at most `ms`: true if it settled in time. The timer is cleared as soon as `work` settles:
 * a timer left pending after stop() returned would keep the stopped machine, and with it all its shared
 * memory, reachable for up to `ms` (a start/stop loop then holds ten machines' SharedArrayBuffers).
 */
function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false).unref()));
  return Promise.race([work.then(() => true), expired]).finally(() => clearTimeout(timer));
}
