// Building each layer's environment from the machine's shared memory: the composition root's wiring, used
// by the worker entries (threads executor) and by the sim machine alike.
import os from 'node:os';
import { ClientTable, DispatchRing, HgcmConnector, type HgcmService } from '../hgcm/index.js';
import {
  AtomicCell,
  type Clock,
  ConfigError,
  ControlBlock,
  ControlClock,
  ControlTimers,
  FaultTable,
  GuestMemory,
  HookTable,
  type PointEffect,
  type Proc,
  SpinGate,
  SpinHistory,
  StatsBlock,
  ThreadControl,
  type ThreadExecOptions,
  Tracer,
  TraceRing,
  wallClock,
} from '../runtime/index.js';
import { GuestHeap, GuestKernel, guestMap } from '../vcpu/index.js';
import { CommandTable, DeviceBus, type DeviceEnv, emtPortWrites, SnapshotArena } from '../vmmdev/index.js';
import { type HostEnv, hostPort, HostWorker, type HostWorkerDeps } from '../host/index.js';
import { heapAuditor } from './audit.js';
import type { MachineShared, ResolvedConfig } from './config.js';

/** Create (and format) all of a machine's shared memory on this thread. */
export function createShared(config: ResolvedConfig, services: MachineShared['services']): MachineShared {
  const mem = GuestMemory.create(config.ramBytes);
  const map = guestMap(config.ramBytes, config.heapBytes);
  GuestHeap.format('phys', mem, map.heapBase, map.heapBytes);
  GuestHeap.format('data', mem, map.memBase, map.memBytes);
  const bus = DeviceBus.create({
    vcpus: config.vcpus,
    features: config.hostFeatures,
    cancel2: config.cancel2,
    irqDelivery: config.irqDelivery,
  });
  // The ring holds every command twice over plus the workers' STOP items (see HgcmConnector.post).
  const ring = DispatchRing.create(2 * (config.commandSlots + 64));
  const cmds = CommandTable.create(config.commandSlots);
  cmds.setHostBudget(config.hostMemoryBytes);
  return {
    config,
    ram: mem.buffer as SharedArrayBuffer,
    bus: bus.sab,
    cmds: cmds.sab,
    snaps: SnapshotArena.create(config.snapshotBytes).sab,
    clients: ClientTable.create(config.clientSlots).sab,
    ring: ring.sab,
    stats: new StatsBlock().sab,
    faults: faultTable(config).sab,
    hooks: new HookTable().sab,
    trace: traceRing(config).sab,
    spinGate: new SharedArrayBuffer(8),
    services,
    control: config.controlled ? ControlBlock.create(TraceSlot.count(config)).sab : undefined,
  };
}

/**
 * The machine's buffers in one fixed order, the same on every thread: a controlled thread names the cell
 * it sleeps on by its buffer's index here, and the coordinator reads that cell through the same list.
 */
export function machineBuffers(s: MachineShared): SharedArrayBuffer[] {
  const own = [s.ram, s.bus, s.cmds, s.snaps, s.clients, s.ring, s.stats, s.faults, s.hooks, s.trace];
  return [...own, s.spinGate, ...s.services.flatMap((x) => (x.shared === undefined ? [] : [x.shared]))];
}

function traceRing(config: ResolvedConfig): TraceRing {
  const ring = TraceRing.create(TraceSlot.count(config), config.trace.capacity);
  ring.sample = config.trace.sample;
  ring.enabled = config.trace.enabled;
  return ring;
}

function faultTable(config: ResolvedConfig): FaultTable {
  const t = new FaultTable();
  for (const f of config.faults) t.set(f, true);
  return t;
}

/**
 * The options of a real-thread executor in this machine: its spin policy, the test hooks, and (when the
 * thread has a tracer) its points into the trace ring: those of traced calls, or with `trace.steps` every
 * point, as the step log.
 */
