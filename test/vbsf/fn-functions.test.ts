// Every SHFL function on real threads: guest programs on vCPU workers, the device, the host pool, a real
// temporary share. Statuses are upstream's (svcCall and vbsf*), except where the model does better.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  SHFLFSOBJINFO,
  SHFLVOLINFO,
  SHFL_FN_LAST,
  ShflCreate as CF,
  ShflFn as Fn,
  ShflInfo,
  ShflLock,
  ShflMapInfo,
  ShflRemove,
  ShflRename,
  ShflResult,
  Status as S,
} from '../../src/abi/index.js';
import { ByteView } from '../../src/runtime/bytes.js';
import { outsideFingerprint, runProgram, runScript, startRig, str, type Rig } from './helpers/machine.js';
import type { MountSpec, Step } from './programs/script.js';

const NIL = 0xffffffffffffffffn;
let rig: Rig;
let before = '';

beforeAll(async () => {
  rig = await startRig({
    vcpus: 2,
    main: { createSymlinks: true, autoMount: true, mountPoint: '/mnt/share' },
    extra: { ro: { writable: false }, nolinks: {} },
  });
  fs.writeFileSync(path.join(rig.t.share, 'ten.txt'), '0123456789');
  fs.writeFileSync(path.join(rig.dirs.ro!, 'r.txt'), 'read only');
  before = outsideFingerprint(rig);
});
afterAll(async () => {
  expect(outsideFingerprint(rig)).toBe(before);
  await rig?.stop();
});

async function steps(list: Step[], clients: MountSpec[] = [{ share: 'share' }]) {
  return (await runScript(rig, { clients, steps: list })).results;
}
const root = { var: 'root' } as const;
const h = { var: 'h' } as const;
const open = (p: string, flags: number, name = 'h'): Step => ({
  fn: Fn.CREATE,
  args: [root, str(p), { create: { flags } }],
  save: { name, from: 'handle' },
});
const u16le = (b: Uint8Array | undefined, off: number): number => new ByteView(b!).u16(off);

