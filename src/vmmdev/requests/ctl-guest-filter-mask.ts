// VMMDevReq_CtlGuestFilterMask (42); models vmmdevReqHandler_CtlGuestFilterMask.
import { Status, VMMDevCtlGuestFilterMask, VmmDevEvent } from '../../abi/index.js';
import type { Proc } from '../../runtime/index.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';

/** OR in, then clear, filter bits; the guest cannot clear VMMDEV_EVENT_HGCM. Exact size 32. */
export function* ctlGuestFilterMask(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  if (req.size !== VMMDevCtlGuestFilterMask.size) return { rc: Status.VERR_INVALID_PARAMETER };
  const L = VMMDevCtlGuestFilterMask.off;
  dev.bus.setFilterMask(req.view.u32(L.u32OrMask), req.view.u32(L.u32NotMask) & ~VmmDevEvent.HGCM);
  return { rc: Status.VINF_SUCCESS };
}
