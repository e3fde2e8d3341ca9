// The guest kernel (mirrors Linux drivers/virt/vboxguest and VirtualBox's VBoxGuest + VbglR0 library):
// kernel state and heaps, VbglR0GR*, the HGCM call, wait, ISR and cancel / grace / leak path, VBoxGuest
// sessions and ioctl checks, the fast call, and GuestLib, the step machines programs and vboxsf call.
export { GuestKernel } from './kernel.js';
export { DEFAULT_GUEST_LIB, FLAVORS } from './flavor.js';
export type { GuestFlavor, GuestFlavorName, GuestLibConfig, LeakScope } from './flavor.js';
export { GuestHeap } from './guest-heap.js';
export type { Allocation } from './guest-heap.js';
export { KERNEL_PAGE, guestMap } from './layout.js';
export type { GuestMap } from './layout.js';
export { REQUEST_FILL, grAlloc, grFree, grPerform, requestDone } from './gr.js';
export { GuestLib } from './guest-lib.js';
export type { HgcmCallOptions, HgcmCallResult, HgcmParm, HgcmParmOut } from './guest-lib.js';
export { Session, closeSession, hgcmConnect, hgcmDisconnect, ioctlHgcmCall } from './vboxguest.js';
export { doCall, hgcmInternalCall } from './hgcm-call.js';
export type { CallMode, CallReport, DoCallResult } from './hgcm-call.js';
export { hgcmWait, isr } from './hgcm-wait.js';
export type { HgcmWaitResult } from './hgcm-wait.js';
export type { CancelOutcome } from './hgcm-cancel.js';
export { fastCall, prepareCall } from './hgcm-fast.js';
export type { FastParm, PageListType } from './hgcm-fast.js';
export type { ValueParm } from './hgcm-parms.js';