describe('mappings', () => {
  test('QUERY_MAPPINGS: all, too few, automount only, and its refusals', async () => {
    const r = await steps(
      [
        { fn: Fn.QUERY_MAPPINGS, args: [0, 8, { zeros: 64 }] },
        { fn: Fn.QUERY_MAPPINGS, args: [0, 1, { zeros: 8 }] },
        { fn: Fn.QUERY_MAPPINGS, args: [0x10, 4, { zeros: 32 }] },
        { fn: Fn.QUERY_MAPPINGS, args: [0, 4, { zeros: 31 }] },
        { fn: Fn.QUERY_MAPPINGS, args: [0x2, 1, { zeros: 8 }] },
      ],
      [{ share: 'share', noMap: true }],
    );
    expect(r.map((x) => x.rc)).toEqual([
      0,
      S.VINF_BUFFER_OVERFLOW,
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
    ]);
    expect(r[0]!.out[1]).toBe(3);
    const v = new ByteView(r[0]!.bufs[2]!);
    expect([v.u32(0), v.u32(4), v.u32(8), v.u32(12), v.u32(16), v.u32(20)]).toEqual([1, 0, 1, 1, 1, 2]);
    expect(r[1]!.out[1]).toBe(3);
    expect(r[2]!.out[1]).toBe(1);
  });
  test('QUERY_MAP_NAME and QUERY_MAP_INFO', async () => {
    const r = await steps([
      { fn: Fn.QUERY_MAP_NAME, args: [0, { str: '', pad: 15 }] },
      { fn: Fn.QUERY_MAP_NAME, args: [99, { str: '', pad: 15 }] },
      { fn: Fn.QUERY_MAP_NAME, args: [0, { str: '', pad: 2 }] },
      { fn: Fn.QUERY_MAP_NAME, args: [0, { str: '', size: 100 }] },
      { fn: Fn.QUERY_MAP_INFO, args: [0, { str: '', pad: 15 }, { str: '', pad: 31 }, 0n, 0] },
      { fn: Fn.QUERY_MAP_INFO, args: [1, { str: '', pad: 15 }, { str: '', pad: 31 }, 0n, 0] },
      { fn: Fn.QUERY_MAP_INFO, args: [0, { str: '', pad: 15 }, { str: '', pad: 31 }, 4n, 0] },
      { fn: Fn.QUERY_MAP_INFO, args: [0, { str: '', pad: 15 }, { str: '', pad: 31 }, 0, 0] },
    ]);
    expect(r.map((x) => x.rc)).toEqual([
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_BUFFER_OVERFLOW,
      S.VERR_INVALID_PARAMETER,
      0,
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
    ]);
    const name = r[0]!.bufs[1]!;
    expect([u16le(name, 2), Buffer.from(name.subarray(4, 9)).toString()]).toEqual([5, 'share']);
    const mp = r[4]!.bufs[2]!;
    expect(Buffer.from(mp.subarray(4, 4 + u16le(mp, 2))).toString()).toBe('/mnt/share');
    const flags = r[4]!.out[3] as bigint;
    expect(flags).toBe(ShflMapInfo.WRITABLE | ShflMapInfo.AUTO_MOUNT | ShflMapInfo.SYMLINK_CREATION);
    expect(r[5]!.out[3]).toBe(0n);
    expect(r[4]!.out[4]).toBe(1);
  });
  test('MAP_FOLDER, MAP_FOLDER_OLD and UNMAP_FOLDER', async () => {
    const r = await steps(
      [
        { fn: Fn.MAP_FOLDER, args: [str('nope'), 0, 0x2f, 1] },
        { fn: Fn.MAP_FOLDER, args: [str('SHARE'), 0, 0x2f, 1] },
        { fn: Fn.MAP_FOLDER, args: [str('share'), 0, 0x5c, 1] },
        { fn: Fn.MAP_FOLDER, args: [str('share'), 0, 0x41, 1] },
        { fn: Fn.MAP_FOLDER_OLD, args: [str('nolinks'), 0, 0x2f] },
        { fn: Fn.MAP_FOLDER, args: [str('share'), 0, 0x2f, 0], client: 1 },
        { fn: Fn.UNMAP_FOLDER, args: [0] },
        { fn: Fn.UNMAP_FOLDER, args: [0] },
        { fn: Fn.UNMAP_FOLDER, args: [0] },
        { fn: Fn.UNMAP_FOLDER, args: [63] },
        { fn: Fn.UNMAP_FOLDER, args: [0n] },
      ],
      [{ share: 'share', noMap: true }, { share: 'share' }],
    );
    expect(r.map((x) => x.rc)).toEqual([
      S.VERR_FILE_NOT_FOUND,
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      0,
      S.VERR_INCOMPATIBLE_CONFIG,
      0,
      S.VERR_INVALID_HANDLE,
      S.VERR_INVALID_HANDLE,
      S.VERR_FILE_NOT_FOUND,
      S.VERR_INVALID_PARAMETER,
    ]);
    expect(r[1]!.out[1]).toBe(0);
    expect(r[4]!.out[1]).toBe(2);
  });
  test('UTF-16 clients (no SET_UTF8): names, paths and listings in UTF-16', async () => {
    const r = await steps(
      [
        { fn: Fn.QUERY_MAP_NAME, args: [0, { str: '', pad: 30, utf16: true }] },
        { fn: Fn.CREATE, args: [root, { str: '/ten.txt', utf16: true }, { create: { flags: CF.LOOKUP } }] },
        { fn: Fn.CREATE, args: [root, { str: '/ten.txt' }, { create: { flags: CF.LOOKUP } }] },
        { fn: Fn.CREATE, args: [root, { str: '/\ud800', utf16: true }, { create: { flags: CF.LOOKUP } }] },
        { fn: Fn.SYMLINK, args: [root, { str: 'l', utf16: true }, { str: 't', utf16: true }, { zeros: 92 }] },
        {
          fn: Fn.CREATE,
          args: [root, { str: '/', utf16: true }, { create: { flags: CF.DIRECTORY | CF.ACT_FAIL_IF_NEW } }],
          save: { name: 'd', from: 'handle' },
        },
        {
          fn: Fn.LIST,
          args: [root, { var: 'd' }, 0, 512, { str: '*.txt', utf16: true }, { zeros: 512 }, 0, 0],
        },
      ],
      [{ share: 'share', utf8: false }],
    );
    expect(r.map((x) => x.rc)).toEqual([
      0,
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      S.VERR_NOT_IMPLEMENTED,
      0,
      0,
    ]);
    // A UTF-16 record: u16Size = length + 2, the name in UTF-16 with its terminator.
    const rec = new ByteView(r[6]!.bufs[5]!);
    expect([rec.u16(122), rec.u16(124)]).toEqual([16, 14]);
    expect(Buffer.from(r[6]!.bufs[5]!.subarray(126, 140)).toString('utf16le')).toBe('ten.txt');
    expect(Buffer.from(r[0]!.bufs[1]!.subarray(4, 14)).toString('utf16le')).toBe('share');
    expect(r[1]!.create).toMatchObject({ result: ShflResult.FILE_EXISTS, size: 10n });
  });
});