export function threadExec(s: MachineShared, tracer?: Tracer): ThreadExecOptions {
  if (s.control !== undefined && tracer !== undefined) return controlledExec(s, s.control, tracer);
  const hooks = new HookTable(s.hooks);
  const hook = hooks.onPoint;
  const steps = s.config.trace.steps;
  // ORDER: record, then the hook (which may stop the thread): the ring shows where it stopped.
  const onPoint =
    tracer === undefined
      ? hook
      : steps
        ? (p: PointEffect): void => {
            tracer.step(p);
            hook(p);
          }
        : (p: PointEffect): void => {
            tracer.point(p);
            hook(p);
          };
  const { short, long, idle, spinners, adaptive } = s.config.spin;
  const words = new Int32Array(s.spinGate);
  const cells = { spinners: new AtomicCell(words, 0), active: new AtomicCell(words, 1) };
  const gate = spinners > 0 ? new SpinGate(cells, spinners, os.availableParallelism()) : undefined;
  // One history per thread: this function runs once per executor thread (its options live there).
  const history = adaptive && long > 0 ? new SpinHistory(long) : undefined;
  return { clock: wallClock, spin: short, spinLong: long, spinIdle: idle, onPoint, gate, history };
}

/**
 * A controlled machine's thread (not the main thread, which coordinates): no spinning; at every point the
 * gate first, then the step log and the hook, so the log's order is the order the coordinator granted.
 */
function controlledExec(s: MachineShared, sab: SharedArrayBuffer, tracer: Tracer): ThreadExecOptions {
  const clock = new ControlClock(sab);
  const control = new ThreadControl(sab, tracer.slot, machineBuffers(s), clock);
  const hook = new HookTable(s.hooks).onPoint;
  const onPoint = (p: PointEffect): void => {
    control.gate(p.id, p.addr, p.gen);
    tracer.step(p);
    hook(p);
  };
  return { clock, spin: 0, spinLong: 0, spinIdle: 0, onPoint, control };
}

/**
 * The clock of the machine's threads: wall time, or on a controlled machine its clock, virtual while a
 * coordinator decides (runtime/control-clock.ts), so that guest deadlines fall at the same steps in a replay.
 */
export function machineClock(s: MachineShared): Clock {
  return s.control === undefined ? wallClock : new ControlClock(s.control);
}

/**
 * Service timers of host worker `w` (HostWorkerRuntime.setTimer): setTimeout, or on a controlled machine
 * timers on its clock, fired in virtual time when the coordinator moves the clock past them.
 */
export function machineTimers(s: MachineShared, w: number): (ms: number, fn: () => void) => void {
  if (s.control === undefined) return (ms, fn) => void setTimeout(fn, ms);
  const timers = new ControlTimers(s.control, TraceSlot.host(s, w));
  return (ms, fn) => timers.set(ms, fn);
}

/** Trace-ring slots: the device, then the vCPUs, then the host workers, then the main thread. */
export const TraceSlot = {
  device: 0,
  vcpu: (i: number): number => 1 + i,
  host: (s: MachineShared, w: number): number => 1 + s.config.vcpus + w,
  main: (s: MachineShared): number => 1 + s.config.vcpus + s.config.hostWorkers,
  count: (c: ResolvedConfig): number => 2 + c.vcpus + c.hostWorkers,
  /** A slot's thread name, for trace exports. */
  name: (c: ResolvedConfig, slot: number): string =>
    slot === 0
      ? 'device'
      : slot <= c.vcpus
        ? `vcpu${slot - 1}`
        : slot <= c.vcpus + c.hostWorkers
          ? `host${slot - 1 - c.vcpus}`
          : 'main',
} as const;

/** The tracer of ring slot `slot`. */
export function tracerFor(s: MachineShared, slot: number): Tracer {
  return new Tracer(TraceRing.attach(s.trace), slot);
}

/** The host side for the thread at trace slot `slot` (default: the main thread's). */
export function attachHostEnv(s: MachineShared, slot: number = TraceSlot.main(s)): HostEnv {
  const mem = GuestMemory.attach(s.ram);
  const cmds = CommandTable.attach(s.cmds);
  return {
    mem,
    bus: DeviceBus.attach(s.bus),
    cmds,
    snaps: SnapshotArena.attach(s.snaps),
    clients: ClientTable.attach(s.clients),
    stats: new StatsBlock(s.stats),
    faults: new FaultTable(s.faults),
    auditor: s.config.audit ? heapAuditor(mem, s.config, cmds) : undefined,
    resultsAfterLegacyCancel: !s.config.upstreamDefects,
    tracer: tracerFor(s, slot),
  };
}

