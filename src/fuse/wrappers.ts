// The Shared Folders calls the FUSE front makes, one function per host call as Linux's vboxsf_wrappers.c
// has them (and vboxsf_stat of utils.c), each returning 0 or a positive errno (vbg_status_code_to_errno)
// with its outputs. Paths and structures are built in a per-vCPU scratch area of guest RAM; READ and
// WRITE move data between the host and guest pages the caller names. Runs on the vCPU serving a request.
import {
  SHFLCREATEPARMS,
  SHFLFSOBJINFO,
  SHFLSTRING_HEADER_SIZE,
  SHFL_HANDLE_NIL,
  ShflCreate,
  ShflFn,
  ShflResult,
  Status,
  type StatusCode,
} from '../abi/index.js';
import { gpa } from '../runtime/index.js';
import type { GuestMemory } from '../runtime/index.js';
import type { Proc } from '../runtime/index.js';
import { errnoOf, sf, type KernelLib } from './guest.js';

/** PATH_MAX, the longest path vboxsf sends (SHFLSTRING header and terminator included). */
export const PATH_MAX = 4096;
const STR = SHFLSTRING_HEADER_SIZE + PATH_MAX;
/** Scratch layout: two paths, create parameters, an object info, a readlink buffer. */
const S = { PATH_A: 0, PATH_B: STR, PARMS: 2 * STR, INFO: 2 * STR + 112, LINK: 2 * STR + 208 } as const;
/** Bytes of scratch guest RAM one vCPU needs. */
export const SCRATCH_BYTES = S.LINK + PATH_MAX;
const ENAMETOOLONG = 36;
const ENOENT = 2;

/** A call's errno (0 on success). */
export interface SfErr {
  readonly err: number;
}

/** The result of a CREATE: the handle (or NIL), SHFLCREATERESULT and the object's information. */
export interface SfCreated extends SfErr {
  readonly handle: bigint;
  readonly result: number;
  /** The SHFLFSOBJINFO the host returned (a copy). */
  readonly info: Uint8Array;
}

/** The result of a READ or WRITE; `leaked`: the call was abandoned and its guest pages are quarantined. */
export interface SfIo extends SfErr {
  readonly count: number;
  readonly leaked: boolean;
}

/** One vCPU's view of the mount's client: the driver's library, client id, root and scratch RAM. */
export class Vboxsf {
  readonly lib: KernelLib;
  readonly client: number;
  readonly root: number;
  private readonly exec: <T>(p: Proc<T>) => T;
  private readonly mem: GuestMemory;
  private readonly scratch: number;

  constructor(o: {
    lib: KernelLib;
    exec: <T>(p: Proc<T>) => T;
    client: number;
    root: number;
    scratch: number;
  }) {
    this.lib = o.lib;
    this.exec = o.exec;
    this.client = o.client;
    this.root = o.root;
    this.mem = o.lib.k.mem;
    this.scratch = o.scratch;
  }

  /** Put `text` as a SHFLSTRING at scratch slot `at` (vboxsf_path_from_dentry); undefined if too long. */
  private string(at: number, text: Uint8Array): sf.SfBuf | undefined {
    if (SHFLSTRING_HEADER_SIZE + text.length + 1 > STR) return undefined;
    const addr = gpa(this.scratch + at);
    this.mem.writeU16(addr, 0, text.length + 1);
    this.mem.writeU16(addr, 2, text.length);
    this.mem.write(gpa(addr + SHFLSTRING_HEADER_SIZE), text);
    this.mem.writeU8(addr, SHFLSTRING_HEADER_SIZE + text.length, 0);
    return { addr, size: SHFLSTRING_HEADER_SIZE + text.length + 1 };
  }

  /** vboxsf_create: CREATE with fresh SHFLCREATEPARMS (handle NIL, `flags`, `mode` as the new object's). */
  create(path: Uint8Array, flags: number, mode = 0): SfCreated {
    const none = { handle: SHFL_HANDLE_NIL, result: ShflResult.NO_RESULT, info: new Uint8Array(0) };
    const p = this.string(S.PATH_A, path);
    if (p === undefined) return { err: ENAMETOOLONG, ...none };
    const parms = gpa(this.scratch + S.PARMS);
    this.mem.fill(parms, SHFLCREATEPARMS.size, 0);
    this.mem.writeU64(parms, SHFLCREATEPARMS.off.Handle, SHFL_HANDLE_NIL);
    this.mem.writeU32(parms, SHFLCREATEPARMS.off.CreateFlags, flags);
    this.mem.writeU32(parms, SHFLCREATEPARMS.off.Info + SHFLFSOBJINFO.off.Attr, mode);
    const rc = this.exec(
      sf.vboxCallCreate(this.lib, this.client, this.root, p, { addr: parms, size: SHFLCREATEPARMS.size }),
    );
    if (rc < 0) return { err: errnoOf(rc), ...none };
    return {
      err: 0,
      handle: this.mem.readU64(parms, SHFLCREATEPARMS.off.Handle),
      result: this.mem.readU32(parms, SHFLCREATEPARMS.off.Result),
      info: this.mem.read(gpa(parms + SHFLCREATEPARMS.off.Info), SHFLFSOBJINFO.size),
    };
  }

