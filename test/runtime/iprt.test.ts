// The IPRT layer on a real temporary directory: statuses, open actions, offsets, short I/O, directories,
// renames, symlinks, volume sizes.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RtFs, Status } from '../../src/abi/index.js';
import {
  ERRNO_TO_STATUS,
  MAX_WRITE_OFFSET,
  RtFileAction,
  checkName,
  rtDirCreateAt,
  rtDirOpenAt,
  rtDirOpenPath,
  rtDirReadNames,
  rtDirRemoveAt,
  rtErrConvertFromErrno,
  rtErrFromNode,
  rtFileClose,
  rtFileDeleteAt,
  rtFileOpenAt,
  rtFileQueryInfo,
  rtFileReadAt,
  rtFileSetMode,
  rtFileSetSize,
  rtFileSetTimes,
  rtFileSgReadAt,
  rtFileWrite,
  rtFileWriteAt,
  rtFsModeFromUnix,
  rtFsQuerySizes,
  rtPathQueryInfoAt,
  rtPathRenameAt,
  rtSymlinkCreateAt,
  rtSymlinkDeleteAt,
  rtSymlinkReadAt,
  setIprtLog,
  type RtFileOpenSpec,
} from '../../src/runtime/iprt/index.js';

const b = (s: string): Buffer => Buffer.from(s);
let dir = '';
let fd = -1;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iprt-'));
  fd = rtDirOpenPath(dir).fd;
});
afterAll(() => {
  fs.closeSync(fd);
  fs.rmSync(dir, { recursive: true, force: true });
});

const rw = (action: RtFileOpenSpec['action']): RtFileOpenSpec => ({
  read: true,
  write: true,
  append: false,
  action,
  mode: 0o644,
});

describe('errno -> VERR', () => {
  test('the table of vbox-abi.md 3.2', () => {
    expect(ERRNO_TO_STATUS).toMatchObject({
      ENOENT: Status.VERR_FILE_NOT_FOUND,
      ENOTDIR: Status.VERR_PATH_NOT_FOUND,
      EEXIST: Status.VERR_ALREADY_EXISTS,
      EACCES: Status.VERR_ACCESS_DENIED,
      EPERM: Status.VERR_ACCESS_DENIED,
      EISDIR: Status.VERR_IS_A_DIRECTORY,
      EROFS: Status.VERR_WRITE_PROTECT,
      ENOSPC: Status.VERR_DISK_FULL,
      ENOTEMPTY: Status.VERR_DIR_NOT_EMPTY,
      ELOOP: Status.VERR_TOO_MANY_SYMLINKS,
      EMFILE: Status.VERR_TOO_MANY_OPEN_FILES,
      EXDEV: Status.VERR_NOT_SAME_DEVICE,
      EBADF: Status.VERR_INVALID_HANDLE,
      EOVERFLOW: Status.VERR_TOO_MUCH_DATA,
    });
  });
  test('an unmapped errno is logged and becomes VERR_UNRESOLVED_ERROR', () => {
    const lines: string[] = [];
    setIprtLog((l) => lines.push(l));
    expect(rtErrConvertFromErrno('EHWPOISON')).toBe(Status.VERR_UNRESOLVED_ERROR);
    expect(rtErrFromNode(new Error('no code'))).toBe(Status.VERR_UNRESOLVED_ERROR);
    expect(rtErrFromNode(Object.assign(new Error('x'), { code: 'ERR_OUT_OF_RANGE' }))).toBe(
      Status.VERR_INVALID_PARAMETER,
    );
    setIprtLog(() => undefined);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/EHWPOISON/);
  });
});

describe('at-emulation', () => {
  test.each(['', '.', '..', 'a/b', 'a\0b', 'x'.repeat(256)])('refuses the name %j', (n) => {
    expect(checkName(b(n))).not.toBe(Status.VINF_SUCCESS);
    expect(rtPathQueryInfoAt(fd, b(n)).rc).not.toBe(Status.VINF_SUCCESS);
  });
  test('a directory fd keeps working after the directory is renamed', () => {
    fs.mkdirSync(path.join(dir, 'moving'));
    const d = rtDirOpenAt(fd, b('moving'));
    expect(d.rc).toBe(0);
    fs.renameSync(path.join(dir, 'moving'), path.join(dir, 'moved'));
    expect(rtDirCreateAt(d.fd, b('inner'))).toBe(0);
    expect(fs.existsSync(path.join(dir, 'moved', 'inner'))).toBe(true);
    fs.closeSync(d.fd);
  });
  test('a symlink is never opened as a directory', () => {
    fs.symlinkSync(os.tmpdir(), path.join(dir, 'tmplink'));
    expect(rtDirOpenAt(fd, b('tmplink')).rc).toBe(Status.VERR_PATH_NOT_FOUND);
  });
});

