// VMMDevReq_Idle (5); models vmmdevReqHandler_Idle: the vCPU halts until the next interrupt, and header.rc
// is not set (the request goes back with whatever rc the guest put there). The model's vCPU does not halt
// in the device; the guest library's waits are where a vCPU sleeps.
import type { Proc } from '../../runtime/index.js';
import { VMMDevRequestHeader } from '../../abi/index.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';

/** Leave rc as the guest wrote it. */
export function* idle(_dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  return { rc: req.view.i32(VMMDevRequestHeader.off.rc) };
}