  /** vboxsf_stat: CREATE with LOOKUP | FAIL_IF_NEW; anything but FILE_EXISTS is ENOENT. */
  stat(path: Uint8Array): SfErr & { info: Uint8Array } {
    const r = this.create(path, ShflCreate.LOOKUP | ShflCreate.ACT_FAIL_IF_NEW);
    if (r.err !== 0) return r;
    if (r.result !== ShflResult.FILE_EXISTS) return { err: ENOENT, info: r.info };
    return r;
  }

  /** vboxsf_close. */
  close(handle: bigint): number {
    return errnoOf(this.exec(sf.vboxCallClose(this.lib, this.client, this.root, handle)));
  }

  /** vboxsf_remove. */
  remove(path: Uint8Array, flags: number): number {
    const p = this.string(S.PATH_A, path);
    if (p === undefined) return ENAMETOOLONG;
    return errnoOf(this.exec(sf.vboxCallRemove(this.lib, this.client, this.root, p, flags)));
  }

  /** vboxsf_rename. */
  rename(from: Uint8Array, to: Uint8Array, flags: number): number {
    const a = this.string(S.PATH_A, from);
    const b = this.string(S.PATH_B, to);
    if (a === undefined || b === undefined) return ENAMETOOLONG;
    return errnoOf(this.exec(sf.vboxCallRename(this.lib, this.client, this.root, a, b, flags)));
  }

  /** vboxsf_fsinfo: INFORMATION with `flags` on scratch holding `input` (zeroed to `size`); the bytes after. */
  fsinfo(handle: bigint, flags: number, size: number, input?: Uint8Array): SfErr & { data: Uint8Array } {
    const at = gpa(this.scratch + S.INFO);
    this.mem.fill(at, size, 0);
    if (input !== undefined) this.mem.write(at, input);
    const r = this.exec(
      sf.vboxCallFSInfo(this.lib, this.client, this.root, handle, flags, { addr: at, size }),
    );
    return { err: errnoOf(r.rc), data: this.mem.read(at, size) };
  }

  /** FLUSH (what fsync asks of the host). */
  flush(handle: bigint): number {
    return errnoOf(this.exec(sf.vboxCallFlush(this.lib, this.client, this.root, handle)));
  }

  /** vboxsf_readlink: the target's bytes. */
  readlink(path: Uint8Array): SfErr & { target: Uint8Array } {
    const p = this.string(S.PATH_A, path);
    if (p === undefined) return { err: ENAMETOOLONG, target: new Uint8Array(0) };
    const buf = gpa(this.scratch + S.LINK);
    this.mem.fill(buf, PATH_MAX, 0);
    const rc = this.exec(sf.vboxReadLink(this.lib, this.client, this.root, p, { addr: buf, size: PATH_MAX }));
    if (rc < 0) return { err: errnoOf(rc), target: new Uint8Array(0) };
    const bytes = this.mem.read(buf, PATH_MAX);
    const end = bytes.indexOf(0);
    return { err: 0, target: bytes.subarray(0, end < 0 ? PATH_MAX : end) };
  }

  /** vboxsf_symlink: make `path` a link to `target`; the new link's SHFLFSOBJINFO. */
  symlink(path: Uint8Array, target: Uint8Array): SfErr & { info: Uint8Array } {
    const p = this.string(S.PATH_A, path);
    const t = this.string(S.PATH_B, target);
    if (p === undefined || t === undefined) return { err: ENAMETOOLONG, info: new Uint8Array(0) };
    const info = gpa(this.scratch + S.INFO);
    this.mem.fill(info, SHFLFSOBJINFO.size, 0);
    const rc = this.exec(
      sf.vboxCallSymlink(this.lib, this.client, this.root, p, t, { addr: info, size: SHFLFSOBJINFO.size }),
    );
    return { err: errnoOf(rc), info: this.mem.read(info, SHFLFSOBJINFO.size) };
  }

  /** vboxsf_dirinfo: one LIST into `size` bytes at `addr`; err 0, or -1 at the end of the directory. */
  dirinfo(handle: bigint, addr: number, size: number): SfErr & { cb: number; files: number } {
    const r = this.exec(
      sf.vboxCallDirInfo(this.lib, this.client, this.root, handle, { addr: 0, size: 0 }, 0, { addr, size }),
    );
    if (r.rc === Status.VERR_NO_MORE_FILES) return { err: -1, cb: 0, files: 0 };
    return { err: errnoOf(r.rc), cb: r.cb, files: r.files };
  }

  /**
   * vboxsf_read / vboxsf_write: `size` bytes at `offset` between the file and guest RAM at `addr` (a
   * page list on the wire). `interruptible`: a signal to this vCPU cancels the call (FUSE_INTERRUPT).
   */
  io(
    fn: typeof ShflFn.READ | typeof ShflFn.WRITE,
    handle: bigint,
    offset: bigint,
    addr: number,
    size: number,
    interruptible: boolean,
  ): SfIo {
    const t = this.lib.k.tracer;
    t.enterCall();
    t.begin('vboxCall', fn);
    const r = this.exec(
      this.lib.callKernel(this.client, fn, sf.ioParms(fn, this.root, handle, offset, { addr, size }), {
        interruptible,
      }),
    );
    t.end('vboxCall', fn, r.rc);
    t.leaveCall();
    const leaked = r.leakedBytes > 0 || r.cancel?.leak === true;
    const rc: StatusCode = r.rc < 0 ? r.rc : r.result;
    const count = r.rc >= 0 && r.parms[3]?.type === 'u32' ? r.parms[3].value : 0;
    return { err: errnoOf(rc), count: rc < 0 ? 0 : Math.min(count, size), leaked };
  }
}
