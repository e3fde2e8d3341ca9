// The guest-memory side of Shared Folders calls for the file API: SHFLSTRINGs, SHFLCREATEPARMS and I/O
// buffers placed in program memory, I/O split into chunks and sent the way the mount asks (LinAddr,
// a kernel PageList, or a no-bounce page list through a fast call); models the buffer handling of Linux
// vboxsf (utils.c, file.c) around VBoxGuestR0LibSharedFolders.c. Runs on the calling vCPU.
import {
  SHFLCREATEPARMS,
  SHFLFSOBJINFO,
  SHFLSTRING_HEADER_SIZE,
  SHFL_HANDLE_NIL,
  SHFLFSOBJATTR,
  Status,
  type StatusCode,
} from '../abi/index.js';
import { ByteView, gpa, HeapError, type Proc } from '../runtime/index.js';
import type { GuestLib } from '../vcpu/index.js';
import { vboxCallReadPages, vboxCallWritePages } from './host-req.js';
import * as sf from './wrappers.js';

/** How READ/WRITE buffers travel; 'mixed' rotates through the three, chunk by chunk. */
export type SfIoMode = 'linaddr' | 'pagelist' | 'nobounce' | 'mixed';

/** File information as the host reported it (SHFLFSOBJINFO). */
export interface SfStat {
  readonly size: bigint;
  readonly allocated: bigint;
  /** RTFS_* mode: UNIX type and permissions, DOS attributes above. */
  readonly mode: number;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymbolicLink: boolean;
  readonly atimeNs: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly birthtimeNs: bigint;
  readonly nlink: number;
  readonly ino: bigint;
}

/** Decode a SHFLFSOBJINFO. */
export function sfStat(info: Uint8Array): SfStat {
  const v = new ByteView(info);
  const I = SHFLFSOBJINFO.off;
  const a = I.Attr;
  const mode = v.u32(a + SHFLFSOBJATTR.off.fMode);
  const type = mode & 0o170000;
  return {
    size: v.i64(I.cbObject),
    allocated: v.i64(I.cbAllocated),
    mode,
    isFile: type === 0o100000,
    isDirectory: type === 0o40000,
    isSymbolicLink: type === 0o120000,
    atimeNs: v.i64(I.AccessTime),
    mtimeNs: v.i64(I.ModificationTime),
    ctimeNs: v.i64(I.ChangeTime),
    birthtimeNs: v.i64(I.BirthTime),
    nlink: v.u32(a + SHFLFSOBJATTR.off.cHardlinks),
    ino: v.u64(a + SHFLFSOBJATTR.off.INodeId),
  };
}

/** Largest piece of one READ or WRITE call. */
export const SF_IO_CHUNK = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One client and root's calls, with their buffers in guest program memory. */
export class SfIo {
  readonly lib: GuestLib;
  readonly clientId: number;
  readonly root: number;
  readonly mode: SfIoMode;
  private readonly exec: <T>(proc: Proc<T>) => T;
  private turn = 0;

  constructor(lib: GuestLib, exec: <T>(proc: Proc<T>) => T, clientId: number, root: number, mode: SfIoMode) {
    this.lib = lib;
    this.exec = exec;
    this.clientId = clientId;
    this.root = root;
    this.mode = mode;
  }

  /** Run `fn` with `size` bytes of program memory (zeroed), freed afterwards. */
  withBuffer<T>(size: number, fn: (addr: number) => T): T {
    const a = this.lib.k.data.alloc(Math.max(size, 1));
    if (a === undefined) throw new HeapError(`guest program memory exhausted (${size} bytes)`);
    try {
      this.lib.k.mem.fill(a.addr, Math.max(size, 1), 0);
      return fn(a.addr);
    } finally {
      this.lib.k.data.free(a.addr);
    }
  }

