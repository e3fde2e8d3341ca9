// The outcome oracle (I15): every call's end held against what the call asked for (its timeout, whether
// its wait may be interrupted) and the events that reached it (a deadline, a signal, DONE). Both
// executors: the ledger's status and times everywhere; under the sim also the monitor's facts (when the
// wait began, how and when it ended, whether a signal was really pending, the result the host wrote).
// Rules (reference: cancel-race.md 1.1 items 3-4, 1.3 "interruptible wait" and "return codes"):
//   O1 an infinite timeout never ends by timeout
//   O2 a timed-out wait waited its timeout, no less
//   O3 ... and, where virtual time is realistic, no more (the deadline is the instant it wakes)
//   O4 a signal ends only an interruptible wait
//   O5 a wait ends by a signal only if a signal was sent to its vCPU
//   O6 the status matches the path taken (sync, completed, cancelled, leaked, completed in the grace)
import { RT_INDEFINITE_WAIT, RT_SUCCESS, Status } from '../../src/abi/index.js';
import type { WaitOutcome } from '../../src/runtime/index.js';
import { waitDeclared, type CallRecord, type Workload } from '../workload.js';

/** How a call's wait ended, as the sim saw it. */
export interface WaitEnd {
  /** 'none': the call went to its cancel path without a wait ending (wait-alloc-fail). */
  readonly how: WaitOutcome | 'none';
  /** Executor time of the step the wait ended at. */
  readonly at: number;
  /** A signal was pending on the call's vCPU at that step. */
  readonly signalled: boolean;
}

/** What the sim's monitor saw of one call (undefined on threads). */
export interface CallFacts {
  /** When the call's wait began: its deadline is base + timeout. */
  base: number | undefined;
  /** The last wait of the call that ended (it loops on spurious wake-ups). */
  last: WaitEnd | undefined;
  /** Why the call went to its cancel path: the wait end it had when it sent the cancel. */
  cancelled: WaitEnd | undefined;
}

/** What the outcome checks need. */
export interface OutcomeInput {
  readonly workload: Workload;
  /** Every fault on in the main phase (the workload's and the run's mutations). */
  readonly faults: readonly string[];
  readonly calls: readonly CallRecord[];
  /** Sim: the monitor's facts of a call. */
  readonly facts?: (c: CallRecord) => CallFacts | undefined;
  /** Sim: the result the host wrote back into the call's request, if it wrote one. */
  readonly written?: (c: CallRecord) => number | undefined;
  /** Virtual time moved only when nothing could run (the sim's 'realistic' profile): O3 applies. */
  readonly realistic: boolean;
  /** Threads: when a signal was posted to each vCPU (the ledger's clock). */
  readonly signalTimes?: readonly (readonly number[])[];
}

/** A broken rule: which call, and why. */
export interface OutcomeProblem {
  readonly actor: string;
  readonly detail: string;
}

/** Every call whose end contradicts what it asked for. */
export function checkOutcomes(i: OutcomeInput): OutcomeProblem[] {
  const out: OutcomeProblem[] = [];
  for (const c of i.calls) {
    const bad = callProblem(i, c);
    if (bad !== undefined)
      out.push({ actor: `g${c.thread}`, detail: `call ${c.tag} (${describe(i, c)}): ${bad}` });
  }
  return out;
}

function describe(i: OutcomeInput, c: CallRecord): string {
  const d = waitDeclared(i.workload, c);
  const t = d.timeoutMs === RT_INDEFINITE_WAIT ? 'infinite' : `${d.timeoutMs} ms`;
  return `${t} timeout, ${d.interruptible ? 'interruptible' : 'uninterruptible'}, ended ${c.outcome} rc ${c.rc}`;
}