describe('handles and files', () => {
  test('CREATE, READ, WRITE, FLUSH, SET_FILE_SIZE, CLOSE', async () => {
    const r = await steps([
      open('/f1.bin', CF.ACCESS_READWRITE),
      { fn: Fn.WRITE, args: [root, h, 0n, 5, { bytes: [1, 2, 3, 4, 5] }] },
      { fn: Fn.READ, args: [root, h, 1n, 3, { zeros: 3 }] },
      { fn: Fn.FLUSH, args: [root, h] },
      { fn: Fn.SET_FILE_SIZE, args: [root, h, 2n] },
      { fn: Fn.READ, args: [root, h, 0n, 8, { zeros: 8 }] },
      { fn: Fn.CLOSE, args: [root, h] },
      { fn: Fn.CLOSE, args: [root, h] },
      { fn: Fn.CLOSE, args: [root, 0n] },
      { fn: Fn.CLOSE, args: [root, NIL] },
    ]);
    expect(r.map((x) => x.rc)).toEqual([
      0,
      0,
      0,
      0,
      0,
      0,
      0,
      S.VERR_INVALID_HANDLE,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_HANDLE,
    ]);
    expect(r[1]!.out.slice(2, 4)).toEqual([5n, 5]);
    expect([...r[2]!.bufs[4]!]).toEqual([2, 3, 4]);
    expect(r[5]!.out[3]).toBe(2);
    expect(fs.readFileSync(path.join(rig.t.share, 'f1.bin'))).toEqual(Buffer.from([1, 2]));
  });
  test('LOCK: accepted, flags validated, WAIT dropped, handle checked', async () => {
    const r = await steps([
      open('/ten.txt', CF.ACCESS_READ | CF.ACT_FAIL_IF_NEW),
      { fn: Fn.LOCK, args: [root, h, 0n, 4n, ShflLock.EXCLUSIVE] },
      { fn: Fn.LOCK, args: [root, h, 0n, 4n, ShflLock.SHARED | ShflLock.WAIT] },
      { fn: Fn.LOCK, args: [root, h, 0n, 4n, ShflLock.CANCEL] },
      { fn: Fn.LOCK, args: [root, h, 0n, 0n, ShflLock.EXCLUSIVE | ShflLock.ENTIRE] },
      { fn: Fn.LOCK, args: [root, h, 0n, 4n, 3] },
      { fn: Fn.LOCK, args: [root, 0n, 0n, 4n, 1] },
      { fn: Fn.LOCK, args: [root, NIL, 0n, 4n, 1] },
      { fn: Fn.LOCK, args: [root, h, 0n, 4n] },
      { fn: Fn.CLOSE, args: [root, h] },
      { fn: Fn.LOCK, args: [root, h, 0n, 4n, 1] },
    ]);
    expect(r.map((x) => x.rc)).toEqual([
      0,
      0,
      0,
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_HANDLE,
      S.VERR_INVALID_PARAMETER,
      0,
      S.VERR_INVALID_HANDLE,
    ]);
  });
  test('INFORMATION: file info, volume info, set mode and times, set size', async () => {
    const setInfo = new Uint8Array(SHFLFSOBJINFO.size);
    const v = new ByteView(setInfo);
    v.setI64(SHFLFSOBJINFO.off.ModificationTime, 1_500_000_000_000_000_000n);
    v.setU32(SHFLFSOBJINFO.off.Attr, 0o104600);
    const size = new Uint8Array(SHFLFSOBJINFO.size);
    new ByteView(size).setI64(0, 4096n);
    const r = await steps([
      open('/info.bin', CF.ACCESS_READWRITE),
      { fn: Fn.INFORMATION, args: [root, h, ShflInfo.GET | ShflInfo.FILE, 92, { zeros: 92 }] },
      { fn: Fn.INFORMATION, args: [root, h, ShflInfo.GET | ShflInfo.FILE, 91, { zeros: 92 }] },
      { fn: Fn.INFORMATION, args: [root, h, ShflInfo.GET | ShflInfo.FILE, 93, { zeros: 92 }] },
      { fn: Fn.INFORMATION, args: [root, 0n, ShflInfo.GET | ShflInfo.VOLUME, 40, { zeros: 40 }] },
      { fn: Fn.INFORMATION, args: [root, h, ShflInfo.SET | ShflInfo.FILE, 92, { bytes: [...setInfo] }] },
      { fn: Fn.INFORMATION, args: [root, h, ShflInfo.SET | ShflInfo.SIZE, 92, { bytes: [...size] }] },
      { fn: Fn.INFORMATION, args: [root, h, ShflInfo.GET | ShflInfo.NAME, 92, { zeros: 92 }] },
      { fn: Fn.INFORMATION, args: [root, 12345n, ShflInfo.GET | ShflInfo.FILE, 92, { zeros: 92 }] },
      { fn: Fn.CLOSE, args: [root, h] },
    ]);
    expect(r.map((x) => x.rc)).toEqual([
      0,
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      0,
      0,
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      0,
    ]);
    expect(r[1]!.out[3]).toBe(92);
    expect(r[2]!.out[3]).toBe(0);
    expect(r[4]!.out[3]).toBe(SHFLVOLINFO.size);
    const vol = new ByteView(r[4]!.bufs[4]!);
    expect(vol.i64(0)).toBeGreaterThan(0n);
    expect(vol.u32(20)).toBe(512);
    const after = new ByteView(r[5]!.bufs[4]!);
    // Owner read is forced on and SUID never set or reported.
    expect(after.u32(SHFLFSOBJINFO.off.Attr) & 0o7777).toBe(0o600);
    expect(after.i64(SHFLFSOBJINFO.off.ModificationTime) / 1000n).toBe(1_500_000_000_000_000_000n / 1000n);
    expect(new ByteView(r[6]!.bufs[4]!).i64(0)).toBe(4096n);
    expect(fs.statSync(path.join(rig.t.share, 'info.bin')).mode & 0o7777).toBe(0o600);
  });
  test('COPY_FILE and COPY_FILE_PART', async () => {
    const r = await steps(
      [
        { fn: Fn.COPY_FILE, args: [root, str('/ten.txt'), root, str('/copy.txt'), 0] },
        { fn: Fn.COPY_FILE, args: [root, str('/ten.txt'), root, str('/copy.txt'), 0] },
        { fn: Fn.COPY_FILE, args: [root, str('/ten.txt'), root, str('/copy2.txt'), 1] },
        { fn: Fn.COPY_FILE, args: [root, str('/ten.txt'), { var: 'root1' }, str('/x.txt'), 0] },
        open('/ten.txt', CF.ACCESS_READ | CF.ACT_FAIL_IF_NEW, 'src'),
        open('/part.txt', CF.ACCESS_READWRITE, 'dst'),
        { fn: Fn.COPY_FILE_PART, args: [root, { var: 'src' }, 2n, root, { var: 'dst' }, 1n, 100n, 0] },
        { fn: Fn.COPY_FILE_PART, args: [root, { var: 'src' }, 1n << 63n, root, { var: 'dst' }, 0n, 1n, 0] },
        { fn: Fn.COPY_FILE_PART, args: [root, { var: 'src' }, 0n, root, { var: 'dst' }, 0n, 1n << 60n, 0] },
        { fn: Fn.COPY_FILE_PART, args: [root, { var: 'src' }, 0n, root, { var: 'dst' }, 0n, 1n, 1] },
        { fn: Fn.COPY_FILE_PART, args: [root, { var: 'dst' }, 0n, root, { var: 'src' }, 0n, 1n, 0] },
        { fn: Fn.COPY_FILE_PART, args: [root, { var: 'dst' }, 0n, root, { var: 'dst' }, 2n, 4n, 0] },
      ],
      [{ share: 'share' }, { share: 'ro' }],
    );
    expect(r.map((x) => x.rc)).toEqual([
      0,
      S.VERR_ALREADY_EXISTS,
      S.VERR_INVALID_FLAGS,
      S.VERR_INVALID_PARAMETER,
      0,
      0,
      0,
      S.VERR_NEGATIVE_SEEK,
      S.VERR_OUT_OF_RANGE,
      S.VERR_INVALID_FLAGS,
      S.VERR_INVALID_HANDLE,
      S.VERR_INVALID_PARAMETER,
    ]);
    expect(fs.readFileSync(path.join(rig.t.share, 'copy.txt'), 'utf8')).toBe('0123456789');
    expect(r[6]!.out[6]).toBe(8n);
    expect(fs.readFileSync(path.join(rig.t.share, 'part.txt'), 'latin1')).toBe('\u000023456789');
  });
  test('QUERY_FEATURES, SET_ERROR_STYLE, unknown functions', async () => {
    const r = await steps([
      { fn: Fn.QUERY_FEATURES, args: [0n, 0] },
      { fn: Fn.SET_ERROR_STYLE, args: [1, 0] },
      { fn: Fn.SET_ERROR_STYLE, args: [2, 0] },
      { fn: Fn.SET_ERROR_STYLE, args: [3, 0] },
      { fn: Fn.SET_ERROR_STYLE, args: [0, 0] },
      { fn: Fn.SET_ERROR_STYLE, args: [1, 1] },
      { fn: 10, args: [] },
      { fn: 30, args: [] },
      { fn: 0, args: [] },
    ]);
    expect(r.map((x) => x.rc)).toEqual([
      0,
      0,
      0,
      S.VERR_WRONG_PARAMETER_TYPE,
      S.VERR_WRONG_PARAMETER_TYPE,
      S.VERR_WRONG_PARAMETER_TYPE,
      S.VERR_NOT_IMPLEMENTED,
      S.VERR_NOT_IMPLEMENTED,
      S.VERR_NOT_IMPLEMENTED,
    ]);
    expect(r[0]!.out).toEqual([1n, SHFL_FN_LAST]);
  });
});

