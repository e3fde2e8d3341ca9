// VMMDevReq_HGCMDisconnect (61); models vmmdevReqHandler_HGCMDisconnect, vmmdevR3HgcmDisconnect and
// HGCMService::DisconnectClient (handle deleted first, then the service told).
import { Status, VMMDevHGCMDisconnect } from '../../abi/index.js';
import { type ClientInfo, ClientState, Work } from '../../hgcm/index.js';
import { FaultSteps, type Proc } from '../../runtime/index.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';
import { addCommand } from '../command.js';
import { DISCONNECT_FAULTS } from '../fault-steps.js';

/** Disconnect: size >= 36; client id 0 is refused in the header, an unknown id asynchronously. */
export function* hgcmDisconnect(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  if (req.size < VMMDevHGCMDisconnect.size) return { rc: Status.VERR_INVALID_PARAMETER };
  const clientId = req.view.u32(VMMDevHGCMDisconnect.off.u32ClientID);
  const client = clientId === 0 ? undefined : yield* DISCONNECT.in(dev.faults).begin(dev, clientId);
  const slot = yield* addCommand(dev, req, {
    clientSlot: client?.slot ?? 0,
    clientId,
    service: client?.service ?? 0,
    fn: 0,
  });
  if (slot === undefined) {
    // Could not queue it: the client stays as it was.
    if (client !== undefined) dev.clients.setState(client.slot, ClientState.CONNECTED);
    return { rc: Status.VERR_NO_MEMORY };
  }
  if (clientId === 0) {
    // HGCMGuestDisconnect refuses id 0 after vmmdevR3HgcmAddCommand: the command leaves the list again,
    // and the HGCM event the first command switched on stays on.
    yield* dev.cmds.remove(slot);
    dev.cmds.release(slot);
    return { rc: Status.VERR_INVALID_PARAMETER };
  }
  if (client === undefined) {
    yield* dev.host.complete(slot, Status.VERR_HGCM_INVALID_CLIENT_ID);
  } else {
    yield* dev.host.dispatch(Work.DISCONNECT, slot);
  }
  return { rc: Status.VINF_HGCM_ASYNC_EXECUTE, ownsSnapshot: true };
}

/**
 * HGCMService::DisconnectClient's first half: the client's handle is deleted (DISCONNECTING) before the
 * service hears of it, so no call of the client reaches the service from now on; its pending calls stay
 * listed, where only their guests' cancels find them. Undefined for an unknown client.
 */
function* begin(dev: DeviceEnv, clientId: number): Proc<ClientInfo | undefined> {
  return dev.hgcm.beginDisconnect(clientId);
}

/** The step of a disconnect that faults replace (their wrong versions: ../fault-steps.ts). */
export interface DisconnectSteps {
  readonly begin: typeof begin;
}

const DISCONNECT = new FaultSteps<DisconnectSteps>({ begin }, DISCONNECT_FAULTS);
