// Waiting for an HGCM request to complete, and the guest's interrupt handler; models VBoxGuest's
// vgdrvHgcmAsyncWaitCallbackWorker and VGDrvCommonISR, and Linux's wait_event_interruptible_timeout on
// hgcm_wq with vbg_core_isr. A vCPU sleeps on its own wake word, never on guest RAM; after every wake it
// re-checks, in order: DONE, a pending signal, its deadline. A waiter enters the wait list with its
// request; the interrupt reaches one vCPU in the list (or every vCPU: MachineConfig.irqDelivery), which
// runs the ISR: it acknowledges the events and wakes the waiters whose requests are done (VBoxGuest) or
// every waiter to re-check (Linux). A vCPU entering a wait while the line is up runs the ISR itself.
// Runs on the waiting vCPU.
import { RequestType, VMMDevEvents, VmmDevEvent, RT_SUCCESS } from '../abi/index.js';
import { FaultSteps, gpa, type GuestAddress, point, type Proc, traced, waitFor } from '../runtime/index.js';
import { WAIT_FAULTS } from './fault-steps.js';
import { grPerform, requestDone } from './gr.js';
import type { GuestKernel } from './kernel.js';

/** How a wait ended. */
export type HgcmWaitResult = 'done' | 'timeout' | 'signal';

const OUTCOME_CODE: Readonly<Record<HgcmWaitResult, number>> = { done: 0, timeout: 1, signal: 2 };

/**
 * vgdrvHgcmAsyncWaitCallback: wait for DONE on `req` until `deadline` (absolute, the kernel clock;
 * Infinity = forever). `interruptible`: a signal ends the wait (it stays pending for the caller to deliver).
 */
export const hgcmWait = traced(
  {
    span: 'vgdrvHgcmAsyncWaitCallback',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (_k, req) => [req, 0],
    status: (r) => OUTCOME_CODE[r],
  },
  function* hgcmWait(
    k: GuestKernel,
    req: GuestAddress,
    deadline: number,
    interruptible: boolean,
  ): Proc<HgcmWaitResult> {
    const { bus } = k;
    const s = WAIT.in(k.faults);
    for (;;) {
      yield point('guest.checkDone', req);
      if (requestDone(k, req)) return 'done';
      // VBoxGuest allocates a wait record for an interruptible wait; without one it is interrupted at once.
      if (interruptible && k.flavor.name !== 'linux' && !s.waitRecord(k)) return 'signal';
      // Enlist in the wait list before sleeping; the wait re-checks its condition after reading the wake
      // word, so a completion between the check above and the sleep is never missed.
      bus.setWaiting(true, req);
      yield point('guest.sleep', req);
      // (The wait's effect is yielded here, not through wait(): one generator fewer on every sleep.)
      const outcome =
        (yield waitFor(bus.wake, s.wakeWhen(k, req), {
          deadline,
          signal: s.signal(k, interruptible),
          hint: 'long',
        })) ?? 'ok';
      bus.setWaiting(false);
      k.tracer.instant('wake', req);
      yield point('guest.wake', req);
      if (bus.irqPending()) yield* isr(k);
      if (requestDone(k, req)) return 'done';
      if (outcome === 'ok') continue;
      return outcome;
    }
  },
);

/** What ends a sleep besides the deadline: DONE, or an interrupt (whose ISR wakes every waiter). */
function wakeWhen(k: GuestKernel, req: GuestAddress): () => boolean {
  return () => requestDone(k, req) || k.bus.irqPending();
}

/** For an interruptible wait: is a signal pending? */
function signal(k: GuestKernel, interruptible: boolean): (() => boolean) | undefined {
  return interruptible ? () => k.bus.signalPending() : undefined;
}

/** VBoxGuest's wait record for an interruptible wait: the allocation succeeds. */
function waitRecord(_k: GuestKernel): boolean {
  return true;
}

