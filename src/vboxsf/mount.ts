// A POSIX-like file API over a mapped shared folder for guest programs; models what Linux vboxsf
// (fs/vboxsf: file.c, dir.c, utils.c, super.c) turns system calls into: the CREATE flags of open/mkdir,
// LOOKUP for stat, REMOVE/RENAME flags by type, LIST in 16 KiB buffers, and VBox statuses reported as
// errno (GuestFsError). Runs the vboxCall* step machines of wrappers.ts on the calling vCPU.
import {
  SHFLDIRINFO,
  SHFLDIRINFO_NAME_OFFSET,
  SHFLFSOBJINFO,
  SHFLVOLINFO,
  SHFL_HANDLE_NIL,
  ShflCreate,
  ShflInfo,
  ShflList,
  ShflRemove,
  ShflRename,
  ShflResult,
  Status,
  type StatusCode,
} from '../abi/index.js';
import { ByteView, GuestFsError, type Proc } from '../runtime/index.js';
import type { GuestLib } from '../vcpu/index.js';
import { statusToErrno } from './errno.js';
import { SfIo, sfStat, type SfIoMode, type SfStat } from './io.js';
import * as sf from './wrappers.js';

/** open(2) flags (Linux values). */
export const O = {
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  ACCMODE: 3,
  CREAT: 0o100,
  EXCL: 0o200,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  DIRECTORY: 0o200000,
} as const;

/** How a mount talks to the host. */
export interface SfMountOptions {
  /** MAP_FOLDER's case sensitivity (default true). */
  readonly caseSensitive?: boolean;
  /** Let the host follow symlinks (vboxsf's follow_symlinks); default false: SET_SYMLINKS, as Linux. */
  readonly followSymlinks?: boolean;
  /** How READ/WRITE buffers travel (default 'linaddr'). */
  readonly io?: SfIoMode;
  /** Path delimiter for MAP_FOLDER (default '/'). */
  readonly delimiter?: '/' | '\\';
}

/** One directory entry as LIST reported it. */
export interface SfDirent {
  readonly name: string;
  readonly stat: SfStat;
}

interface OpenFile {
  readonly handle: bigint;
  pos: bigint;
  readonly append: boolean;
  readonly dir: boolean;
}

type Exec = <T>(proc: Proc<T>) => T;

/** Shared folders as a guest program sees them: `g.sf.mount('name')`. */
export class SharedFolders {
  private readonly lib: GuestLib;
  private readonly exec: Exec;

  constructor(lib: GuestLib, exec: Exec) {
    this.lib = lib;
    this.exec = exec;
  }

  /** Connect, SET_UTF8, SET_SYMLINKS (unless following), MAP_FOLDER: what vboxsf does at mount. */
  mount(name: string, opts: SfMountOptions = {}): SfMount {
    const c = this.exec(sf.vboxConnect(this.lib));
    if (c.rc < 0) throw new GuestFsError('mount', statusToErrno(c.rc) ?? 'EPROTO', c.rc);
    const io = new SfIo(this.lib, this.exec, c.clientId, 0, opts.io ?? 'linaddr');
    const fail = (op: string, rc: StatusCode): never => {
      this.exec(sf.vboxDisconnect(this.lib, c.clientId));
      throw new GuestFsError(op, statusToErrno(rc) ?? 'EPROTO', rc);
    };
    let rc = this.exec(sf.vboxCallSetUtf8(this.lib, c.clientId));
    if (rc < 0) fail('SET_UTF8', rc);
    if (opts.followSymlinks !== true) {
      rc = this.exec(sf.vboxCallSetSymlinks(this.lib, c.clientId));
      if (rc < 0) fail('SET_SYMLINKS', rc);
    }
    const delimiter = (opts.delimiter ?? '/').charCodeAt(0);
    const m = io.withString(name, (s) =>
      this.exec(sf.vboxCallMapFolder(this.lib, c.clientId, s, delimiter, opts.caseSensitive ?? true)),
    );
    if (m.rc < 0) fail('MAP_FOLDER', m.rc);
    return new SfMount(new SfIo(this.lib, this.exec, c.clientId, m.root, opts.io ?? 'linaddr'));
  }
}

