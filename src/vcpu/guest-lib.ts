// The guest API programs use, as step machines: connect, call and disconnect through a VBoxGuest session,
// the way a guest program does through /dev/vboxguest (it builds a VBGLIOCHGCMCALL in its own memory and
// the driver takes it from there). GuestContext runs these on a real vCPU; sim programs yield* them.
// Runs on the calling vCPU.
import {
  HGCMFunctionParameter64,
  ParmDirection,
  ParmType,
  RT_INDEFINITE_WAIT,
  Requestor,
  Status,
  VBGLIOCHGCMCALL,
  VBGLREQHDR,
  VBGLREQHDR_TYPE_DEFAULT,
  VBGLREQHDR_VERSION,
  VMMDEV_MAX_HGCM_PARMS,
  pageListInfoSize,
  pagesSpanned,
  type StatusCode,
} from '../abi/index.js';
import { type GuestAddress, type Proc, tracedCall } from '../runtime/index.js';
import { hgcmInternalCall, type CallReport } from './hgcm-call.js';
import type { CancelOutcome } from './hgcm-cancel.js';
import type { GuestKernel } from './kernel.js';
import { type ValueParm, writePageListInfo, writeParm } from './hgcm-parms.js';
import { ioctlHgcmCall, ioctlHgcmConnect, ioctlHgcmDisconnect, type Session } from './vboxguest.js';

/** A parameter as a guest program passes it. Buffers are guest addresses (from `GuestContext.mem`). */
export type HgcmParm =
  | ValueParm
  /** LinAddr_In / LinAddr_Out / LinAddr (kernel sessions may add `locked` for the LinAddr_Locked* types). */
  | {
      readonly type: 'in' | 'out' | 'inout';
      readonly addr: number;
      readonly size: number;
      readonly locked?: boolean;
    }
  /** A PageList the caller describes (kernel sessions only): the library builds the HGCMPageListInfo. */
  | {
      readonly type: 'pagelist';
      readonly addr: number;
      readonly size: number;
      readonly dir: 'in' | 'out' | 'inout';
    };

/** A parameter after the call: values as the host left them; buffer sizes as reported back. */
export type HgcmParmOut = ValueParm | { readonly type: 'buffer'; readonly size: number };

/** How to wait. Defaults: forever, interruptible (VBGL_HGCM_HDR_INIT). */
export interface HgcmCallOptions {
  readonly timeoutMs?: number;
  readonly interruptible?: boolean;
}

/** The outcome of one call. */
export interface HgcmCallResult {
  /** Status of the call itself (VINF_SUCCESS, VERR_TIMEOUT, VERR_INTERRUPTED, VERR_INVALID_HANDLE, ...). */
  readonly rc: StatusCode;
  /** The service's status (valid when rc is a success). */
  readonly result: StatusCode;
  readonly parms: readonly HgcmParmOut[];
  /** The host answered without VINF_HGCM_ASYNC_EXECUTE. */
  readonly sync: boolean;
  /** What the cancel path did, if the wait ended before DONE. */
  readonly cancel: CancelOutcome | undefined;
  /** Guest-physical address and generation of the request used. */
  readonly request: { readonly addr: number; readonly gen: number } | undefined;
  readonly leakedBytes: number;
}

const PARM = HGCMFunctionParameter64.size;
const DIR = { in: ParmDirection.TO_HOST, out: ParmDirection.FROM_HOST, inout: ParmDirection.BOTH } as const;
const LINADDR = { in: ParmType.LinAddr_In, out: ParmType.LinAddr_Out, inout: ParmType.LinAddr } as const;
const LOCKED = {
  in: ParmType.LinAddr_Locked_In,
  out: ParmType.LinAddr_Locked_Out,
  inout: ParmType.LinAddr_Locked,
} as const;

/** A call refused before it reached the device (one function, not a closure per call). */
function none(rc: StatusCode): HgcmCallResult {
  return { rc, result: rc, parms: [], sync: true, cancel: undefined, request: undefined, leakedBytes: 0 };
}

/** Guest-side HGCM through one session. */
export class GuestLib {
  readonly k: GuestKernel;
  readonly session: Session;

  constructor(k: GuestKernel, session: Session) {
    this.k = k;
    this.session = session;
  }

  /** VBGL_IOCTL_HGCM_CONNECT. */
  connect(service: string): Proc<{ rc: StatusCode; clientId: number }> {
    return connect(this.k, this.session, service);
  }

  /** VBGL_IOCTL_HGCM_DISCONNECT. */
  disconnect(clientId: number): Proc<StatusCode> {
    return disconnect(this.k, this.session, clientId);
  }

  /** VBGL_IOCTL_HGCM_CALL_64: build the VBGLIOCHGCMCALL in program memory, call, read the results back. */
  call(
    clientId: number,
    fn: number,
    parms: readonly HgcmParm[],
    opts: HgcmCallOptions = {},
  ): Proc<HgcmCallResult> {
    return hgcmCall(this.k, clientId, fn, parms, opts, (info, cbInfo) =>
      ioctlHgcmCall(this.k, this.session, info, cbInfo),
    );
  }

