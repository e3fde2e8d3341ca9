// The guest library's steps as the faults of runtime/faults.ts replace them: each wrong version is written
// in terms of the correct steps it is handed, so the protocol files (hgcm-call.ts, hgcm-wait.ts,
// hgcm-cancel.ts) hold only the rules. Those files import this one, so it imports only types from them
// (a value import would be a cycle). Runs wherever those steps run: the calling vCPU.
import { HgcmReqFlag, RT_INDEFINITE_WAIT, Status, VMMDevHGCMRequestHeader } from '../abi/index.js';
import { gpa, type FaultVariants } from '../runtime/index.js';
import type { CallSteps, DoCallResult } from './hgcm-call.js';
import type { CancelSteps } from './hgcm-cancel.js';
import { requestDone } from './gr.js';
import type { WaitSteps } from './hgcm-wait.js';

/** Faults of VbglR0HGCMInternalCall (hgcm-call.ts). */
export const CALL_FAULTS: FaultVariants<CallSteps> = {
  // A request whose cancel failed and whose DONE never came is freed, not leaked.
  'skip-leak': (s) => ({
    finish: (k, a, info, parms, bounces, done) =>
      s.finish(k, a, info, parms, bounces, { ...done, cancel: undefined }),
  }),
  // Quarantined blocks go back to the free list (the heap's broken quarantine).
  'quarantine-reuse': (s) => ({
    finish: (k, a, info, parms, bounces, done) => s.finish(k, a, info, parms, bounces, done, true),
  }),
  // A timed-out wait is reported as a completed call, without cancelling.
  'timeout-as-done': () => ({
    *cancelAfterWait() {
      return { rc: Status.VINF_SUCCESS, sync: false, cancel: undefined };
    },
  }),
  // The timeout read as a signed number: RT_INDEFINITE_WAIT is -1, a deadline already past.
  'infinite-timeout-expires': () => ({ deadline: (k, timeoutMs) => k.clock.now() + (timeoutMs | 0) }),
  // The timeout converted in the wrong unit (milliseconds taken for 4 ms ticks, or the other way round).
  'timeout-unit-short': (s) => ({
    deadline: (k, timeoutMs) =>
      timeoutMs >>> 0 === RT_INDEFINITE_WAIT
        ? s.deadline(k, timeoutMs)
        : k.clock.now() + Math.floor(timeoutMs / 4),
  }),
  'timeout-unit-long': (s) => ({
    deadline: (k, timeoutMs) =>
      timeoutMs >>> 0 === RT_INDEFINITE_WAIT ? s.deadline(k, timeoutMs) : k.clock.now() + timeoutMs * 4,
  }),
  // The request is freed as soon as the wait ends, before the cancel (the host may still hold it: ABA on
  // its address); for such a call nothing is copied back or freed afterwards.
  'free-before-cancel': (s) => {
    const freedEarly = new WeakSet<DoCallResult>();
    return {
      *cancelAfterWait(k, req, w, cbReq, fn, cParms) {
        k.heap.free(req);
        const r = yield* s.cancelAfterWait(k, req, w, cbReq, fn, cParms);
        freedEarly.add(r);
        return r;
      },
      *finish(k, a, info, parms, bounces, done, leaky) {
        if (freedEarly.has(done)) return 0;
        return yield* s.finish(k, a, info, parms, bounces, done, leaky);
      },
    };
  },
};

