// The guest side of a stress run's Shared Folders share: what the prelude does for a shared 'sf' client
// (as vboxsf's one kernel client at mount, then an open), so the threads' writes have a root and a handle.
import {
  SHFLCREATEPARMS,
  SHFLSTRING_HEADER_SIZE,
  SHFL_HANDLE_NIL,
  ShflCreate,
  ShflFn,
  Status,
} from '../src/abi/index.js';
import { gpa, type GuestAddress, type Proc } from '../src/runtime/index.js';
import {
  closeSession,
  type GuestKernel,
  GuestLib,
  type HgcmCallResult,
  type HgcmParm,
  Session,
} from '../src/vcpu/index.js';
import { sfParms } from '../src/vboxsf/index.js';

/** The share a run's 'sf' clients map (a fresh host directory per run) and the file in it they write. */
export const SF_SHARE = 'stress';
export const SF_FILE = 'history';

/** What the prelude opened for an 'sf' client: its root and the shared file's handle. */
export interface SfFile {
  readonly root: number;
  readonly handle: bigint;
}

/**
 * As vboxsf at mount, then open: SET_UTF8, MAP_FOLDER the run's share, CREATE SF_FILE for reading and
 * writing (kept if it exists). Kernel calls without a timeout; the handle closes with the client.
 */
export function* openSharedFile(k: GuestKernel, clientId: number): Proc<SfFile> {
  const session = Session.open(k, false);
  if (typeof session === 'number') throw new Error(`stress: no session for the share's set-up: ${session}`);
  const lib = new GuestLib(k, session);
  const call = function* (fn: number, parms: readonly HgcmParm[]): Proc<HgcmCallResult> {
    const r = yield* lib.callKernel(clientId, fn, parms);
    if (r.rc !== Status.VINF_SUCCESS || r.result < 0)
      throw new Error(`stress: SHFL function ${fn} failed while opening the share: ${r.rc}/${r.result}`);
    return r;
  };
  /** `size` zeroed bytes of program memory. */
  const alloc = (size: number): GuestAddress => {
    const a = k.data.alloc(size);
    if (a === undefined) throw new Error('stress: guest program memory exhausted');
    k.mem.fill(a.addr, size, 0);
    return a.addr;
  };
  /** A UTF-8 SHFLSTRING (size = length + 1, as vboxsf). */
  const text = (s: string): { addr: GuestAddress; size: number } => {
    const body = new TextEncoder().encode(s);
    const size = SHFLSTRING_HEADER_SIZE + body.length + 1;
    const addr = alloc(size);
    k.mem.writeU16(addr, 0, body.length + 1);
    k.mem.writeU16(addr, 2, body.length);
    k.mem.write(gpa(addr + SHFLSTRING_HEADER_SIZE), body);
    return { addr, size };
  };
  yield* call(ShflFn.SET_UTF8, []);
  const name = text(SF_SHARE);
  const m = yield* call(ShflFn.MAP_FOLDER, sfParms(ShflFn.MAP_FOLDER, [name, 0, 0x2f, 1]));
  k.data.free(name.addr);
  const root = m.parms[1]?.type === 'u32' ? m.parms[1].value : -1;
  const path = text(`/${SF_FILE}`);
  const cp = { addr: alloc(SHFLCREATEPARMS.size), size: SHFLCREATEPARMS.size };
  const flags = ShflCreate.ACT_CREATE_IF_NEW | ShflCreate.ACT_OPEN_IF_EXISTS | ShflCreate.ACCESS_READWRITE;
  k.mem.writeU32(cp.addr, SHFLCREATEPARMS.off.CreateFlags, flags);
  k.mem.writeU64(cp.addr, SHFLCREATEPARMS.off.Handle, SHFL_HANDLE_NIL);
  yield* call(ShflFn.CREATE, sfParms(ShflFn.CREATE, [root, path, cp]));
  const handle = k.mem.readU64(cp.addr, SHFLCREATEPARMS.off.Handle);
  k.data.free(path.addr);
  k.data.free(cp.addr);
  yield* closeSession(k, session);
  if (handle === SHFL_HANDLE_NIL) throw new Error('stress: CREATE of the shared file returned no handle');
  return { root, handle };
}