/** A mapped folder with an fd table, like a mounted vboxsf. Every failure throws GuestFsError. */
export class SfMount {
  /** The raw calls (for tests that need the statuses themselves). */
  readonly io: SfIo;
  private readonly files = new Map<number, OpenFile>();
  private nextFd = 3;

  constructor(io: SfIo) {
    this.io = io;
  }

  get root(): number {
    return this.io.root;
  }
  get clientId(): number {
    return this.io.clientId;
  }

  private fail(op: string, rc: StatusCode, errno?: string): never {
    throw new GuestFsError(op, errno ?? statusToErrno(rc) ?? 'EPROTO', rc);
  }
  private check(op: string, rc: StatusCode): void {
    if (rc < 0) this.fail(op, rc);
  }
  private file(fd: number): OpenFile {
    const f = this.files.get(fd);
    if (f === undefined) this.fail('fd', Status.VERR_INVALID_HANDLE);
    return f;
  }

  /** stat(2) via CREATE LOOKUP (links followed only if the mount follows them). */
  stat(path: string): SfStat {
    const r = this.io.create(path, ShflCreate.LOOKUP | ShflCreate.ACT_FAIL_IF_NEW);
    this.check('stat', r.rc);
    if (r.result !== ShflResult.FILE_EXISTS) this.fail('stat', r.rc, 'ENOENT');
    return r.stat;
  }

  /** open(2). Flags are O.*; `mode` is used when the file is created. Returns an fd. */
  open(path: string, flags: number = O.RDONLY, mode = 0o644): number {
    let cf: number =
      (flags & O.TRUNC) !== 0 ? ShflCreate.ACT_OVERWRITE_IF_EXISTS : ShflCreate.ACT_OPEN_IF_EXISTS;
    if ((flags & O.CREAT) !== 0) {
      cf = ShflCreate.ACT_CREATE_IF_NEW | ((flags & O.EXCL) !== 0 ? ShflCreate.ACT_FAIL_IF_EXISTS : cf);
    } else {
      cf |= ShflCreate.ACT_FAIL_IF_NEW;
    }
    const acc = flags & O.ACCMODE;
    cf |=
      acc === O.WRONLY
        ? ShflCreate.ACCESS_WRITE
        : acc === O.RDWR
          ? ShflCreate.ACCESS_READWRITE
          : ShflCreate.ACCESS_READ;
    if ((flags & O.APPEND) !== 0) cf |= ShflCreate.ACCESS_APPEND;
    if ((flags & O.DIRECTORY) !== 0) cf |= ShflCreate.DIRECTORY;
    const r = this.io.create(path, cf, (mode & 0o777) | ((flags & O.DIRECTORY) !== 0 ? 0o40000 : 0o100000));
    this.check('open', r.rc);
    if (r.handle === SHFL_HANDLE_NIL)
      this.fail('open', r.rc, r.result === ShflResult.FILE_EXISTS ? 'EEXIST' : 'ENOENT');
    const fd = this.nextFd++;
    const dir = (r.stat.mode & 0o170000) === 0o40000;
    this.files.set(fd, { handle: r.handle, pos: 0n, append: (flags & O.APPEND) !== 0, dir });
    return fd;
  }

  /** The host handle behind an fd (for raw calls). */
  handleOf(fd: number): bigint {
    return this.file(fd).handle;
  }

  close(fd: number): void {
    const f = this.file(fd);
    this.files.delete(fd);
    this.check('close', this.io.close(f.handle));
  }

  /** pread(2): up to `length` bytes at `position` (fewer at end of file). */
  pread(fd: number, length: number, position: number | bigint): Uint8Array {
    const r = this.io.read(this.file(fd).handle, BigInt(position), length);
    if (r.rc < 0 && r.data.length === 0) this.fail('pread', r.rc);
    return r.data;
  }

  /** pwrite(2): bytes written (a short count if the host wrote less). */
  pwrite(fd: number, data: Uint8Array, position: number | bigint): number {
    const r = this.io.write(this.file(fd).handle, BigInt(position), data);
    if (r.rc < 0 && r.count === 0) this.fail('pwrite', r.rc);
    return r.count;
  }

