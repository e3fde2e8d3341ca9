// Shared Folders requests built in place and submitted straight to the port, with no-bounce page lists;
// models the 7.x additions' host requests (VbglR0SfHostReqReadPgLst / WritePgLst in
// VBoxGuestR0LibSharedFolders.h) sent through VbglR0HGCMFastCall (vgdrvIoCtl_HGCMFastCall): no ioctl
// checks, no bounce buffers, a non-interruptible wait without timeout. The host sees such buffers as
// VBOX_HGCM_SVC_PARM_PAGES and reads or writes guest memory in place. Runs on the calling vCPU.
import {
  HGCMFunctionParameter64,
  ParmDirection,
  ParmType,
  RT_INDEFINITE_WAIT,
  ShflFn,
  VMMDevHGCMCall,
  VMMDevHGCMRequestHeader,
  type StatusCode,
} from '../abi/index.js';
import { gpa, type Proc, tracedCall } from '../runtime/index.js';
import { doCall, type GuestKernel, prepareCall, type ValueParm } from '../vcpu/index.js';

/** A parameter of a fast call; `pages` buffers become NoBouncePageList parameters. */
export type SfFastParm =
  | ValueParm
  | {
      readonly type: 'pages';
      readonly addr: number;
      readonly size: number;
      readonly dir: 'in' | 'out' | 'inout';
    };

const P = HGCMFunctionParameter64.off;
const PARM = HGCMFunctionParameter64.size;

/**
 * Build a VMMDevHGCMCall64 with these parameters in the physical heap, buffers as NoBouncePageList (the
 * builder is VbglR0HGCMFastCall's, prepareCall). The request is not submitted: sfFastCall does that;
 * tests use it to keep requests outstanding.
 */
export function* buildFastRequest(
  k: GuestKernel,
  clientId: number,
  fn: number,
  parms: readonly SfFastParm[],
): Proc<{ addr: number; size: number } | StatusCode> {
  const generic = parms.map((p) => (p.type === 'pages' ? { type: p.dir, addr: p.addr, size: p.size } : p));
  const r = yield* prepareCall(k, clientId, fn, generic, ParmType.NoBouncePageList);
  return typeof r === 'number' ? r : { addr: r.req.addr, size: r.size };
}

/** The values of a completed request's parameters, in order. */
export function fastRequestValues(
  k: GuestKernel,
  addr: number,
  parms: readonly SfFastParm[],
): (number | bigint)[] {
  return parms.map((p, i) => {
    const at = gpa(addr + VMMDevHGCMCall.size + i * PARM);
    return p.type === 'u64' ? k.mem.readU64(at, P.value64) : k.mem.readU32(at, P.value32);
  });
}

/**
 * Build, perform, wait for DONE (never interrupted, never timing out), read back; like VbglR0HGCMFastCall,
 * and traced as one (a call of its own for the tracer).
 */
export const sfFastCall = tracedCall(
  {
    span: 'VbglR0HGCMFastCall',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (_k, _clientId, fn) => [fn, 0],
    status: (r) => r.rc,
  },
  function* sfFastCall(
    k: GuestKernel,
    clientId: number,
    fn: number,
    parms: readonly SfFastParm[],
  ): Proc<{ rc: StatusCode; out: readonly (number | bigint)[] }> {
    const req = yield* buildFastRequest(k, clientId, fn, parms);
    if (typeof req === 'number') return { rc: req, out: [] };
    const addr = gpa(req.addr);
    embedEmptyBuffers(k, req, parms);
    try {
      const r = yield* doCall(k, addr, req.size, fn, parms.length, {
        timeoutMs: RT_INDEFINITE_WAIT,
        interruptible: false,
      });
      if (r.rc < 0) return { rc: r.rc, out: [] };
      return {
        rc: k.mem.readI32(addr, VMMDevHGCMRequestHeader.off.result),
        out: fastRequestValues(k, req.addr, parms),
      };
    } finally {
      k.heap.free(addr);
    }
  },
);

const DIR = { in: ParmDirection.TO_HOST, out: ParmDirection.FROM_HOST, inout: ParmDirection.BOTH } as const;

/**
 * Turn every `pages` parameter of no bytes into an empty embedded buffer (VMMDevHGCMParmType_Embedded,
 * cb 0, its data offset at the request's end). VMMDev refuses a page list without pages, rightly, so a
 * zero-length transfer goes the way the additions send small ones (VbglR0SfHostReqReadEmbedded /
 * WriteEmbedded): the host still checks the root and the handle, and moves nothing.
 */
function embedEmptyBuffers(
  k: GuestKernel,
  req: { addr: number; size: number },
  parms: readonly SfFastParm[],
): void {
  for (const [i, p] of parms.entries()) {
    if (p.type !== 'pages' || p.size !== 0) continue;
    const at = gpa(req.addr + VMMDevHGCMCall.size + i * PARM);
    k.mem.writeU32(at, P.type, ParmType.Embedded);
    // Bits 0-7 the direction, 8-31 the data offset (request-relative): nothing follows the request's end.
    k.mem.writeU32(at, P.embeddedFlagsOffset, ((req.size << 8) | DIR[p.dir]) >>> 0);
    k.mem.writeU32(at, P.embeddedCbData, 0);
  }
}

/**
 * VbglR0SfHostReqReadPgLst / WritePgLst for `fn`: move `size` bytes between the file at `offset` and guest
 * memory at `addr`, as a no-bounce page list (a zero `size` never becomes a page list without pages: see
 * embedEmptyBuffers); the count moved and, for a write, where the host says the file position ended.
 */
function pagesIo(fn: typeof ShflFn.READ | typeof ShflFn.WRITE) {
  return function* (
    k: GuestKernel,
    clientId: number,
    root: number,
    handle: bigint,
    offset: bigint,
    addr: number,
    size: number,
  ): Proc<{ rc: StatusCode; count: number; offset: bigint }> {
    const r = yield* sfFastCall(k, clientId, fn, [
      { type: 'u32', value: root },
      { type: 'u64', value: handle },
      { type: 'u64', value: offset },
      { type: 'u32', value: size },
      { type: 'pages', addr, size, dir: fn === ShflFn.READ ? 'out' : 'in' },
    ]);
    return { rc: r.rc, count: Number(r.out[3] ?? 0), offset: BigInt(r.out[2] ?? 0n) };
  };
}

/** VbglR0SfHostReqReadPgLst: read `size` bytes at `offset` straight into guest memory at `addr`. */
export const vboxCallReadPages = pagesIo(ShflFn.READ);

/** VbglR0SfHostReqWritePgLst: write `size` bytes from guest memory at `addr`. */
export const vboxCallWritePages = pagesIo(ShflFn.WRITE);
