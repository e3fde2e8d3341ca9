// The device side of the pool's CommandOps: command data out of the shared command table and snapshots,
// and completion through completeCommand.
import { Status, VMMDevHGCMConnect, type StatusCode } from '../abi/index.js';
import type { CommandInfo, CommandOps, CompletionResult } from '../hgcm/host-loop.js';
import type { SvcParm } from '../hgcm/service.js';
import { ByteView } from '../runtime/bytes.js';
import type { Proc } from '../runtime/proc.js';
import { CmdField } from './commands.js';
import {
  commandCall,
  commandSnapshot,
  completeCommand,
  freeCommand,
  type CompletionData,
  type HgcmHostEnv,
} from './complete.js';
import { hostParms, releaseParms } from './marshal.js';
import type { ParsedCall } from './parse-call.js';

/** CommandOps over a host environment. */
export function commandOps(env: HgcmHostEnv): CommandOps {
  const { cmds } = env;
  return {
    info(slot: number): CommandInfo {
      return {
        phys: cmds.get(slot, CmdField.PHYS) >>> 0,
        id: cmds.get(slot, CmdField.ID),
        clientSlot: cmds.get(slot, CmdField.CLIENT_SLOT),
        clientId: cmds.get(slot, CmdField.CLIENT_ID) >>> 0,
        service: cmds.get(slot, CmdField.SERVICE),
        fn: cmds.get(slot, CmdField.FUNCTION) >>> 0,
        requestor: env.clients.at(cmds.get(slot, CmdField.CLIENT_SLOT)).requestor,
      };
    },
    openCall(slot: number) {
      const call = commandCall(env, slot);
      return { parms: hostParms(env.mem, call, commandSnapshot(env, slot)), handle: call };
    },
    completeCall(
      slot: number,
      rc: StatusCode,
      parms: readonly SvcParm[],
      handle: unknown,
    ): Proc<CompletionResult> {
      // SAFETY: `handle` is what openCall returned for this slot, or undefined when the call never started.
      const data =
        handle === undefined
          ? ({ kind: 'none' } as const)
          : { kind: 'call' as const, call: handle as ParsedCall, parms };
      return completeReleasing(env, slot, rc, data, parms);
    },
    completeConnect(slot: number, rc: StatusCode, clientId: number): Proc<CompletionResult> {
      return completeCommand(env, slot, rc, { kind: 'connect', clientId });
    },
    completePlain(slot: number, rc: StatusCode): Proc<CompletionResult> {
      return completeCommand(env, slot, rc, { kind: 'none' });
    },
    beginCapture(slot: number): Proc<boolean> {
      return cmds.beginCapture(slot);
    },
    endCapture(slot: number): void {
      cmds.endCapture(slot);
    },
    traced(slot: number): boolean {
      return cmds.get(slot, CmdField.TRACED) === 1;
    },
    claim(slot: number, workerId: number): void {
      cmds.set(slot, CmdField.OWNER, workerId + 1);
    },
    *drop(slot: number): Proc<boolean> {
      if (!(yield* cmds.remove(slot))) return false;
      freeCommand(env, slot);
      return true;
    },
    guestClientId(slot: number): number {
      return new ByteView(commandSnapshot(env, slot)).u32(VMMDevHGCMConnect.off.u32ClientID);
    },
    isCancelled(slot: number): boolean {
      return cmds.get(slot, CmdField.CANCELLED) === 1;
    },
  };
}

/**
 * Complete, with VERR_HGCM_INTERNAL, every listed command a dead pool worker had taken: its calls would
 * otherwise never complete and their guests would wait forever. Returns how many were failed.
 */
export function* failOwnedCommands(env: HgcmHostEnv, workerId: number): Proc<number> {
  let n = 0;
  for (const slot of env.cmds.listedSlots()) {
    if (env.cmds.get(slot, CmdField.OWNER) !== workerId + 1) continue;
    if ((yield* completeCommand(env, slot, Status.VERR_HGCM_INTERNAL, { kind: 'none' })) === 'written') n++;
  }
  return n;
}

/** Complete a call, then give back what its parameters borrowed, whatever the outcome. */
function* completeReleasing(
  env: HgcmHostEnv,
  slot: number,
  rc: StatusCode,
  data: CompletionData,
  parms: readonly SvcParm[],
): Proc<CompletionResult> {
  try {
    return yield* completeCommand(env, slot, rc, data);
  } finally {
    releaseParms(parms);
  }
}
