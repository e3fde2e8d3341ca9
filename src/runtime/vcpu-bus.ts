// The guest's only way to the device: a port write, the fast IRQ-ack port read, the IRQ line, and the
// wake/signal words of its vCPUs. The guest library (src/vcpu) is written against this interface; the
// device (src/vmmdev) implements it; the composition root hands one to each vCPU.
import type { AtomicCell } from './atomic-cell.js';
import type { Proc } from './proc.js';

/** What a vCPU's guest code can do to the device and to other vCPUs. */
export interface VcpuBus {
  /** This vCPU's index. */
  readonly vcpu: number;
  /** Number of vCPUs in the machine. */
  readonly vcpuCount: number;
  /**
   * `outl(VMMDEV_PORT_OFF_REQUEST, phys)`: synchronous like the real instruction; returns once the device
   * has handled the request (for HGCM, once it has accepted or refused the call).
   */
  outRequest(phys: number): Proc<void>;
  /** `inl(VMMDEV_PORT_OFF_REQUEST_FAST)`: acknowledge and return the pending, unmasked events. */
  inFastAck(): number;
  /** The IRQ line: true while an unmasked event is pending (VMMDevMemory.fHaveEvents). */
  irqPending(): boolean;
  /** This vCPU's wake word: port acks, IRQ delivery and signals bump it. */
  readonly wake: AtomicCell;
  /** Pending signals for this vCPU (Machine.signal). */
  signalPending(): boolean;
  /**
   * Post a signal to the thread running on vCPU `vcpu` (the guest kernel's signal_wake_up / an IPI): what
   * Machine.signal does from outside, done by guest code (the FUSE front turns FUSE_INTERRUPT into it).
   */
  signal(vcpu: number): void;
  /** The guest kernel delivered the pending signal(s) to the thread: clear them. */
  consumeSignals(): number;
  /**
   * Enter (true) or leave (false) the HGCM wait list, entering with the request waited for (its address;
   * 0 when none is known): the interrupt goes to a vCPU in the list, and the ISR wakes the entries it must.
   */
  setWaiting(waiting: boolean, req?: number): void;
  /** Linux's wake_up() of the HGCM wait queue: bump the wake word of every vCPU in the wait list. */
  wakeWaiters(): void;
  /** What vCPU `vcpu`'s wait list entries wait for: 0 none, a request's address, or -1 (any: wake it). */
  waitingOn(vcpu: number): number;
  /** Wake vCPU `vcpu` (bump its wake word): the ISR waking one wait list entry. */
  wakeVcpu(vcpu: number): void;
  /** Tell the device whether the next request belongs to a traced call (instrumentation, not guest state). */
  setTraced(on: boolean): void;
}
