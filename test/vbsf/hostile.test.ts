// Hostile guests on real threads: every attempt must be refused with upstream's status (or the model's
// stricter one) and leave the sentinel directory beside the share, and everything else outside the
// shares, exactly as it was. Read-only shares must not change at all.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  SHFLFSOBJINFO,
  SHFL_FUNCTIONS,
  ShflCreate as CF,
  ShflFn as Fn,
  ShflInfo,
  ShflRemove,
  ShflRename,
  ShflResult as R,
  Status as S,
} from '../../src/abi/index.js';
import { ByteView } from '../../src/runtime/bytes.js';
import { outsideFingerprint, runScript, startRig, str, type Rig } from './helpers/machine.js';
import type { Arg, MountSpec, Step, StepResult } from './programs/script.js';

const NIL = 0xffffffffffffffffn;
let rig: Rig;
let before = '';
let roBefore = '';
const root = { var: 'root' } as const;
const h = { var: 'h' } as const;

function treeOf(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: false })
    .map(String)
    .sort()
    .map((p) => {
      const st = fs.lstatSync(path.join(dir, p));
      return `${p} ${st.mode} ${st.size} ${st.mtimeMs}`;
    })
    .join('\n');
}

beforeAll(async () => {
  rig = await startRig({
    vcpus: 2,
    main: { createSymlinks: true },
    extra: { ro: { writable: false, createSymlinks: true }, nolinks: {} },
  });
  const share = rig.t.share;
  fs.writeFileSync(path.join(share, 'ten.txt'), '0123456789');
  fs.mkdirSync(path.join(share, 'sub'));
  // Host-planted symlinks that lead out of the share, every way there is.
  fs.symlinkSync('../sentinel', path.join(share, 'out'));
  fs.symlinkSync('../sentinel/secret.txt', path.join(share, 'outf'));
  fs.symlinkSync(rig.t.sentinel, path.join(share, 'abs'));
  fs.symlinkSync('../..', path.join(share, 'sub', 'up'));
  fs.symlinkSync('sub/up/sentinel', path.join(share, 'chain'));
  fs.symlinkSync('ten.txt', path.join(share, 'inside'));
  fs.writeFileSync(path.join(rig.dirs.ro!, 'r.txt'), 'read only');
  fs.mkdirSync(path.join(rig.dirs.ro!, 'rd'));
  before = outsideFingerprint(rig);
  roBefore = treeOf(rig.dirs.ro!);
});
afterAll(async () => {
  await rig?.stop();
});
beforeEach(() => {
  expect(outsideFingerprint(rig)).toBe(before);
});
afterEach(() => {
  expect(outsideFingerprint(rig)).toBe(before);
  expect(fs.readFileSync(path.join(rig.t.sentinel, 'secret.txt'), 'utf8')).toBe('secret');
  expect(treeOf(rig.dirs.ro!)).toBe(roBefore);
  expect(rig.m.logs().filter((l) => l.includes('threw'))).toEqual([]);
});

async function steps(list: Step[], clients: MountSpec[] = [{ share: 'share' }]): Promise<StepResult[]> {
  return (await runScript(rig, { clients, steps: list })).results;
}
const create = (p: Arg, flags: number, save = 'h'): Step => ({
  fn: Fn.CREATE,
  args: [root, p, { create: { flags } }],
  save: { name: save, from: 'handle' },
});
const RW = CF.ACCESS_READWRITE;
const OPEN = CF.ACT_OPEN_IF_EXISTS | CF.ACT_FAIL_IF_NEW;
const rcs = (r: StepResult[]): number[] => r.map((x) => x.rc);

