// The runtime every layer builds on: guest RAM and shared-memory words and tables, locks and heaps, the
// step-machine effects and the real-thread executors, points, hooks, faults, stats, tracing, the PRNG.
// (IPRT on node:fs, for the Shared Folders service only, is ./iprt/index.ts.)
export { GuestMemory } from './guest-memory.js';
export { gpa, hexAddr } from './address.js';
export type { GuestAddress } from './address.js';
export { ByteView, bigToSafe } from './bytes.js';
export { AtomicCell, SharedWords } from './atomic-cell.js';
export type { CellWaitResult } from './atomic-cell.js';
export { SlotTable } from './slot-table.js';
export { lockSync, unlockSync, withLock } from './sync.js';
export { BlockState, SharedHeap } from './shared-heap.js';
export type { FreeResult, HeapStats } from './shared-heap.js';
export { guestHeapBacking, sabHeapBacking } from './heap-backing.js';
export {
  asMachineWork,
  asMachineWorkAsync,
  asParked,
  blockOn,
  finished,
  lock,
  point,
  returning,
  runAsync,
  runSync,
  unlock,
  wait,
  waitFor,
  wallClock,
  watchCell,
} from './proc.js';
export type {
  Clock,
  Effect,
  PointEffect,
  Proc,
  SpinLimiter,
  ThreadExecOptions,
  WaitEffect,
  WaitHint,
  WaitOutcome,
} from './proc.js';
export { SpinGate } from './spin-gate.js';
export { SpinHistory } from './spin-history.js';
export { ControlBlock, GateAt, ThreadControl, ThreadState } from './control.js';
export { ControlClock, ControlTimers } from './control-clock.js';
export type { SleepCell, ThreadStateValue, ThreadView } from './control.js';
export type { VcpuBus } from './vcpu-bus.js';
export { POINTS, PointId } from './points.js';
export type { PointName } from './points.js';
export { HookTable } from './hooks.js';
export {
  FAULT_NAMES,
  FaultSteps,
  FaultTable,
  HOST_FAULTS,
  MUTATIONS,
  NO_FAULTS,
  faultIndex,
} from './faults.js';
export type { FaultName, FaultVariants } from './faults.js';
export { COUNTERS, StatsBlock } from './stats.js';
export type { CounterName } from './stats.js';
export { NO_TRACER, SPANS, Tracer, traced, tracedCall } from './trace.js';
export type { SpanName, SpanOf } from './trace.js';
export { RecordKind, TraceRing } from './trace-ring.js';
export type { PointRecord, TraceRecord } from './trace-ring.js';
export { Prng, fnv1a, fnv1aWords } from './prng.js';
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
  errorFields,
  invariant,
  reviveError,
} from './errors.js';
export { besideModule, importModule, isTypeScriptModule, moduleHref, testBuildCopy } from './modules.js';
export { SlotPool } from './slot-pool.js';
export { SharedWords64 } from './atomic-cell64.js';
