// The device bus: VMMDev's shared state, the event/IRQ logic (vmmdevNotifyGuestWorker, vmmdevMaybeSetIRQ,
// vmmdevFastRequestIrqAck, VMMDevCtlSetGuestFilterMask) and the port API handed to vCPUs; models VMMDev.cpp.
// The device side runs on the thread handling a port write and, raising the HGCM event, on host workers;
// a VcpuBus runs on its vCPU.
import { VmmDevEvent } from '../abi/index.js';
import {
  AtomicCell,
  lockSync,
  type Proc,
  SharedWords,
  SlotTable,
  unlockSync,
  type VcpuBus,
  waitFor,
} from '../runtime/index.js';
import {
  BUS_HEADER_WORDS,
  BUS_MAGIC,
  Bus,
  DeviceState,
  IrqDelivery,
  MAX_VCPUS,
  VCPU_BLOCK_WORDS,
  VcpuSlot,
  WAIT_ANY,
  busWords,
} from './bus-layout.js';

/** Options for a new bus. */
export interface BusOptions {
  readonly vcpus: number;
  /** VMMDEV_HVF_* reported by GetHostVersion. */
  readonly features: number;
  /** False for an "old host" without HGCMCancel2 (answers VERR_NOT_IMPLEMENTED). */
  readonly cancel2: boolean;
  /** Where an interrupt goes: 'one' vCPU (default) or 'all' of them (IrqDelivery). */
  readonly irqDelivery?: 'one' | 'all';
}

/** A port write handled on the writing vCPU's thread: the device's request handler under its lock. */
export type PortWriteHandler = (vcpu: number, phys: number) => Proc<void>;

/**
 * VMMDev's state in shared memory. Owned by the device thread; host pool workers use it to raise events
 * on completion; vCPUs reach it only through `vcpuBus()`.
 */
export class DeviceBus {
  readonly words: SharedWords;
  readonly vcpus: number;
  readonly doorbell: AtomicCell;
  readonly control: AtomicCell;
  private readonly eventLock: AtomicCell;
  /** The per-vCPU blocks (VcpuSlot fields). */
  readonly cpus: SlotTable;
  private readonly wakes: readonly AtomicCell[];

  private constructor(words: SharedWords) {
    if (words.load(Bus.MAGIC) !== BUS_MAGIC) throw new Error('not a VMMDev bus');
    this.words = words;
    this.vcpus = words.load(Bus.VCPUS);
    this.doorbell = words.cell(Bus.DOORBELL);
    this.control = words.cell(Bus.CONTROL);
    this.eventLock = words.cell(Bus.EVENT_LOCK);
    this.cpus = new SlotTable(words, BUS_HEADER_WORDS, VCPU_BLOCK_WORDS, this.vcpus);
    this.wakes = Array.from({ length: this.vcpus }, (_, i) => this.cpus.cell(i, VcpuSlot.WAKE));
  }

  /** A fresh bus. */
  static create(opts: BusOptions): DeviceBus {
    if (!Number.isInteger(opts.vcpus) || opts.vcpus < 1 || opts.vcpus > MAX_VCPUS) {
      throw new RangeError(`vcpus must be 1..${MAX_VCPUS}, got ${opts.vcpus}`);
    }
    const words = SharedWords.create(busWords(opts.vcpus));
    words.store(Bus.VCPUS, opts.vcpus);
    words.store(Bus.FEATURES, opts.features | 0);
    words.store(Bus.CANCEL2, opts.cancel2 ? 1 : 0);
    words.store(Bus.IRQ_DELIVERY, opts.irqDelivery === 'all' ? IrqDelivery.ALL : IrqDelivery.ONE);
    words.store(Bus.MAGIC, BUS_MAGIC);
    return new DeviceBus(words);
  }

  /** The bus another thread created. */
  static attach(sab: SharedArrayBuffer): DeviceBus {
    return new DeviceBus(new SharedWords(sab));
  }