describe('names', () => {
  test('REMOVE, CLOSE_AND_REMOVE and RENAME', async () => {
    fs.mkdirSync(path.join(rig.t.share, 'rdir/sub'), { recursive: true });
    fs.writeFileSync(path.join(rig.t.share, 'rdir/a'), 'a');
    fs.writeFileSync(path.join(rig.t.share, 'rdir/b'), 'b');
    fs.symlinkSync('a', path.join(rig.t.share, 'rdir/lnk'));
    const r = await steps([
      { fn: Fn.REMOVE, args: [root, str('/rdir/lnk'), ShflRemove.FILE] },
      { fn: Fn.REMOVE, args: [root, str('/rdir/b'), ShflRemove.SYMLINK] },
      { fn: Fn.REMOVE, args: [root, str('/rdir/sub'), ShflRemove.FILE] },
      { fn: Fn.REMOVE, args: [root, str('/rdir'), ShflRemove.DIR] },
      { fn: Fn.REMOVE, args: [root, str('/rdir/a'), ShflRemove.DIR] },
      { fn: Fn.REMOVE, args: [root, str('/rdir/a'), 8] },
      { fn: Fn.REMOVE, args: [root, str('/'), ShflRemove.DIR] },
      { fn: Fn.RENAME, args: [root, str('/rdir/a'), str('/rdir/b'), ShflRename.FILE] },
      {
        fn: Fn.RENAME,
        args: [root, str('/rdir/a'), str('/rdir/b'), ShflRename.FILE | ShflRename.REPLACE_IF_EXISTS],
      },
      {
        fn: Fn.RENAME,
        args: [root, str('/rdir/b'), str('/rdir/sub'), ShflRename.FILE | ShflRename.REPLACE_IF_EXISTS],
      },
      { fn: Fn.RENAME, args: [root, str('/rdir/sub'), str('/rdir/sub2'), 0] },
      { fn: Fn.RENAME, args: [root, str('/rdir/b'), str('/rdir/c'), 8] },
      {
        fn: Fn.RENAME,
        args: [root, str('/rdir/b'), str('/'), ShflRename.FILE | ShflRename.REPLACE_IF_EXISTS],
      },
      open('/rdir/b', CF.ACCESS_READ | CF.ACT_FAIL_IF_NEW),
      { fn: Fn.CLOSE_AND_REMOVE, args: [root, str('/rdir/b'), ShflRemove.FILE, h] },
      { fn: Fn.CLOSE_AND_REMOVE, args: [root, str('/rdir/sub2'), ShflRemove.DIR, NIL] },
      { fn: Fn.CLOSE_AND_REMOVE, args: [root, str('/rdir'), ShflRemove.DIR, 0n] },
      { fn: Fn.CLOSE_AND_REMOVE, args: [root, str('/rdir'), ShflRemove.DIR, h] },
    ]);
    expect(r.map((x) => x.rc)).toEqual([
      0,
      S.VERR_NOT_SYMLINK,
      S.VERR_IS_A_DIRECTORY,
      S.VERR_DIR_NOT_EMPTY,
      S.VERR_NOT_A_DIRECTORY,
      S.VERR_INVALID_FLAGS,
      S.VERR_ACCESS_DENIED,
      S.VERR_ALREADY_EXISTS,
      0,
      S.VERR_ALREADY_EXISTS,
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_ACCESS_DENIED,
      0,
      0,
      0,
      S.VERR_INVALID_HANDLE,
      S.VERR_INVALID_HANDLE,
    ]);
    expect(fs.readdirSync(path.join(rig.t.share, 'rdir'))).toEqual([]);
  });
  test('SYMLINK, READLINK, SET_SYMLINKS', async () => {
    const lookup = (p: string): Step => ({
      fn: Fn.CREATE,
      args: [root, str(p), { create: { flags: CF.LOOKUP } }],
    });
    const r = await steps(
      [
        { fn: Fn.SYMLINK, args: [root, str('/sl'), str('ten.txt'), { zeros: 92 }] },
        { fn: Fn.SYMLINK, args: [root, str('/sl'), str('ten.txt'), { zeros: 92 }] },
        { fn: Fn.SYMLINK, args: [root, str('/sl2'), str('ten.txt'), { zeros: 91 }] },
        { fn: Fn.READLINK, args: [root, str('/sl'), { zeros: 64 }] },
        { fn: Fn.READLINK, args: [root, str('/sl'), { zeros: 7 }] },
        { fn: Fn.READLINK, args: [root, str('/ten.txt'), { zeros: 64 }] },
        { fn: Fn.READLINK, args: [root, { zeros: 0 }, { zeros: 64 }] },
        lookup('/sl'),
        { fn: Fn.SET_SYMLINKS, args: [] },
        lookup('/sl'),
        { fn: Fn.SYMLINK, args: [{ var: 'root1' }, str('/x'), str('y'), { zeros: 92 }] },
      ],
      [{ share: 'share' }, { share: 'nolinks' }],
    );
    expect(r.map((x) => x.rc)).toEqual([
      0,
      S.VERR_ALREADY_EXISTS,
      S.VERR_INVALID_PARAMETER,
      0,
      S.VERR_BUFFER_OVERFLOW,
      S.VERR_NOT_SYMLINK,
      S.VERR_INVALID_PARAMETER,
      0,
      0,
      0,
      S.VERR_WRITE_PROTECT,
    ]);
    expect(new ByteView(r[0]!.bufs[3]!).u32(SHFLFSOBJINFO.off.Attr) & 0o170000).toBe(0o120000);
    expect(Buffer.from(r[3]!.bufs[2]!.subarray(0, 8)).toString('latin1')).toBe('ten.txt\0');
    expect(r[7]!.create).toMatchObject({ result: ShflResult.FILE_EXISTS, size: 10n });
    expect(r[9]!.create!.mode & 0o170000).toBe(0o120000);
    expect(fs.readlinkSync(path.join(rig.t.share, 'sl'))).toBe('ten.txt');
  });
});

