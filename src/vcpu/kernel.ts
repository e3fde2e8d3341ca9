// The guest kernel a vCPU runs the guest library in: its memory, its port to the device, the heaps,
// the library's configuration, and the driver's one-time initialisation (cf. vbg_core_init /
// VBoxGuest's vgdrvInitDevExt: report the guest, read the host version, allocate fixed requests).
// Runs on its vCPU.
import {
  RequestType,
  Requestor,
  Status,
  VBOXOSTYPE_Linux26_x64,
  VMMDEV_VERSION,
  VMMDevReportGuestInfo,
  VMMDevReqHostVersion,
  VMMDevHGCMCancel2,
  VMMDevEvents,
  RT_FAILURE,
  type StatusCode,
} from '../abi/index.js';
import {
  type Clock,
  type FaultTable,
  gpa,
  type GuestAddress,
  type GuestMemory,
  NO_FAULTS,
  NO_TRACER,
  type Proc,
  type StatsBlock,
  type Tracer,
  type VcpuBus,
} from '../runtime/index.js';
import { FLAVORS, type GuestFlavor, type GuestLibConfig } from './flavor.js';
import { grAlloc, grFree, grPerform } from './gr.js';
import type { GuestHeap } from './guest-heap.js';
import { KERNEL_MAGIC, KERNEL_PAGE, KernelWord } from './layout.js';

/** Everything the guest library needs on one vCPU. */
export class GuestKernel {
  readonly mem: GuestMemory;
  readonly bus: VcpuBus;
  /** VbglR0PhysHeap. */
  readonly heap: GuestHeap;
  /** Memory for programs' own buffers. */
  readonly data: GuestHeap;
  readonly clock: Clock;
  readonly stats: StatsBlock;
  readonly lib: GuestLibConfig;
  readonly flavor: GuestFlavor;
  readonly log: (message: string) => void;
  /** Fault switches (host faults and mutations) this vCPU obeys. */
  readonly faults: FaultTable;
  /** This vCPU's tracer. */
  readonly tracer: Tracer;
  /** This vCPU's preallocated AcknowledgeEvents request (the ISR's, for flavours that ack by request). */
  ackRequest: GuestAddress | undefined;

  constructor(o: {
    mem: GuestMemory;
    bus: VcpuBus;
    heap: GuestHeap;
    data: GuestHeap;
    clock: Clock;
    stats: StatsBlock;
    lib: GuestLibConfig;
    log: (message: string) => void;
    faults?: FaultTable;
    tracer?: Tracer;
  }) {
    this.mem = o.mem;
    this.bus = o.bus;
    this.heap = o.heap;
    this.data = o.data;
    this.clock = o.clock;
    this.stats = o.stats;
    this.lib = o.lib;
    this.flavor = FLAVORS[o.lib.flavor];
    this.log = o.log;
    this.faults = o.faults ?? NO_FAULTS;
    this.tracer = o.tracer ?? NO_TRACER;
    this.ackRequest = undefined;
  }

  private get kpage(): GuestAddress {
    return gpa(KERNEL_PAGE);
  }

  /** VMMDEV_HVF_* the host reported at driver init. */
  get hostFeatures(): number {
    return this.mem.readU32(this.kpage, KernelWord.HOST_FEATURES);
  }

  /** The driver initialised (on any vCPU). */
  get initialised(): boolean {
    return this.mem.load32(this.kpage, KernelWord.MAGIC) === KERNEL_MAGIC;
  }

  /** Linux's preallocated Cancel2 request, or undefined. */
  get cancelRequest(): GuestAddress | undefined {
    const a = this.mem.readU32(this.kpage, KernelWord.CANCEL_REQ);
    return a === 0 ? undefined : gpa(a);
  }

  /** The kernel mutex guarding the preallocated cancel request (Linux cancel_req_mutex). */
  get cancelLock() {
    return this.mem.cell(this.kpage, KernelWord.CANCEL_LOCK);
  }

  /**
   * Driver initialisation, once per machine (vCPU 0 at boot): ReportGuestInfo, GetHostVersion, and the
   * requests the driver keeps allocated. Returns the first failure.
   */
  *initDriver(): Proc<StatusCode> {
    const info = yield* grAlloc(this, VMMDevReportGuestInfo.size, RequestType.ReportGuestInfo);
    if (typeof info === 'number') return info;
    this.mem.writeU32(info.addr, VMMDevReportGuestInfo.off.interfaceVersion, VMMDEV_VERSION);
    this.mem.writeU32(info.addr, VMMDevReportGuestInfo.off.osType, VBOXOSTYPE_Linux26_x64);
    let rc = yield* grPerform(this, info.addr);
    grFree(this, info.addr);
    if (RT_FAILURE(rc)) return rc;

    const ver = yield* grAlloc(this, VMMDevReqHostVersion.size, RequestType.GetHostVersion);
    if (typeof ver === 'number') return ver;
    rc = yield* grPerform(this, ver.addr);
    const L = VMMDevReqHostVersion.off;
    // Hosts too old to answer report no features (VbglR0QueryHostFeatures treats failure the same way).
    const features = RT_FAILURE(rc) ? 0 : this.mem.readU32(ver.addr, L.features);
    this.mem.writeU32(this.kpage, KernelWord.HOST_FEATURES, features);
    this.mem.writeU32(this.kpage, KernelWord.HOST_MAJOR_MINOR, this.mem.readU32(ver.addr, L.major));
    this.mem.writeU32(this.kpage, KernelWord.HOST_BUILD, this.mem.readU32(ver.addr, L.build));
    this.mem.writeU32(this.kpage, KernelWord.HOST_REVISION, this.mem.readU32(ver.addr, L.revision));
    grFree(this, ver.addr);

    if (this.flavor.cancelRequest === 'preallocated') {
      const c = yield* grAlloc(this, VMMDevHGCMCancel2.size, RequestType.HGCMCancel2);
      if (typeof c === 'number') return c;
      this.mem.writeU32(this.kpage, KernelWord.CANCEL_REQ, c.addr);
    }
    this.mem.store32(this.kpage, KernelWord.MAGIC, KERNEL_MAGIC);
    return Status.VINF_SUCCESS;
  }

  /** Per-vCPU setup: the ISR's AcknowledgeEvents request. */
  *initVcpu(): Proc<StatusCode> {
    if (this.flavor.isrAck === 'request' || (this.hostFeatures & 0x80000000) === 0) {
      const a = yield* grAlloc(this, VMMDevEvents.size, RequestType.AcknowledgeEvents);
      if (typeof a === 'number') return a;
      this.ackRequest = a.addr;
    }
    return Status.VINF_SUCCESS;
  }

  /** The requestor the driver stamps on its own requests (VBoxGuest: kernel, USR_DRV). */
  get driverRequestor(): number {
    return Requestor.KERNEL | Requestor.USR_DRV;
  }
}