  get sab(): SharedArrayBuffer {
    return this.words.sab;
  }
  get features(): number {
    return this.words.load(Bus.FEATURES) >>> 0;
  }
  get cancel2Implemented(): boolean {
    return this.words.load(Bus.CANCEL2) === 1;
  }
  get state(): number {
    return this.words.load(Bus.DEVICE_STATE);
  }
  setState(state: number): void {
    this.words.store(Bus.DEVICE_STATE, state);
    this.doorbell.bump();
  }
  get stopRequested(): boolean {
    return this.words.load(Bus.DEVICE_STATE) === DeviceState.STOP_REQUESTED;
  }
  get additionsOk(): boolean {
    return this.words.load(Bus.ADDITIONS_OK) === 1;
  }
  setAdditionsOk(ok: boolean): void {
    this.words.store(Bus.ADDITIONS_OK, ok ? 1 : 0);
  }

  /** Port slot of vCPU i: the pending sequence number, or undefined when no port write is pending. */
  pendingPortWrite(vcpu: number): { seq: number; phys: number } | undefined {
    const seq = this.cpus.get(vcpu, VcpuSlot.PORT_SEQ);
    if (seq === this.cpus.get(vcpu, VcpuSlot.PORT_ACK)) return undefined;
    // ORDER: the vCPU stores PORT_ADDR before incrementing PORT_SEQ, and never writes it again before our
    // ack, so the address read after the sequence is the one that goes with it.
    return { seq, phys: this.cpus.get(vcpu, VcpuSlot.PORT_ADDR) >>> 0 };
  }

  /** The lock request handlers take when vCPUs handle their own port writes (device 'emt'). */
  get requestLock(): AtomicCell {
    return this.words.cell(Bus.REQUEST_LOCK);
  }

  /** Finish a port write: the vCPU's `outl` returns. */
  ackPortWrite(vcpu: number, seq: number): void {
    this.cpus.set(vcpu, VcpuSlot.PORT_ACK, seq);
    this.wakes[vcpu]!.bump();
  }

  /** Current guest filter mask. */
  get filterMask(): number {
    return this.words.load(Bus.GUEST_FILTER) >>> 0;
  }
  /** Latched host events (pending, masked or not). */
  get pendingEvents(): number {
    return this.words.load(Bus.HOST_EVENTS) >>> 0;
  }
  /** The IRQ line level (VMMDevMemory.fHaveEvents). */
  get irqLine(): boolean {
    return this.words.load(Bus.IRQ_LINE) === 1;
  }

  /** Run `fn` under the event lock (sealed: never yields, so the sim runs it atomically). */
  private underEventLock<T>(fn: (w: SharedWords) => T): T {
    lockSync(this.eventLock);
    try {
      return fn(this.words);
    } finally {
      unlockSync(this.eventLock);
    }
  }

  /** vmmdevMaybeSetIRQ with the lock held: raise the line if an unmasked event is pending. */
  private maybeSetIrqLocked(w: SharedWords): boolean {
    if ((w.load(Bus.HOST_EVENTS) & w.load(Bus.GUEST_FILTER)) === 0 || w.load(Bus.IRQ_LINE) === 1)
      return false;
    w.store(Bus.IRQ_LINE, 1);
    return true;
  }

  /**
   * VMMDevNotifyGuest: latch `events`; raise the IRQ on the edge from "nothing unmasked pending" to
   * "something pending", and deliver it (deliverIrq; `hint`: the vCPU the event is for, preferred while it
   * waits). Level-triggered: while events are pending, further ones only latch. Before the additions
   * reported a supported version, events latch and no IRQ is raised. Returns true if an interrupt was
   * delivered.
   */
  notifyGuest(events: number, hint?: number): boolean {
    const raised = this.underEventLock((w) => {
      const hadEvents = (w.load(Bus.HOST_EVENTS) & w.load(Bus.GUEST_FILTER)) !== 0;
      w.store(Bus.HOST_EVENTS, w.load(Bus.HOST_EVENTS) | events);
      return w.load(Bus.ADDITIONS_OK) === 1 && !hadEvents && this.maybeSetIrqLocked(w);
    });
    if (raised) this.deliverIrq(hint);
    return raised;
  }

