// The guest programs that begin and end a mount (run on vCPU 0): what vboxsf_setup and vboxsf_fill_super do
// at mount (connect the driver's client, SET_UTF8, SET_SYMLINKS, MAP_FOLDER, stat the root) and what
// vboxsf_put_super and module exit do at the end (UNMAP_FOLDER, disconnect), after closing whatever the
// kernel left open (a lazily unmounted mount's files are closed by the kernel before the connection ends,
// but a crashed server never saw their RELEASE).
import { SHFLSTRING_HEADER_SIZE, SHFL_HANDLE_NIL, statusName } from '../abi/index.js';
import { gpa } from '../runtime/index.js';
import { MountError } from '../runtime/index.js';
import { freeListing } from './dirbuf.js';
import { FileTable } from './files.js';
import { kernelLib, sf, type GuestContext } from './guest.js';
import { FrontState, FrontWord, FrontWords, type FrontShared } from './layout.js';
import { SCRATCH_BYTES, Vboxsf } from './wrappers.js';

/** What the mount's set-up program needs. */
export interface ConnectArgs {
  readonly front: FrontShared;
  /** The share's name (MAP_FOLDER). */
  readonly share: string;
  /** vboxsf's follow_symlinks module parameter: skip SET_SYMLINKS (default false). */
  readonly followSymlinks?: boolean;
}

/** Connect the mount's client and map the share; the client and root go into the front's header. */
export function connect(g: GuestContext, a: ConnectArgs): { client: number; root: number } {
  const lib = kernelLib(g);
  const c = g.run(lib.connectDriver());
  if (c.rc < 0) throw new MountError(`connecting to VBoxSharedFolders failed: ${statusName(c.rc)}`);
  const fail = (what: string, rc: number): never => {
    g.run(lib.disconnectDriver(c.clientId));
    throw new MountError(`${what} failed: ${statusName(rc)}`);
  };
  let rc = g.run(sf.vboxCallSetUtf8(lib, c.clientId));
  if (rc < 0) fail('SET_UTF8', rc);
  if (a.followSymlinks !== true) {
    rc = g.run(sf.vboxCallSetSymlinks(lib, c.clientId));
    if (rc < 0) fail('SET_SYMLINKS', rc);
  }
  const name = new TextEncoder().encode(a.share);
  const size = SHFLSTRING_HEADER_SIZE + name.length + 1;
  const s = g.alloc(size);
  let m: { rc: number; root: number };
  try {
    g.ram.writeU16(s, 0, name.length + 1);
    g.ram.writeU16(s, 2, name.length);
    g.ram.write(gpa(s + SHFLSTRING_HEADER_SIZE), name);
    g.ram.writeU8(s, SHFLSTRING_HEADER_SIZE + name.length, 0);
    m = g.run(sf.vboxCallMapFolder(lib, c.clientId, { addr: s, size }, '/'.charCodeAt(0), true));
  } finally {
    g.free(s);
  }
  if (m.rc < 0) fail(`MAP_FOLDER of "${a.share}"`, m.rc);
  // vboxsf_fill_super: the root must stat, or the mount fails.
  const scratch = g.alloc(SCRATCH_BYTES);
  try {
    const vsf = new Vboxsf({ lib, exec: (p) => g.run(p), client: c.clientId, root: m.root, scratch });
    const st = vsf.stat(Uint8Array.of(0x2f));
    if (st.err !== 0) {
      g.run(sf.vboxCallUnmapFolder(lib, c.clientId, m.root));
      fail('stat of the share root', -st.err);
    }
  } finally {
    g.free(scratch);
  }
  const words = new FrontWords(a.front);
  words.set(FrontWord.CLIENT, c.clientId);
  words.set(FrontWord.ROOT, m.root);
  words.set(FrontWord.STATE, FrontState.CONNECTED);
  return { client: c.clientId, root: m.root };
}

/** What the tear-down found still open. */
export interface DisconnectReport {
  readonly filesClosed: number;
  readonly dirsFreed: number;
}

/** Close what is left open, unmap the share, disconnect the client. */
export function disconnect(g: GuestContext, a: { front: FrontShared }): DisconnectReport {
  const lib = kernelLib(g);
  const words = new FrontWords(a.front);
  const client = words.get(FrontWord.CLIENT);
  const root = words.get(FrontWord.ROOT);
  const files = FileTable.attach(a.front.files);
  let filesClosed = 0;
  let dirsFreed = 0;
  for (const fh of files.all()) {
    const closed = files.close(fh);
    if (closed?.kind === 'file' && closed.file.handle !== SHFL_HANDLE_NIL) {
      g.run(sf.vboxCallClose(lib, client, root, closed.file.handle));
      filesClosed++;
    } else if (closed?.kind === 'dir') {
      freeListing({ alloc: () => undefined, free: (addr) => g.free(addr) }, g.ram, closed.dir.head);
      dirsFreed++;
    }
  }
  g.run(sf.vboxCallUnmapFolder(lib, client, root));
  g.run(lib.disconnectDriver(client));
  words.set(FrontWord.STATE, FrontState.ENDED);
  return { filesClosed, dirsFreed };
}