/** Faults of the wait and the ISR (hgcm-wait.ts). */
export const WAIT_FAULTS: FaultVariants<WaitSteps> = {
  // HOST FAULT: VBoxGuest cannot allocate the wait record; interruptible waits end at once as interrupted.
  'wait-alloc-fail': () => ({ waitRecord: () => false }),
  // The sleep does not re-check DONE: it lasts until the next wake-up after it starts, so a completion
  // between the check and the sleep is lost until the deadline.
  'no-recheck-done': () => ({
    wakeWhen: (k) => {
      const woken = k.bus.wake.load();
      return () => k.bus.wake.load() !== woken;
    },
  }),
  // The ISR acknowledges events but wakes no waiter, and sleepers wait for DONE alone (as Linux's
  // wait_event does). Either half alone keeps the rule: interrupt delivery wakes every vCPU, and a sleeper
  // that sees the interrupt pending runs the ISR itself.
  'isr-no-wake': () => ({
    wakeWhen: (k, req) => () => requestDone(k, req),
    wakeWaiters: () => undefined,
  }),
  // Interruptible waits ignore signals.
  'signal-ignored': () => ({ signal: () => undefined }),
  // A pending signal ends every wait, whether the caller made it interruptible or not.
  'uninterruptible-signalled': () => ({ signal: (k) => () => k.bus.signalPending() }),
  // The signal test reads a machine-wide "a signal was delivered" record instead of the vCPU's own pending
  // signal: once any wait was interrupted, every interruptible wait ends as interrupted, unsignalled.
  'phantom-signal': (s) => ({
    signal: (k, interruptible) => {
      const real = s.signal(k, interruptible);
      return real === undefined ? undefined : () => real() || k.stats.get('guest.interrupts') > 0;
    },
  }),
  // The ISR wakes nobody, but sleepers still wake for the line: with the interrupt delivered to one vCPU,
  // a waiter whose completion coalesced into another vCPU's interrupt sleeps on.
  'isr-wakes-nobody': () => ({ wakeWaiters: () => undefined }),
  // When completions coalesce into one interrupt (the waiters of two vCPUs or more are done by the ack),
  // the ISR takes the event for something other than one completion and drops it: it wakes nobody. One
  // completion per interrupt is handled right, so only coalescing shows it.
  'isr-coalesced-drop': (s) => ({
    wakeWaiters: (k) => {
      const { bus } = k;
      let done = 0;
      for (let i = 0; i < bus.vcpuCount; i++) {
        const w = bus.waitingOn(i);
        if (w !== 0 && w !== -1 && requestDone(k, gpa(w >>> 0))) done++;
      }
      if (done < 2) s.wakeWaiters(k);
    },
  }),
  // The ISR wakes the waiters whose requests are not done (and any it cannot tell apart), not those done.
  'isr-wrong-waiter': () => ({
    wakeWaiters: (k) => {
      const { bus } = k;
      for (let i = 0; i < bus.vcpuCount; i++) {
        const w = bus.waitingOn(i);
        if (w !== 0 && i !== bus.vcpu && (w === -1 || !requestDone(k, gpa(w >>> 0)))) bus.wakeVcpu(i);
      }
    },
  }),
};

/** Faults of the cancel path (hgcm-cancel.ts). */
export const CANCEL_FAULTS: FaultVariants<CancelSteps> = {
  // HOST FAULT: VbglR0GRAlloc of the Cancel2 request fails, as on a full guest heap.
  'cancel2-alloc-fail': () => ({
    *allocCancel2() {
      return Status.VERR_NO_MEMORY;
    },
  }),
  // The legacy fallback stores CANCELLED with a plain write, losing a DONE the host set meanwhile.
  'plain-flags-store': () => ({
    markCancelled: (k, req) =>
      k.mem.writeU32(req, VMMDevHGCMRequestHeader.off.fu32Flags, HgcmReqFlag.CANCELLED),
  }),
  // 2000 ms after VERR_NOT_FOUND and 500 ms otherwise (swapped).
  'wrong-grace': (s) => ({ graceMs: (k, notFound) => s.graceMs(k, !notFound) }),
  // No grace wait after a failed cancel.
  'no-grace': () => ({ graceMs: () => 0 }),
  // On a host without HGCMCancel2 the legacy fallback is skipped, even by a flavour that has it.
  'no-fallback': () => ({ fallsBack: () => false }),
};
