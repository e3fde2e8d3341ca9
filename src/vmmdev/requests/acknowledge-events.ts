// VMMDevReq_AcknowledgeEvents (41); models vmmdevReqHandler_AcknowledgeEvents.
import { Status, VMMDevEvents } from '../../abi/index.js';
import type { Proc } from '../../runtime/index.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';

/** Return and clear the pending unmasked events, lower the IRQ; exact size 28. */
export function* acknowledgeEvents(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  if (req.size !== VMMDevEvents.size) return { rc: Status.VERR_INVALID_PARAMETER };
  req.view.setU32(VMMDevEvents.off.events, dev.bus.acknowledgeEvents());
  return { rc: Status.VINF_SUCCESS };
}
