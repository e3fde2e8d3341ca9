// What a guest program running on a vCPU gets: the high-level calls (connect / call / disconnect through a
// VBoxGuest session) and the raw level (guest RAM, heaps, the port write, waiting on a request), so a
// program can also build a request byte by byte from the ABI and submit it. Runs on its vCPU.
import { ParmType, RT_INDEFINITE_WAIT, statusName, type StatusCode } from '../abi/index.js';
import { gpa, type GuestAddress, type GuestMemory, HeapError, type Proc } from '../runtime/index.js';
import {
  fastCall,
  type FastParm,
  grPerform,
  type GuestHeap,
  type GuestKernel,
  GuestLib,
  type HgcmCallOptions,
  type HgcmCallResult,
  type HgcmParm,
  hgcmWait,
  type HgcmWaitResult,
  prepareCall,
  type Session,
} from '../vcpu/index.js';
import { SharedFolders } from '../vboxsf/index.js';

/** The guest's view of one vCPU, for programs. */
export class GuestContext {
  readonly kernel: GuestKernel;
  readonly lib: GuestLib;
  private readonly exec: <T>(proc: Proc<T>) => T;
  private readonly block: <T>(fn: () => T) => T;
  private folders: SharedFolders | undefined;
  /** Program memory allocated through `alloc` and not freed yet: freed when the program returns. */
  private readonly allocations = new Set<number>();

  constructor(
    kernel: GuestKernel,
    session: Session,
    exec: <T>(proc: Proc<T>) => T,
    block: <T>(fn: () => T) => T = (fn) => fn(),
  ) {
    this.kernel = kernel;
    this.lib = new GuestLib(kernel, session);
    this.exec = exec;
    this.block = block;
  }

  /** Index of the vCPU this program runs on. */
  get vcpu(): number {
    return this.kernel.bus.vcpu;
  }
  /** Guest RAM (bounds-checked, little-endian). */
  get ram(): GuestMemory {
    return this.kernel.mem;
  }
  /** VbglR0PhysHeap: where requests live. */
  get heap(): GuestHeap {
    return this.kernel.heap;
  }
  /** Program memory: where a program keeps the buffers it passes to the host. */
  get mem(): GuestHeap {
    return this.kernel.data;
  }
  /** The VBoxGuest session this program runs in. */
  get session(): Session {
    return this.lib.session;
  }

  /** Shared folders: `g.sf.mount('name')` gives a POSIX-like file API on a mapped share. */
  get sf(): SharedFolders {
    this.folders ??= new SharedFolders(this.lib, this.exec);
    return this.folders;
  }

  /** Connect to a host service by name. */
  connect(service: string): { rc: StatusCode; clientId: number } {
    return this.exec(this.lib.connect(service));
  }
  /** Disconnect a client of this session. */
  disconnect(clientId: number): StatusCode {
    return this.exec(this.lib.disconnect(clientId));
  }
  /** Make an HGCM call. A signal delivered during the call is consumed when it returns. */
  call(clientId: number, fn: number, parms: readonly HgcmParm[], opts: HgcmCallOptions = {}): HgcmCallResult {
    try {
      return this.exec(this.lib.call(clientId, fn, parms, opts));
    } finally {
      this.kernel.bus.consumeSignals();
    }
  }

  /** A kernel driver's call (no session check; see GuestLib.callKernel). */
  callKernel(
    clientId: number,
    fn: number,
    parms: readonly HgcmParm[],
    opts: HgcmCallOptions = {},
  ): HgcmCallResult {
    try {
      return this.exec(this.lib.callKernel(clientId, fn, parms, opts));
    } finally {
      this.kernel.bus.consumeSignals();
    }
  }