describe('mapping-change waits', () => {
  test('a stale version returns at once; a blocked wait ends VERR_CANCELLED when cancelled from another vCPU', async () => {
    const sab = new SharedArrayBuffer(4);
    const [a, b] = await Promise.all([
      runProgram<{ first: { rc: number; version: number }; second: { rc: number }; waitedMs: number }>(
        rig,
        'waits.ts',
        'waitBlocked',
        { share: 'share', sab },
        0,
      ),
      runProgram<number>(rig, 'waits.ts', 'cancelFromOther', { sab, delayMs: 100 }, 1),
    ]);
    expect(a.first.rc).toBe(S.VINF_SUCCESS);
    expect(a.first.version).toBe(3);
    expect(b).toBe(0);
    expect(a.second.rc).toBe(S.VERR_CANCELLED);
    expect(a.waitedMs).toBeGreaterThanOrEqual(50);
  });
  test('64 waiters at most: the one over the limit ends at once; CANCEL ends the rest; the next wait returns at once', async () => {
    const r = await runProgram<{
      submitted: number[];
      doneBeforeCancel: number;
      cancel: number;
      results: { w: string; result: number; value: number }[];
      after: number;
    }>(rig, 'waits.ts', 'manyWaits', { share: 'share', n: 64 });
    expect(r.submitted).toHaveLength(65);
    expect(r.submitted.every((rc) => rc === S.VINF_HGCM_ASYNC_EXECUTE)).toBe(true);
    expect(r.doneBeforeCancel).toBe(1);
    expect(r.cancel).toBe(0);
    expect(r.results.every((x) => x.w === 'done' && x.value === 3)).toBe(true);
    const tally = new Map<number, number>();
    for (const x of r.results) tally.set(x.result, (tally.get(x.result) ?? 0) + 1);
    expect(Object.fromEntries(tally)).toEqual({
      [S.VERR_OUT_OF_RESOURCES]: 1,
      [S.VERR_CANCELLED]: 64,
    });
    expect(r.after).toBe(S.VERR_CANCELLED);
  });
  test('a wait the guest gives up on is cancelled (timeout -> Cancel2)', async () => {
    const r = await steps([
      { fn: Fn.WAIT_FOR_MAPPINGS_CHANGES, args: [7] },
      { fn: Fn.WAIT_FOR_MAPPINGS_CHANGES, args: [3], timeoutMs: 50 },
      { fn: Fn.WAIT_FOR_MAPPINGS_CHANGES, args: [] },
      { fn: Fn.CANCEL_MAPPINGS_CHANGES_WAITS, args: [1] },
    ]);
    expect(r.map((x) => x.rc)).toEqual([
      0,
      S.VERR_TIMEOUT,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
    ]);
    expect(r[0]!.out[0]).toBe(3);
  });
});
