// Building each layer's environment from the machine's shared memory: the composition root's wiring, used
// by the worker entries (threads executor) and by the sim machine alike.
import { ClientTable } from '../hgcm/clients.js';
import { HgcmConnector } from '../hgcm/connector.js';
import { DispatchRing } from '../hgcm/ring.js';
import { GuestMemory } from '../runtime/guest-memory.js';
import { FaultTable } from '../runtime/faults.js';
import { HookTable } from '../runtime/hooks.js';
import { TraceRing } from '../runtime/trace-ring.js';
import { wallClock, type Clock, type ThreadExecOptions } from '../runtime/proc.js';
import { StatsBlock } from '../runtime/stats.js';
import { GuestHeap } from '../vcpu/guest-heap.js';
import { GuestKernel } from '../vcpu/kernel.js';
import { guestMap } from '../vcpu/layout.js';
import { DeviceBus } from '../vmmdev/bus.js';
import { CommandTable } from '../vmmdev/commands.js';
import type { HgcmHostEnv } from '../vmmdev/complete.js';
import type { DeviceEnv } from '../vmmdev/device-env.js';
import { SnapshotArena } from '../vmmdev/snapshots.js';
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
  });
  // The ring holds every command twice over plus the workers' STOP items (see HgcmConnector.post).
  const ring = DispatchRing.create(2 * (config.commandSlots + 64));
  return {
    config,
    ram: mem.buffer as SharedArrayBuffer,
    bus: bus.sab,
    cmds: CommandTable.create(config.commandSlots).sab,
    snaps: SnapshotArena.create(config.snapshotBytes).sab,
    clients: ClientTable.create(config.clientSlots).sab,
    ring: ring.sab,
    stats: new StatsBlock().sab,
    faults: faultTable(config).sab,
    hooks: new HookTable().sab,
    trace:
      config.traceCapacity > 0 ? TraceRing.create(traceSlots(config), config.traceCapacity).sab : undefined,
    services,
  };
}

/** A thread's slot in the trace ring: vCPUs, then the device, then pool workers, then any other thread. */
export type TraceThread =
  | { readonly k: 'vcpu'; readonly index: number }
  | { readonly k: 'device' }
  | { readonly k: 'host'; readonly index: number }
  | { readonly k: 'other' };

/** Slots a machine's trace ring has. */
export function traceSlots(c: ResolvedConfig): number {
  return c.vcpus + c.hostWorkers + 2;
}

/** The trace ring slot of a thread. */
export function traceSlot(c: ResolvedConfig, t: TraceThread): number {
  switch (t.k) {
    case 'vcpu':
      return t.index;
    case 'device':
      return c.vcpus;
    case 'host':
      return c.vcpus + 1 + t.index;
    default:
      return c.vcpus + 1 + c.hostWorkers;
  }
}

function faultTable(config: ResolvedConfig): FaultTable {
  const t = new FaultTable();
  for (const f of config.faults) t.set(f, true);
  return t;
}

/**
 * The options of a real-thread executor in this machine: its spin policy, the test hooks and, when the
 * machine traces, the recorder of `thread`'s slot in the trace ring.
 */
export function threadExec(s: MachineShared, thread: TraceThread = { k: 'other' }): ThreadExecOptions {
  const hooks = new HookTable(s.hooks);
  let onPoint = hooks.onPoint;
  if (s.trace !== undefined) {
    const record = TraceRing.attach(s.trace).recorder(traceSlot(s.config, thread));
    const hook = hooks.onPoint;
    // ORDER: record, then the hook (which may stop the thread): the ring shows where it stopped.
    onPoint = (p) => {
      record(p);
      hook(p);
    };
  }
  return { clock: wallClock, spin: s.config.spin.short, spinLong: s.config.spin.long, onPoint };
}

/** The host side (device thread and pool workers). */
export function attachHostEnv(s: MachineShared): HgcmHostEnv {
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
  };
}

/** The device's environment. */
export function attachDeviceEnv(s: MachineShared, clock: Clock, log: (line: string) => void): DeviceEnv {
  const host = attachHostEnv(s);
  return {
    ...host,
    hgcm: new HgcmConnector(s.services, host.clients, DispatchRing.attach(s.ring)),
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
): GuestKernel {
  const mem = GuestMemory.attach(s.ram);
  const map = guestMap(s.config.ramBytes, s.config.heapBytes);
  return new GuestKernel({
    mem,
    bus: DeviceBus.attach(s.bus).vcpuBus(vcpu),
    heap: GuestHeap.attach('phys', mem, map.heapBase),
    data: GuestHeap.attach('data', mem, map.memBase),
    clock,
    stats: new StatsBlock(s.stats),
    lib: s.config.guest,
    log,
    faults: new FaultTable(s.faults),
  });
}
