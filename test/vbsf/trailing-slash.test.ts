// A guest path ending with a delimiter ("file/"): upstream keeps the slash in the host path it builds, so
// POSIX decides what it means (a name that must be a directory). Each expectation is what open(2), stat(2),
// mkdir(2), unlink(2), rmdir(2) and rename(2) answer on Linux for the same names, through upstream's
// errno -> status and status -> Result rules (ENOTDIR -> VERR_PATH_NOT_FOUND).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  ShflCreate as CF,
  ShflFn as Fn,
  ShflRemove,
  ShflRename,
  ShflResult as R,
  Status as S,
} from '../../src/abi/index.js';
import { outsideFingerprint, runScript, startRig, str, type Rig } from './helpers/machine.js';
import type { Step } from './programs/script.js';

const NIL = 0xffffffffffffffffn;
let rig: Rig;
let before = '';

beforeAll(async () => {
  rig = await startRig({ vcpus: 1 });
  const at = (p: string): string => path.join(rig.t.share, p);
  fs.writeFileSync(at('file'), 'data');
  fs.mkdirSync(at('dir'));
  fs.symlinkSync('dir', at('ldir'));
  fs.symlinkSync('file', at('lfile'));
  before = outsideFingerprint(rig);
});
afterAll(async () => {
  expect(outsideFingerprint(rig)).toBe(before);
  await rig?.stop();
});

const root = { var: 'root' } as const;
const create = (p: string, flags: number): Step => ({
  fn: Fn.CREATE,
  args: [root, str(p), { create: { flags } }],
});

test('a trailing slash names a directory: stat, open, create, remove and rename say "not a directory"', async () => {
  const OPEN = CF.ACT_OPEN_IF_EXISTS | CF.ACT_FAIL_IF_NEW | CF.ACCESS_READ;
  const OPEN_CREATE = CF.ACT_OPEN_IF_EXISTS | CF.ACT_CREATE_IF_NEW | CF.ACCESS_READWRITE;
  const NEW = CF.ACT_FAIL_IF_EXISTS | CF.ACT_CREATE_IF_NEW | CF.ACCESS_READWRITE;
  const { results: r } = await runScript(rig, {
    clients: [{ share: 'share' }],
    steps: [
      create('file/', CF.LOOKUP), // 0: stat -> ENOTDIR
      create('dir/', CF.LOOKUP), // 1
      create('missing/', CF.LOOKUP), // 2: ENOENT
      create('lfile/', CF.LOOKUP), // 3: the link is followed, to a file: ENOTDIR
      create('ldir/', CF.LOOKUP), // 4: followed to a directory
      create('file/', OPEN), // 5: open -> ENOTDIR
      create('file/', OPEN_CREATE), // 6: open O_CREAT -> EISDIR
      create('new/', NEW), // 7: open O_CREAT|O_EXCL -> EISDIR, nothing created
      create('new/', OPEN), // 8: ENOENT
      create('newdir/', CF.DIRECTORY | NEW), // 9: mkdir works
      { fn: Fn.REMOVE, args: [root, str('file/'), ShflRemove.FILE] }, // 10: unlink -> ENOTDIR
      { fn: Fn.REMOVE, args: [root, str('ldir/'), ShflRemove.DIR] }, // 11: rmdir of a link -> ENOTDIR
      { fn: Fn.REMOVE, args: [root, str('dir/'), ShflRemove.FILE] }, // 12: unlink a dir -> EISDIR
      { fn: Fn.RENAME, args: [root, str('file'), str('x/'), ShflRename.FILE] }, // 13: ENOTDIR
      { fn: Fn.RENAME, args: [root, str('file/'), str('y'), ShflRename.FILE] }, // 14: ENOTDIR
      { fn: Fn.RENAME, args: [root, str('newdir/'), str('moved/'), 0] }, // 15: a directory may
      { fn: Fn.REMOVE, args: [root, str('moved/'), ShflRemove.DIR] }, // 16
    ],
  });
  const view = r.map((x) => [x.rc, x.create?.result, x.create?.handle === NIL]);
  expect(view.slice(0, 10)).toEqual([
    [S.VINF_SUCCESS, R.PATH_NOT_FOUND, true],
    [S.VINF_SUCCESS, R.FILE_EXISTS, true],
    [S.VINF_SUCCESS, R.FILE_NOT_FOUND, true],
    [S.VINF_SUCCESS, R.PATH_NOT_FOUND, true],
    [S.VINF_SUCCESS, R.FILE_EXISTS, true],
    [S.VINF_SUCCESS, R.PATH_NOT_FOUND, true],
    [S.VERR_IS_A_DIRECTORY, R.NO_RESULT, true],
    [S.VERR_IS_A_DIRECTORY, R.NO_RESULT, true],
    [S.VINF_SUCCESS, R.FILE_NOT_FOUND, true],
    [S.VINF_SUCCESS, R.FILE_CREATED, false],
  ]);
  expect(r.slice(10).map((x) => x.rc)).toEqual([
    S.VERR_PATH_NOT_FOUND,
    S.VERR_PATH_NOT_FOUND,
    S.VERR_IS_A_DIRECTORY,
    S.VERR_PATH_NOT_FOUND,
    S.VERR_PATH_NOT_FOUND,
    S.VINF_SUCCESS,
    S.VINF_SUCCESS,
  ]);
  const at = (p: string): string => path.join(rig.t.share, p);
  expect(fs.readFileSync(at('file'), 'utf8')).toBe('data');
  expect(fs.lstatSync(at('ldir')).isSymbolicLink()).toBe(true);
  expect(fs.statSync(at('dir')).isDirectory()).toBe(true);
  for (const gone of ['new', 'x', 'y', 'newdir', 'moved']) expect(fs.existsSync(at(gone))).toBe(false);
});