/** What the device needs to run inline services (HgcmService.inline) itself. */
export interface DeviceInline {
  /** The loaded inline services by spec index (undefined for the others). */
  readonly services: readonly (HgcmService | undefined)[];
  /** Run a completion a service asks for from inside its call (threads: at once; sim: a new actor). */
  spawn(proc: Proc<unknown>): void;
}

/** The device's runner of inline services: a host worker with its own id, no ring loop and no timers. */
function inlineWorker(
  s: MachineShared,
  env: HostEnv,
  clock: Clock,
  log: (line: string) => void,
  inline: DeviceInline,
): HostWorker | undefined {
  if (!s.services.some((spec) => spec.onDevice)) return undefined;
  return new HostWorker({
    workerId: s.config.hostWorkers,
    env,
    ring: DispatchRing.attach(s.ring),
    specs: s.services,
    services: inline.services,
    clock,
    inline: true,
    spawn: inline.spawn,
    setTimer: () => {
      throw new ConfigError('an inline service has no timers (HgcmService.inline)');
    },
    watch: () => {
      throw new ConfigError('an inline service cannot watch shared memory (HgcmService.inline)');
    },
    log,
  });
}

/**
 * The device's environment (with `inline`, it runs the inline services' calls itself). A vCPU handling its
 * own port writes (device 'emt') passes its kernel's tracer: the requests are recorded on its lane.
 */
export function attachDeviceEnv(
  s: MachineShared,
  clock: Clock,
  log: (line: string) => void,
  inline?: DeviceInline,
  tracer?: Tracer,
): DeviceEnv {
  const env = { ...attachHostEnv(s, TraceSlot.device), ...(tracer ? { tracer } : {}) };
  const runner = inline && inlineWorker(s, env, clock, log, inline);
  return {
    ...env,
    hgcm: new HgcmConnector(s.services, env.clients),
    host: hostPort(env, DispatchRing.attach(s.ring), runner),
    version: s.config.hostVersion,
    cancelMatch: s.config.upstreamDefects ? 'first' : 'uncancelled',
    clock,
    log,
  };
}

/** The guest kernel of vCPU `vcpu`. */
export function attachGuestKernel(
  s: MachineShared,
  vcpu: number,
  clock: Clock,
  log: (line: string) => void,
  emt?: EmtDevice,
): GuestKernel {
  const mem = GuestMemory.attach(s.ram);
  const map = guestMap(s.config.ramBytes, s.config.heapBytes);
  const tracer = tracerFor(s, TraceSlot.vcpu(vcpu));
  const handler =
    emt === undefined
      ? undefined
      : emtPortWrites(attachDeviceEnv(s, clock, (l) => log(`device: ${l}`), emt.inline, tracer));
  return new GuestKernel({
    mem,
    bus: DeviceBus.attach(s.bus).vcpuBus(vcpu, handler),
    heap: GuestHeap.attach('phys', mem, map.heapBase),
    data: GuestHeap.attach('data', mem, map.memBase),
    clock,
    stats: new StatsBlock(s.stats),
    lib: s.config.guest,
    log,
    faults: new FaultTable(s.faults),
    tracer,
  });
}

/** What a vCPU that handles its own port writes (device 'emt') needs: the inline services, loaded. */
export interface EmtDevice {
  readonly inline: DeviceInline;
}

/** What a host worker needs from its executor: the clock, completions off the loop, timers, a log. */
export interface HostWorkerRuntime {
  readonly clock: Clock;
  spawn(proc: Proc<unknown>): void;
  setTimer(ms: number, fn: () => void): void;
  /** ServiceContext.watch: call `fn` once `cell` no longer holds `seen`. */
  watch(cell: AtomicCell, seen: number, fn: () => void): void;
  log(line: string): void;
}

/** Host worker `w` of the machine (a pool task's loop, a sim actor, a test's pump), on `env`. */
export function hostWorker(
  s: MachineShared,
  w: number,
  env: HostEnv,
  services: HostWorkerDeps['services'],
  rt: HostWorkerRuntime,
): HostWorker {
  return new HostWorker({
    workerId: w,
    env,
    ring: DispatchRing.attach(s.ring),
    specs: s.services,
    services,
    clock: rt.clock,
    spawn: (proc) => rt.spawn(proc),
    setTimer: (ms, fn) => rt.setTimer(ms, fn),
    watch: (cell, seen, fn) => rt.watch(cell, seen, fn),
    log: (line) => rt.log(line),
  });
}
