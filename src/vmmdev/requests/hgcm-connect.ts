// VMMDevReq_HGCMConnect (60); models vmmdevReqHandler_HGCMConnect, vmmdevR3HgcmConnect and the host's
// connect on the main HGCM thread (service lookup and client limit answer asynchronously, in `result`).
import { HGCM_SERVICE_NAME_MAX, Status, VMMDevHGCMConnect } from '../../abi/index.js';
import { Work } from '../../hgcm/index.js';
import type { Proc } from '../../runtime/index.js';
import { CmdField } from '../commands.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';
import { addCommand } from '../command.js';

/** The NUL-terminated service name in the location, or undefined if there is no NUL in 128 bytes. */
export function serviceName(req: RequestCtx): string | undefined {
  const name = req.snap.subarray(
    VMMDevHGCMConnect.off.locName,
    VMMDevHGCMConnect.off.locName + HGCM_SERVICE_NAME_MAX,
  );
  const nul = name.indexOf(0);
  return nul < 0 ? undefined : Buffer.from(name.subarray(0, nul)).toString('utf8');
}

/** Connect: size >= 168; the location type is forced to LocalHost_Existing. */
export function* hgcmConnect(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  if (req.size < VMMDevHGCMConnect.size) return { rc: Status.VERR_INVALID_PARAMETER };
  const guestClientId = req.view.u32(VMMDevHGCMConnect.off.u32ClientID);
  const slot = yield* addCommand(dev, req, { clientSlot: 0, clientId: guestClientId, service: 0, fn: 0 });
  if (slot === undefined) return { rc: Status.VERR_NO_MEMORY };
  const name = serviceName(req);
  if (name === undefined) {
    // iface_hgcmConnect refuses the name after vmmdevR3HgcmAddCommand: the command leaves the list
    // again, and the HGCM event the first command switched on stays on.
    yield* dev.cmds.remove(slot);
    dev.cmds.release(slot);
    return { rc: Status.VERR_INVALID_PARAMETER };
  }

  const spec = dev.hgcm.resolve(name);
  const client = spec === undefined ? undefined : dev.hgcm.newClient(spec, req.requestor);
  if (spec === undefined || client === undefined) {
    const rc = spec === undefined ? Status.VERR_HGCM_SERVICE_NOT_FOUND : Status.VERR_HGCM_TOO_MANY_CLIENTS;
    yield* dev.host.complete(slot, rc, guestClientId);
    return { rc: Status.VINF_HGCM_ASYNC_EXECUTE, ownsSnapshot: true };
  }
  // ORDER: the command carries its client before the host can see it (dispatch publishes it).
  dev.cmds.set(slot, CmdField.CLIENT_SLOT, client.slot);
  dev.cmds.set(slot, CmdField.CLIENT_ID, client.id);
  dev.cmds.set(slot, CmdField.SERVICE, spec.index);
  yield* dev.host.dispatch(Work.CONNECT, slot);
  return { rc: Status.VINF_HGCM_ASYNC_EXECUTE, ownsSnapshot: true };
}