/** The first rule call `c` breaks, or undefined. */
function callProblem(i: OutcomeInput, c: CallRecord): string | undefined {
  const w = i.workload;
  const d = waitDeclared(w, c);
  const infinite = d.timeoutMs === RT_INDEFINITE_WAIT;
  const f = i.facts?.(c);
  const cancelled = c.cancelRc !== undefined;
  // VBoxGuest: an interruptible wait whose wait record cannot be allocated ends at once, as interrupted.
  const allocFail =
    d.interruptible && w.config.guest?.flavor !== 'linux' && i.faults.includes('wait-alloc-fail');
  const timedOut = c.rc === Status.VERR_TIMEOUT || f?.cancelled?.how === 'timeout';
  const interrupted = c.rc === Status.VERR_INTERRUPTED || f?.cancelled?.how === 'signal';
  if (infinite && timedOut) return 'O1: an infinite timeout ended by timeout';
  if (interrupted && !d.interruptible) return 'O4: an uninterruptible wait ended by a signal';
  // O2/O3: when the wait ended against when it began.
  const end = f?.cancelled;
  if (end?.how === 'timeout' && f?.base !== undefined) {
    const waited = end.at - f.base;
    if (waited < d.timeoutMs) return `O2: timed out after ${waited} ms of its ${d.timeoutMs} ms timeout`;
    if (i.realistic && waited > d.timeoutMs)
      return `O3: timed out ${waited - d.timeoutMs} ms after its deadline (realistic time wakes it at the deadline)`;
  } else if (c.rc === Status.VERR_TIMEOUT && f === undefined && c.end - c.start < d.timeoutMs) {
    return `O2: returned VERR_TIMEOUT ${(c.end - c.start).toFixed(1)} ms after it began, before its ${d.timeoutMs} ms timeout`;
  }
  // O5: a signal that ended a wait was really there.
  if (end?.how === 'signal' && !end.signalled) return 'O5: its wait ended by a signal while none was pending';
  if (c.rc === Status.VERR_INTERRUPTED && f === undefined && !allocFail && i.signalTimes !== undefined) {
    const vcpu = w.threads[c.thread]?.vcpu ?? -1;
    if (!(i.signalTimes[vcpu] ?? []).some((at) => at <= c.end))
      return `O5: VERR_INTERRUPTED but no signal was posted to vCPU ${vcpu} before it returned`;
  }
  if (end?.how === 'none' && !allocFail) return 'O6: went to the cancel path although its wait never ended';
  if (end?.how === 'ok') return 'O6: went to the cancel path after a wait that ended normally';
  return statusProblem(i, c, f, cancelled);
}

/** The status a wait that ended `how` gives the call (a timeout's, an interruption's), if any. */
function waitRc(how: WaitEnd['how'] | undefined): number | undefined {
  return how === 'timeout'
    ? Status.VERR_TIMEOUT
    : how === 'signal' || how === 'none'
      ? Status.VERR_INTERRUPTED
      : undefined;
}

/** O6: the status the call returned against the path it took. */
function statusProblem(
  i: OutcomeInput,
  c: CallRecord,
  f: CallFacts | undefined,
  cancelled: boolean,
): string | undefined {
  if (f !== undefined && (f.cancelled !== undefined) !== cancelled)
    return cancelled
      ? `O6: reports cancel rc ${c.cancelRc} but never sent a cancel`
      : 'O6: sent a cancel but reports none';
  switch (c.outcome) {
    case 'sync':
      if (cancelled || c.rc === Status.VERR_TIMEOUT || c.rc === Status.VERR_INTERRUPTED)
        return `O6: answered in the port write, yet rc ${c.rc}${cancelled ? ' and a cancel' : ''}`;
      return undefined;
    case 'cancelled':
    case 'leaked': {
      if (c.rc !== Status.VERR_TIMEOUT && c.rc !== Status.VERR_INTERRUPTED)
        return `O6: ${c.outcome} but rc ${c.rc} (a call that stopped waiting returns the wait's VERR_TIMEOUT or VERR_INTERRUPTED)`;
      const want = waitRc(f?.cancelled?.how);
      if (want !== undefined && c.rc !== want)
        return `O6: its wait ended by ${f!.cancelled!.how} but it returned rc ${c.rc}`;
      if (c.outcome === 'cancelled' && !RT_SUCCESS(c.cancelRc ?? -1))
        return `O6: cancelled but its cancel failed (${c.cancelRc})`;
      return undefined;
    }
    case 'completed': {
      if (c.rc !== Status.VINF_SUCCESS) return `O6: completed with rc ${c.rc}`;
      const host = i.written?.(c);
      if (i.written !== undefined && host !== undefined && c.result !== host)
        return `O6: completed with result ${c.result}, but the host wrote ${host}`;
      return undefined;
    }
    default:
      return `O6: the call never ended (outcome ${String(c.outcome)})`;
  }
}
