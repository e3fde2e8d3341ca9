// The guest's Shared Folders calls as step machines over GuestLib; models VBoxGuestR0LibSharedFolders.c
// (vboxCall*) and Linux's vboxsf_wrappers.c. Every call builds its HGCM parameters from the SHFL table
// (abi/shfl.ts): values as 32/64-bit parameters, buffers as LinAddr_In / _Out / LinAddr by the table's
// direction (or as a kernel PageList when asked). Buffers are guest addresses, as upstream's pointers are.
// Runs on the calling vCPU.
import { ShflFn, shflFunction, type ShflFnValue, type StatusCode } from '../abi/index.js';
import { type Proc, tracedCall } from '../runtime/index.js';
import type { GuestLib, HgcmCallOptions, HgcmParm } from '../vcpu/index.js';

/** The service guests connect to. */
export const SHARED_FOLDERS_SERVICE = 'VBoxSharedFolders';

/** A guest buffer: address and size. `pagelist` sends it as a caller-built PageList (kernel sessions). */
export interface SfBuf {
  readonly addr: number;
  readonly size: number;
  readonly pagelist?: boolean;
}

/** One argument, in table order: a number for u32, a bigint for u64, a buffer for ptr parameters. */
export type SfArg = number | bigint | SfBuf;

/** A call's outcome: `rc` is the failure of the call machinery or else the host's status. */
export interface SfResult {
  readonly rc: StatusCode;
  /** Every parameter after the call: values as the host left them, buffer sizes as reported back. */
  readonly out: readonly (number | bigint)[];
}

/** The HGCM parameters of SHFL function `fn` for `args` in table order (buffers by the table's direction). */
export function sfParms(fn: ShflFnValue, args: readonly SfArg[]): HgcmParm[] {
  const spec = shflFunction(fn);
  return args.map((a, i): HgcmParm => {
    if (typeof a === 'number') return { type: 'u32', value: a >>> 0 };
    if (typeof a === 'bigint') return { type: 'u64', value: BigInt.asUintN(64, a) };
    const dir = spec?.parms[i]?.dir ?? 'inout';
    if (a.pagelist === true && a.size > 0) return { type: 'pagelist', addr: a.addr, size: a.size, dir };
    return { type: dir, addr: a.addr, size: a.size };
  });
}

/**
 * Call SHFL function `fn` with `args` in table order. A value of the wrong kind for the table is sent as
 * the kind it is (hostile callers use this to send mismatched types; the host refuses them). A call of its
 * own for the tracer, named vboxCall<Function>.
 */
export const sfCall = tracedCall(
  {
    span: 'vboxCall',
    tracer: (lib: GuestLib) => lib.k.tracer,
    begin: (_lib, _clientId, fn) => [fn, 0],
    status: (r) => r.rc,
  },
  function* sfCall(
    lib: GuestLib,
    clientId: number,
    fn: ShflFnValue,
    args: readonly SfArg[],
    opts: HgcmCallOptions = {},
  ): Proc<SfResult> {
    const r = yield* lib.call(clientId, fn, sfParms(fn, args), opts);
    const out = r.parms.map((p) => (p.type === 'buffer' ? p.size : p.value));
    return { rc: r.rc < 0 ? r.rc : r.result, out };
  },
);

const u32Out = (r: SfResult, i: number): number => Number(r.out[i] ?? 0);
const u64Out = (r: SfResult, i: number): bigint => BigInt(r.out[i] ?? 0n);

/** vboxConnect: a client of the service. */
export function* vboxConnect(lib: GuestLib): Proc<{ rc: StatusCode; clientId: number }> {
  return yield* lib.connect(SHARED_FOLDERS_SERVICE);
}

/** vboxDisconnect. */
export function* vboxDisconnect(lib: GuestLib, clientId: number): Proc<StatusCode> {
  return yield* lib.disconnect(clientId);
}

/** vboxCallMapFolder (the legacy form when `caseSensitive` is undefined). */
export function* vboxCallMapFolder(
  lib: GuestLib,
  clientId: number,
  name: SfBuf,
  delimiter: number,
  caseSensitive?: boolean,
): Proc<{ rc: StatusCode; root: number }> {
  const r =
    caseSensitive === undefined
      ? yield* sfCall(lib, clientId, ShflFn.MAP_FOLDER_OLD, [name, 0, delimiter])
      : yield* sfCall(lib, clientId, ShflFn.MAP_FOLDER, [name, 0, delimiter, caseSensitive ? 1 : 0]);
  return { rc: r.rc, root: u32Out(r, 1) };
}

/** vboxCallUnmapFolder. */
export function* vboxCallUnmapFolder(lib: GuestLib, clientId: number, root: number): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.UNMAP_FOLDER, [root])).rc;
}

/** vboxCallCreate: `parms` is a 108-byte SHFLCREATEPARMS the host updates. */
export function* vboxCallCreate(
  lib: GuestLib,
  clientId: number,
  root: number,
  path: SfBuf,
  parms: SfBuf,
): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.CREATE, [root, path, parms])).rc;
}

/** vboxCallClose. */
export function* vboxCallClose(
  lib: GuestLib,
  clientId: number,
  root: number,
  handle: bigint,
): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.CLOSE, [root, handle])).rc;
}

