// VMMDevReq_HGCMCall32/64 (62/63); models vmmdevReqHandler_HGCMCall and vmmdevR3HgcmCall: validate the
// snapshot once, admit the call for its client, list it with its parsed parameters and hand it to the host
// half. Runs on the thread handling the port write.
import { Status, VMMDevHGCMCall } from '../../abi/index.js';
import { Work } from '../../hgcm/index.js';
import type { Proc } from '../../runtime/index.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';
import { parseHgcmCall } from '../parse-call.js';
import { addCommand } from '../command.js';

/** Call: parameters first (first failing one wins), then the client, then the command table. */
export function* hgcmCall(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  if (req.size < VMMDevHGCMCall.size) return { rc: Status.VERR_INVALID_PARAMETER };
  const call = parseHgcmCall(req.view, req.type, dev.mem.size);
  if (typeof call === 'number') return { rc: call };
  // Upstream adds the command (switching the HGCM event on) after fetching the parameters and before
  // HGCMGuestCall's checks, so a call the connector refuses has switched it on, a malformed one has not.
  dev.bus.enableHgcmEvents();
  const client = dev.hgcm.admitCall(call.clientId);
  if (typeof client === 'number') {
    if (client === Status.VERR_HGCM_TOO_MANY_CLIENT_CALLS) dev.stats.add('host.clientCallsRefused');
    return { rc: client };
  }
  const slot = yield* addCommand(
    dev,
    req,
    { clientSlot: client.slot, clientId: client.id, service: client.service, fn: call.fn },
    call,
  );
  if (slot === undefined) {
    dev.clients.endCall(client.slot);
    return { rc: Status.VERR_NO_MEMORY };
  }
  // An inline service completes the call here, before the port write returns; the guest still reads
  // VINF_HGCM_ASYNC_EXECUTE, then finds DONE already set (as after a fast completion upstream).
  yield* dev.host.dispatch(Work.CALL, slot, call);
  return { rc: Status.VINF_HGCM_ASYNC_EXECUTE, ownsSnapshot: true };
}
