// The FUSE front's one door into the guest library (src/vcpu, src/vboxsf and src/guest): every import of
// guest code the front makes is here. Also the kernel-mode client Linux's vboxsf uses (vboxsf_wrappers.c: one client
// for the module, SHFL_REQUEST as requestor, calls through vbg_hgcm_call without a session).
import { Requestor, type StatusCode } from '../abi/index.js';
import type { GuestContext } from '../guest/index.js';
import type { Proc } from '../runtime/index.js';
import * as sf from '../vboxsf/index.js';
import { Errno, O, sfStat, type SfStat, statusToErrno } from '../vboxsf/index.js';
import {
  type GuestKernel,
  GuestLib,
  type HgcmCallOptions,
  type HgcmCallResult,
  type HgcmParm,
  hgcmConnect,
  hgcmDisconnect,
  type Session,
} from '../vcpu/index.js';

export { Errno, O, sf, sfStat };
export type { GuestContext, GuestKernel, HgcmCallResult, SfStat };

/** vboxsf's requestor (SHFL_REQUEST): kernel mode, another driver, connection and trust not given. */
export const SHFL_REQUEST = Requestor.KERNEL | Requestor.USR_DRV_OTHER | Requestor.CON_DONT_KNOW;

/**
 * The guest library as a kernel driver uses it: every call a VbglR0HGCMCall (GuestLib.callKernel: no
 * session check, kernel requestor), so one client connected at mount serves every vCPU, as
 * vboxsf_client_id does. The vboxCall* step machines run unchanged on it.
 */
export class KernelLib extends GuestLib {
  constructor(k: GuestKernel, session: Session) {
    super(k, session);
  }

  /** Waits are uninterruptible unless the caller asks (Linux: vbg_hgcm_call of a kernel requestor). */
  override call(
    clientId: number,
    fn: number,
    parms: readonly HgcmParm[],
    opts: HgcmCallOptions = {},
  ): Proc<HgcmCallResult> {
    return this.callKernel(clientId, fn, parms, { interruptible: false, ...opts });
  }

  /** vboxsf_connect: a client of "VBoxSharedFolders" owned by the driver, not by a session. */
  *connectDriver(): Proc<{ rc: StatusCode; clientId: number }> {
    return yield* hgcmConnect(this.k, sf.SHARED_FOLDERS_SERVICE, SHFL_REQUEST);
  }

  /** vboxsf_disconnect. */
  *disconnectDriver(clientId: number): Proc<StatusCode> {
    return yield* hgcmDisconnect(this.k, clientId, SHFL_REQUEST);
  }
}

/** The guest library of the vCPU a program runs on, as the driver uses it. */
export function kernelLib(g: GuestContext): KernelLib {
  return new KernelLib(g.kernel, g.session);
}

/** vbg_status_code_to_errno as a positive errno number (0 for a success). */
export function errnoOf(rc: StatusCode): number {
  const name = statusToErrno(rc);
  return name === undefined ? 0 : Errno[name];
}