  /**
   * Allocate program memory (16-byte aligned); throws HeapError when it is exhausted. What the program
   * has not freed when it returns is freed then (`releaseAllocations`), as a process's memory is at exit.
   */
  alloc(bytes: number): GuestAddress {
    const a = this.kernel.data.alloc(bytes);
    if (a === undefined) throw new HeapError(`guest program memory exhausted (${bytes} bytes asked)`);
    this.allocations.add(a.addr);
    return a.addr;
  }
  /** Free program memory. */
  free(addr: number): void {
    this.kernel.data.free(gpa(addr));
    this.allocations.delete(addr);
  }
  /**
   * The program has returned: free what it allocated with `alloc` and did not free. A block a leaked call
   * still names was quarantined by the leak and stays so (never reused). Returns how many were freed.
   * Memory taken through `g.mem` directly is the program's own business.
   */
  releaseAllocations(): number {
    const n = this.allocations.size;
    for (const addr of this.allocations) this.kernel.data.free(gpa(addr));
    this.allocations.clear();
    return n;
  }
  write(addr: number, bytes: Uint8Array): void {
    this.kernel.mem.write(gpa(addr), bytes);
  }
  read(addr: number, len: number): Uint8Array {
    return this.kernel.mem.read(gpa(addr), len);
  }

  /** The raw port: `outl` of a physical address, and VbglR0GRPerform (checks the address, returns header.rc). */
  get port(): { outRequest(phys: number): void; perform(addr: number): StatusCode; fastAck(): number } {
    const k = this.kernel;
    return {
      outRequest: (phys) => this.exec(k.bus.outRequest(phys)),
      perform: (addr) => this.exec(grPerform(k, gpa(addr))),
      fastAck: () => k.bus.inFastAck(),
    };
  }

  /**
   * Build a VMMDevHGCMCall64 for `clientId`/`fn` in the physical heap (buffers as page lists in place)
   * to perform again and again with `fastCall`. Free it with `g.heap.free(addr)`. With `noBounce` the
   * buffers go as NoBouncePageList, as the 7.x vboxsf passes file data: the service gets them as PAGES
   * (accessed in guest memory) rather than as host copies.
   */
  prepareCall(
    clientId: number,
    fn: number,
    parms: readonly FastParm[],
    opts: { readonly noBounce?: boolean } = {},
  ): { addr: GuestAddress; size: number } {
    const pageList = opts.noBounce === true ? ParmType.NoBouncePageList : ParmType.PageList;
    const r = this.exec(prepareCall(this.kernel, clientId, fn, parms, pageList));
    if (typeof r === 'number') throw new RangeError(`cannot prepare the call: ${statusName(r)}`);
    return { addr: r.req.addr, size: r.size };
  }
  /** VbglR0HGCMFastCall on a prepared request: perform, wait for DONE (no timeout, no signal); the service's status. */
  fastCall(addr: number): StatusCode {
    return this.exec(fastCall(this.kernel, gpa(addr)));
  }

  /** Wait for DONE on a request at `addr` (default: forever, not interruptible). */
  waitDone(addr: number, opts: HgcmCallOptions = {}): HgcmWaitResult {
    const timeout = opts.timeoutMs ?? RT_INDEFINITE_WAIT;
    const deadline = timeout >>> 0 === RT_INDEFINITE_WAIT ? Infinity : this.kernel.clock.now() + timeout;
    return this.exec(hgcmWait(this.kernel, gpa(addr), deadline, opts.interruptible ?? false));
  }

  /**
   * Run `fn`, a system call that blocks this guest thread outside the guest library (a read of a device),
   * with the vCPU counted as idle meanwhile (it needs no core while it blocks).
   */
  blocking<T>(fn: () => T): T {
    return this.block(fn);
  }

  /** Run any guest-library step machine on this vCPU. */
  run<T>(proc: Proc<T>): T {
    return this.exec(proc);
  }

  /** Is a signal pending for this vCPU? */
  signalPending(): boolean {
    return this.kernel.bus.signalPending();
  }
  /** This thread's clock (ms). */
  now(): number {
    return this.kernel.clock.now();
  }
  log(message: string): void {
    this.kernel.log(message);
  }
}
