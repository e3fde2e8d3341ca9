// VMMDev request layouts and numbers; models include/VBox/VMMDev.h and include/VBox/VMMDevCoreTypes.h.
import { defineStruct } from './layout.js';

/** `VMMDevRequestHeader.version` every request must carry. */
export const VMMDEV_REQUEST_HEADER_VERSION = 0x10001;
/** Largest request the device accepts (VMMDEV_MAX_VMMDEVREQ_SIZE, 1 MiB). */
export const VMMDEV_MAX_VMMDEVREQ_SIZE = 1024 * 1024;
/** Interface version reported by the guest additions (VMMDEV_VERSION). */
export const VMMDEV_VERSION = 0x00010004;
/** Guest page size; VMMDev fixes it at 4 KiB. */
export const PAGE_SIZE = 4096;
/** Offset of the request port in BAR0: a 32-bit `out` of a request's physical address. */
export const VMMDEV_PORT_OFF_REQUEST = 0;
/** Offset of the fast port: `out` as port 0; a 32-bit `in` acknowledges IRQ events. */
export const VMMDEV_PORT_OFF_REQUEST_FAST = 8;

/** `VMMDevRequestType`: every value the Linux UAPI lists, plus GetMouseStatusEx (7.0). */
export const RequestType = {
  InvalidRequest: 0,
  GetMouseStatus: 1,
  SetMouseStatus: 2,
  SetPointerShape: 3,
  GetHostVersion: 4,
  Idle: 5,
  GetHostTime: 10,
  GetHypervisorInfo: 20,
  SetHypervisorInfo: 21,
  RegisterPatchMemory: 22,
  DeregisterPatchMemory: 23,
  SetPowerStatus: 30,
  AcknowledgeEvents: 41,
  CtlGuestFilterMask: 42,
  ReportGuestInfo: 50,
  GetDisplayChangeRequest: 51,
  VideoModeSupported: 52,
  GetHeightReduction: 53,
  GetDisplayChangeRequest2: 54,
  ReportGuestCapabilities: 55,
  SetGuestCapabilities: 56,
  VideoModeSupported2: 57,
  ReportGuestInfo2: 58,
  ReportGuestStatus: 59,
  HGCMConnect: 60,
  HGCMDisconnect: 61,
  HGCMCall32: 62,
  HGCMCall64: 63,
  HGCMCancel: 64,
  HGCMCancel2: 65,
  VideoAccelEnable: 70,
  VideoAccelFlush: 71,
  VideoSetVisibleRegion: 72,
  GetSeamlessChangeRequest: 73,
  ReportGuestUserState: 74,
  GetDisplayChangeRequestEx: 80,
  GetDisplayChangeRequestMulti: 81,
  QueryCredentials: 100,
  ReportCredentialsJudgement: 101,
  ReportGuestStats: 110,
  GetMemBalloonChangeRequest: 111,
  GetStatisticsChangeRequest: 112,
  ChangeMemBalloon: 113,
  GetVRDPChangeRequest: 150,
  LogString: 200,
  GetCpuHotPlugRequest: 210,
  SetCpuHotPlugStatus: 211,
  RegisterSharedModule: 212,
  UnregisterSharedModule: 213,
  CheckSharedModules: 214,
  GetPageSharingStatus: 215,
  DebugIsPageShared: 216,
  GetSessionId: 217,
  WriteCoreDump: 218,
  GuestHeartbeat: 219,
  HeartbeatConfigure: 220,
  NtBugCheck: 221,
  VideoUpdateMonitorPositions: 222,
  GetMouseStatusEx: 223,
} as const;

/** A known request type value. */
export type RequestTypeValue = (typeof RequestType)[keyof typeof RequestType];

/** `VMMDEV_REQUESTOR_*`: who issued a request (VMMDevRequestHeader.fRequestor). */
export const Requestor = {
  USR_NOT_GIVEN: 0x0,
  USR_DRV: 0x1,
  USR_DRV_OTHER: 0x2,
  USR_ROOT: 0x3,
  USR_SYSTEM: 0x4,
  USR_RESERVED1: 0x5,
  USR_USER: 0x6,
  USR_GUEST: 0x7,
  USR_MASK: 0x7,
  KERNEL: 0x0,
  USERMODE: 0x8,
  MODE_MASK: 0x8,
  CON_DONT_KNOW: 0x0,
  CON_NO: 0x10,
  CON_YES: 0x20,
  CON_USER: 0x30,
  CON_MASK: 0x30,
  GRP_VBOX: 0x80,
  GRP_WHEEL: 0x100,
  TRUST_NOT_GIVEN: 0x0,
  TRUST_UNTRUSTED: 0x1000,
  TRUST_LOW: 0x2000,
  TRUST_MEDIUM: 0x3000,
  TRUST_MEDIUM_PLUS: 0x4000,
  TRUST_HIGH: 0x5000,
  TRUST_SYSTEM: 0x6000,
  TRUST_PROTECTED: 0x7000,
  TRUST_MASK: 0x7000,
  USER_DEVICE: 0x8000,
  NO_USER_DEVICE: 0x10000,
  LEGACY: 0xffffffff,
} as const;