describe('files', () => {
  test('open actions', () => {
    expect(rtFileOpenAt(fd, b('f1'), rw(RtFileAction.OPEN)).rc).toBe(Status.VERR_FILE_NOT_FOUND);
    const c = rtFileOpenAt(fd, b('f1'), rw(RtFileAction.CREATE));
    expect(c).toMatchObject({ rc: 0, taken: 'created' });
    expect(rtFileWriteAt(c.fd, b('hello'), 0n)).toEqual({ rc: 0, cb: 5 });
    rtFileClose(c.fd);
    expect(rtFileOpenAt(fd, b('f1'), rw(RtFileAction.CREATE)).rc).toBe(Status.VERR_ALREADY_EXISTS);
    const o = rtFileOpenAt(fd, b('f1'), rw(RtFileAction.OPEN_CREATE));
    expect(o.taken).toBe('opened');
    expect(rtFileQueryInfo(o.fd).info?.cbObject).toBe(5n);
    rtFileClose(o.fd);
    const r = rtFileOpenAt(fd, b('f1'), rw(RtFileAction.CREATE_REPLACE));
    expect(r.taken).toBe('replaced');
    expect(rtFileQueryInfo(r.fd).info?.cbObject).toBe(0n);
    rtFileClose(r.fd);
    const n = rtFileOpenAt(fd, b('f2'), rw(RtFileAction.OPEN_CREATE));
    expect(n.taken).toBe('created');
    rtFileClose(n.fd);
    expect(rtFileOpenAt(fd, b('f3'), rw(RtFileAction.OPEN_TRUNCATE)).rc).toBe(Status.VERR_FILE_NOT_FOUND);
    const spec = { ...rw(RtFileAction.OPEN), read: false, write: false };
    expect(rtFileOpenAt(fd, b('f1'), spec).rc).toBe(Status.VERR_INVALID_PARAMETER);
  });
  test("a caller's 'exists' hint changes the system calls, never the answer", () => {
    // Seen to exist and still there: opened (or replaced) without the exclusive create first.
    fs.writeFileSync(path.join(dir, 'h1'), 'abc');
    const o = rtFileOpenAt(fd, b('h1'), { ...rw(RtFileAction.OPEN_CREATE), exists: true });
    expect(o).toMatchObject({ rc: 0, taken: 'opened' });
    expect(o.info?.cbObject).toBe(3n);
    rtFileClose(o.fd);
    const r = rtFileOpenAt(fd, b('h1'), { ...rw(RtFileAction.CREATE_REPLACE), exists: true });
    expect(r).toMatchObject({ rc: 0, taken: 'replaced' });
    expect(r.info?.cbObject).toBe(0n);
    rtFileClose(r.fd);
    // Seen to exist but removed since (a racing host process): created, as without the hint.
    const g = rtFileOpenAt(fd, b('h-gone'), { ...rw(RtFileAction.CREATE_REPLACE), exists: true });
    expect(g).toMatchObject({ rc: 0, taken: 'created' });
    rtFileClose(g.fd);
    // Seen to exist, now a directory: refused as a directory, whichever open ran.
    fs.mkdirSync(path.join(dir, 'h-dir'));
    expect(
      rtFileOpenAt(fd, b('h-dir'), { ...rw(RtFileAction.OPEN_CREATE), write: false, exists: true }).rc,
    ).toBe(Status.VERR_IS_A_DIRECTORY);
  });
  test('never follows a final symlink, never opens a directory or a FIFO', () => {
    fs.symlinkSync('f1', path.join(dir, 'l1'));
    expect(rtFileOpenAt(fd, b('l1'), rw(RtFileAction.OPEN)).rc).toBe(Status.VERR_TOO_MANY_SYMLINKS);
    expect(rtFileOpenAt(fd, b('l1'), rw(RtFileAction.OPEN_CREATE)).rc).toBe(Status.VERR_TOO_MANY_SYMLINKS);
    fs.mkdirSync(path.join(dir, 'd1'));
    const ro = { ...rw(RtFileAction.OPEN), write: false };
    expect(rtFileOpenAt(fd, b('d1'), ro).rc).toBe(Status.VERR_IS_A_DIRECTORY);
    execFileSync('mkfifo', [path.join(dir, 'fifo')]);
    expect(rtFileOpenAt(fd, b('fifo'), ro).rc).toBe(Status.VERR_ACCESS_DENIED);
  });
  test('64-bit offsets: BigInt in, refused before node:fs when they do not fit', () => {
    const f = rtFileOpenAt(fd, b('big'), rw(RtFileAction.CREATE));
    const buf = new Uint8Array(4);
    expect(rtFileReadAt(f.fd, buf, 1n << 62n)).toEqual({ rc: 0, cb: 0 });
    expect(rtFileReadAt(f.fd, buf, 1n << 63n).rc).toBe(Status.VERR_INVALID_PARAMETER);
    expect(rtFileReadAt(f.fd, buf, -1n).rc).toBe(Status.VERR_INVALID_PARAMETER);
    expect(rtFileWriteAt(f.fd, buf, 1n << 63n).rc).toBe(Status.VERR_INVALID_PARAMETER);
    expect(rtFileWriteAt(f.fd, buf, MAX_WRITE_OFFSET - 2n).rc).toBe(Status.VERR_FILE_TOO_BIG);
    expect(rtFileSetSize(f.fd, 1n << 63n)).toBe(Status.VERR_INVALID_PARAMETER);
    expect(rtFileSetSize(f.fd, -1n)).toBe(Status.VERR_INVALID_PARAMETER);
    // Nothing was written by the refused calls (node would have written at the current position).
    expect(rtFileQueryInfo(f.fd).info?.cbObject).toBe(0n);
    expect(rtFileWriteAt(f.fd, b('ab'), 10n)).toEqual({ rc: 0, cb: 2 });
    const back = new Uint8Array(20);
    expect(rtFileReadAt(f.fd, back, 0n)).toEqual({ rc: 0, cb: 12 });
    expect([...back.subarray(0, 12)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 97, 98]);
    expect(rtFileReadAt(f.fd, new Uint8Array(0), 0n)).toEqual({ rc: 0, cb: 0 });
    expect(rtFileSetSize(f.fd, 100n)).toBe(0);
    expect(rtFileQueryInfo(f.fd).info?.cbObject).toBe(100n);
    rtFileClose(f.fd);
  });
  test('scatter reads (RTFileSgReadAt): buffers filled in order, short at the end, offsets past 2^53', () => {
    const f = rtFileOpenAt(fd, b('sg'), rw(RtFileAction.CREATE));
    const data = Uint8Array.from({ length: 10 }, (_, i) => 65 + i);
    expect(rtFileWriteAt(f.fd, data, 0n)).toEqual({ rc: 0, cb: 10 });
    const bufs = [new Uint8Array(3), new Uint8Array(4), new Uint8Array(8)];
    expect(rtFileSgReadAt(f.fd, bufs, 1n)).toEqual({ rc: 0, cb: 9 });
    expect(Buffer.concat(bufs).subarray(0, 9).toString()).toBe('BCDEFGHIJ');
    expect(rtFileSgReadAt(f.fd, [], 0n)).toEqual({ rc: 0, cb: 0 });
    // Past what node takes as a position: read per buffer at the BigInt offset, never at the file position.
    const far = [new Uint8Array(4), new Uint8Array(4)];
    expect(rtFileSgReadAt(f.fd, far, MAX_WRITE_OFFSET)).toEqual({ rc: 0, cb: 0 });
    expect(rtFileSgReadAt(f.fd, far, 1n << 63n).rc).toBe(Status.VERR_INVALID_PARAMETER);
    expect(rtFileSgReadAt(f.fd, far, -1n).rc).toBe(Status.VERR_INVALID_PARAMETER);
    rtFileClose(f.fd);
  });
  test('a short write is reported as short', () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const C = fs.constants;
    const rd = fs.openSync(fifo, C.O_RDONLY | C.O_NONBLOCK);
    const wr = fs.openSync(fifo, C.O_WRONLY | C.O_NONBLOCK);
    const r = rtFileWrite(wr, new Uint8Array(1 << 20));
    expect(r.rc).toBe(0);
    expect(r.cb).toBeGreaterThan(0);
    expect(r.cb).toBeLessThan(1 << 20);
    expect(rtFileWrite(wr, new Uint8Array(10)).rc).toBe(Status.VERR_TRY_AGAIN);
    fs.closeSync(wr);
    fs.closeSync(rd);
  });
  test('times and mode', () => {
    const f = rtFileOpenAt(fd, b('tm'), rw(RtFileAction.CREATE));
    const t = 1_600_000_000_123_000_000n;
    expect(rtFileSetTimes(f.fd, undefined, t)).toBe(0);
    const info = rtFileQueryInfo(f.fd).info!;
    expect(info.modificationTime / 1000n).toBe(t / 1000n);
    expect(rtFileSetMode(f.fd, 0o4640)).toBe(0);
    expect(rtFileQueryInfo(f.fd).info!.mode & 0o7777).toBe(0o4640);
    rtFileClose(f.fd);
  });
});

