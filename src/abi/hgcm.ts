// HGCM request layouts, parameter types and flags; models include/VBox/VMMDev.h,
// include/VBox/VMMDevCoreTypes.h and include/VBox/hgcmsvc.h. Data and pure functions, used on every thread.
import { defineStruct } from './layout.js';
import { PAGE_SIZE } from './vmmdev.js';

/** VMMDEV_MAX_HGCM_PARMS / VBOX_HGCM_MAX_PARMS: parameters per call. */
export const VMMDEV_MAX_HGCM_PARMS = 32;
/** VMMDEV_MAX_HGCM_DATA_SIZE: bytes of buffers per call (128 MiB). */
export const VMMDEV_MAX_HGCM_DATA_SIZE = 128 * 1024 * 1024;
/** VBGLR0_MAX_HGCM_EMBEDDED_BUFFER: one embedded buffer at most 64 KiB. */
export const VBGLR0_MAX_HGCM_EMBEDDED_BUFFER = 64 * 1024;
/** Largest LinAddr buffer a kernel caller may lock (16 MiB). */
export const VBGLR0_MAX_HGCM_KERNEL_PARM = 16 * 1024 * 1024;
/** Largest LinAddr buffer a user caller may pass (24 MiB). */
export const VBGLR0_MAX_HGCM_USER_PARM = 24 * 1024 * 1024;
/** Most locked (LinAddr) buffers in one call. */
export const VBGLR0_MAX_LOCKED_BUFFERS = 10;
/** Length of HGCMServiceLocation.u.host.achName. */
export const HGCM_SERVICE_NAME_MAX = 128;

/** `VBOX_HGCM_REQ_*`: bits of VMMDevHGCMRequestHeader.fu32Flags. */
export const HgcmReqFlag = {
  /** Set (atomically) by the host when the call is complete. */
  DONE: 0x1,
  /** Set by the guest when it cancelled the call. */
  CANCELLED: 0x2,
} as const;

/** `HGCMFunctionParameterType`. */
export const ParmType = {
  Invalid: 0,
  U32: 1,
  U64: 2,
  /** Deprecated: the host rejects it. */
  PhysAddr: 3,
  LinAddr: 4,
  LinAddr_In: 5,
  LinAddr_Out: 6,
  /** Guest-internal: the guest library converts these; the host rejects them. */
  LinAddr_Locked: 7,
  LinAddr_Locked_In: 8,
  LinAddr_Locked_Out: 9,
  PageList: 10,
  Embedded: 11,
  ContiguousPageList: 12,
  NoBouncePageList: 13,
} as const;

/** A parameter type value. */
export type ParmTypeValue = (typeof ParmType)[keyof typeof ParmType];

/** `VBOX_HGCM_F_PARM_DIRECTION_*`: page-list and embedded-buffer directions. */
export const ParmDirection = {
  NONE: 0,
  TO_HOST: 1,
  FROM_HOST: 2,
  BOTH: 3,
  MASK: 3,
} as const;

/** `VBOX_HGCM_F_PARM_ARE_VALID`: a direction is valid when nonzero and no other bit is set. */
export function parmFlagsAreValid(flags: number): boolean {
  return flags !== 0 && (flags & ~ParmDirection.MASK) === 0;
}

/** `HGCMServiceLocationType`. */
export const HgcmLocation = {
  Invalid: 0,
  LocalHost: 1,
  LocalHost_Existing: 2,
} as const;

/** `VBOX_HGCM_SVC_PARM_*`: parameter types a host service sees. */
export const SvcParmType = {
  INVALID: 0,
  U32: 1,
  U64: 2,
  PTR: 3,
  PAGES: 4,
} as const;

/** A host-side parameter type value. */
export type SvcParmTypeValue = (typeof SvcParmType)[keyof typeof SvcParmType];

/** VMMDevHGCMRequestHeader (32 bytes): the request header plus flags and result. */
export const VMMDevHGCMRequestHeader = defineStruct('VMMDevHGCMRequestHeader', 32, {
  /** IN/OUT: VBOX_HGCM_REQ_DONE (host, atomic OR) and VBOX_HGCM_REQ_CANCELLED (guest). */
  fu32Flags: [24, 'u32'],
  /** OUT: the service's status, written at completion. */
  result: [28, 'i32'],
});

