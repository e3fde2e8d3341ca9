// The vbsfCreate decision table row by row on real threads (vbsf-semantics.md 3.2-3.5): files, directories,
// LOOKUP, the write gate of read-only shares, OPEN_TARGET_DIRECTORY, the error styles.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ShflCreate as CF, ShflFn as Fn, ShflResult as R, Status as S } from '../../src/abi/index.js';
import { outsideFingerprint, runScript, startRig, str, type Rig } from './helpers/machine.js';
import type { MountSpec, Step } from './programs/script.js';

const NIL = 0xffffffffffffffffn;
let rig: Rig;
let before = '';

beforeAll(async () => {
  rig = await startRig({ vcpus: 1, extra: { ro: { writable: false } } });
  before = outsideFingerprint(rig);
});
afterAll(async () => {
  expect(outsideFingerprint(rig)).toBe(before);
  await rig?.stop();
});

type State = 'exists' | 'missing' | 'noparent' | 'parentfile' | 'dir';
interface Row {
  readonly flags: number;
  readonly state: State;
  readonly rc: number;
  readonly result: number;
  readonly handle: boolean;
  /** Host file size afterwards (files). */
  readonly size?: number;
}

const OPEN_CREATE = CF.ACT_OPEN_IF_EXISTS | CF.ACT_CREATE_IF_NEW;
const OPEN = CF.ACT_OPEN_IF_EXISTS | CF.ACT_FAIL_IF_NEW;
const CREATE = CF.ACT_FAIL_IF_EXISTS | CF.ACT_CREATE_IF_NEW;
const FAIL_FAIL = CF.ACT_FAIL_IF_EXISTS | CF.ACT_FAIL_IF_NEW;
const REPLACE = CF.ACT_REPLACE_IF_EXISTS | CF.ACT_CREATE_IF_NEW;
const OVERWRITE = CF.ACT_OVERWRITE_IF_EXISTS | CF.ACT_CREATE_IF_NEW;
const TRUNC = CF.ACT_REPLACE_IF_EXISTS | CF.ACT_FAIL_IF_NEW;
const OTRUNC = CF.ACT_OVERWRITE_IF_EXISTS | CF.ACT_FAIL_IF_NEW;
const RW = CF.ACCESS_READWRITE;

