// The HGCM service interface: what a host service module exports (cf. VBOXHGCMSVCFNTABLE in
// include/VBox/hgcmsvc.h: pfnConnect, pfnDisconnect, pfnCall, pfnCancelled, pfnCallComplete).
// Built-in services and a library user's own services are modules exporting one of these.
import type { StatusCode } from '../abi/index.js';
import type { AtomicCell, Clock, Tracer } from '../runtime/index.js';

/**
 * A guest buffer handed over as a page list (VBOX_HGCM_SVC_PARM_PAGES, no bounce copy). The service reads
 * guest memory in place; what it writes is staged and lands in guest memory at completion, and never for a
 * call the guest cancelled (a cancelled call's buffer may already hold something else). A call that no
 * cancel can overtake may write in place instead (`landing`).
 */
export interface GuestPages {
  /** Bytes described. */
  readonly size: number;
  /** Copy `dst.length` bytes from offset `off` of the buffer. */
  read(off: number, dst: Uint8Array): void;
  /**
   * Zero-copy views over guest memory of [off, off + len), in order, for host I/O straight from guest RAM
   * (a write(2) of the guest's data); undefined when part of the range is not plain RAM (then use read).
   * The guest may change the bytes while they are used, as with DMA.
   */
  views(off: number, len: number): readonly Uint8Array[] | undefined;
  /**
   * Zero-copy views over guest memory of [off, off + len), in order, for host I/O straight into guest RAM
   * (a read(2) into the guest's buffer), as upstream maps NoBounce pages. Given only for a FROM_HOST buffer
   * of a call that completes inside its port write (an inline service, or a service placed on the EMT):
   * no cancel can come between its start and its completion there, so what lands at once is what
   * completion would have copied. Undefined otherwise (a call in the pool, which a cancel may overtake:
   * stage with scratch and write), or when part of the range is not plain RAM. Bytes put through them are
   * the guest's at once, whatever status the call ends with.
   */
  landing(off: number, len: number): readonly Uint8Array[] | undefined;
  /**
   * Stage `src` for the buffer at offset `off`: copied into guest memory when the call completes (unless
   * cancelled). `src` is kept, not copied: leave it alone until then. Only for FROM_HOST buffers; a later
   * staged write over the same bytes wins.
   */
  write(off: number, src: Uint8Array): void;
  /**
   * A host buffer of `len` bytes to fill and stage with write(), reused across calls on this thread (its
   * old contents are not cleared: stage only what was filled). It goes back when the call completes.
   */
  scratch(len: number): Uint8Array;
  /** Contiguous guest-physical runs [address, length] making up the buffer, in order. */
  readonly runs: readonly (readonly [number, number])[];
}

/** A 32-bit value parameter (VBOX_HGCM_SVC_PARM_32BIT); the service may change `u32`. */
export interface SvcParmU32 {
  readonly type: 1;
  u32: number;
}
/** A 64-bit value parameter (VBOX_HGCM_SVC_PARM_64BIT); the service may change `u64`. */
export interface SvcParmU64 {
  readonly type: 2;
  u64: bigint;
}
/**
 * A buffer parameter (VBOX_HGCM_SVC_PARM_PTR): `buf` is a host copy, filled from the guest when the
 * direction includes TO_HOST, zeroed otherwise, and copied back (first `size` bytes, at most the guest
 * buffer's size) at completion when it includes FROM_HOST.
 */
export interface SvcParmPtr {
  readonly type: 3;
  size: number;
  readonly buf: Uint8Array;
  /** VBOX_HGCM_F_PARM_DIRECTION_*. */
  readonly dir: number;
}
/** A buffer parameter the service accesses in guest memory (VBOX_HGCM_SVC_PARM_PAGES). */
export interface SvcParmPages {
  readonly type: 4;
  readonly size: number;
  readonly pages: GuestPages;
  readonly dir: number;
}
/** One parameter as a service sees it (VBOXHGCMSVCPARM). */
export type SvcParm = SvcParmU32 | SvcParmU64 | SvcParmPtr | SvcParmPages;

/** A client of a service. */
export interface ClientRef {
  readonly clientId: number;
  /** VMMDEV_REQUESTOR_* of the connect request. */
  readonly requestor: number;
}

/** One guest call handed to a service (svcCall's arguments plus the call handle). */
export interface SvcCall {
  readonly clientId: number;
  readonly fn: number;
  readonly parms: SvcParm[];
  readonly requestor: number;
  /** pfnIsCallCancelled: has the guest cancelled this call? */
  isCancelled(): boolean;
  /**
   * pfnCallComplete, for a call whose `call()` returned VINF_HGCM_ASYNC_EXECUTE. Completing twice is
   * ignored (and counted).
   */
  complete(rc: StatusCode): void;
}