/**
 * The grace wait after a failed cancel: up to `ms` for DONE, not interruptible. 'irq' (Linux
 * wait_event_timeout) sleeps until an interrupt or the end; 'poll' (VirtualBox) checks DONE every 1 ms
 * without relying on the interrupt. True if DONE came.
 */
export const graceWait = traced(
  {
    span: 'graceWait',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (_k, req, ms) => [req, ms],
    status: (done) => (done ? 1 : 0),
  },
  function* graceWait(k: GuestKernel, req: GuestAddress, ms: number, mode: 'irq' | 'poll'): Proc<boolean> {
    const end = k.clock.now() + ms;
    for (;;) {
      yield point('guest.graceCheck', req);
      if (requestDone(k, req)) return true;
      const now = k.clock.now();
      if (now >= end) return false;
      if (mode === 'irq') k.bus.setWaiting(true, req);
      yield waitFor(k.bus.wake, () => requestDone(k, req) || (mode === 'irq' && k.bus.irqPending()), {
        deadline: mode === 'poll' ? Math.min(end, now + 1) : end,
        hint: 'long',
      });
      if (mode === 'irq') {
        k.bus.setWaiting(false);
        if (k.bus.irqPending()) yield* isr(k);
      }
    }
  },
);

/**
 * VGDrvCommonISR: acknowledge pending events (fast port read, or an AcknowledgeEvents request), and on
 * VMMDEV_EVENT_HGCM wake the waiters (the flavour's isrWake). A failed acknowledge wakes nobody (Linux
 * returns IRQ_NONE).
 */
export const isr = traced(
  { span: 'VGDrvCommonISR', tracer: (k: GuestKernel) => k.tracer },
  function* isr(k: GuestKernel): Proc<void> {
    const { bus } = k;
    k.stats.add('guest.isr');
    yield point('irq.ack');
    let events: number;
    if (k.ackRequest !== undefined) {
      const req = k.ackRequest;
      k.mem.writeU32(req, 8, RequestType.AcknowledgeEvents);
      k.mem.writeU32(req, VMMDevEvents.off.events, 0);
      const rc = yield* grPerform(k, req);
      if (!RT_SUCCESS(rc)) return;
      events = k.mem.readU32(gpa(req), VMMDevEvents.off.events);
    } else {
      events = bus.inFastAck();
      if (events === 0xffffffff) return;
    }
    if ((events & VmmDevEvent.HGCM) !== 0) {
      yield point('irq.wake');
      WAIT.in(k.faults).wakeWaiters(k);
    }
  },
);

/**
 * The ISR's wake-up on VMMDEV_EVENT_HGCM. Linux (wake_up_all on hgcm_wq): every vCPU with a waiter
 * re-checks. VBoxGuest (the HGCMWaitList walk): only vCPUs whose waiter's request is DONE, and those whose
 * entries cannot be told apart (WAIT_ANY); this vCPU's own entry is the request it re-checks on return.
 */
function wakeWaiters(k: GuestKernel): void {
  const { bus } = k;
  if (k.flavor.isrWake === 'queue') {
    bus.wakeWaiters();
    return;
  }
  for (let i = 0; i < bus.vcpuCount; i++) {
    const w = bus.waitingOn(i);
    if (w === 0 || (i === bus.vcpu && w !== -1)) continue;
    // ORDER: DONE is set before the event that raised this interrupt was latched, and the ack above came
    // after that latch; a DONE set after the ack raises an interrupt of its own.
    if (w === -1 || requestDone(k, gpa(w >>> 0))) bus.wakeVcpu(i);
  }
}

/** The steps of a wait that faults replace (their wrong versions: fault-steps.ts). */
export interface WaitSteps {
  readonly wakeWhen: typeof wakeWhen;
  readonly signal: typeof signal;
  readonly waitRecord: typeof waitRecord;
  readonly wakeWaiters: typeof wakeWaiters;
}

const WAIT = new FaultSteps<WaitSteps>({ wakeWhen, signal, waitRecord, wakeWaiters }, WAIT_FAULTS);