describe('paths that climb out', () => {
  test('.. and absolute paths', async () => {
    const r = await steps([
      create(str('/../sentinel/secret.txt'), OPEN | CF.ACCESS_READ),
      create(str('../sentinel/new'), CF.ACT_CREATE_IF_NEW | RW),
      create(str('/sub/../../sentinel'), CF.DIRECTORY | OPEN),
      create(str('a/b/../../../x'), CF.LOOKUP),
      create(str(`${rig.t.sentinel}/secret.txt`), OPEN | CF.ACCESS_READ),
      create(str(`${rig.t.sentinel}/new`), CF.ACT_CREATE_IF_NEW | RW),
      { fn: Fn.REMOVE, args: [root, str('/../sentinel/secret.txt'), ShflRemove.FILE] },
      { fn: Fn.RENAME, args: [root, str('/ten.txt'), str('/../sentinel/x'), ShflRename.FILE] },
      { fn: Fn.RENAME, args: [root, str('/../sentinel/secret.txt'), str('/stolen'), ShflRename.FILE] },
      { fn: Fn.SYMLINK, args: [root, str('/../sentinel/l'), str('x'), { zeros: 92 }] },
      { fn: Fn.COPY_FILE, args: [root, str('/../sentinel/secret.txt'), root, str('/copy'), 0] },
      { fn: Fn.READLINK, args: [root, str('/../sentinel/x'), { zeros: 64 }] },
      create(str('/sub/..'), CF.LOOKUP),
    ]);
    expect(rcs(r)).toEqual([
      ...Array(4).fill(S.VERR_INVALID_NAME),
      0,
      0,
      ...Array(6).fill(S.VERR_INVALID_NAME),
      0,
    ]);
    // An absolute guest path is relative to the share: nothing there (its first component is missing).
    expect(r[4]!.create!.result).toBe(R.FILE_NOT_FOUND);
    expect(r[5]!.create!.result).toBe(R.FILE_NOT_FOUND);
    expect(r[12]!.create!.result).toBe(R.FILE_EXISTS);
    expect(fs.readdirSync(rig.t.sentinel)).toEqual(['secret.txt']);
  });
  test("'\\\\' clients: '..' in their syntax, and a host slash inside a name", async () => {
    const r = await steps(
      [
        create(str('\\..\\sentinel\\secret.txt'), OPEN | CF.ACCESS_READ),
        create(str('\\sub\\x/..\\..\\..'), CF.LOOKUP),
        create(str('\\sub/..'), CF.LOOKUP),
        create(str('\\ten.txt'), CF.LOOKUP),
      ],
      [{ share: 'share', delimiter: '\\' }],
    );
    expect(rcs(r)).toEqual([S.VERR_INVALID_NAME, S.VERR_INVALID_NAME, S.VERR_INVALID_NAME, 0]);
    expect(r[3]!.create!.result).toBe(R.FILE_EXISTS);
  });
});

