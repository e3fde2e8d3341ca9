// The guest/host ABI: wire layouts, request and parameter types, flags and status codes. Imports nothing.
export { defineStruct, scalarLength } from './layout.js';
export type { FieldDecl, FieldSpec, Scalar, Struct } from './layout.js';
export { RT_FAILURE, RT_SUCCESS, Status, statusName } from './status.js';
export type { StatusCode, StatusName } from './status.js';
export {
  HostFeature,
  PAGE_SIZE,
  RequestType,
  Requestor,
  VBOXOSTYPE_Linux26_x64,
  VMMDEV_MAX_VMMDEVREQ_SIZE,
  VMMDEV_PORT_OFF_REQUEST,
  VMMDEV_PORT_OFF_REQUEST_FAST,
  VMMDEV_REQUEST_HEADER_VERSION,
  VMMDEV_VERSION,
  VMMDevCtlGuestFilterMask,
  VMMDevEvents,
  VMMDevReportGuestInfo,
  VMMDevReqHostVersion,
  VMMDevRequestHeader,
  VmmDevEvent,
} from './vmmdev.js';
export type { RequestTypeValue } from './vmmdev.js';
export {
  HGCMFunctionParameter32,
  HGCMFunctionParameter64,
  HGCMPageListInfo,
  HGCMServiceLocation,
  HGCM_SERVICE_NAME_MAX,
  HgcmLocation,
  HgcmReqFlag,
  ParmDirection,
  ParmType,
  SvcParmType,
  VBGLR0_MAX_HGCM_EMBEDDED_BUFFER,
  VBGLR0_MAX_HGCM_KERNEL_PARM,
  VBGLR0_MAX_HGCM_USER_PARM,
  VBGLR0_MAX_LOCKED_BUFFERS,
  VMMDEV_MAX_HGCM_DATA_SIZE,
  VMMDEV_MAX_HGCM_PARMS,
  VMMDevHGCMCall,
  VMMDevHGCMCancel,
  VMMDevHGCMCancel2,
  VMMDevHGCMConnect,
  VMMDevHGCMDisconnect,
  VMMDevHGCMRequestHeader,
  pageListInfoSize,
  parmFlagsAreValid,
} from './hgcm.js';
export type { ParmTypeValue, SvcParmTypeValue } from './hgcm.js';
export {
  RT_INDEFINITE_WAIT,
  VBGLIOCHGCMCALL,
  VBGLIOCHGCMCONNECT,
  VBGLIOCHGCMDISCONNECT,
  VBGLREQHDR,
  VBGLREQHDR_TYPE_DEFAULT,
  VBGLREQHDR_VERSION,
  VBOXGUEST_SESSION_MAX_CLIENTS,
} from './ioctl.js';
