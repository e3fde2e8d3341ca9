// What the device's request handlers work with: the host side's shared memory (which the host workers
// attach too), the connector, and the one way to the host half of a call (HostPort). Runs on the thread
// handling a port write: the vCPU that wrote it (device 'emt') or the device thread.
import type { StatusCode } from '../abi/index.js';
import type { ClientInfo, ClientTable, HgcmConnector, WorkKind } from '../hgcm/index.js';
import type { ByteView, Clock, FaultTable, GuestMemory, Proc, StatsBlock, Tracer } from '../runtime/index.js';
import type { DeviceBus } from './bus.js';
import type { CancelMatch, CommandTable } from './commands.js';
import type { ParsedCall, PhysRun } from './parse-call.js';
import type { SnapshotArena } from './command.js';

/** The version GetHostVersion reports (VirtualBox 7.0.14 r161095 by default). */
export interface HostVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
  readonly revision: number;
}

/**
 * An oracle for tests and stress runs: told when a command is listed, asked before the host writes guest
 * memory for it whether that memory is still the allocation the guest submitted (invariant I1,
 * NoWriteAfterFree). It observes; it does not prevent the write.
 */
export interface HostWriteAuditor {
  onEnlist(slot: number, phys: number): void;
  /** False if writing `runs` (guest-physical [phys, len], request included) would touch freed memory. */
  checkWrite(slot: number, runs: readonly PhysRun[]): boolean;
}

/** The host side's shared state, as each thread that handles requests or commands attaches it. */
export interface HostShared {
  readonly mem: GuestMemory;
  readonly bus: DeviceBus;
  readonly cmds: CommandTable;
  readonly snaps: SnapshotArena;
  readonly clients: ClientTable;
  readonly stats: StatsBlock;
  readonly faults: FaultTable;
  readonly auditor: HostWriteAuditor | undefined;
  /** This thread's tracer. */
  readonly tracer: Tracer;
}

/**
 * The device's one way to the host half of a call (src/host implements it, src/machine wires it in): hand
 * a listed command over, tell a service about a cancel, complete a command the device answers itself.
 */
export interface HostPort {
  /**
   * A listed command to its service: onto the pool's ring, or, for an inline service's call, served here.
   * `call`: a call's parameters as the device just parsed them (the same as its stored record), so a call
   * served on this thread need not read them back.
   */
  dispatch(kind: WorkKind, slot: number, call?: ParsedCall): Proc<void>;
  /**
   * HGCMGuestCancelled: tell the client's service one of its calls was cancelled. Advisory (the service
   * polls isCancelled), so it may be dropped rather than crowd out commands.
   */
  cancelled(client: ClientInfo): void;
  /** hgcmCompletedWorker for a command the device answers itself (`clientId`: a refused connect's). */
  complete(slot: number, rc: StatusCode, clientId?: number): Proc<void>;
  /**
   * A call the guest cancelled after its client went away, that its service still holds: the service
   * was told nothing (its client is gone) and will not complete it, so it ends here (nothing written back),
   * if command `slot` is still command `id`.
   */
  abandoned(slot: number, id: number): Proc<void>;
}

/** The device's environment. */
export interface DeviceEnv extends HostShared {
  readonly hgcm: HgcmConnector;
  readonly host: HostPort;
  readonly version: HostVersion;
  readonly clock: Clock;
  /** Which command a cancel hits (see CancelMatch). */
  readonly cancelMatch: CancelMatch;
  log(message: string): void;
}

/** One request being handled: the validated header and the host copy of the whole request. */
export interface RequestCtx {
  readonly vcpu: number;
  /** Guest-physical address of the request. */
  readonly phys: number;
  readonly size: number;
  readonly type: number;
  readonly requestor: number;
  /** The snapshot: `size` bytes, header from the validated first read. Handlers write outputs here. */
  readonly snap: Uint8Array;
  readonly view: ByteView;
  /** Arena offset of the snapshot (HGCM commands only; -1 otherwise). */
  readonly snapOff: number;
}

/** A handler's verdict: its status, and whether a command now owns the snapshot. */
export interface HandlerResult {
  readonly rc: StatusCode;
  readonly ownsSnapshot?: boolean;
}

/** A request handler (one file per request type under requests/). */
export type RequestHandler = (dev: DeviceEnv, req: RequestCtx) => Proc<HandlerResult>;