/** `VMMDEV_EVENT_*`: host event bits raised through the IRQ. */
export const VmmDevEvent = {
  MOUSE_CAPABILITIES_CHANGED: 0x1,
  HGCM: 0x2,
  DISPLAY_CHANGE_REQUEST: 0x4,
  JUDGE_CREDENTIALS: 0x8,
  RESTORED: 0x10,
  SEAMLESS_MODE_CHANGE_REQUEST: 0x20,
  BALLOON_CHANGE_REQUEST: 0x40,
  STATISTICS_INTERVAL_CHANGE_REQUEST: 0x80,
  VRDP: 0x100,
  MOUSE_POSITION_CHANGED: 0x200,
  CPU_HOTPLUG: 0x400,
  VALID_EVENT_MASK: 0x7ff,
} as const;

/** `VMMDEV_HVF_*`: host features reported by GetHostVersion. */
export const HostFeature = {
  HGCM_PHYS_PAGE_LIST: 0x1,
  HGCM_EMBEDDED_BUFFERS: 0x2,
  HGCM_CONTIGUOUS_PAGE_LIST: 0x4,
  HGCM_NO_BOUNCE_PAGE_LIST: 0x8,
  FAST_IRQ_ACK: 0x80000000,
} as const;

/** VMMDevRequestHeader (24 bytes): starts every request. */
export const VMMDevRequestHeader = defineStruct('VMMDevRequestHeader', 24, {
  /** IN: size of the whole request, body included. */
  size: [0, 'u32'],
  /** IN: VMMDEV_REQUEST_HEADER_VERSION. */
  version: [4, 'u32'],
  /** IN: RequestType. */
  requestType: [8, 'u32'],
  /** OUT: status of the request; the guest presets VERR_GENERAL_FAILURE. */
  rc: [12, 'i32'],
  /** Reserved, must be zero. */
  reserved1: [16, 'u32'],
  /** IN: VMMDEV_REQUESTOR_* flags (was reserved2). */
  fRequestor: [20, 'u32'],
});

/** VMMDevReqHostVersion (40 bytes, exact): GetHostVersion. */
export const VMMDevReqHostVersion = defineStruct('VMMDevReqHostVersion', 40, {
  /** OUT */
  major: [24, 'u16'],
  /** OUT */
  minor: [26, 'u16'],
  /** OUT */
  build: [28, 'u32'],
  /** OUT */
  revision: [32, 'u32'],
  /** OUT: VMMDEV_HVF_* */
  features: [36, 'u32'],
});

/** VMMDevEvents (28 bytes, exact): AcknowledgeEvents. */
export const VMMDevEvents = defineStruct('VMMDevEvents', 28, {
  /** OUT: events that were pending and unmasked; they are cleared. */
  events: [24, 'u32'],
});

/** VMMDevCtlGuestFilterMask (32 bytes, exact). */
export const VMMDevCtlGuestFilterMask = defineStruct('VMMDevCtlGuestFilterMask', 32, {
  /** IN: events to add to the filter mask. */
  u32OrMask: [24, 'u32'],
  /** IN: events to remove from the filter mask (HGCM cannot be removed). */
  u32NotMask: [28, 'u32'],
});

/** VMMDevReportGuestInfo (32 bytes): the additions announce themselves before any HGCM use. */
export const VMMDevReportGuestInfo = defineStruct('VMMDevReportGuestInfo', 32, {
  /** IN: VMMDEV_VERSION. */
  interfaceVersion: [24, 'u32'],
  /** IN: VBOXOSTYPE. */
  osType: [28, 'u32'],
});

/** VBOXOSTYPE value this model reports: Linux, 64-bit (VBOXOSTYPE_Linux26_x64). */
export const VBOXOSTYPE_Linux26_x64 = 0x53100 | 0x100000;