  /** read(2) at the fd's position. */
  read(fd: number, length: number): Uint8Array {
    const f = this.file(fd);
    const data = this.pread(fd, length, f.pos);
    f.pos += BigInt(data.length);
    return data;
  }

  /** write(2) at the fd's position (at the end for O_APPEND: the host reports where that is). */
  write(fd: number, data: Uint8Array): number {
    const f = this.file(fd);
    const r = this.io.write(f.handle, f.pos, data);
    if (r.rc < 0 && r.count === 0) this.fail('write', r.rc);
    f.pos = f.append ? r.offset : f.pos + BigInt(r.count);
    return r.count;
  }

  /** lseek(2) with SEEK_SET. */
  seek(fd: number, position: number | bigint): void {
    this.file(fd).pos = BigInt(position);
  }

  /** fstat(2) via INFORMATION GET|FILE. */
  fstat(fd: number): SfStat {
    const r = this.io.info(this.file(fd).handle, ShflInfo.GET | ShflInfo.FILE, SHFLFSOBJINFO.size);
    this.check('fstat', r.rc);
    return sfStat(r.data);
  }

  /** ftruncate(2) via INFORMATION SET|SIZE (what vboxsf's setattr sends). */
  ftruncate(fd: number, length: number | bigint): void {
    const info = new Uint8Array(SHFLFSOBJINFO.size);
    new ByteView(info).setI64(SHFLFSOBJINFO.off.cbObject, BigInt(length));
    const r = this.io.info(this.file(fd).handle, ShflInfo.SET | ShflInfo.SIZE, SHFLFSOBJINFO.size, info);
    this.check('ftruncate', r.rc);
  }

  /** truncate(2): open for writing, SET_FILE_SIZE, close. */
  truncate(path: string, length: number | bigint): void {
    const fd = this.open(path, O.WRONLY);
    try {
      this.check('truncate', this.io.setFileSize(this.file(fd).handle, BigInt(length)));
    } finally {
      this.close(fd);
    }
  }

  /** fsync(2) via FLUSH. */
  fsync(fd: number): void {
    this.check('fsync', this.io.flush(this.file(fd).handle));
  }

  /** mkdir(2): an exclusive CREATE of a directory; anything but FILE_CREATED is EPERM (as vboxsf). */
  mkdir(path: string, mode = 0o755): void {
    const cf =
      ShflCreate.DIRECTORY |
      ShflCreate.ACT_CREATE_IF_NEW |
      ShflCreate.ACT_FAIL_IF_EXISTS |
      ShflCreate.ACCESS_READWRITE;
    const r = this.io.create(path, cf, (mode & 0o777) | 0o40000);
    this.check('mkdir', r.rc);
    if (r.handle !== SHFL_HANDLE_NIL) this.io.close(r.handle);
    if (r.result !== ShflResult.FILE_CREATED) this.fail('mkdir', r.rc, 'EPERM');
  }

  rmdir(path: string): void {
    this.check('rmdir', this.io.remove(path, ShflRemove.DIR));
  }

  /** unlink(2): REMOVE FILE, plus SYMLINK for a symlink (vboxsf looks at the inode type). */
  unlink(path: string): void {
    const link = this.lstatOrUndefined(path)?.isSymbolicLink === true;
    this.check('unlink', this.io.remove(path, ShflRemove.FILE | (link ? ShflRemove.SYMLINK : 0)));
  }

  /** rename(2): files replace (FILE | REPLACE_IF_EXISTS), directories do not (flags 0), as vboxsf. */
  rename(from: string, to: string): void {
    const dir = this.lstatOrUndefined(from)?.isDirectory === true;
    const flags = dir ? 0 : ShflRename.FILE | ShflRename.REPLACE_IF_EXISTS;
    this.check('rename', this.io.rename(from, to, flags));
  }

  /** symlink(2); EROFS becomes EPERM (vboxsf_symlink). */
  symlink(target: string, path: string): void {
    const rc = this.io.symlink(path, target);
    if (rc === Status.VERR_WRITE_PROTECT) this.fail('symlink', rc, 'EPERM');
    this.check('symlink', rc);
  }

