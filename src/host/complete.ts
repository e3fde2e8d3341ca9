// HGCM command completion (hgcmCompletedWorker, vmmdevR3HgcmCompleteCallRequest in VMMDevHGCM.cpp):
// take the command off the pending list, THEN look at its cancel mark; a cancelled command is never
// written back. Otherwise write parameters and buffers, the result, set DONE with an atomic OR, and raise
// VMMDEV_EVENT_HGCM. Runs on the thread that completes: a host worker for calls (for an inline service,
// the thread handling the port write), the thread handling the port write for a command the device
// answers itself.
import {
  ParmDirection,
  ParmType,
  RequestType,
  Status,
  VMMDevHGCMConnect,
  VMMDevHGCMRequestHeader,
  VMMDevRequestHeader,
  VmmDevEvent,
  type StatusCode,
} from '../abi/index.js';
import type { SvcParm } from '../hgcm/index.js';
import { FaultSteps, gpa, point, type Proc, traced } from '../runtime/index.js';
import { freeCommand, type HgcmCommand, type HostShared, type PhysRun } from '../vmmdev/index.js';
import { COMPLETION_FAULTS } from './fault-steps.js';
import { copyOut, put32, setDone } from './marshal.js';

/** The host side of the call path, as a host thread attaches it. */
export interface HostEnv extends HostShared {
  /**
   * When completion finds the call rewritten as HGCMCancel (the guest's legacy fallback lost the race),
   * write the output parameters all the same. Upstream writes only result and DONE, and the guest then
   * takes the call as completed without its outputs; the model fixes that unless upstreamDefects is set.
   */
  readonly resultsAfterLegacyCancel: boolean;
}

/** How a completion ended. */
export type CompletionOutcome =
  /** Results, result code and DONE written; the IRQ raised. */
  | 'written'
  /** The guest had cancelled the command: nothing written (the service gets VERR_CANCELLED). */
  | 'cancelled'
  /** The command was not on the list (already completed): nothing done. */
  | 'gone';

const OUTCOME_CODE: Readonly<Record<CompletionOutcome, number>> = { written: 0, cancelled: 1, gone: 2 };

/** What completion writes besides the result code. */
export type CompletionResults =
  | { readonly kind: 'call'; readonly parms: readonly SvcParm[] }
  | { readonly kind: 'connect'; readonly clientId: number }
  | { readonly kind: 'none' };

/** hgcmCompletedWorker: complete `cmd` with status `rc`, traced when its call is. */
export const hgcmCompletedWorker = traced(
  {
    span: 'hgcmCompletedWorker',
    tracer: (env: HostEnv) => env.tracer,
    begin: (_env, cmd) => [cmd.phys, cmd.id],
    status: (o) => OUTCOME_CODE[o],
    joins: (_env, cmd) => cmd.traced,
  },
  function* hgcmCompletedWorker(
    env: HostEnv,
    cmd: HgcmCommand,
    rc: StatusCode,
    results: CompletionResults,
  ): Proc<CompletionOutcome> {
    const { mem } = env;
    const { phys, id } = cmd;
    const s = COMPLETION.in(env.faults);
    const state = yield* s.takeOff(env, cmd);
    if (state === 'gone') return 'gone';
    if (state === 'cancelled') {
      env.stats.add('host.completedCancelled');
      freeCommand(env, cmd);
      return 'cancelled';
    }
    yield point('host.complete.readReq', phys, id);
    const result = yield* writeOrFail(s, env, cmd, rc, results);
    yield point('host.complete.writeHeader', phys, id);
    put32(mem, phys + VMMDevHGCMRequestHeader.off.result, result);
    yield point('host.complete.setDone', phys, id);
    // ORDER: every result byte above is written before DONE; DONE is an atomic OR so the guest's
    // CANCELLED bit, set the same way, is never lost.
    setDone(mem, phys);
    env.tracer.instant('DONE', phys, id);
    yield point('host.complete.notify', phys, id);
    s.raiseIrq(env, cmd);
    env.stats.add('host.completed');
    freeCommand(env, cmd);
    return 'written';
  },
);

/**
 * vmmdevR3HgcmRemoveCommand, then the cancel mark: 'gone' if the command was no longer listed (completed
 * already), 'cancelled' if the guest's cancel marked it before it left the list, else 'live'. Removing
 * first is the rule: once off the list no cancel can mark it, so a mark read afterwards is final.
 */
