// The IPRT layer on node:fs: files, directories, paths and volume information relative to open directory
// fds, with IPRT statuses (errno -> VERR in one table) and 64-bit values as BigInt; models the POSIX
// backend of IPRT (Runtime/r3/posix) that the Shared Folders service calls.
export { checkName, procFdAvailable, procPath, tryFs } from './at.js';
export type { FsResult } from './at.js';
export {
  rtDirCreateAt,
  rtDirOpenAt,
  rtDirOpenParent,
  rtDirOpenPath,
  rtDirReadNames,
  rtDirRemoveAt,
} from './dir.js';
export {
  ERRNO_TO_STATUS,
  UNMAPPED_ERRNO_STATUS,
  errnoOf,
  rtErrConvertFromErrno,
  rtErrFromNode,
  setIprtLog,
} from './errno.js';
export {
  MAX_WRITE_OFFSET,
  RTFOFF_MAX,
  RtFileAction,
  rtFileClose,
  rtFileCopyPart,
  rtFileFlush,
  rtFileOpenAt,
  rtFileQueryInfo,
  rtFileReadAt,
  rtFileSetMode,
  rtFileSetSize,
  rtFileSgReadAt,
  rtFileSgWriteAt,
  rtFileWrite,
  rtFileWriteAt,
} from './file.js';
export type { RtFileActionValue, RtFileOpenResult, RtFileOpenSpec, RtFileTaken, RtIoResult } from './file.js';
export { rtFsQuerySizes } from './fs.js';
export { rtFileSetTimes } from './times.js';
export type { FsSizes } from './fs.js';
export { isDirectory, isFile, isSymlink, objInfoFromStats, rtFsModeFromUnix } from './objinfo.js';
export type { FsObjInfo } from './objinfo.js';
export {
  rtFileDeleteAt,
  rtPathQueryInfoAt,
  rtPathRenameAt,
  rtSymlinkCreateAt,
  rtSymlinkDeleteAt,
  rtSymlinkReadAt,
} from './path.js';
export type { AtName, RenameType } from './path.js';
