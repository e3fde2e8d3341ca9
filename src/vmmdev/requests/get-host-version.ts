// VMMDevReq_GetHostVersion (4); models vmmdevReqHandler_GetHostVersion.
import { HostFeature, Status, VMMDevReqHostVersion } from '../../abi/index.js';
import type { Proc } from '../../runtime/index.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';

/** Fill in the host version and the VMMDEV_HVF_* features; exact size 40. */
export function* getHostVersion(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  if (req.size !== VMMDevReqHostVersion.size) return { rc: Status.VERR_INVALID_PARAMETER };
  const L = VMMDevReqHostVersion.off;
  req.view.setU16(L.major, dev.version.major);
  req.view.setU16(L.minor, dev.version.minor);
  req.view.setU32(L.build, dev.version.build);
  req.view.setU32(L.revision, dev.version.revision);
  req.view.setU32(L.features, dev.bus.features);
  return { rc: Status.VINF_SUCCESS };
}

/** Everything V7 reports: page lists, embedded buffers, contiguous and no-bounce lists, fast IRQ ack. */
export const ALL_HOST_FEATURES =
  (HostFeature.HGCM_PHYS_PAGE_LIST |
    HostFeature.HGCM_EMBEDDED_BUFFERS |
    HostFeature.HGCM_CONTIGUOUS_PAGE_LIST |
    HostFeature.HGCM_NO_BOUNCE_PAGE_LIST |
    HostFeature.FAST_IRQ_ACK) >>>
  0;