/** vboxCallRead: `count` bytes at `offset` into `buf`; returns the bytes read. */
export function* vboxCallRead(
  lib: GuestLib,
  clientId: number,
  root: number,
  handle: bigint,
  offset: bigint,
  buf: SfBuf,
): Proc<{ rc: StatusCode; count: number }> {
  const r = yield* sfCall(lib, clientId, ShflFn.READ, [root, handle, offset, buf.size, buf]);
  return { rc: r.rc, count: u32Out(r, 3) };
}

/**
 * The five parameters of a READ or WRITE (root, handle, offset, count, buffer as LinAddr), for callers
 * that make the call themselves with their own timeout and signal policy and want the whole result.
 */
export function ioParms(
  fn: typeof ShflFn.READ | typeof ShflFn.WRITE,
  root: number,
  handle: bigint,
  offset: bigint,
  buf: SfBuf,
): HgcmParm[] {
  return [
    { type: 'u32', value: root },
    { type: 'u64', value: handle },
    { type: 'u64', value: offset },
    { type: 'u32', value: buf.size },
    { type: fn === ShflFn.READ ? 'out' : 'in', addr: buf.addr, size: buf.size },
  ];
}

/** vboxCallWrite: returns the bytes written and the offset after them (the end of file for append). */
export function* vboxCallWrite(
  lib: GuestLib,
  clientId: number,
  root: number,
  handle: bigint,
  offset: bigint,
  buf: SfBuf,
): Proc<{ rc: StatusCode; count: number; offset: bigint }> {
  const r = yield* sfCall(lib, clientId, ShflFn.WRITE, [root, handle, offset, buf.size, buf]);
  return { rc: r.rc, count: u32Out(r, 3), offset: u64Out(r, 2) };
}

/** vboxCallDirInfo: one LIST call into `buf`; `filter` of size 0 means none. */
export function* vboxCallDirInfo(
  lib: GuestLib,
  clientId: number,
  root: number,
  handle: bigint,
  filter: SfBuf,
  flags: number,
  buf: SfBuf,
): Proc<{ rc: StatusCode; cb: number; resume: number; files: number }> {
  const r = yield* sfCall(lib, clientId, ShflFn.LIST, [root, handle, flags, buf.size, filter, buf, 0, 0]);
  return { rc: r.rc, cb: u32Out(r, 3), resume: u32Out(r, 6), files: u32Out(r, 7) };
}

/** vboxCallFSInfo: INFORMATION with `flags` on `buf`; returns the bytes the host used. */
export function* vboxCallFSInfo(
  lib: GuestLib,
  clientId: number,
  root: number,
  handle: bigint,
  flags: number,
  buf: SfBuf,
): Proc<{ rc: StatusCode; cb: number }> {
  const r = yield* sfCall(lib, clientId, ShflFn.INFORMATION, [root, handle, flags, buf.size, buf]);
  return { rc: r.rc, cb: u32Out(r, 3) };
}

/** vboxCallRemove. */
export function* vboxCallRemove(
  lib: GuestLib,
  clientId: number,
  root: number,
  path: SfBuf,
  flags: number,
): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.REMOVE, [root, path, flags])).rc;
}

/** vboxCallRename. */
export function* vboxCallRename(
  lib: GuestLib,
  clientId: number,
  root: number,
  src: SfBuf,
  dst: SfBuf,
  flags: number,
): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.RENAME, [root, src, dst, flags])).rc;
}

/** vboxCallFlush. */
export function* vboxCallFlush(
  lib: GuestLib,
  clientId: number,
  root: number,
  handle: bigint,
): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.FLUSH, [root, handle])).rc;
}

/** vboxCallSetUtf8. */
export function* vboxCallSetUtf8(lib: GuestLib, clientId: number): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.SET_UTF8, [])).rc;
}

/** vboxCallSetSymlinks. */
export function* vboxCallSetSymlinks(lib: GuestLib, clientId: number): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.SET_SYMLINKS, [])).rc;
}

/** vboxReadLink: the target, UTF-8 and NUL-terminated, into `buf`. */
export function* vboxReadLink(
  lib: GuestLib,
  clientId: number,
  root: number,
  path: SfBuf,
  buf: SfBuf,
): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.READLINK, [root, path, buf])).rc;
}

/** vboxCallSymlink: `info` receives the new link's SHFLFSOBJINFO (92 bytes). */
export function* vboxCallSymlink(
  lib: GuestLib,
  clientId: number,
  root: number,
  path: SfBuf,
  target: SfBuf,
  info: SfBuf,
): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.SYMLINK, [root, path, target, info])).rc;
}

/** VbglR0SfWaitForMappingsChanges: returns when the mappings differ from `version` (or the wait is cancelled). */
export function* vboxCallWaitForMappingsChanges(
  lib: GuestLib,
  clientId: number,
  version: number,
  opts: HgcmCallOptions = {},
): Proc<{ rc: StatusCode; version: number }> {
  const r = yield* sfCall(lib, clientId, ShflFn.WAIT_FOR_MAPPINGS_CHANGES, [version], opts);
  return { rc: r.rc, version: u32Out(r, 0) };
}

/** VbglR0SfCancelMappingsChangesWaits. */
export function* vboxCallCancelMappingsChangesWaits(lib: GuestLib, clientId: number): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.CANCEL_MAPPINGS_CHANGES_WAITS, [])).rc;
}

/** VbglR0SfSetFileSize. */
export function* vboxCallSetFileSize(
  lib: GuestLib,
  clientId: number,
  root: number,
  handle: bigint,
  size: bigint,
): Proc<StatusCode> {
  return (yield* sfCall(lib, clientId, ShflFn.SET_FILE_SIZE, [root, handle, size])).rc;
}