  /** readlink(2). */
  readlink(path: string): string {
    const r = this.io.readlink(path, 4096);
    this.check('readlink', r.rc);
    return r.target;
  }

  /** Every entry of a directory (with '.' and '..', as the host lists them). */
  list(path: string, opts: { bufferBytes?: number; filter?: string; returnOne?: boolean } = {}): SfDirent[] {
    const cf =
      ShflCreate.DIRECTORY |
      ShflCreate.ACT_OPEN_IF_EXISTS |
      ShflCreate.ACT_FAIL_IF_NEW |
      ShflCreate.ACCESS_READ;
    const r = this.io.create(path, cf);
    this.check('opendir', r.rc);
    if (r.handle === SHFL_HANDLE_NIL) this.fail('opendir', r.rc, 'ENOENT');
    try {
      const out: SfDirent[] = [];
      const size = opts.bufferBytes ?? 16384;
      const flags = opts.returnOne === true ? ShflList.RETURN_ONE : ShflList.NONE;
      for (;;) {
        const l = this.io.list(r.handle, flags, size, opts.filter);
        if (l.rc === Status.VERR_NO_MORE_FILES) break;
        this.check('readdir', l.rc);
        out.push(...parseDirInfo(l.data, l.files, this.io));
        if (l.resume === 0 || l.files === 0) break;
      }
      return out;
    } finally {
      this.io.close(r.handle);
    }
  }

  /** readdir(3) names, without '.' and '..'. */
  readdir(path: string): string[] {
    return this.list(path)
      .map((e) => e.name)
      .filter((n) => n !== '.' && n !== '..');
  }

  /** statfs(2) via INFORMATION GET|VOLUME: total and free bytes. */
  statfs(): { totalBytes: bigint; freeBytes: bigint } {
    const r = this.io.info(0n, ShflInfo.GET | ShflInfo.VOLUME, SHFLVOLINFO.size);
    this.check('statfs', r.rc);
    const v = new ByteView(r.data);
    return { totalBytes: v.i64(0), freeBytes: v.i64(8) };
  }

  /** Close every fd, unmap, and disconnect this mount's client (sessions and the service hold few). */
  unmount(): void {
    for (const fd of [...this.files.keys()]) this.close(fd);
    this.io.unmap();
    this.io.disconnect();
  }

  private lstatOrUndefined(path: string): SfStat | undefined {
    const r = this.io.create(path, ShflCreate.LOOKUP | ShflCreate.ACT_FAIL_IF_NEW);
    return r.rc >= 0 && r.result === ShflResult.FILE_EXISTS ? r.stat : undefined;
  }
}

/**
 * Parse `files` SHFLDIRINFO records, checking that each lies inside the data the host returned ("only
 * happens if the host gives us corrupt data", vboxsf dir.c): a bad record is EIO.
 */
export function parseDirInfo(data: Uint8Array, files: number, io: SfIo): SfDirent[] {
  const out: SfDirent[] = [];
  let off = 0;
  for (let i = 0; i < files; i++) {
    if (off + SHFLDIRINFO_NAME_OFFSET > data.length)
      throw new GuestFsError('readdir', 'EIO', Status.VERR_INVALID_PARAMETER);
    const v = new ByteView(data);
    const size = v.u16(off + SHFLDIRINFO.off.nameSize);
    const length = v.u16(off + SHFLDIRINFO.off.nameLength);
    if (off + SHFLDIRINFO_NAME_OFFSET + size > data.length || length > size)
      throw new GuestFsError('readdir', 'EIO', Status.VERR_INVALID_PARAMETER);
    const name = io.decodeName(
      data.subarray(off + SHFLDIRINFO_NAME_OFFSET, off + SHFLDIRINFO_NAME_OFFSET + length),
    );
    out.push({ name, stat: sfStat(data.subarray(off, off + SHFLFSOBJINFO.size)) });
    off += SHFLDIRINFO_NAME_OFFSET + size;
  }
  return out;
}
