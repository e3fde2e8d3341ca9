// Coverage: the scenario classes a run reached. The sim's monitor tags what it sees step by step
// (doneBeforeSleep, cancelAtRemove, abaReuse, ...); the tags here come from how the calls ended, so the
// threads executor reports them too. A campaign fails if a class its scenarios catalogue was never hit.
import { RT_INDEFINITE_WAIT, RT_SUCCESS, Status } from '../src/abi/index.js';
import type { Ledger, Workload } from './workload.js';

/** Every class, with what reaching it means. */
export const CLASSES: Readonly<Record<string, string>> = {
  sync: 'the host answered in the port write (no ASYNC)',
  completed: 'a call completed without a cancel',
  completedData: 'a completed call brought its buffers back',
  doneBeforeSleep: "DONE was set between the guest's DONE check and its sleep",
  cancelled: 'a cancel succeeded',
  cancelWhileQueued: 'a cancel marked a command no host worker had taken yet',
  cancelWhileRunning: 'a cancel marked a command its service was working on',
  completedCancelled: 'a completion found its command cancelled and wrote nothing',
  doneBeforeCancel: 'S5a: the call completed before its cancel was sent (cancel NOT_FOUND)',
  graceCompleted: 'S5b: the cancel failed and DONE came during the grace',
  leak: 'S5b/S9/S10: the cancel failed and DONE missed the grace: leaked',
  cancelAtRemove: 'S5c: the cancel marked the command while its completion was at its remove step',
  signal: 'a signal ended a wait',
  signalInfinite: 'a signal ended an infinite wait',
  signalInGrace: 'a signal came during a grace wait (ignored)',
  fallback: 'old host: the legacy HGCMCancel fallback was taken',
  fallbackNotFound: 'old host: the fallback lost the race (not found)',
  noFallback: 'old host, trunk guest: no fallback, the long grace',
  cancelOther: 'the cancel failed for another reason than not found',
  waitAllocFail: 'an interruptible wait failed to allocate and ended at once',
  hostDrop: 'the host lost a call: leaked, never written',
  leakLateWrite: 'a leaked call was written later (into quarantine)',
  abaReuse: 'a new call got the address of a command still pending',
  disconnectPending: 'a disconnect came while a call of its client was pending',
  concurrentCancels: 'two threads were cancelling at once',
  heapContention: 'requests of several threads were in flight at once',
  coalescedIrq: 'a completion found the interrupt already raised (one IRQ, several DONEs)',
  isrWakesOther: "an ISR woke another thread's waiter",
  signalDuringConnect: 'a signal came while a connect or disconnect waited (never cancelled)',
  timeoutZero: 'a call with timeout 0 went straight to the cancel path',
  infiniteCompleted: 'a call with an infinite timeout completed',
  fileOk: 'a file write completed',
  fileInfo: 'a file write was cancelled or leaked (indeterminate)',
};

/**
 * Classes a threads campaign must reach: those it can see (from the ledger and its point log; the rest
 * need the sim's model) and that real timing reaches within a few iterations. The fallback's lost race
 * (fallbackNotFound) is visible but needs the host to beat two port round trips: a window for the sim.
 */
export const THREADS_CLASSES: ReadonlySet<string> = new Set([
  'sync',
  'completed',
  'completedData',
  'cancelled',
  'completedCancelled',
  'graceCompleted',
  'leak',
  'signal',
  'signalInfinite',
  'fallback',
  'noFallback',
  'cancelOther',
  'waitAllocFail',
  'hostDrop',
  'timeoutZero',
  'infiniteCompleted',
  'fileOk',
  'fileInfo',
]);

/** Tags from the ledger and counters of a finished run (executor-independent). */
export function outcomeTags(ledger: Ledger, w: Workload, hostDropped: number): Set<string> {
  const tags = new Set<string>();
  const waitAllocFail = (w.config.faults ?? []).includes('wait-alloc-fail');
  for (const c of ledger.calls) {
    const o = c.outcome;
    if (o === 'sync' && c.request !== undefined) tags.add('sync');
    if (o === 'completed' && c.cancelRc === undefined) {
      tags.add('completed');
      if (c.dataOk === true && c.plan.bytes > 0) tags.add('completedData');
      if (c.plan.timeoutMs === RT_INDEFINITE_WAIT) tags.add('infiniteCompleted');
    }
    if (o === 'cancelled') tags.add('cancelled');
    if (o === 'completed' && c.cancelRc !== undefined && !RT_SUCCESS(c.cancelRc)) tags.add('graceCompleted');
    if (o === 'leaked') {
      tags.add('leak');
      if (hostDropped > 0) tags.add('hostDrop');
    }
    if (c.cancelRc !== undefined) {
      if (c.plan.timeoutMs === 0) tags.add('timeoutZero');
      if (c.fallback) tags.add('fallback');
      if (c.fallback && c.cancelRc === Status.VERR_NOT_FOUND) tags.add('fallbackNotFound');
      if (c.cancelRc === Status.VERR_NOT_IMPLEMENTED) tags.add('noFallback');
      if (!RT_SUCCESS(c.cancelRc) && c.cancelRc !== Status.VERR_NOT_FOUND) tags.add('cancelOther');
    }
    if (c.rc === Status.VERR_INTERRUPTED) {
      if (waitAllocFail) tags.add('waitAllocFail');
      else {
        tags.add('signal');
        if (c.plan.timeoutMs === RT_INDEFINITE_WAIT) tags.add('signalInfinite');
      }
    }
    if (c.plan.op === 'write' && o === 'completed') tags.add('fileOk');
    if (c.plan.op === 'write' && (o === 'cancelled' || o === 'leaked')) tags.add('fileInfo');
  }
  return tags;
}
