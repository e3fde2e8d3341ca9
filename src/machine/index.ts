// The composition root: a Machine on worker threads and a SimMachine under the deterministic sim, their
// config, and what tools beside the library (the CLI, the harness, the benchmark) start workers with.
export { Machine, runningMachines } from './machine.js';
export type { MachineStats, ProgramRef, StopOptions } from './machine.js';
export { SimMachine } from './sim-machine.js';
export type { MachinePoint, SimMachineOptions, SimProgram } from './sim-machine.js';
export { DEFAULT_HOST_VERSION, DEFAULT_SPIN, resolveConfig } from './config.js';
export type { DevicePlacement, MachineConfig, MachineShared, ResolvedConfig, SpinPolicy } from './config.js';
export type { ServicePlacement } from '../hgcm/index.js';
export type { ShareAdded, ShareRemoved, Shares } from './shares.js';
export type { SharedFolderConfig, ShareState, SymlinkPolicyName } from '../vbsf/index.js';
export { MachineTrace } from './trace.js';
export { FuseMount } from './mount.js';
export { fuseUnavailable, isMounted } from '../fuse/index.js';
export type { MountEnd, MountOptions, MountStats } from './mount.js';
export type { DisconnectReport, ServeReport } from '../fuse/index.js';
export type { MachineImage } from './image.js';
export { FLAVORS } from '../vcpu/index.js';
export type { GuestFlavorName } from '../vcpu/index.js';
export type { HostVersion } from '../vmmdev/index.js';
export { heapAuditor } from './audit.js';
export { machineBuffers } from './assemble.js';
export { poolExecArgv, spawnModuleWorker } from './worker-url.js';
/** Most vCPUs a machine may have. */
export { MAX_VCPUS } from '../vmmdev/index.js';