/** Files on a writable share (sizes: fixtures hold 6 bytes; REPLACE/OVERWRITE set the guest's cbObject, 2). */
const FILE_ROWS: readonly Row[] = [
  { flags: OPEN_CREATE | RW, state: 'exists', rc: 0, result: R.FILE_EXISTS, handle: true, size: 6 },
  { flags: OPEN_CREATE | RW, state: 'missing', rc: 0, result: R.FILE_CREATED, handle: true, size: 0 },
  { flags: OPEN_CREATE | RW, state: 'noparent', rc: 0, result: R.FILE_NOT_FOUND, handle: false },
  { flags: OPEN_CREATE | RW, state: 'parentfile', rc: 0, result: R.PATH_NOT_FOUND, handle: false },
  { flags: OPEN | RW, state: 'exists', rc: 0, result: R.FILE_EXISTS, handle: true, size: 6 },
  { flags: OPEN | RW, state: 'missing', rc: 0, result: R.FILE_NOT_FOUND, handle: false },
  { flags: OPEN | RW, state: 'noparent', rc: 0, result: R.FILE_NOT_FOUND, handle: false },
  { flags: OPEN | RW, state: 'parentfile', rc: 0, result: R.PATH_NOT_FOUND, handle: false },
  { flags: CREATE | RW, state: 'exists', rc: 0, result: R.FILE_EXISTS, handle: false, size: 6 },
  { flags: CREATE | RW, state: 'missing', rc: 0, result: R.FILE_CREATED, handle: true, size: 0 },
  { flags: CREATE | RW, state: 'noparent', rc: 0, result: R.FILE_NOT_FOUND, handle: false },
  { flags: CREATE | RW, state: 'parentfile', rc: 0, result: R.PATH_NOT_FOUND, handle: false },
  {
    flags: FAIL_FAIL | RW,
    state: 'exists',
    rc: S.VERR_INVALID_PARAMETER,
    result: R.NO_RESULT,
    handle: false,
  },
  {
    flags: FAIL_FAIL | RW,
    state: 'missing',
    rc: S.VERR_INVALID_PARAMETER,
    result: R.NO_RESULT,
    handle: false,
  },
  { flags: REPLACE | RW, state: 'exists', rc: 0, result: R.FILE_REPLACED, handle: true, size: 2 },
  { flags: REPLACE | RW, state: 'missing', rc: 0, result: R.FILE_CREATED, handle: true, size: 2 },
  { flags: OVERWRITE | RW, state: 'exists', rc: 0, result: R.FILE_REPLACED, handle: true, size: 2 },
  { flags: OVERWRITE | RW, state: 'missing', rc: 0, result: R.FILE_CREATED, handle: true, size: 2 },
  { flags: OVERWRITE | RW, state: 'parentfile', rc: 0, result: R.PATH_NOT_FOUND, handle: false },
  { flags: TRUNC | RW, state: 'exists', rc: 0, result: R.FILE_REPLACED, handle: true, size: 2 },
  { flags: TRUNC | RW, state: 'missing', rc: 0, result: R.FILE_NOT_FOUND, handle: false },
  { flags: OTRUNC | RW, state: 'exists', rc: 0, result: R.FILE_REPLACED, handle: true, size: 2 },
  { flags: OTRUNC | RW, state: 'noparent', rc: 0, result: R.FILE_NOT_FOUND, handle: false },
  { flags: 0x40 | RW, state: 'exists', rc: S.VERR_INVALID_PARAMETER, result: R.NO_RESULT, handle: false },
  { flags: 0x200 | RW, state: 'exists', rc: S.VERR_INVALID_PARAMETER, result: R.NO_RESULT, handle: false },
  // A bare access mode means open-if-exists, create-if-new.
  { flags: CF.ACCESS_READ, state: 'missing', rc: 0, result: R.FILE_CREATED, handle: true, size: 0 },
  { flags: CF.LOOKUP, state: 'exists', rc: 0, result: R.FILE_EXISTS, handle: false, size: 6 },
  { flags: CF.LOOKUP | CREATE, state: 'missing', rc: 0, result: R.FILE_NOT_FOUND, handle: false },
  { flags: CF.LOOKUP, state: 'noparent', rc: 0, result: R.FILE_NOT_FOUND, handle: false },
  { flags: CF.LOOKUP, state: 'parentfile', rc: 0, result: R.PATH_NOT_FOUND, handle: false },
  { flags: CF.LOOKUP, state: 'dir', rc: 0, result: R.FILE_EXISTS, handle: false },
];

const D = CF.DIRECTORY;
/** Directories: unlike files, "exists" and "not found" fail. */
const DIR_ROWS: readonly Row[] = [
  { flags: D | CREATE, state: 'missing', rc: 0, result: R.FILE_CREATED, handle: true },
  { flags: D | CREATE, state: 'dir', rc: S.VERR_ALREADY_EXISTS, result: R.FILE_EXISTS, handle: false },
  { flags: D | OPEN_CREATE, state: 'dir', rc: 0, result: R.FILE_EXISTS, handle: true },
  { flags: D | OPEN_CREATE, state: 'missing', rc: 0, result: R.FILE_CREATED, handle: true },
  { flags: D | OPEN, state: 'dir', rc: 0, result: R.FILE_EXISTS, handle: true },
  { flags: D | OPEN, state: 'missing', rc: S.VERR_FILE_NOT_FOUND, result: R.FILE_NOT_FOUND, handle: false },
  { flags: D | OPEN, state: 'exists', rc: S.VERR_PATH_NOT_FOUND, result: R.PATH_NOT_FOUND, handle: false },
  { flags: D | REPLACE, state: 'dir', rc: S.VERR_ALREADY_EXISTS, result: R.FILE_EXISTS, handle: false },
  { flags: D | FAIL_FAIL, state: 'dir', rc: 0, result: R.FILE_EXISTS, handle: true },
  { flags: D | TRUNC, state: 'dir', rc: 0, result: R.FILE_EXISTS, handle: true },
  {
    flags: D | CREATE,
    state: 'noparent',
    rc: S.VERR_FILE_NOT_FOUND,
    result: R.FILE_NOT_FOUND,
    handle: false,
  },
  {
    flags: D | CREATE,
    state: 'parentfile',
    rc: S.VERR_PATH_NOT_FOUND,
    result: R.PATH_NOT_FOUND,
    handle: false,
  },
  // An existing directory opened without DIRECTORY is opened as one (the host adds the flag).
  { flags: OPEN | CF.ACCESS_READ, state: 'dir', rc: 0, result: R.FILE_EXISTS, handle: true },
];