describe('symlinks', () => {
  test('links already in the share that lead out are never followed out', async () => {
    const look = (p: string): Step => create(str(p), CF.LOOKUP);
    const r = await steps([
      create(str('/out/secret.txt'), OPEN | CF.ACCESS_READ),
      create(str('/outf'), OPEN | CF.ACCESS_READ),
      create(str('/outf'), CF.ACT_REPLACE_IF_EXISTS | CF.ACT_CREATE_IF_NEW | RW),
      create(str('/abs/secret.txt'), OPEN | CF.ACCESS_READ),
      create(str('/chain/secret.txt'), OPEN | CF.ACCESS_READ),
      create(str('/sub/up/sentinel/new'), CF.ACT_CREATE_IF_NEW | RW),
      create(str('/out'), CF.DIRECTORY | OPEN),
      create(str('/out/newdir'), CF.DIRECTORY | CF.ACT_CREATE_IF_NEW),
      look('/outf'),
      look('/out'),
      { fn: Fn.REMOVE, args: [root, str('/out/secret.txt'), ShflRemove.FILE] },
      { fn: Fn.RENAME, args: [root, str('/out/secret.txt'), str('/stolen'), ShflRename.FILE] },
      { fn: Fn.RENAME, args: [root, str('/ten.txt'), str('/out/planted'), ShflRename.FILE] },
      { fn: Fn.COPY_FILE, args: [root, str('/outf'), root, str('/copy'), 0] },
      { fn: Fn.COPY_FILE, args: [root, str('/ten.txt'), root, str('/out/copy'), 0] },
      { fn: Fn.SYMLINK, args: [root, str('/out/l'), str('x'), { zeros: 92 }] },
      // What is inside stays usable: a link to a file in the share is followed.
      look('/inside'),
      { fn: Fn.READLINK, args: [root, str('/outf'), { zeros: 64 }] },
    ]);
    expect(rcs(r)).toEqual([...Array(16).fill(S.VERR_INVALID_NAME), 0, 0]);
    expect(r[16]!.create).toMatchObject({ result: R.FILE_EXISTS, size: 10n });
    // Readlink gives the raw text (it names nothing the guest can reach through the service).
    expect(Buffer.from(r[17]!.bufs[2]!.subarray(0, 22)).toString()).toBe('../sentinel/secret.txt');
  });
  test('with SET_SYMLINKS a link is reported as a link; removing it removes only the link', async () => {
    fs.symlinkSync('../sentinel/secret.txt', path.join(rig.t.share, 'victim'));
    const r = await steps(
      [
        create(str('/victim'), CF.LOOKUP),
        { fn: Fn.REMOVE, args: [root, str('/victim'), ShflRemove.FILE | ShflRemove.SYMLINK] },
        create(str('/victim'), CF.LOOKUP),
      ],
      [{ share: 'share', symlinks: true }],
    );
    expect(rcs(r)).toEqual([0, 0, 0]);
    expect(r[0]!.create!.mode & 0o170000).toBe(0o120000);
    expect(r[0]!.create!.size).toBe(22n);
    expect(r[2]!.create!.result).toBe(R.FILE_NOT_FOUND);
  });
  test('a link made inside and moved up a level (the 9p escape) is not followed out', async () => {
    const r = await steps([
      create(str('/bar'), CF.DIRECTORY | CF.ACT_CREATE_IF_NEW),
      { fn: Fn.SYMLINK, args: [root, str('/bar/link'), str('..'), { zeros: 92 }] },
      create(str('/bar/link/ten.txt'), CF.LOOKUP),
      { fn: Fn.RENAME, args: [root, str('/bar/link'), str('/link'), ShflRename.FILE | ShflRename.DIR] },
      create(str('/link/sentinel/secret.txt'), OPEN | CF.ACCESS_READ),
      create(str('/link/sentinel/new'), CF.ACT_CREATE_IF_NEW | RW),
      { fn: Fn.SYMLINK, args: [root, str('/abslink'), str(rig.t.sentinel), { zeros: 92 }] },
      create(str('/abslink/secret.txt'), OPEN | CF.ACCESS_READ),
      { fn: Fn.SYMLINK, args: [root, str('/loop'), str('loop'), { zeros: 92 }] },
      create(str('/loop'), CF.LOOKUP),
    ]);
    expect(rcs(r)).toEqual([
      0,
      0,
      0,
      0,
      S.VERR_INVALID_NAME,
      S.VERR_INVALID_NAME,
      0,
      S.VERR_INVALID_NAME,
      0,
      S.VERR_TOO_MANY_SYMLINKS,
    ]);
    expect(r[2]!.create!.result).toBe(R.FILE_EXISTS);
  });
  test('symlink creation where it is not allowed', async () => {
    const r = await steps(
      [
        { fn: Fn.SYMLINK, args: [root, str('/l'), str('../sentinel'), { zeros: 92 }] },
        { fn: Fn.SYMLINK, args: [{ var: 'root1' }, str('/l'), str('r.txt'), { zeros: 92 }], client: 1 },
      ],
      [{ share: 'nolinks' }, { share: 'ro' }],
    );
    expect(rcs(r)).toEqual([S.VERR_WRITE_PROTECT, S.VERR_WRITE_PROTECT]);
    expect(fs.readdirSync(rig.dirs.nolinks!)).toEqual([]);
  });
});

