// hgcm-runtime's public API: the Machine (threads) and SimMachine (deterministic sim), what guest programs
// and services are written against, and the ABI.
export { Machine } from './machine/machine.js';
export type { MachineStats, ProgramRef, StopOptions } from './machine/machine.js';
export { SimMachine } from './machine/sim-machine.js';
export type { SimMachineOptions, SimProgram } from './machine/sim-machine.js';
export { DEFAULT_HOST_VERSION, DEFAULT_SPIN, resolveConfig } from './machine/config.js';
export type {
  DevicePlacement,
  MachineConfig,
  MachineShared,
  ResolvedConfig,
  SpinPolicy,
} from './machine/config.js';
export { GuestContext } from './vcpu/guest-context.js';
export { GuestLib } from './vcpu/guest-lib.js';
export { O } from './vcpu/shared-folders-fs.js';
export type { SfDirent, SfMountOptions } from './vcpu/shared-folders-fs.js';
export type { HgcmCallOptions, HgcmCallResult, HgcmParm, HgcmParmOut } from './vcpu/guest-lib.js';
export type { FastParm } from './vcpu/hgcm-fast.js';
export type { CancelOutcome } from './vcpu/hgcm-cancel.js';
export { DEFAULT_GUEST_LIB, FLAVORS } from './vcpu/flavor.js';
export type { GuestFlavorName, GuestLibConfig, LeakScope } from './vcpu/flavor.js';
export { defineService } from './hgcm/service.js';
export type { ClientRef, GuestPages, HgcmService, ServiceContext, SvcCall, SvcParm } from './hgcm/service.js';
export type { ServiceConfig } from './hgcm/registry.js';
export { FAULT_NAMES, HOST_FAULTS, MUTATIONS } from './runtime/faults.js';
export type { FaultName } from './runtime/faults.js';
export { HookTable } from './runtime/hooks.js';
export { POINTS } from './runtime/points.js';
export type { PointName } from './runtime/points.js';
export { COUNTERS } from './runtime/stats.js';
export type { CounterName } from './runtime/stats.js';
export type { Proc } from './runtime/proc.js';
export { gpa } from './runtime/address.js';
export type { GuestAddress } from './runtime/address.js';
export { GuestMemory } from './runtime/guest-memory.js';
export * as abi from './abi/index.js';
export { RT_FAILURE, RT_SUCCESS, Status, statusName } from './abi/index.js';
export type { StatusCode } from './abi/index.js';
export {
  ConfigError,
  GuestFsError,
  GuestMemoryError,
  HeapError,
  HgcmError,
  InvariantError,
  MachineStateError,
  WorkerError,
} from './runtime/errors.js';

// Types public signatures use (what a Machine, SimMachine and GuestContext hand out), so callers can name
// them; test/types/public-surface.test.ts finds any that are missing.
export type { MachineTrace } from './machine/trace.js';
export type { HostVersion } from './vmmdev/device-env.js';
export type { ServiceSpec } from './hgcm/registry.js';
export type { SharedFolderConfig } from './vbsf/config.js';
export type { AtomicCell, CellWaitResult } from './runtime/atomic-cell.js';
export type { FaultTable } from './runtime/faults.js';
export type { Clock, Effect, PointEffect, WaitEffect, WaitHint } from './runtime/proc.js';
export type { FreeResult, HeapStats } from './runtime/shared-heap.js';
export type { StatsBlock } from './runtime/stats.js';
export type { Tracer } from './runtime/trace.js';
export type { PointRecord, TraceRecord, TraceRing } from './runtime/trace-ring.js';
export type { VcpuBus } from './runtime/vcpu-bus.js';
export type { Sim } from './sim/sim.js';
export type { SimObserver, SimOptions, SimResult, StepEvent, Strategy, TraceStep } from './sim/types.js';
export type { ChromeEvent, ChromeTrace } from './trace/chrome.js';
export type { CallNode } from './trace/tree.js';
export type { GuestFlavor } from './vcpu/flavor.js';
export type { Allocation, GuestHeap } from './vcpu/guest-heap.js';
export type { HgcmWaitResult } from './vcpu/hgcm-wait.js';
export type { GuestKernel } from './vcpu/kernel.js';
export type { SfBuf } from './vcpu/shared-folders.js';
export type { SharedFolders, SfMount } from './vcpu/shared-folders-fs.js';
export type { SfIo, SfIoMode, SfStat } from './vcpu/shared-folders-io.js';
export type { Session } from './vcpu/vboxguest.js';