  /** Run `fn` with `text` as a UTF-8 SHFLSTRING in program memory (size = length + 1, as vboxsf). */
  withString<T>(text: string | Uint8Array, fn: (s: sf.SfBuf) => T): T {
    const body = typeof text === 'string' ? encoder.encode(text) : text;
    const size = SHFLSTRING_HEADER_SIZE + body.length + 1;
    return this.withBuffer(size, (addr) => {
      const { mem } = this.lib.k;
      mem.writeU16(gpa(addr), 0, body.length + 1);
      mem.writeU16(gpa(addr), 2, body.length);
      mem.write(gpa(addr + SHFLSTRING_HEADER_SIZE), body);
      return fn({ addr, size });
    });
  }

  private read8(addr: number, len: number): Uint8Array {
    return this.lib.k.mem.read(gpa(addr), len);
  }

  decodeName(bytes: Uint8Array): string {
    return decoder.decode(bytes);
  }

  /** CREATE with a fresh SHFLCREATEPARMS (Handle NIL, the given flags and mode). */
  create(
    path: string,
    flags: number,
    mode = 0,
  ): { rc: StatusCode; handle: bigint; result: number; stat: SfStat } {
    return this.withString(path, (s) =>
      this.withBuffer(SHFLCREATEPARMS.size, (p) => {
        const { mem } = this.lib.k;
        mem.writeU64(gpa(p), SHFLCREATEPARMS.off.Handle, SHFL_HANDLE_NIL);
        mem.writeU32(gpa(p), SHFLCREATEPARMS.off.CreateFlags, flags);
        mem.writeU32(gpa(p), SHFLCREATEPARMS.off.Info + SHFLFSOBJINFO.off.Attr, mode);
        const rc = this.exec(
          sf.vboxCallCreate(this.lib, this.clientId, this.root, s, { addr: p, size: SHFLCREATEPARMS.size }),
        );
        const out = new ByteView(this.read8(p, SHFLCREATEPARMS.size));
        return {
          rc,
          handle: out.u64(SHFLCREATEPARMS.off.Handle),
          result: out.u32(SHFLCREATEPARMS.off.Result),
          stat: sfStat(out.bytes.subarray(SHFLCREATEPARMS.off.Info)),
        };
      }),
    );
  }

  close(handle: bigint): StatusCode {
    return this.exec(sf.vboxCallClose(this.lib, this.clientId, this.root, handle));
  }

  private nextMode(): Exclude<SfIoMode, 'mixed'> {
    if (this.mode !== 'mixed') return this.mode;
    const modes = ['linaddr', 'pagelist', 'nobounce'] as const;
    return modes[this.turn++ % modes.length]!;
  }