describe('directories, paths, symlinks', () => {
  test('create and remove, with IPRT refinements', () => {
    expect(rtDirCreateAt(fd, b('dd'))).toBe(0);
    expect(rtDirCreateAt(fd, b('dd'))).toBe(Status.VERR_ALREADY_EXISTS);
    const d = rtDirOpenAt(fd, b('dd'));
    fs.writeFileSync(path.join(dir, 'dd', 'x'), 'x');
    expect(rtDirReadNames(d.fd).names.map(String)).toEqual(['x']);
    expect(rtDirRemoveAt(fd, b('dd'))).toBe(Status.VERR_DIR_NOT_EMPTY);
    expect(rtFileDeleteAt(d.fd, b('x'))).toBe(0);
    fs.closeSync(d.fd);
    expect(rtDirRemoveAt(fd, b('dd'))).toBe(0);
    expect(rtDirRemoveAt(fd, b('dd'))).toBe(Status.VERR_FILE_NOT_FOUND);
    fs.writeFileSync(path.join(dir, 'plain'), '');
    expect(rtDirRemoveAt(fd, b('plain'))).toBe(Status.VERR_NOT_A_DIRECTORY);
    fs.mkdirSync(path.join(dir, 'dir2'));
    expect(rtFileDeleteAt(fd, b('dir2'))).toBe(Status.VERR_IS_A_DIRECTORY);
  });
  test('rename (rtPathPosixRename semantics)', () => {
    const at = (n: string) => ({ dirFd: fd, name: b(n) });
    fs.writeFileSync(path.join(dir, 'ra'), 'a');
    fs.writeFileSync(path.join(dir, 'rb'), 'b');
    fs.mkdirSync(path.join(dir, 'rd'));
    expect(rtPathRenameAt(at('ra'), at('rb'), false, 'file')).toBe(Status.VERR_ALREADY_EXISTS);
    expect(rtPathRenameAt(at('ra'), at('rd'), true, 'file')).toBe(Status.VERR_ALREADY_EXISTS);
    expect(rtPathRenameAt(at('rd'), at('rx'), false, 'file')).toBe(Status.VERR_IS_A_DIRECTORY);
    expect(rtPathRenameAt(at('ra'), at('rx'), false, 'dir')).toBe(Status.VERR_NOT_A_DIRECTORY);
    expect(rtPathRenameAt(at('ra'), at('rb'), true, 'file')).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'rb'), 'utf8')).toBe('a');
    expect(rtPathRenameAt(at('rd'), at('rb'), true, 'any')).toBe(Status.VERR_ALREADY_EXISTS);
    expect(rtPathRenameAt(at('nope'), at('x'), true, 'any')).toBe(Status.VERR_FILE_NOT_FOUND);
    expect(rtPathRenameAt(at('rb'), at('rb'), false, 'any')).toBe(0);
  });
  test('symlinks are created verbatim and read raw', () => {
    expect(rtSymlinkCreateAt(b('../../etc/passwd'), fd, b('sl'))).toBe(0);
    expect(rtSymlinkReadAt(fd, b('sl')).target?.toString()).toBe('../../etc/passwd');
    expect(rtSymlinkReadAt(fd, b('f1')).rc).toBe(Status.VERR_NOT_SYMLINK);
    expect(rtSymlinkDeleteAt(fd, b('f1'))).toBe(Status.VERR_NOT_SYMLINK);
    const info = rtPathQueryInfoAt(fd, b('sl')).info!;
    expect(info.mode & RtFs.TYPE_MASK).toBe(RtFs.TYPE_SYMLINK);
    expect(rtSymlinkDeleteAt(fd, b('sl'))).toBe(0);
  });
  test('mode conversion (rtFsModeFromUnix)', () => {
    expect(rtFsModeFromUnix(0o100644)).toBe(0o100644 | RtFs.DOS_NT_NORMAL);
    expect(rtFsModeFromUnix(0o100444)).toBe(0o100444 | RtFs.DOS_READONLY);
    expect(rtFsModeFromUnix(0o040755, b('.hidden'))).toBe(0o040755 | RtFs.DOS_DIRECTORY | RtFs.DOS_HIDDEN);
    expect(rtFsModeFromUnix(0o120777) & RtFs.DOS_NT_REPARSE_POINT).toBeTruthy();
  });
  test('volume sizes', () => {
    const r = rtFsQuerySizes(fd);
    expect(r.rc).toBe(0);
    expect(r.sizes!.totalBytes).toBeGreaterThan(0n);
    expect(r.sizes!.bytesPerSector).toBe(512);
  });
});