function fixture(dir: string, i: number, state: State): string {
  const base = path.join(rig.t.share, dir);
  fs.mkdirSync(base, { recursive: true });
  switch (state) {
    case 'exists':
      fs.writeFileSync(path.join(base, `e${i}`), 'abcdef');
      return `/${dir}/e${i}`;
    case 'missing':
      return `/${dir}/m${i}`;
    case 'noparent':
      return `/${dir}/gone${i}/x`;
    case 'parentfile':
      fs.writeFileSync(path.join(base, `p${i}`), 'abcdef');
      return `/${dir}/p${i}/x`;
    case 'dir':
      fs.mkdirSync(path.join(base, `d${i}`));
      return `/${dir}/d${i}`;
  }
}

async function runRows(dir: string, rows: readonly Row[], client: MountSpec = { share: 'share' }) {
  const paths = rows.map((row, i) => fixture(dir, i, row.state));
  const steps: Step[] = rows.flatMap((row, i): Step[] => [
    {
      fn: Fn.CREATE,
      args: [{ var: 'root' }, str(paths[i]!), { create: { flags: row.flags, size: 2n } }],
      save: { name: 'h', from: 'handle' },
    },
    { fn: Fn.CLOSE, args: [{ var: 'root' }, { var: 'h' }] },
  ]);
  const r = (await runScript(rig, { clients: [client], steps })).results;
  return rows.map((row, i) => ({ row, path: paths[i]!, c: r[2 * i]! }));
}

function check(got: Awaited<ReturnType<typeof runRows>>): void {
  for (const { row, path: p, c } of got) {
    const label = `${p} flags=0x${row.flags.toString(16)}`;
    expect({ label, rc: c.rc, result: c.create?.result, handle: c.create?.handle !== NIL }).toEqual({
      label,
      rc: row.rc,
      result: row.result,
      handle: row.handle,
    });
    if (row.size !== undefined && row.state !== 'dir') {
      expect({ label, size: fs.statSync(path.join(rig.t.share, p)).size }).toEqual({ label, size: row.size });
      if (row.flags & CF.LOOKUP || row.result === R.FILE_EXISTS)
        expect(c.create?.size).toBe(BigInt(row.size));
    }
  }
}

