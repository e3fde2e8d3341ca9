// VMMDevReq_ReportGuestInfo (50); models vmmdevReqHandler_ReportGuestInfo: the only request that lets
// the additions in (fu32AdditionsOk), for interface versions 0x00010000..0x00010004.
import { Status, VMMDevReportGuestInfo } from '../../abi/index.js';
import type { Proc } from '../../runtime/index.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';

/** VMMDEV_INTERFACE_VERSION_IS_OK: major 1, minor at most 4. */
export function interfaceVersionIsOk(v: number): boolean {
  return v >>> 16 === 1 && (v & 0xffff) <= 4;
}

/** Record the guest's interface version; exact size 32; VERR_VERSION_MISMATCH for unsupported versions. */
export function* reportGuestInfo(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  if (req.size !== VMMDevReportGuestInfo.size) return { rc: Status.VERR_INVALID_PARAMETER };
  const ok = interfaceVersionIsOk(req.view.u32(VMMDevReportGuestInfo.off.interfaceVersion));
  dev.bus.setAdditionsOk(ok);
  if (!ok) return { rc: Status.VERR_VERSION_MISMATCH };
  // Upstream lowers the PCI IRQ on a successful report. Latched events stay latched; the model's line
  // word is the pin (and fHaveEvents), so the next acknowledge finds them.
  dev.bus.lowerIrq();
  return { rc: Status.VINF_SUCCESS };
}
