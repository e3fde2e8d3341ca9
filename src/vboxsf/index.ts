// The guest's Shared Folders (mirrors Linux fs/vboxsf, above the guest driver of src/vcpu): what a VFS
// front, a guest program and the harness may use. Not to be confused with src/vbsf, the host's service.
export { SHARED_FOLDERS_SERVICE, ioParms, sfCall, sfParms } from './wrappers.js';
export type { SfArg, SfBuf, SfResult } from './wrappers.js';
// vboxsf_wrappers.c's calls, as step machines on (lib, clientId[, root], ...).
export {
  vboxCallCancelMappingsChangesWaits,
  vboxCallClose,
  vboxCallCreate,
  vboxCallDirInfo,
  vboxCallFSInfo,
  vboxCallFlush,
  vboxCallMapFolder,
  vboxCallRead,
  vboxCallRemove,
  vboxCallRename,
  vboxCallSetFileSize,
  vboxCallSetSymlinks,
  vboxCallSetUtf8,
  vboxCallSymlink,
  vboxCallUnmapFolder,
  vboxCallWaitForMappingsChanges,
  vboxCallWrite,
  vboxConnect,
  vboxDisconnect,
  vboxReadLink,
} from './wrappers.js';
// The 7.x additions' no-bounce host requests through the fast call.
export {
  buildFastRequest,
  fastRequestValues,
  sfFastCall,
  vboxCallReadPages,
  vboxCallWritePages,
} from './host-req.js';
export type { SfFastParm } from './host-req.js';
// Buffers in program memory, chunked I/O, and VBox status -> errno.
export { SF_IO_CHUNK, SfIo, sfStat } from './io.js';
export type { SfIoMode, SfStat } from './io.js';
export { Errno, statusToErrno } from './errno.js';
export type { ErrnoName } from './errno.js';
// The mount / fd API guest programs use (g.sf.mount(...)).
export { O, SfMount, SharedFolders, parseDirInfo } from './mount.js';
export type { SfDirent, SfMountOptions } from './mount.js';