describe('CREATE decision table', () => {
  test('files', async () => {
    check(await runRows('files', FILE_ROWS));
  });
  test('directories', async () => {
    const got = await runRows('dirs', DIR_ROWS);
    check(got);
    // The host reported the DIRECTORY flag it added.
    expect(got[got.length - 1]!.c.create!.flags & CF.DIRECTORY).toBe(CF.DIRECTORY);
  });
  test('read-only share: the write gate and the stripped write access', async () => {
    fs.writeFileSync(path.join(rig.dirs.ro!, 'x.txt'), 'abcdef');
    const r = (
      await runScript(rig, {
        clients: [{ share: 'ro' }],
        steps: [
          { fn: Fn.CREATE, args: [{ var: 'root' }, str('/x.txt'), { create: { flags: OPEN_CREATE | RW } }] },
          { fn: Fn.CREATE, args: [{ var: 'root' }, str('/x.txt'), { create: { flags: TRUNC | RW } }] },
          {
            fn: Fn.CREATE,
            args: [{ var: 'root' }, str('/x.txt'), { create: { flags: OPEN | CF.ACCESS_WRITE } }],
          },
          { fn: Fn.CREATE, args: [{ var: 'root' }, str('/new'), { create: { flags: D | CREATE } }] },
          {
            fn: Fn.CREATE,
            args: [{ var: 'root' }, str('/x.txt'), { create: { flags: OPEN | RW } }],
            save: { name: 'h', from: 'handle' },
          },
          { fn: Fn.WRITE, args: [{ var: 'root' }, { var: 'h' }, 0n, 1, { bytes: [1] }] },
          { fn: Fn.READ, args: [{ var: 'root' }, { var: 'h' }, 0n, 3, { zeros: 3 }] },
          { fn: Fn.SET_FILE_SIZE, args: [{ var: 'root' }, { var: 'h' }, 0n] },
          { fn: Fn.FLUSH, args: [{ var: 'root' }, { var: 'h' }] },
          { fn: Fn.CREATE, args: [{ var: 'root' }, str('/x.txt'), { create: { flags: CF.LOOKUP } }] },
        ],
      })
    ).results;
    expect(r.map((x) => [x.rc, x.create?.result])).toEqual([
      [S.VERR_WRITE_PROTECT, R.NO_RESULT],
      [S.VERR_WRITE_PROTECT, R.NO_RESULT],
      [S.VERR_INVALID_PARAMETER, R.NO_RESULT],
      [S.VERR_WRITE_PROTECT, R.NO_RESULT],
      [0, R.FILE_EXISTS],
      [S.VERR_WRITE_PROTECT, undefined],
      [0, undefined],
      [S.VERR_WRITE_PROTECT, undefined],
      [S.VERR_WRITE_PROTECT, undefined],
      [0, R.FILE_EXISTS],
    ]);
    expect(r[0]!.create!.handle).toBe(NIL);
    expect(fs.readFileSync(path.join(rig.dirs.ro!, 'x.txt'), 'utf8')).toBe('abcdef');
    expect(fs.readdirSync(rig.dirs.ro!)).toEqual(['x.txt']);
  });
  test('path failures leave Handle and Result alone; OPEN_TARGET_DIRECTORY; modes; error styles', async () => {
    fs.mkdirSync(path.join(rig.t.share, 'otd'));
    fs.writeFileSync(path.join(rig.t.share, 'otd/f'), 'x');
    fs.writeFileSync(path.join(rig.t.share, 'otd/plain'), 'x');
    const root = { var: 'root' } as const;
    const r = (
      await runScript(rig, {
        clients: [{ share: 'share' }],
        steps: [
          { fn: Fn.CREATE, args: [root, str('/../x'), { create: { flags: OPEN, handle: 0x1234n } }] },
          { fn: Fn.CREATE, args: [9, str('/x'), { create: { flags: OPEN, handle: 0x1234n } }] },
          {
            fn: Fn.CREATE,
            args: [root, str('/otd/f'), { create: { flags: CF.OPEN_TARGET_DIRECTORY | OPEN | RW } }],
            save: { name: 'd', from: 'handle' },
          },
          { fn: Fn.LIST, args: [root, { var: 'd' }, 0, 4096, { zeros: 0 }, { zeros: 4096 }, 0, 0] },
          {
            fn: Fn.CREATE,
            args: [root, str('/mode640'), { create: { flags: CREATE | RW, mode: 0o100640 } }],
          },
          {
            fn: Fn.CREATE,
            args: [root, str('/modeold'), { create: { flags: CREATE | RW, mode: 0o100777, handle: 0n } }],
          },
          { fn: Fn.SET_ERROR_STYLE, args: [1, 0] },
          { fn: Fn.CREATE, args: [root, str('/nodir/x'), { create: { flags: OPEN | RW } }] },
          { fn: Fn.CREATE, args: [root, str('/nodir/x'), { create: { flags: D | CREATE } }] },
          { fn: Fn.CREATE, args: [root, str('/otd/plain'), { create: { flags: D | OPEN } }] },
        ],
      })
    ).results;
    expect(r.map((x) => [x.rc, x.create?.result, x.create?.handle])).toEqual([
      [S.VERR_INVALID_NAME, 0, 0x1234n],
      [S.VERR_INVALID_PARAMETER, 0, 0x1234n],
      [0, R.FILE_EXISTS, expect.any(BigInt)],
      [0, undefined, undefined],
      [0, R.FILE_CREATED, expect.any(BigInt)],
      [0, R.FILE_CREATED, expect.any(BigInt)],
      [0, undefined, undefined],
      [0, R.PATH_NOT_FOUND, NIL],
      [S.VERR_PATH_NOT_FOUND, R.PATH_NOT_FOUND, NIL],
      [S.VERR_NOT_A_DIRECTORY, R.FILE_EXISTS, NIL],
    ]);
    // OPEN_TARGET_DIRECTORY opened the parent: its listing holds f.
    expect(r[2]!.create!.flags & CF.DIRECTORY).toBe(CF.DIRECTORY);
    expect(r[3]!.out[7]).toBe(4);
    expect(fs.statSync(path.join(rig.t.share, 'mode640')).mode & 0o777).toBe(0o640 & ~process.umask());
    expect(fs.statSync(path.join(rig.t.share, 'modeold')).mode & 0o777).toBe(0o600);
  });
});
