// hgcm-runtime's public API: the Machine (threads) and SimMachine (deterministic sim), what guest programs
// and services are written against, and the ABI.
export { Machine } from './machine/machine.js';
export type { MachineStats, ProgramRef } from './machine/machine.js';
export { SimMachine } from './machine/sim-machine.js';
export type { SimMachineOptions, SimProgram } from './machine/sim-machine.js';
export type { ShareAdded, ShareRemoved, Shares } from './machine/shares.js';
export type { SharedFolderConfig, ShareState, SymlinkPolicyName } from './vbsf/index.js';
export { DEFAULT_HOST_VERSION, DEFAULT_SPIN, resolveConfig } from './machine/config.js';
export type { MachineConfig, ResolvedConfig, SpinPolicy } from './machine/config.js';
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
export type {
  ClientRef,
  GuestPages,
  HgcmService,
  ServiceContext,
  ServiceHost,
  SvcCall,
  SvcParm,
} from './hgcm/service.js';
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