describe('lying parameters', () => {
  test('SHFLSTRINGs whose fields lie', async () => {
    const look = (a: Arg): Step => create(a, CF.LOOKUP);
    const r = await steps([
      look({ str: '/ten.txt', size: 200 }),
      look({ str: '/ten.txt', length: 9 }),
      look({ str: '/ten.txt', length: 7 }),
      look({ str: '/ten.txt', length: 0xffff }),
      look({ str: '/ten.txt', buffer: 4 }),
      look({ str: '', buffer: 0 }),
      look({ str: '/ten\0.txt' }),
      look({ str: '/ten.txt', length: 8, size: 8 }),
      {
        fn: Fn.CREATE,
        args: [root, { bytes: [3, 0, 2, 0, 0xc3, 0x28, 0] }, { create: { flags: CF.LOOKUP } }],
      },
      { fn: Fn.CREATE, args: [root, str('/ten.txt'), { zeros: 107 }] },
      { fn: Fn.CREATE, args: [root, str('/ten.txt'), { zeros: 109 }] },
      look({ str: '/ten.txt' }),
    ]);
    expect(rcs(r)).toEqual([...Array(11).fill(S.VERR_INVALID_PARAMETER), 0]);
  });
  test('UTF-16 strings that lie, and the MAP_FOLDER compatibility retry without an out-of-bounds read', async () => {
    const r = await steps(
      [
        { fn: Fn.MAP_FOLDER, args: [{ str: 'share', utf16: true, length: 0xfffe, buffer: 6 }, 0, 0x2f, 1] },
        { fn: Fn.MAP_FOLDER, args: [{ str: 'share', utf16: true, length: 11 }, 0, 0x2f, 1] },
        { fn: Fn.MAP_FOLDER, args: [{ str: 'sh\ud800re', utf16: true }, 0, 0x2f, 1] },
        // Old Windows additions counted the terminator in: accepted after the retry.
        { fn: Fn.MAP_FOLDER, args: [{ str: 'share\0', utf16: true, length: 12 }, 0, 0x2f, 1] },
        { fn: Fn.MAP_FOLDER, args: [{ str: 'share', utf16: true }, 0, 0x2f, 1] },
      ],
      [{ share: 'share', utf8: false, noMap: true }],
    );
    expect(rcs(r)).toEqual([
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      0,
      0,
    ]);
  });
  test('forged, stale and foreign handles', async () => {
    const read = (handle: Arg, client = 0, r: Arg = client === 0 ? root : { var: 'root1' }): Step => ({
      fn: Fn.READ,
      args: [r, handle, 0n, 2, { zeros: 2 }],
      client,
    });
    const mine = { var: 'mine' } as const;
    const r = await steps(
      [
        create(str('/ten.txt'), OPEN | CF.ACCESS_READ, 'mine'),
        {
          fn: Fn.CREATE,
          args: [{ var: 'root1' }, str('/ten.txt'), { create: { flags: OPEN | CF.ACCESS_READ } }],
          client: 1,
          save: { name: 'theirs', from: 'handle' },
        },
        read(mine),
        read(1n),
        read({ var: 'mine', xor: 1n << 32n }),
        read({ var: 'mine', xor: 0x7fff0000n << 32n }),
        read(0xdeadbeefcafebaben),
        read({ var: 'theirs' }, 1),
        read({ var: 'theirs' }),
        read(mine, 1),
        { fn: Fn.CLOSE, args: [{ var: 'root1' }, mine], client: 1 },
        read(mine),
        { fn: Fn.CLOSE, args: [1, mine] },
        { fn: Fn.CLOSE, args: [root, mine] },
        create(str('/ten.txt'), OPEN | CF.ACCESS_READ, 'next'),
        read(mine),
        read({ var: 'next' }),
      ],
      [{ share: 'share' }, { share: 'share' }],
    );
    const IH = S.VERR_INVALID_HANDLE;
    expect(rcs(r)).toEqual([0, 0, 0, IH, IH, IH, IH, 0, IH, IH, IH, 0, IH, 0, 0, IH, 0]);
  });
  test('roots that do not exist or that this client never mapped', async () => {
    const r = await steps(
      [
        { fn: Fn.CREATE, args: [7, str('/x'), { create: { flags: CF.ACT_CREATE_IF_NEW | RW } }] },
        { fn: Fn.CREATE, args: [0xffffffff, str('/x'), { create: { flags: CF.LOOKUP } }] },
        { fn: Fn.CREATE, args: [1, str('/r.txt'), { create: { flags: CF.LOOKUP } }] },
        { fn: Fn.REMOVE, args: [2, str('/x'), ShflRemove.FILE] },
        { fn: Fn.INFORMATION, args: [2, 0n, ShflInfo.GET | ShflInfo.VOLUME, 40, { zeros: 40 }] },
        { fn: Fn.UNMAP_FOLDER, args: [root] },
        { fn: Fn.CREATE, args: [root, str('/ten.txt'), { create: { flags: CF.LOOKUP } }] },
        { fn: Fn.COPY_FILE, args: [0, str('/ten.txt'), 1, str('/c'), 0] },
      ],
      [{ share: 'share' }],
    );
    expect(rcs(r)).toEqual([
      ...Array(5).fill(S.VERR_INVALID_PARAMETER),
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
    ]);
  });
  test('every mutating call on a read-only share', async () => {
    const info = new Uint8Array(SHFLFSOBJINFO.size);
    new ByteView(info).setU32(SHFLFSOBJINFO.off.Attr, 0o100777);
    const ro = { var: 'root' } as const;
    const r = await steps(
      [
        create(str('/r.txt'), OPEN | RW),
        { fn: Fn.WRITE, args: [ro, h, 0n, 1, { bytes: [1] }] },
        { fn: Fn.WRITE, args: [ro, h, 0n, 1, { pages: 1, dir: 'in' }], fast: true },
        { fn: Fn.SET_FILE_SIZE, args: [ro, h, 0n] },
        { fn: Fn.FLUSH, args: [ro, h] },
        { fn: Fn.INFORMATION, args: [ro, h, ShflInfo.SET | ShflInfo.FILE, 92, { bytes: [...info] }] },
        { fn: Fn.INFORMATION, args: [ro, h, ShflInfo.SET | ShflInfo.SIZE, 92, { zeros: 92 }] },
        { fn: Fn.COPY_FILE_PART, args: [ro, h, 0n, ro, h, 5n, 1n, 0] },
        { fn: Fn.CREATE, args: [ro, str('/new'), { create: { flags: CF.ACT_CREATE_IF_NEW | RW } }] },
        {
          fn: Fn.CREATE,
          args: [
            ro,
            str('/r.txt'),
            { create: { flags: CF.ACT_OVERWRITE_IF_EXISTS | CF.ACT_FAIL_IF_NEW | RW } },
          ],
        },
        {
          fn: Fn.CREATE,
          args: [ro, str('/newdir'), { create: { flags: CF.DIRECTORY | CF.ACT_CREATE_IF_NEW } }],
        },
        { fn: Fn.REMOVE, args: [ro, str('/r.txt'), ShflRemove.FILE] },
        { fn: Fn.REMOVE, args: [ro, str('/rd'), ShflRemove.DIR] },
        { fn: Fn.CLOSE_AND_REMOVE, args: [ro, str('/r.txt'), ShflRemove.FILE, NIL] },
        { fn: Fn.RENAME, args: [ro, str('/r.txt'), str('/s.txt'), ShflRename.FILE] },
        { fn: Fn.SYMLINK, args: [ro, str('/l'), str('r.txt'), { zeros: 92 }] },
        { fn: Fn.COPY_FILE, args: [ro, str('/r.txt'), ro, str('/c.txt'), 0] },
        { fn: Fn.COPY_FILE, args: [{ var: 'root@share' }, str('/ten.txt'), ro, str('/c.txt'), 0] },
        { fn: Fn.READ, args: [ro, h, 0n, 9, { zeros: 9 }] },
      ],
      [{ share: 'ro', extra: ['share'] }],
    );
    expect(rcs(r)).toEqual([0, ...Array(17).fill(S.VERR_WRITE_PROTECT), 0]);
    expect(Buffer.from(r[18]!.bufs[4]!).toString()).toBe('read only');
  });
  test('offsets and sizes at and past 64 bits', async () => {
    const neg = new Uint8Array(SHFLFSOBJINFO.size);
    new ByteView(neg).setI64(0, -1n);
    const r = await steps([
      create(str('/big'), CF.ACT_CREATE_IF_NEW | RW),
      { fn: Fn.WRITE, args: [root, h, NIL, 1, { bytes: [1] }] },
      { fn: Fn.WRITE, args: [root, h, 1n << 63n, 1, { bytes: [1] }] },
      { fn: Fn.WRITE, args: [root, h, (1n << 63n) - 1n, 10, { bytes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }] },
      { fn: Fn.WRITE, args: [root, h, 1n << 53n, 1, { bytes: [1] }] },
      { fn: Fn.WRITE, args: [root, h, 1n << 53n, 1, { pages: 1, dir: 'in' }], fast: true },
      { fn: Fn.READ, args: [root, h, NIL, 1, { zeros: 1 }] },
      { fn: Fn.READ, args: [root, h, (1n << 63n) - 1n, 1, { zeros: 1 }] },
      { fn: Fn.SET_FILE_SIZE, args: [root, h, NIL] },
      { fn: Fn.SET_FILE_SIZE, args: [root, h, 1n << 60n] },
      { fn: Fn.INFORMATION, args: [root, h, ShflInfo.SET | ShflInfo.SIZE, 92, { bytes: [...neg] }] },
      { fn: Fn.WRITE, args: [root, h, 0n, 0xffffffff, { bytes: [1] }] },
      { fn: Fn.READ, args: [root, h, 0n, 0xffffffff, { zeros: 4 }] },
      { fn: Fn.COPY_FILE_PART, args: [root, h, NIL, root, h, 0n, 1n, 0] },
      { fn: Fn.COPY_FILE_PART, args: [root, h, 0n, root, h, 1n << 62n, 1n << 59n, 0] },
      { fn: Fn.LOCK, args: [root, h, NIL, NIL, 1] },
      {
        fn: Fn.CREATE,
        args: [root, str('/big2'), { create: { flags: CF.ACT_CREATE_IF_NEW | RW, size: -1n } }],
      },
      {
        fn: Fn.CREATE,
        args: [root, str('/big3'), { create: { flags: CF.ACT_OVERWRITE_IF_EXISTS | RW, size: 1n << 62n } }],
      },
    ]);
    expect(rcs(r)).toEqual([
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      S.VERR_FILE_TOO_BIG,
      S.VERR_FILE_TOO_BIG,
      S.VERR_FILE_TOO_BIG,
      S.VERR_INVALID_PARAMETER,
      // pread at 2^63 - 1: the host's EINVAL (offset + count overflows off_t), as upstream would get.
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      S.VERR_FILE_TOO_BIG,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_HANDLE,
      S.VERR_INVALID_HANDLE,
      S.VERR_NEGATIVE_SEEK,
      0,
      0,
      0,
      0,
    ]);
    expect(r[14]!.out[6]).toBe(0n);
    expect(r[1]!.out.slice(2, 4)).toEqual([NIL, 0]);
    for (const f of ['big', 'big2', 'big3']) expect(fs.statSync(path.join(rig.t.share, f)).size).toBe(0);
  });
});

