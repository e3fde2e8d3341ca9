// VMMDevReq_HGCMDisconnect (61); models vmmdevReqHandler_HGCMDisconnect, vmmdevR3HgcmDisconnect and
// HGCMService::DisconnectClient (handle deleted first, then the service told).
import { Status, VMMDevHGCMDisconnect } from '../../abi/index.js';
import { ClientState, Work } from '../../hgcm/index.js';
import type { Proc } from '../../runtime/index.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';
import { addCommand } from '../command.js';

/** Disconnect: size >= 36; client id 0 is refused in the header, an unknown id asynchronously. */
export function* hgcmDisconnect(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  if (req.size < VMMDevHGCMDisconnect.size) return { rc: Status.VERR_INVALID_PARAMETER };
  const clientId = req.view.u32(VMMDevHGCMDisconnect.off.u32ClientID);
  const client = clientId === 0 ? undefined : dev.hgcm.beginDisconnect(clientId);
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