/** HGCMServiceLocation (132 bytes). */
export const HGCMServiceLocation = defineStruct('HGCMServiceLocation', 132, {
  type: [0, 'u32'],
  /** NUL-terminated service name. */
  achName: [4, 'bytes', HGCM_SERVICE_NAME_MAX],
});

/** VMMDevHGCMConnect (168 bytes). */
export const VMMDevHGCMConnect = defineStruct('VMMDevHGCMConnect', 168, {
  /** IN: HGCMServiceLocation. */
  loc: [32, 'bytes', 132],
  locType: [32, 'u32'],
  locName: [36, 'bytes', HGCM_SERVICE_NAME_MAX],
  /** OUT */
  u32ClientID: [164, 'u32'],
});

/** VMMDevHGCMDisconnect (36 bytes). */
export const VMMDevHGCMDisconnect = defineStruct('VMMDevHGCMDisconnect', 36, {
  /** IN */
  u32ClientID: [32, 'u32'],
});

/** VMMDevHGCMCall (44 bytes, then cParms parameters, then page lists / embedded data). */
export const VMMDevHGCMCall = defineStruct('VMMDevHGCMCall', 44, {
  /** IN */
  u32ClientID: [32, 'u32'],
  /** IN */
  u32Function: [36, 'u32'],
  /** IN */
  cParms: [40, 'u32'],
});

/** VMMDevHGCMCancel (32 bytes): the HGCM header only, re-submitted at the call's own address. */
export const VMMDevHGCMCancel = defineStruct('VMMDevHGCMCancel', 32, {});

/** VMMDevHGCMCancel2 (28 bytes): a plain request header plus the physical address to cancel. */
export const VMMDevHGCMCancel2 = defineStruct('VMMDevHGCMCancel2', 28, {
  /** IN: RTGCPHYS32 of the call to cancel. */
  physReqToCancel: [24, 'u32'],
});

/** HGCMFunctionParameter64 (16 bytes, pack 4): used by VMMDevReq_HGCMCall64. */
export const HGCMFunctionParameter64 = defineStruct('HGCMFunctionParameter64', 16, {
  type: [0, 'u32'],
  value32: [4, 'u32'],
  value64: [4, 'u64'],
  pointerSize: [4, 'u32'],
  pointerLinearAddr: [8, 'u64'],
  pageListSize: [4, 'u32'],
  pageListOffset: [8, 'u32'],
  /** Embedded: bits 0-7 fFlags, bits 8-31 offData. */
  embeddedFlagsOffset: [4, 'u32'],
  embeddedCbData: [8, 'u32'],
});

/** HGCMFunctionParameter32 (12 bytes): used by VMMDevReq_HGCMCall32. */
export const HGCMFunctionParameter32 = defineStruct('HGCMFunctionParameter32', 12, {
  type: [0, 'u32'],
  value32: [4, 'u32'],
  value64: [4, 'u64'],
  pointerSize: [4, 'u32'],
  pointerLinearAddr: [8, 'u32'],
  pageListSize: [4, 'u32'],
  pageListOffset: [8, 'u32'],
  embeddedFlagsOffset: [4, 'u32'],
  embeddedCbData: [8, 'u32'],
});

/** HGCMPageListInfo (8 bytes + 8 per page). */
export const HGCMPageListInfo = defineStruct('HGCMPageListInfo', 16, {
  /** VBOX_HGCM_F_PARM_DIRECTION_* */
  flags: [0, 'u32'],
  /** Data offset in the first page (< 4096). */
  offFirstPage: [4, 'u16'],
  cPages: [6, 'u16'],
  /** aPages[cPages]: guest-physical page addresses. */
  aPages: [8, 'u64'],
});

/** The pages [addr, addr + size) touches (0 for an empty range): the page count of its page list. */
export function pagesSpanned(addr: number, size: number): number {
  return size === 0 ? 0 : Math.ceil(((addr % PAGE_SIZE) + size) / PAGE_SIZE);
}

/** Byte size of an HGCMPageListInfo with n pages. */
export function pageListInfoSize(cPages: number): number {
  return HGCMPageListInfo.off.aPages + 8 * cPages;
}