describe('parameter counts and types', () => {
  const valueOf = (type: string): Arg => (type === 'u32' ? 0 : type === 'u64' ? 0n : { zeros: 8 });
  const wrongOf = (type: string): Arg => (type === 'u32' ? 0n : type === 'u64' ? { zeros: 8 } : 0);
  const checked = SHFL_FUNCTIONS.filter((f) => f.check !== 'unchecked');
  test.each(checked.map((f) => [f.name, f] as const))(
    '%s refuses a wrong count and each wrong type',
    async (_n, f) => {
      const old = f.check === 'invalid-parameter';
      const base = f.parms.map((p) => valueOf(p.type));
      const list: Step[] = [
        { fn: f.fn, args: [...base, 0] },
        ...(base.length > 0 ? [{ fn: f.fn, args: base.slice(1) }] : []),
        ...f.parms.map((p, i): Step => ({
          fn: f.fn,
          args: base.map((a, j) => (j === i ? wrongOf(p.type) : a)),
        })),
      ];
      const r = await steps(list);
      const count = old ? S.VERR_INVALID_PARAMETER : S.VERR_WRONG_PARAMETER_COUNT;
      const type = old ? S.VERR_INVALID_PARAMETER : S.VERR_WRONG_PARAMETER_TYPE;
      expect(rcs(r)).toEqual([count, ...(base.length > 0 ? [count] : []), ...f.parms.map(() => type)]);
    },
  );
  test('SET_UTF8 and SET_SYMLINKS check nothing, as upstream', async () => {
    const r = await steps([
      { fn: Fn.SET_UTF8, args: [1, 2n] },
      { fn: Fn.SET_SYMLINKS, args: [{ zeros: 4 }] },
    ]);
    expect(rcs(r)).toEqual([0, 0]);
  });
});

