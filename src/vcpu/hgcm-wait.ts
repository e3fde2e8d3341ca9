// Waiting for an HGCM request to complete, and the guest's interrupt handler; models VBoxGuest's
// vgdrvHgcmAsyncWaitCallbackWorker and VGDrvCommonISR, and Linux's wait_event_interruptible_timeout on
// hgcm_wq with vbg_core_isr. A vCPU sleeps on its own wake word, never on guest RAM; after every wake it
// re-checks, in order: DONE, a pending signal, its deadline. An interrupt wakes every vCPU; whichever looks
// first runs the ISR, which acknowledges the events and wakes every HGCM waiter to re-check DONE.
import {
  HgcmReqFlag,
  RequestType,
  VMMDevEvents,
  VMMDevHGCMRequestHeader,
  VmmDevEvent,
  RT_SUCCESS,
} from '../abi/index.js';
import { gpa, type GuestAddress } from '../runtime/address.js';
import { point, wait, waitFor, type Proc } from '../runtime/proc.js';
import { grPerform } from './gr.js';
import type { GuestKernel } from './kernel.js';

/** How a wait ended. */
export type HgcmWaitResult = 'done' | 'timeout' | 'signal';

/** Is VBOX_HGCM_REQ_DONE set on the request? */
export function requestDone(k: GuestKernel, req: GuestAddress): boolean {
  return (k.mem.load32(req, VMMDevHGCMRequestHeader.off.fu32Flags) & HgcmReqFlag.DONE) !== 0;
}

/**
 * Wait for DONE on `req` until `deadline` (absolute, the kernel clock; Infinity = forever).
 * `interruptible`: a signal ends the wait (the signal stays pending for the caller to deliver).
 */
export function* hgcmWait(
  k: GuestKernel,
  req: GuestAddress,
  deadline: number,
  interruptible: boolean,
): Proc<HgcmWaitResult> {
  k.tracer.begin('vgdrvHgcmAsyncWaitCallback', req);
  const r = yield* waitDone(k, req, deadline, interruptible);
  k.tracer.end('vgdrvHgcmAsyncWaitCallback', req, r === 'done' ? 0 : r === 'timeout' ? 1 : 2);
  return r;
}

function* waitDone(
  k: GuestKernel,
  req: GuestAddress,
  deadline: number,
  interruptible: boolean,
): Proc<HgcmWaitResult> {
  const { bus, faults } = k;
  const signal = interruptible && !faults.on('signal-ignored') ? () => bus.signalPending() : undefined;
  // MUTATION no-recheck-done: sleep until the next wake-up after the sleep starts, not until DONE: a
  // completion between the check and the sleep is lost until the deadline.
  const recheck = !faults.on('no-recheck-done');
  // MUTATION isr-no-wake (second half): sleepers wait for DONE alone, as Linux's wait_event does, so only
  // the ISR's wake-up reaches a waiter whose DONE came while the interrupt was already raised. (Without
  // this half the mutant is equivalent: interrupt delivery wakes every vCPU, and a sleeper that sees the
  // interrupt pending runs the ISR itself.)
  const irqWakes = !faults.on('isr-no-wake');
  for (;;) {
    yield point('guest.checkDone', req);
    if (requestDone(k, req)) return 'done';
    // HOST FAULT wait-alloc-fail: VBoxGuest could not allocate the wait record (VERR_INTERRUPTED at once).
    if (interruptible && k.flavor.name !== 'linux' && faults.on('wait-alloc-fail')) return 'signal';
    // Enlist in the wait list before sleeping; the wait effect re-checks DONE after reading the wake word,
    // so a completion between the check above and the sleep is never missed.
    bus.setWaiting(true);
    yield point('guest.sleep', req);
    const woken = bus.wake.load();
    const outcome = yield* wait(
      waitFor(
        bus.wake,
        recheck
          ? () => requestDone(k, req) || (irqWakes && bus.irqPending())
          : () => bus.wake.load() !== woken,
        {
          deadline,
          ...(signal ? { signal } : {}),
          hint: 'long',
        },
      ),
    );
    bus.setWaiting(false);
    k.tracer.instant('wake', req);
    yield point('guest.wake', req);
    if (bus.irqPending()) yield* isr(k);
    if (requestDone(k, req)) return 'done';
    if (outcome === 'ok') continue;
    return outcome;
  }
}

/**
 * The grace wait after a failed cancel: up to `ms` for DONE, not interruptible. 'irq' (Linux
 * wait_event_timeout) sleeps until an interrupt or the end; 'poll' (VirtualBox) checks DONE every 1 ms
 * without relying on the interrupt. True if DONE came.
 */
export function* graceWait(
  k: GuestKernel,
  req: GuestAddress,
  ms: number,
  mode: 'irq' | 'poll',
): Proc<boolean> {
  k.tracer.begin('graceWait', req, ms);
  const done = yield* graceLoop(k, req, ms, mode);
  k.tracer.end('graceWait', req, done ? 1 : 0);
  return done;
}

function* graceLoop(k: GuestKernel, req: GuestAddress, ms: number, mode: 'irq' | 'poll'): Proc<boolean> {
  const end = k.clock.now() + ms;
  for (;;) {
    yield point('guest.graceCheck', req);
    if (requestDone(k, req)) return true;
    const now = k.clock.now();
    if (now >= end) return false;
    if (mode === 'irq') k.bus.setWaiting(true);
    yield* wait(
      waitFor(k.bus.wake, () => requestDone(k, req) || (mode === 'irq' && k.bus.irqPending()), {
        deadline: mode === 'poll' ? Math.min(end, now + 1) : end,
        hint: 'long',
      }),
    );
    if (mode === 'irq') {
      k.bus.setWaiting(false);
      if (k.bus.irqPending()) yield* isr(k);
    }
  }
}

/**
 * The guest ISR: acknowledge pending events (fast port read, or an AcknowledgeEvents request), and on
 * VMMDEV_EVENT_HGCM wake every waiter. A failed acknowledge wakes nobody (Linux returns IRQ_NONE).
 */
export function* isr(k: GuestKernel): Proc<void> {
  if (!k.bus.irqPending()) return;
  k.tracer.begin('VGDrvCommonISR');
  yield* acknowledgeAndWake(k);
  k.tracer.end('VGDrvCommonISR');
}

function* acknowledgeAndWake(k: GuestKernel): Proc<void> {
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
    if (!k.faults.on('isr-no-wake')) bus.wakeWaiters();
  }
}
