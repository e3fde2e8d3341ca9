// VMMDevReq_HGCMCancel2 (65); models vmmdevReqHandler_HGCMCancel2 / vmmdevR3HgcmCancel2. An "old host"
// (config cancel2: false) does not know this request type and answers VERR_NOT_IMPLEMENTED, which is
// what sends the guest library to the legacy fallback.
import { Status, VMMDevHGCMCancel2, type StatusCode } from '../../abi/index.js';
import { FaultSteps, type Proc } from '../../runtime/index.js';
import { ClientState } from '../../hgcm/index.js';
import { CmdField } from '../commands.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';
import { CANCEL2_FAULTS } from '../fault-steps.js';

/**
 * Cancel the newest listed command at `phys` under the list lock and tell its service. VINF_SUCCESS if
 * one was marked (the host will never write it back), VERR_NOT_FOUND otherwise.
 */
export function* cancelAt(dev: DeviceEnv, phys: number): Proc<StatusCode> {
  if (phys === 0 || phys >>> 0 === 0xffffffff) return Status.VERR_INVALID_PARAMETER;
  let orphan: number | undefined;
  const slot = yield* dev.cmds.cancel(phys, dev.faults, dev.cancelMatch, (s) => {
    const client = dev.clients.at(dev.cmds.get(s, CmdField.CLIENT_SLOT));
    const id = dev.cmds.get(s, CmdField.CLIENT_ID) >>> 0;
    if (client.id === id && client.state === ClientState.CONNECTED) dev.host.cancelled(client);
    // The client is gone (or going) and its service holds the call: nobody is left to complete it.
    else if (dev.cmds.get(s, CmdField.OWNER) !== 0) orphan = dev.cmds.get(s, CmdField.ID);
  });
  dev.stats.add(slot === undefined ? 'device.cancel.notFound' : 'device.cancel.found');
  if (slot !== undefined && orphan !== undefined) yield* dev.host.abandoned(slot, orphan);
  return slot === undefined ? Status.VERR_NOT_FOUND : Status.VINF_SUCCESS;
}

/** Cancel2: size >= 28. */
export function* hgcmCancel2(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  if (!dev.bus.cancel2Implemented) return { rc: Status.VERR_NOT_IMPLEMENTED };
  if (req.size < VMMDevHGCMCancel2.size) return { rc: Status.VERR_INVALID_PARAMETER };
  return {
    rc: yield* CANCEL2.in(dev.faults).cancelAt(dev, req.view.u32(VMMDevHGCMCancel2.off.physReqToCancel)),
  };
}

/** The step of Cancel2 that a fault replaces (its wrong version: ../fault-steps.ts). */
export interface Cancel2Steps {
  readonly cancelAt: typeof cancelAt;
}

const CANCEL2 = new FaultSteps<Cancel2Steps>({ cancelAt }, CANCEL2_FAULTS);