  /** Read up to `length` bytes at `offset`, chunk by chunk, stopping at the first short chunk. */
  read(handle: bigint, offset: bigint, length: number): { rc: StatusCode; data: Uint8Array } {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = Math.min(SF_IO_CHUNK, length - done);
      const r = this.withBuffer(n, (addr) => {
        const at = offset + BigInt(done);
        const mode = this.nextMode();
        const res =
          mode === 'nobounce'
            ? this.exec(vboxCallReadPages(this.lib.k, this.clientId, this.root, handle, at, addr, n))
            : this.exec(
                sf.vboxCallRead(this.lib, this.clientId, this.root, handle, at, {
                  addr,
                  size: n,
                  pagelist: mode === 'pagelist',
                }),
              );
        const got = Math.min(res.count, n);
        if (res.rc >= 0 && got > 0) out.set(this.read8(addr, got), done);
        return { rc: res.rc, got: res.rc >= 0 ? got : 0 };
      });
      if (r.rc < 0) return { rc: r.rc, data: out.slice(0, done) };
      done += r.got;
      if (r.got < n) break;
    }
    return { rc: Status.VINF_SUCCESS, data: out.slice(0, done) };
  }

  /** Write `data` at `offset` chunk by chunk; stops at a short chunk. `offset` out is where the host says it ended. */
  write(handle: bigint, offset: bigint, data: Uint8Array): { rc: StatusCode; count: number; offset: bigint } {
    let done = 0;
    let end = offset;
    while (done < data.length || (data.length === 0 && done === 0)) {
      const n = Math.min(SF_IO_CHUNK, data.length - done);
      const at = offset + BigInt(done);
      const r = this.withBuffer(n, (addr) => {
        this.lib.k.mem.write(gpa(addr), data.subarray(done, done + n));
        const mode = n === 0 ? 'linaddr' : this.nextMode();
        return mode === 'nobounce'
          ? this.exec(vboxCallWritePages(this.lib.k, this.clientId, this.root, handle, at, addr, n))
          : this.exec(
              sf.vboxCallWrite(this.lib, this.clientId, this.root, handle, at, {
                addr,
                size: n,
                pagelist: mode === 'pagelist',
              }),
            );
      });
      if (r.rc < 0) return { rc: r.rc, count: done, offset: end };
      done += r.count;
      end = r.offset;
      if (n === 0 || r.count < n) break;
    }
    return { rc: Status.VINF_SUCCESS, count: done, offset: end };
  }

  /** INFORMATION with `flags` on a `size`-byte buffer (initialised from `input`); the bytes back. */
  info(
    handle: bigint,
    flags: number,
    size: number,
    input?: Uint8Array,
  ): { rc: StatusCode; data: Uint8Array } {
    return this.withBuffer(size, (addr) => {
      if (input !== undefined) this.lib.k.mem.write(gpa(addr), input);
      const r = this.exec(
        sf.vboxCallFSInfo(this.lib, this.clientId, this.root, handle, flags, { addr, size }),
      );
      return { rc: r.rc, data: this.read8(addr, size) };
    });
  }

  setFileSize(handle: bigint, size: bigint): StatusCode {
    return this.exec(sf.vboxCallSetFileSize(this.lib, this.clientId, this.root, handle, size));
  }

  flush(handle: bigint): StatusCode {
    return this.exec(sf.vboxCallFlush(this.lib, this.clientId, this.root, handle));
  }

  remove(path: string, flags: number): StatusCode {
    return this.withString(path, (s) =>
      this.exec(sf.vboxCallRemove(this.lib, this.clientId, this.root, s, flags)),
    );
  }

  rename(from: string, to: string, flags: number): StatusCode {
    return this.withString(from, (a) =>
      this.withString(to, (b) =>
        this.exec(sf.vboxCallRename(this.lib, this.clientId, this.root, a, b, flags)),
      ),
    );
  }

  symlink(path: string, target: string): StatusCode {
    return this.withString(path, (p) =>
      this.withString(target, (t) =>
        this.withBuffer(SHFLFSOBJINFO.size, (info) =>
          this.exec(
            sf.vboxCallSymlink(this.lib, this.clientId, this.root, p, t, {
              addr: info,
              size: SHFLFSOBJINFO.size,
            }),
          ),
        ),
      ),
    );
  }

  readlink(path: string, size: number): { rc: StatusCode; target: string } {
    return this.withString(path, (p) =>
      this.withBuffer(size, (buf) => {
        const rc = this.exec(sf.vboxReadLink(this.lib, this.clientId, this.root, p, { addr: buf, size }));
        const bytes = this.read8(buf, size);
        const end = bytes.indexOf(0);
        return { rc, target: decoder.decode(bytes.subarray(0, end < 0 ? size : end)) };
      }),
    );
  }

  /** One LIST call with a `size`-byte buffer; `filter` is bound on the handle's first LIST. */
  list(
    handle: bigint,
    flags: number,
    size: number,
    filter?: string,
  ): { rc: StatusCode; data: Uint8Array; files: number; resume: number } {
    const call = (f: sf.SfBuf): { rc: StatusCode; data: Uint8Array; files: number; resume: number } =>
      this.withBuffer(size, (buf) => {
        const r = this.exec(
          sf.vboxCallDirInfo(this.lib, this.clientId, this.root, handle, f, flags, { addr: buf, size }),
        );
        return { rc: r.rc, data: this.read8(buf, Math.min(r.cb, size)), files: r.files, resume: r.resume };
      });
    return filter === undefined ? call({ addr: 0, size: 0 }) : this.withString(filter, call);
  }

  unmap(): StatusCode {
    return this.exec(sf.vboxCallUnmapFolder(this.lib, this.clientId, this.root));
  }

  disconnect(): StatusCode {
    return this.exec(sf.vboxDisconnect(this.lib, this.clientId));
  }
}