  /**
   * vmmdevFastRequestIrqAck / AcknowledgeEvents: apply a deferred filter change, return and clear the
   * pending unmasked events, lower the line. Without reported additions the fast port reads 0xFFFFFFFF.
   */
  acknowledgeEvents(): number {
    return this.underEventLock((w) => {
      if (w.load(Bus.ADDITIONS_OK) !== 1) return 0xffffffff;
      if (w.load(Bus.NEW_FILTER_OK) === 1) {
        w.store(Bus.GUEST_FILTER, w.load(Bus.NEW_FILTER));
        w.store(Bus.NEW_FILTER_OK, 0);
      }
      const acked = (w.load(Bus.HOST_EVENTS) & w.load(Bus.GUEST_FILTER)) >>> 0;
      w.store(Bus.HOST_EVENTS, w.load(Bus.HOST_EVENTS) & ~acked);
      w.store(Bus.IRQ_LINE, 0);
      return acked;
    });
  }

  /**
   * VMMDevCtlSetGuestFilterMask: while events are pending the change is deferred to the next ack;
   * otherwise it applies at once and may raise the IRQ.
   */
  setFilterMask(orMask: number, notMask: number): void {
    const raised = this.underEventLock((w) => {
      if ((w.load(Bus.HOST_EVENTS) & w.load(Bus.GUEST_FILTER)) !== 0) {
        const base = w.load(Bus.NEW_FILTER_OK) === 1 ? w.load(Bus.NEW_FILTER) : w.load(Bus.GUEST_FILTER);
        w.store(Bus.NEW_FILTER, (base | orMask) & ~notMask);
        w.store(Bus.NEW_FILTER_OK, 1);
        return false;
      }
      w.store(Bus.GUEST_FILTER, (w.load(Bus.GUEST_FILTER) | orMask) & ~notMask);
      return this.maybeSetIrqLocked(w);
    });
    if (raised) this.deliverIrq();
  }

  /** Lower the IRQ pin without acknowledging anything (ReportGuestInfo does this). */
  lowerIrq(): void {
    this.underEventLock((w) => w.store(Bus.IRQ_LINE, 0));
  }

  /** vmmdevR3HgcmAddCommand's first-command hook: switch the HGCM event on once. */
  enableHgcmEvents(): void {
    if (this.words.cell(Bus.HGCM_ENABLED).cas(0, 1) === 0) this.setFilterMask(VmmDevEvent.HGCM, 0);
  }

  /**
   * Deliver the raised interrupt. IrqDelivery.ALL: every vCPU is woken and the first to look runs the ISR.
   * IrqDelivery.ONE, as an I/O APIC in lowest-priority mode: one vCPU halted in an HGCM wait is woken (the
   * `hint` vCPU if it waits, else the next waiting one in rotation) and runs the ISR, which wakes the
   * waiters whose requests are done. With none waiting nobody is woken: the line stays up, and the next
   * vCPU to enter a wait sees it pending (its wait checks the line) and runs the ISR itself.
   */
  private deliverIrq(hint?: number): void {
    if (this.words.load(Bus.IRQ_DELIVERY) === IrqDelivery.ALL) {
      for (const w of this.wakes) w.bump();
      return;
    }
    // ORDER: the line was raised before this scan; a vCPU that enlists after the scan read its slot
    // checks the line after enlisting, so between the two every raised interrupt is taken.
    if (hint !== undefined && hint >= 0 && hint < this.vcpus && this.waitingOn(hint) !== 0) {
      this.wakes[hint]!.bump();
      return;
    }
    const start = this.words.add(Bus.IRQ_NEXT, 1) >>> 0;
    for (let k = 0; k < this.vcpus; k++) {
      const i = (start + k) % this.vcpus;
      if (this.waitingOn(i) !== 0) {
        this.wakes[i]!.bump();
        return;
      }
    }
  }

  /** What vCPU i's waiters wait for: 0 none, a request's address, or WAIT_ANY. */
  waitingOn(vcpu: number): number {
    return this.cpus.get(vcpu, VcpuSlot.WAIT_REQ);
  }

  /**
   * The port/IRQ API for vCPU i. With `handle`, a port write runs the device's request handler on the
   * vCPU's own thread (as an EMT does the `out` upstream) instead of ringing the device thread.
   */
  vcpuBus(vcpu: number, handle?: PortWriteHandler): VcpuBus {
    return new VcpuPorts(this, vcpu, handle);
  }