/** What a service gets from the host: its config, shared state, a clock and timers. */
export interface ServiceContext {
  /** The name the machine registered the service under. */
  readonly name: string;
  /** The service's `config` from the Machine config (structured-cloned). */
  readonly config: unknown;
  /** Service-wide shared memory (`sharedBytes` of it), the same in every pool worker; undefined if 0. */
  readonly shared: SharedArrayBuffer | undefined;
  /** This client's shared state (`clientStateBytes`), the same in every pool worker. */
  clientState(clientId: number): Uint8Array;
  /** Wall clock under threads, virtual under sim. */
  readonly clock: Clock;
  /** Run `fn` after `ms` (a virtual timer under sim). Use this, not setTimeout, so runs replay. */
  setTimer(ms: number, fn: () => void): void;
  /**
   * Run `fn` once on this worker after `cell` (a word of the service's shared memory) no longer holds
   * `seen`; whoever changes it must bump it (AtomicCell.bump). Threads: Atomics.waitAsync; sim: an actor
   * waiting on the cell. How a service learns promptly of something another thread did (a host call).
   */
  watch(cell: AtomicCell, seen: number, fn: () => void): void;
  /** A log line (LogRel). */
  log(message: string): void;
  /** Index of the pool worker (or sim host actor) running this code. */
  readonly workerId: number;
  /** Spans for tracing (recorded only while the call is traced); see runtime/trace.ts. */
  readonly trace: Tracer;
}

/** What a host call (HgcmService.hostCall) gets: the service's config and shared state, and a log. */
export interface ServiceHost {
  readonly name: string;
  readonly config: unknown;
  readonly shared: SharedArrayBuffer | undefined;
  log(message: string): void;
}

/**
 * An HGCM service. `call` returns the call's status, or VINF_HGCM_ASYNC_EXECUTE if it will finish later
 * through `SvcCall.complete`. Nothing a guest sends may make these throw: a throw is caught, logged and
 * completes the call with VERR_INTERNAL_ERROR.
 */
export interface HgcmService {
  /** Bytes of shared state for `ServiceContext.shared`. */
  readonly sharedBytes?: number;
  /** Bytes of per-client shared state. */
  readonly clientStateBytes?: number;
  /**
   * Pending calls allowed per client (acMaxCallsPerClient), one figure for every client or one per
   * requestor category; beyond it VERR_HGCM_TOO_MANY_CLIENT_CALLS. Default upstream's: kernel 8192,
   * root 4096, user 2048.
   */
  readonly maxCallsPerClient?: number | CallsPerCategory;
  /** Clients allowed at once (acMaxClients); beyond it VERR_HGCM_TOO_MANY_CLIENTS. */
  readonly maxClients?: number;
  /**
   * Run calls inline on the device thread, so a call completes (results, DONE, the interrupt) before the
   * guest's port write returns: no hop to the pool and back. Only for calls that are short and finish
   * synchronously: `call` must return its final status (VINF_HGCM_ASYNC_EXECUTE fails the call with
   * VERR_NOT_SUPPORTED) and `ctx.setTimer` throws. While it runs, the device handles no other request.
   * Connect, disconnect and cancel notices still run in the pool. Default false.
   */
  readonly inline?: boolean;
  /**
   * Which functions finish inside `call` (their final status returned, no timers, no watches): with the
   * service placed on the EMT (ServiceConfig.placement 'emt'), those calls run on the thread handling the
   * port write, as `inline` calls do, and the others still go to the pool. Without it the service's calls
   * always run in the pool.
   */
  completesInCall?(fn: number): boolean;
  /**
   * The byte ranges of `shared` (start inclusive, end exclusive) that may hold anything but the zeros it
   * was created with: every byte outside them has never been written. Optional; it lets a machine saved
   * and restored run after run (SimMachine, the stress harness) compare and clear only these ranges of a
   * large, mostly unused block instead of all of it. Called on the thread that saves or restores, with the
   * machine quiet. A range too small is a bug that a restore would not undo; too large only costs time.
   */
  sharedExtent?(shared: SharedArrayBuffer): readonly (readonly [start: number, end: number])[];
  /** Once, on the thread that creates the machine, before any worker: format `shared`. */
  init?(shared: SharedArrayBuffer | undefined, config: unknown): void;
  /** Once per pool worker (and sim host), before any call. */
  setup?(ctx: ServiceContext): void;
  connect?(ctx: ServiceContext, client: ClientRef): StatusCode;
  disconnect?(ctx: ServiceContext, client: ClientRef): void;
  call(ctx: ServiceContext, call: SvcCall): StatusCode;
  /** pfnCancelled: the guest cancelled one of this client's calls (which one: poll isCancelled). */
  cancelled?(ctx: ServiceContext, client: ClientRef): void;
  /**
   * pfnHostCall: a call from the host side (Main's HGCMHostCall), never from a guest. Runs on the thread
   * that makes it (the Machine's, or the sim's), not on the pool: everything it changes must be in `shared`
   * under the service's own locks, and anything the pool must notice it signals there (ServiceContext.watch).
   */
  hostCall?(host: ServiceHost, fn: number, parms: SvcParm[]): StatusCode;
}

/**
 * A limit per requestor category (HGCM_CLIENT_CATEGORY_*): kernel (the guest's drivers), root (a
 * root or system process), user (any other process).
 */
export interface CallsPerCategory {
  readonly kernel: number;
  readonly root: number;
  readonly user: number;
}

/** Identity helper that types a service definition. */
export function defineService<S extends HgcmService>(service: S): S {
  return service;
}