  /**
   * A kernel driver's call (VbglR0HGCMCall, as vboxsf makes them): the same structure, straight into the
   * guest library without the session's client-id check; kernel mode, requestor USR_DRV_OTHER.
   */
  callKernel(
    clientId: number,
    fn: number,
    parms: readonly HgcmParm[],
    opts: HgcmCallOptions = {},
  ): Proc<HgcmCallResult> {
    return hgcmCall(this.k, clientId, fn, parms, opts, (info, cbInfo) =>
      hgcmInternalCall(this.k, info, cbInfo, {
        user: false,
        timeoutMs: this.k.mem.readU32(info, VBGLIOCHGCMCALL.off.cMsTimeout),
        interruptible: this.k.mem.readU8(info, VBGLIOCHGCMCALL.off.fInterruptible) !== 0,
        requestor: Requestor.KERNEL | Requestor.USR_DRV_OTHER,
      }),
    );
  }
}

/** An outermost guest call for the tracer: VbglR0HGCMCall, BEGIN with the function (0: connect, disconnect). */
const connect = tracedCall(
  { span: 'VbglR0HGCMCall', tracer: (k: GuestKernel) => k.tracer, status: (r) => r.rc },
  ioctlHgcmConnect,
);

const disconnect = tracedCall(
  {
    span: 'VbglR0HGCMCall',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (_k, _s, clientId) => [0, clientId],
    status: (rc) => rc,
  },
  ioctlHgcmDisconnect,
);

/**
 * VbglR0HGCMCall as a program makes it: build the VBGLIOCHGCMCALL in program memory, `enter` the driver
 * with it (the session's ioctl, or straight into the library), read the results back.
 */
const hgcmCall = tracedCall(
  {
    span: 'VbglR0HGCMCall',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (_k, clientId, fn) => [fn, clientId],
    status: (r) => r.rc,
  },
  function* hgcmCall(
    k: GuestKernel,
    clientId: number,
    fn: number,
    parms: readonly HgcmParm[],
    opts: HgcmCallOptions,
    enter: (info: GuestAddress, cbInfo: number) => Proc<CallReport>,
  ): Proc<HgcmCallResult> {
    const { mem } = k;
    if (parms.length > VMMDEV_MAX_HGCM_PARMS) return none(Status.VERR_INVALID_PARAMETER);
    let extra = 0;
    for (const p of parms) if (p.type === 'pagelist') extra += pageListInfoSize(pagesSpanned(p.addr, p.size));
    const cbInfo = VBGLIOCHGCMCALL.size + parms.length * PARM + extra;
    const a = k.data.alloc(cbInfo);
    if (a === undefined) return none(Status.VERR_NO_MEMORY);
    const info = a.addr;
    try {
      mem.fill(info, cbInfo, 0);
      mem.writeU32(info, VBGLREQHDR.off.cbIn, cbInfo);
      mem.writeU32(info, VBGLREQHDR.off.uVersion, VBGLREQHDR_VERSION);
      mem.writeU32(info, VBGLREQHDR.off.uType, VBGLREQHDR_TYPE_DEFAULT);
      mem.writeI32(info, VBGLREQHDR.off.rc, Status.VERR_INTERNAL_ERROR);
      mem.writeU32(info, VBGLREQHDR.off.cbOut, cbInfo);
      mem.writeU32(info, VBGLIOCHGCMCALL.off.u32ClientID, clientId);
      mem.writeU32(info, VBGLIOCHGCMCALL.off.u32Function, fn);
      mem.writeU32(info, VBGLIOCHGCMCALL.off.cMsTimeout, opts.timeoutMs ?? RT_INDEFINITE_WAIT);
      mem.writeU8(info, VBGLIOCHGCMCALL.off.fInterruptible, (opts.interruptible ?? true) ? 1 : 0);
      mem.writeU16(info, VBGLIOCHGCMCALL.off.cParms, parms.length);
      let offExtra = VBGLIOCHGCMCALL.size + parms.length * PARM;
      for (const [i, p] of parms.entries()) {
        const at = VBGLIOCHGCMCALL.size + i * PARM;
        switch (p.type) {
          case 'u32':
            writeParm(mem, info, at, { type: ParmType.U32, value: p.value });
            break;
          case 'u64':
            writeParm(mem, info, at, { type: ParmType.U64, value: p.value });
            break;
          case 'pagelist':
            writeParm(mem, info, at, { type: ParmType.PageList, size: p.size, offset: offExtra });
            offExtra += writePageListInfo(
              mem,
              info,
              offExtra,
              DIR[p.dir],
              p.addr,
              pagesSpanned(p.addr, p.size),
            );
            break;
          default:
            writeParm(mem, info, at, {
              type: p.locked === true ? LOCKED[p.type] : LINADDR[p.type],
              size: p.size,
              addr: p.addr,
            });
        }
      }
      const r = yield* enter(info, cbInfo);
      const ok = r.rc >= 0;
      const out: HgcmParmOut[] = parms.map((p, i) => {
        const at = VBGLIOCHGCMCALL.size + i * PARM;
        const P = HGCMFunctionParameter64.off;
        if (p.type === 'u32') return { type: 'u32', value: ok ? mem.readU32(info, at + P.value32) : p.value };
        if (p.type === 'u64') return { type: 'u64', value: ok ? mem.readU64(info, at + P.value64) : p.value };
        return { type: 'buffer', size: mem.readU32(info, at + P.pointerSize) };
      });
      return {
        rc: r.rc,
        result: ok ? mem.readI32(info, VBGLREQHDR.off.rc) : r.rc,
        parms: out,
        sync: r.sync,
        cancel: r.cancel,
        request: r.request ? { addr: r.request.addr, gen: r.request.gen } : undefined,
        leakedBytes: r.leakedBytes,
      };
    } finally {
      k.data.free(info);
    }
  },
);