  /** Machine.signal(vcpu): post a signal to the thread running on that vCPU. */
  signal(vcpu: number): void {
    this.cpus.add(vcpu, VcpuSlot.SIGNAL, 1);
    this.wakes[vcpu]!.bump();
  }

  /** Does the request vCPU i is writing belong to a traced call? */
  traced(vcpu: number): boolean {
    return this.cpus.get(vcpu, VcpuSlot.TRACED) === 1;
  }

  /** Wake cell of vCPU i. */
  wake(vcpu: number): AtomicCell {
    const w = this.wakes[vcpu];
    if (w === undefined) throw new RangeError(`no vCPU ${vcpu}`);
    return w;
  }
}

/** The VcpuBus of one vCPU: the guest side of the port and IRQ wiring. */
class VcpuPorts implements VcpuBus {
  readonly vcpu: number;
  readonly vcpuCount: number;
  readonly wake: AtomicCell;
  private readonly bus: DeviceBus;
  private readonly cpus: SlotTable;
  private readonly signals: AtomicCell;
  private readonly handle: PortWriteHandler | undefined;

  constructor(bus: DeviceBus, vcpu: number, handle: PortWriteHandler | undefined) {
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= bus.vcpus) throw new RangeError(`no vCPU ${vcpu}`);
    this.bus = bus;
    this.vcpu = vcpu;
    this.vcpuCount = bus.vcpus;
    this.wake = bus.wake(vcpu);
    this.cpus = bus.cpus;
    this.signals = bus.cpus.cell(vcpu, VcpuSlot.SIGNAL);
    this.handle = handle;
  }

  *outRequest(phys: number): Proc<void> {
    if (this.handle !== undefined) {
      yield* this.handle(this.vcpu, phys);
      return;
    }
    const { cpus, vcpu } = this;
    cpus.set(vcpu, VcpuSlot.PORT_ADDR, phys | 0);
    // ORDER: address first, then the sequence number, then the doorbell (see DeviceBus.pendingPortWrite).
    const seq = cpus.add(vcpu, VcpuSlot.PORT_SEQ, 1) + 1;
    this.bus.doorbell.bump();
    yield waitFor(this.wake, () => cpus.get(vcpu, VcpuSlot.PORT_ACK) === seq, { hint: 'short' });
  }

  inFastAck(): number {
    return this.bus.acknowledgeEvents();
  }

  irqPending(): boolean {
    return this.bus.irqLine;
  }

  signalPending(): boolean {
    return this.signals.load() > 0;
  }

  consumeSignals(): number {
    return this.signals.exchange(0);
  }

  signal(vcpu: number): void {
    if (!Number.isInteger(vcpu) || vcpu < 0 || vcpu >= this.vcpuCount)
      throw new RangeError(`no vCPU ${vcpu}`);
    this.bus.signal(vcpu);
  }

  setWaiting(waiting: boolean, req = 0): void {
    const { cpus, vcpu } = this;
    // ORDER: the count first, then what the wait list says; a reader of WAIT_REQ alone sees "nobody" only
    // before the entry is there, and the waiter re-checks DONE and the line after this (no lost wake-up).
    // One waiter names its request; two or more (or one whose request is not known) read as WAIT_ANY.
    const before = cpus.add(vcpu, VcpuSlot.WAITING, waiting ? 1 : -1);
    const now = before + (waiting ? 1 : -1);
    cpus.set(vcpu, VcpuSlot.WAIT_REQ, now === 0 ? 0 : now === 1 && waiting && req !== 0 ? req | 0 : WAIT_ANY);
  }

  waitingOn(vcpu: number): number {
    return this.bus.waitingOn(vcpu);
  }

  wakeVcpu(vcpu: number): void {
    this.bus.wake(vcpu).bump();
  }

  setTraced(on: boolean): void {
    this.cpus.set(this.vcpu, VcpuSlot.TRACED, on ? 1 : 0);
  }

  wakeWaiters(): void {
    for (let i = 0; i < this.vcpuCount; i++) {
      if (this.cpus.get(i, VcpuSlot.WAITING) > 0) this.bus.wake(i).bump();
    }
  }
}
