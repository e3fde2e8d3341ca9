// HGCM command completion (hgcmCompletedWorker, vmmdevR3HgcmCompleteCallRequest in VMMDevHGCM.cpp):
// remove the command from the list, THEN check whether it was cancelled; a cancelled command is never
// written back. Otherwise write parameters and buffers, the result, set DONE with an atomic OR, and raise
// VMMDEV_EVENT_HGCM. Runs on whichever thread completes: a pool worker for calls, the device for
// commands it finishes itself.
import {
  HgcmReqFlag,
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
import type { ClientTable } from '../hgcm/clients.js';
import type { SvcParm } from '../hgcm/service.js';
import { gpa } from '../runtime/address.js';
import type { FaultTable } from '../runtime/faults.js';
import type { Tracer } from '../runtime/trace.js';
import type { GuestMemory } from '../runtime/guest-memory.js';
import { point, type Proc } from '../runtime/proc.js';
import type { StatsBlock } from '../runtime/stats.js';
import type { DeviceBus } from './bus.js';
import { CmdField, type CommandTable } from './commands.js';
import { copyOut, parseSnapshot, put32 } from './marshal.js';
import type { ParsedCall, PhysRun } from './parse-call.js';
import type { SnapshotArena } from './snapshots.js';

/**
 * An oracle for tests and stress runs: told when a command is listed, asked before the host writes guest
 * memory for it whether that memory is still the allocation the guest submitted (invariant I1,
 * NoWriteAfterFree). It observes; it does not prevent the write.
 */
export interface HostWriteAuditor {
  onEnlist(slot: number, phys: number): void;
  /** False if writing `runs` (guest-physical [phys, len], request included) would touch freed memory. */
  checkWrite(slot: number, runs: readonly PhysRun[]): boolean;
}

/** Everything on the host side of the call path, shared by the device thread and the pool workers. */
export interface HgcmHostEnv {
  readonly mem: GuestMemory;
  readonly bus: DeviceBus;
  readonly cmds: CommandTable;
  readonly snaps: SnapshotArena;
  readonly clients: ClientTable;
  readonly stats: StatsBlock;
  readonly faults: FaultTable;
  readonly auditor: HostWriteAuditor | undefined;
  /**
   * When completion finds the call rewritten as HGCMCancel (the guest's legacy fallback lost the race),
   * write the output parameters all the same. Upstream writes only result and DONE, and the guest then
   * takes the call as completed without its outputs; the model fixes that unless upstreamDefects is set.
   */
  readonly resultsAfterLegacyCancel: boolean;
  /** This thread's tracer. */
  readonly tracer: Tracer;
}

/** How a completion ended. */
export type CompletionOutcome =
  /** Results, result code and DONE written; the IRQ raised. */
  | 'written'
  /** The guest had cancelled the command: nothing written (the service gets VERR_CANCELLED). */
  | 'cancelled'
  /** The command was not on the list (already completed): nothing done. */
  | 'gone';

/** What completion writes besides the result code. */
export type CompletionData =
  | { readonly kind: 'call'; readonly call: ParsedCall; readonly parms: readonly SvcParm[] }
  | { readonly kind: 'connect'; readonly clientId: number }
  | { readonly kind: 'none' };

/** The snapshot bytes of a command. */
export function commandSnapshot(env: HgcmHostEnv, slot: number): Uint8Array {
  return env.snaps.bytes(env.cmds.get(slot, CmdField.SNAP_OFF), env.cmds.get(slot, CmdField.SNAP_LEN));
}

/** Parse the call a command slot holds (the device validated it at submission). */
export function commandCall(env: HgcmHostEnv, slot: number): ParsedCall {
  return parseSnapshot(commandSnapshot(env, slot), env.cmds.get(slot, CmdField.TYPE), env.mem.size);
}

/** Complete command `slot` with status `rc` (hgcmCompletedWorker). */
export function* completeCommand(
  env: HgcmHostEnv,
  slot: number,
  rc: StatusCode,
  data: CompletionData,
): Proc<CompletionOutcome> {
  const t = env.tracer;
  const was = t.active;
  t.active = was || env.cmds.get(slot, CmdField.TRACED) === 1;
  const id = env.cmds.get(slot, CmdField.ID);
  t.begin('hgcmCompletedWorker', env.cmds.get(slot, CmdField.PHYS), id);
  const outcome = yield* completeLocked(env, slot, rc, data);
  t.end('hgcmCompletedWorker', outcome === 'written' ? 0 : outcome === 'cancelled' ? 1 : 2, id);
  t.active = was;
  return outcome;
}

function* completeLocked(
  env: HgcmHostEnv,
  slot: number,
  rc: StatusCode,
  data: CompletionData,
): Proc<CompletionOutcome> {
  const { cmds, mem, faults } = env;
  const phys = cmds.get(slot, CmdField.PHYS) >>> 0;
  const id = cmds.get(slot, CmdField.ID);
  let cancelled: boolean;
  if (faults.on('check-before-remove')) {
    // MUTATION: the mark is read while the command is still findable; a cancel in between is missed.
    yield point('host.complete.checkCancelled', phys, id);
    cancelled = cmds.get(slot, CmdField.CANCELLED) === 1;
    yield point('host.complete.remove', phys, id);
    if (!(yield* cmds.remove(slot)) && !faults.on('double-complete')) return 'gone';
  } else {
    yield point('host.complete.remove', phys, id);
    // MUTATION double-complete: carry on although the command already left the list.
    if (!(yield* cmds.remove(slot)) && !faults.on('double-complete')) return 'gone';
    yield point('host.complete.checkCancelled', phys, id);
    cancelled = cmds.get(slot, CmdField.CANCELLED) === 1;
  }
  // MUTATION host-ignores-cancel: write back regardless of the mark.
  if (cancelled && !faults.on('host-ignores-cancel')) {
    env.stats.add('host.completedCancelled');
    freeCommand(env, slot);
    return 'cancelled';
  }

  yield point('host.complete.readReq', phys, id);
  const base = gpa(phys);
  const original = cmds.get(slot, CmdField.TYPE);
  const current = mem.contains(phys, VMMDevRequestHeader.size)
    ? mem.readU32(base, VMMDevRequestHeader.off.requestType)
    : RequestType.InvalidRequest;
  audit(env, slot, phys, data);
  const doneFirst = faults.on('done-before-results');
  if (doneFirst) setDone(mem, phys);
  let result = rc;
  if (current === original || current === RequestType.HGCMCancel) {
    if (current === original || env.resultsAfterLegacyCancel) {
      yield point('host.complete.writeParams', phys, id);
      if (data.kind === 'call') {
        yield point('host.complete.writeBuffers', phys, id);
        copyOut(mem, phys, data.call, data.parms);
      } else if (data.kind === 'connect') {
        put32(mem, phys + VMMDevHGCMConnect.off.u32ClientID, data.clientId);
      }
    }
  } else {
    // The guest rewrote its request while the host held it: only the result is trusted to land.
    result = Status.VERR_INVALID_PARAMETER;
  }
  yield point('host.complete.writeHeader', phys, id);
  put32(mem, phys + VMMDevHGCMRequestHeader.off.result, result);
  yield point('host.complete.setDone', phys, id);
  // ORDER: every result byte above is written before DONE; DONE is an atomic OR so the guest's CANCELLED
  // bit, set the same way, is never lost. (MUTATION done-before-results set it at the top instead.)
  if (!doneFirst) setDone(mem, phys);
  env.tracer.instant('DONE', phys, id);
  yield point('host.complete.notify', phys, id);
  // MUTATION irq-no-raise: DONE without the interrupt; waiters only notice at their deadline.
  if (!faults.on('irq-no-raise') && env.bus.notifyGuest(VmmDevEvent.HGCM)) {
    env.stats.add('device.irqs');
    env.tracer.instant('IRQ', phys, id);
  }
  env.stats.add('host.completed');
  freeCommand(env, slot);
  return 'written';
}

/** Set VBOX_HGCM_REQ_DONE with an atomic OR (a plain read-modify-write at a misaligned address). */
function setDone(mem: GuestMemory, phys: number): void {
  const flagsAt = phys + VMMDevHGCMRequestHeader.off.fu32Flags;
  if (!mem.contains(flagsAt, 4)) return;
  const base = gpa(phys);
  const off = VMMDevHGCMRequestHeader.off.fu32Flags;
  if (flagsAt % 4 === 0) mem.or32(base, off, HgcmReqFlag.DONE);
  // A request at a misaligned address cannot use Atomics (x86 would lock the bus); plain RMW instead.
  else mem.writeU32(base, off, mem.readU32(base, off) | HgcmReqFlag.DONE);
}

/** Ask the auditor whether the writes completion is about to make land in live memory; count violations. */
function audit(env: HgcmHostEnv, slot: number, phys: number, data: CompletionData): void {
  if (env.auditor === undefined) return;
  const runs: PhysRun[] = [{ phys, len: VMMDevHGCMRequestHeader.size }];
  if (data.kind === 'call') {
    for (const p of data.call.parms) {
      if ((p.dir & ParmDirection.FROM_HOST) !== 0 && p.type !== ParmType.Embedded)
        for (const r of p.runs) runs.push(r);
    }
  }
  env.stats.add('audit.checks');
  if (!env.auditor.checkWrite(slot, runs)) env.stats.add('audit.writeAfterFree');
}

/** vmmdevR3HgcmCmdFree: give back the snapshot, the client's pending-call count and the slot. */
export function freeCommand(env: HgcmHostEnv, slot: number): void {
  const { cmds } = env;
  const type = cmds.get(slot, CmdField.TYPE);
  if (type === RequestType.HGCMCall32 || type === RequestType.HGCMCall64) {
    env.clients.endCall(cmds.get(slot, CmdField.CLIENT_SLOT));
  }
  env.snaps.free(cmds.get(slot, CmdField.SNAP_OFF));
  cmds.release(slot);
}