function* takeOff(env: HostEnv, cmd: HgcmCommand): Proc<'gone' | 'cancelled' | 'live'> {
  yield point('host.complete.remove', cmd.phys, cmd.id);
  if (!(yield* env.cmds.remove(cmd.slot, cmd.id))) return 'gone';
  yield point('host.complete.checkCancelled', cmd.phys, cmd.id);
  return env.cmds.isCancelled(cmd.slot) ? 'cancelled' : 'live';
}

/**
 * vmmdevR3HgcmCompleteCallRequest's write-back: a call's values and FROM_HOST buffers, a connect's client
 * id. Returns the result code to write: `rc`, or VERR_INVALID_PARAMETER when the guest rewrote its request
 * while the host held it (then only the result is trusted to land).
 */
function* writeResults(
  env: HostEnv,
  cmd: HgcmCommand,
  rc: StatusCode,
  results: CompletionResults,
): Proc<StatusCode> {
  const { mem } = env;
  const current = mem.contains(cmd.phys, VMMDevRequestHeader.size)
    ? mem.readU32(gpa(cmd.phys), VMMDevRequestHeader.off.requestType)
    : RequestType.InvalidRequest;
  audit(env, cmd, results);
  if (current !== cmd.type && current !== RequestType.HGCMCancel) return Status.VERR_INVALID_PARAMETER;
  if (current === cmd.type || env.resultsAfterLegacyCancel) {
    yield point('host.complete.writeParams', cmd.phys, cmd.id);
    if (results.kind === 'call') {
      yield point('host.complete.writeBuffers', cmd.phys, cmd.id);
      // SAFETY: call results come only from a HostCall, whose command is a call (it has its parameters).
      copyOut(mem, cmd.phys, cmd.call!, results.parms);
    } else if (results.kind === 'connect') {
      put32(mem, cmd.phys + VMMDevHGCMConnect.off.u32ClientID, results.clientId);
    }
  }
  return rc;
}

/**
 * The write-back, which must not throw: the command is off the list already, and only this completion can
 * still end it. Outputs are checked before (host/contract.ts), so a throw here is a host bug; the call then
 * ends with VERR_INVALID_PARAMETER (what may have landed of its outputs is the guest's to ignore), counted.
 */
function* writeOrFail(
  s: CompletionSteps,
  env: HostEnv,
  cmd: HgcmCommand,
  rc: StatusCode,
  results: CompletionResults,
): Proc<StatusCode> {
  try {
    return yield* s.writeResults(env, cmd, rc, results);
  } catch {
    env.stats.add('host.completionErrors');
    return Status.VERR_INVALID_PARAMETER;
  }
}

/** VMMDevNotifyGuest(VMMDEV_EVENT_HGCM): the waiting vCPU is woken through the interrupt. */
function raiseIrq(env: HostEnv, cmd: HgcmCommand): void {
  if (!env.bus.notifyGuest(VmmDevEvent.HGCM, cmd.vcpu)) return;
  env.stats.add('device.irqs');
  env.tracer.instant('IRQ', cmd.phys, cmd.id);
}

/** Ask the auditor whether the writes completion is about to make land in live memory; count violations. */
function audit(env: HostEnv, cmd: HgcmCommand, results: CompletionResults): void {
  if (env.auditor === undefined) return;
  const runs: PhysRun[] = [{ phys: cmd.phys, len: VMMDevHGCMRequestHeader.size }];
  if (results.kind === 'call' && cmd.call !== undefined) {
    for (const p of cmd.call.parms) {
      if ((p.dir & ParmDirection.FROM_HOST) !== 0 && p.type !== ParmType.Embedded)
        for (const r of p.runs) runs.push(r);
    }
  }
  env.stats.add('audit.checks');
  if (!env.auditor.checkWrite(cmd.slot, runs)) env.stats.add('audit.writeAfterFree');
}

/** The steps of completion that faults replace (their wrong versions: fault-steps.ts). */
export interface CompletionSteps {
  readonly takeOff: typeof takeOff;
  readonly writeResults: typeof writeResults;
  readonly raiseIrq: typeof raiseIrq;
}

const COMPLETION = new FaultSteps<CompletionSteps>({ takeOff, writeResults, raiseIrq }, COMPLETION_FAULTS);
