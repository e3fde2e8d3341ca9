// The VBoxGuest ioctl layer's HGCM structures; models include/VBox/VBoxGuestCoreTypes.h and VBoxGuest.h
// (the Linux UAPI names them vbg_ioctl_hdr and vbg_ioctl_hgcm_call).
import { defineStruct } from './layout.js';

/** VBGLREQHDR.uVersion. */
export const VBGLREQHDR_VERSION = 0x10001;
/** VBGLREQHDR.uType for ioctls that are not raw VMMDev requests (VBGLREQHDR_TYPE_DEFAULT). */
export const VBGLREQHDR_TYPE_DEFAULT = 0;
/** cMsTimeout meaning "wait forever" (RT_INDEFINITE_WAIT). */
export const RT_INDEFINITE_WAIT = 0xffffffff;
/** Client-id slots per VBoxGuest session (aHGCMClientIds). */
export const VBOXGUEST_SESSION_MAX_CLIENTS = 64;

/** VBGLREQHDR (24 bytes): the ioctl header, mirroring VMMDevRequestHeader. */
export const VBGLREQHDR = defineStruct('VBGLREQHDR', 24, {
  /** IN: input size. */
  cbIn: [0, 'u32'],
  /** IN: VBGLREQHDR_VERSION. */
  uVersion: [4, 'u32'],
  /** IN: VMMDev request type or VBGLREQHDR_TYPE_DEFAULT. */
  uType: [8, 'u32'],
  /** OUT: status of the ioctl (for HGCM calls: the host's result). */
  rc: [12, 'i32'],
  /** IN: output size (0 means cbIn). */
  cbOut: [16, 'u32'],
  /** Reserved, must be zero. */
  uReserved: [20, 'u32'],
});

/** VBGLIOCHGCMCALL (40 bytes, then cParms HGCMFunctionParameter64/32). */
export const VBGLIOCHGCMCALL = defineStruct('VBGLIOCHGCMCALL', 40, {
  /** IN */
  u32ClientID: [24, 'u32'],
  /** IN */
  u32Function: [28, 'u32'],
  /** IN: milliseconds; RT_INDEFINITE_WAIT waits forever. */
  cMsTimeout: [32, 'u32'],
  /** IN: a signal may end the wait (always so for user sessions). */
  fInterruptible: [36, 'u8'],
  bReserved: [37, 'u8'],
  /** IN */
  cParms: [38, 'u16'],
});

/** VBGLIOCHGCMCONNECT (156 bytes): in = HGCMServiceLocation, out = client id (a union at 24). */
export const VBGLIOCHGCMCONNECT = defineStruct('VBGLIOCHGCMCONNECT', 156, {
  /** IN: HGCMServiceLocation. */
  loc: [24, 'bytes', 132],
  /** OUT */
  idClient: [24, 'u32'],
});

/** VBGLIOCHGCMDISCONNECT (28 bytes). */
export const VBGLIOCHGCMDISCONNECT = defineStruct('VBGLIOCHGCMDISCONNECT', 28, {
  /** IN */
  idClient: [24, 'u32'],
});
