// hgcm-runtime's public API: the Machine (threads) and SimMachine (deterministic sim), what guest programs
// and services are written against, and the ABI. It names only the layers' surfaces (their index.ts).
export {
  DEFAULT_HOST_VERSION,
  DEFAULT_SPIN,
  FuseMount,
  Machine,
  SimMachine,
  resolveConfig,
} from './machine/index.js';
export type {
  MachineConfig,
  MachineStats,
  MountEnd,
  MountOptions,
  MountStats,
  ProgramRef,
  ResolvedConfig,
  StopOptions,
  DevicePlacement,
  MachineShared,
  SimMachineOptions,
  SimProgram,
  SpinPolicy,
  ShareAdded,
  ShareRemoved,
  Shares,
  SharedFolderConfig,
  ShareState,
  SymlinkPolicyName,
} from './machine/index.js';
export { GuestContext } from './guest/index.js';
export { DEFAULT_GUEST_LIB, FLAVORS, GuestLib } from './vcpu/index.js';
export type {
  CancelOutcome,
  FastParm,
  GuestFlavorName,
  GuestLibConfig,
  HgcmCallOptions,
  HgcmCallResult,
  HgcmParm,
  HgcmParmOut,
  LeakScope,
} from './vcpu/index.js';
export { O } from './vboxsf/index.js';
export type { SfDirent, SfMountOptions } from './vboxsf/index.js';
export { defineService } from './hgcm/service-api.js';
export type {
  CallsPerCategory,
  ClientRef,
  GuestPages,
  HgcmService,
  ServiceContext,
  ServiceHost,
  SvcCall,
  SvcParm,
} from './hgcm/service-api.js';
export type { ServiceConfig, ServicePlacement } from './hgcm/index.js';
export {
  COUNTERS,
  FAULT_NAMES,
  GuestMemory,
  HOST_FAULTS,
  HookTable,
  MUTATIONS,
  POINTS,
  gpa,
} from './runtime/index.js';
export type { CounterName, FaultName, GuestAddress, PointName, Proc } from './runtime/index.js';
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
  MountError,
  WorkerError,
} from './runtime/index.js';

// Types public signatures use (what a Machine, SimMachine and GuestContext hand out), so callers can name
// them; test/types/public-surface.test.ts finds any that are missing.
export type {
  DisconnectReport,
  HostVersion,
  MachineImage,
  MachinePoint,
  MachineTrace,
  ServeReport,
} from './machine/index.js';
export type { ServiceSpec } from './hgcm/index.js';
export type {
  AtomicCell,
  CellWaitResult,
  Clock,
  Effect,
  FaultTable,
  FreeResult,
  HeapStats,
  PointEffect,
  PointRecord,
  StatsBlock,
  TraceRecord,
  TraceRing,
  Tracer,
  VcpuBus,
  WaitEffect,
  WaitHint,
} from './runtime/index.js';
export type {
  Sim,
  SimMark,
  SimObserver,
  SimOptions,
  SimResult,
  StepEvent,
  Strategy,
  TraceStep,
} from './sim/index.js';
export type { CallNode, ChromeEvent, ChromeTrace } from './trace/index.js';
export type {
  Allocation,
  GuestFlavor,
  GuestHeap,
  GuestKernel,
  HgcmWaitResult,
  Session,
} from './vcpu/index.js';
export type { SfBuf, SfIo, SfIoMode, SfMount, SfStat, SharedFolders } from './vboxsf/index.js';