const limit = Number(/Max open files\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? 0);
describe('limits', () => {
  test.skipIf(limit < 6000)(
    '4095 handles at most; the next open is VERR_NO_MEMORY and creates nothing',
    async () => {
      // One client may hold 1024 (the per-client quota, hardening.test.ts), so four fill the table.
      const fill = (client: number, n: number): Step[] =>
        Array.from({ length: n }, (): Step => ({
          ...create(str('/ten.txt'), OPEN | CF.ACCESS_READ),
          client,
        }));
      const r = await runScript(rig, {
        clients: [{ share: 'share' }, { share: 'share' }, { share: 'share' }, { share: 'share' }],
        steps: [
          ...fill(0, 1024),
          ...fill(1, 1024),
          ...fill(2, 1024),
          ...fill(3, 1023),
          { ...create(str('/ten.txt'), OPEN | CF.ACCESS_READ), client: 3 },
          { ...create(str('/made-when-full'), CF.ACT_CREATE_IF_NEW | RW), client: 3 },
          { fn: Fn.CLOSE, args: [root, h] },
        ],
      });
      const res = r.results;
      expect(res.slice(0, 4095).every((x) => x.rc === 0 && x.create!.handle !== NIL)).toBe(true);
      expect([res[4095]!.rc, res[4095]!.create!.handle]).toEqual([S.VERR_NO_MEMORY, NIL]);
      expect(res[4096]!.rc).toBe(S.VERR_NO_MEMORY);
      expect(fs.existsSync(path.join(rig.t.share, 'made-when-full'))).toBe(false);
    },
    60_000,
  );
});
