// VMMDevReq_HGCMCancel (64), the legacy cancel; models vmmdevReqHandler_HGCMCancel / vmmdevR3HgcmCancel.
// The guest re-submits the call's own buffer with its type changed to HGCMCancel, so the address to
// cancel is this request's own; "not found" is reported as VERR_INVALID_PARAMETER.
import { Status, VMMDevHGCMCancel } from '../../abi/index.js';
import { FaultSteps, point, type Proc } from '../../runtime/index.js';
import { LEGACY_CANCEL_FAULTS } from '../fault-steps.js';
import type { DeviceEnv, HandlerResult, RequestCtx } from '../device-env.js';
import { cancelAt } from './hgcm-cancel2.js';

/** Legacy cancel: size >= 32. */
export function* hgcmCancel(dev: DeviceEnv, req: RequestCtx): Proc<HandlerResult> {
  if (req.size < VMMDevHGCMCancel.size) return { rc: Status.VERR_INVALID_PARAMETER };
  yield point('device.oldCancel', req.phys);
  const rc = yield* LEGACY_CANCEL.in(dev.faults).cancelAt(dev, req.phys);
  return { rc: rc === Status.VERR_NOT_FOUND ? Status.VERR_INVALID_PARAMETER : rc };
}

/** The step of the legacy cancel that a fault replaces (its wrong version: ../fault-steps.ts). */
export interface LegacyCancelSteps {
  readonly cancelAt: typeof cancelAt;
}

const LEGACY_CANCEL = new FaultSteps<LegacyCancelSteps>({ cancelAt }, LEGACY_CANCEL_FAULTS);
