// Generic VMMDev requests from the guest: allocate, perform (the port write), free; models
// VBoxGuestR0LibGenericRequest.cpp (VbglR0GRAlloc, VbglR0GRPerform, VbglR0GRFree, VbglGR0Verify).
// Runs on the vCPU making the request.
import {
  HgcmReqFlag,
  Status,
  VMMDEV_MAX_VMMDEVREQ_SIZE,
  VMMDEV_REQUEST_HEADER_VERSION,
  VMMDevHGCMRequestHeader,
  VMMDevRequestHeader,
  type StatusCode,
} from '../abi/index.js';
import { type GuestAddress, point, type Proc, traced } from '../runtime/index.js';
import type { Allocation } from './guest-heap.js';
import type { GuestKernel } from './kernel.js';

/** The fill VbglR0GRAlloc puts in every new request. */
export const REQUEST_FILL = 0xaa;

/**
 * VbglR0GRAlloc: a request of `size` bytes from the physical heap, filled with 0xAA, header set
 * (size, version, type, rc = VERR_GENERAL_FAILURE, reserved1 = 0, fRequestor). Returns a status on failure.
 */
export const grAlloc = traced(
  { span: 'VbglR0GRAlloc', tracer: (k: GuestKernel) => k.tracer, begin: (_k, size) => [size, 0] },
  function* grAlloc(
    k: GuestKernel,
    size: number,
    type: number,
    requestor: number = k.driverRequestor,
  ): Proc<Allocation | StatusCode> {
    if (!Number.isInteger(size) || size < VMMDevRequestHeader.size || size > VMMDEV_MAX_VMMDEVREQ_SIZE) {
      return Status.VERR_INVALID_PARAMETER;
    }
    const a = k.heap.alloc(size);
    yield point('guest.alloc', a?.addr ?? 0, a?.gen ?? 0);
    if (a === undefined) return Status.VERR_NO_MEMORY;
    const { mem } = k;
    const H = VMMDevRequestHeader.off;
    mem.fill(a.addr, size, REQUEST_FILL);
    mem.writeU32(a.addr, H.size, size);
    mem.writeU32(a.addr, H.version, VMMDEV_REQUEST_HEADER_VERSION);
    mem.writeU32(a.addr, H.requestType, type);
    mem.writeI32(a.addr, H.rc, Status.VERR_GENERAL_FAILURE);
    mem.writeU32(a.addr, H.reserved1, 0);
    mem.writeU32(a.addr, H.fRequestor, requestor);
    yield point('guest.fill', a.addr, a.gen);
    return a;
  },
);

/**
 * VbglR0GRPerform: `outl` the request's physical address and return header.rc as the device left it.
 * The address must be non-zero and below 4 GiB. Whether the call is traced travels with the port write.
 */
export const grPerform = traced(
  {
    span: 'VbglR0GRPerform',
    tracer: (k: GuestKernel) => k.tracer,
    begin: (k, addr) => [k.heap.physAddr(addr), 0],
    status: (rc) => rc,
  },
  function* grPerform(k: GuestKernel, addr: GuestAddress): Proc<StatusCode> {
    const phys = k.heap.physAddr(addr);
    if (phys === 0 || phys >= 0x100000000) return Status.VERR_VBGL_INVALID_ADDR;
    k.bus.setTraced(k.tracer.active);
    yield point('guest.portWrite', phys);
    yield* k.bus.outRequest(phys);
    yield point('guest.readRc', phys);
    return k.mem.readI32(addr, VMMDevRequestHeader.off.rc);
  },
);

/** Is VBOX_HGCM_REQ_DONE set on the HGCM request at `req`? */
export function requestDone(k: GuestKernel, req: GuestAddress): boolean {
  return (k.mem.load32(req, VMMDevHGCMRequestHeader.off.fu32Flags) & HgcmReqFlag.DONE) !== 0;
}

/** VbglR0GRFree. */
export function grFree(k: GuestKernel, addr: GuestAddress): void {
  k.heap.free(addr);
}
