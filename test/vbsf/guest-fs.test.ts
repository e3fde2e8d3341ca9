// The guest file API (g.sf) on real threads: Linux vboxsf's errno for each failure, and round trips
// through every buffer path.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { outsideFingerprint, runProgram, startRig, type Rig } from './helpers/machine.js';

let rig: Rig;
let before = '';
beforeAll(async () => {
  rig = await startRig({
    vcpus: 1,
    main: { createSymlinks: true },
    extra: { ro: { writable: false }, nolinks: {} },
  });
  fs.writeFileSync(path.join(rig.dirs.ro!, 'r.txt'), 'read only');
  before = outsideFingerprint(rig);
});
afterAll(async () => {
  expect(outsideFingerprint(rig)).toBe(before);
  await rig?.stop();
});

test('failures are reported with the errno Linux vboxsf gives', async () => {
  const r = await runProgram<Record<string, string>>(rig, 'fsapi.ts', 'errnos', {});
  expect(r).toEqual({
    openMissing: 'ENOENT',
    openExcl: 'EEXIST',
    openInMissingDir: 'ENOENT',
    openThroughFile: 'ENOENT',
    openEscape: 'ENOENT',
    statMissing: 'ENOENT',
    statEscape: 'ENOENT',
    mkdirExists: 'EEXIST',
    mkdirNoParent: 'ENOENT',
    rmdirNotEmpty: 'ENOTEMPTY',
    rmdirFile: 'ENOTDIR',
    rmdirMissing: 'ENOENT',
    unlinkDir: 'EISDIR',
    unlinkMissing: 'ENOENT',
    renameOntoFullDir: 'EEXIST',
    renameIntoMissing: 'ENOENT',
    renameIntoItself: 'EINVAL',
    symlinkNotAllowed: 'EPERM',
    readlinkFile: 'EPROTO',
    roCreate: 'EROFS',
    roWrite: 'EROFS',
    roUnlink: 'EROFS',
    roMkdir: 'EROFS',
    // truncate opens write-only; on a read-only share that leaves no access at all (upstream's EINVAL).
    roTruncate: 'EINVAL',
    badFd: 'EBADF',
    closeTwice: 'EBADF',
  });
  expect(fs.readFileSync(path.join(rig.dirs.ro!, 'r.txt'), 'utf8')).toBe('read only');
});

test('round trips: every buffer path, positions, append, truncate, links, listings, statfs', async () => {
  const r = await runProgram<Record<string, unknown>>(rig, 'fsapi.ts', 'roundtrips', { size: 300_000 });
  expect(r).toMatchObject({
    linaddr: true,
    pagelist: true,
    nobounce: true,
    mixed: true,
    seq: 'bcd',
    afterAppend: 'abcdefXY',
    ftruncated: 2,
    truncated: 5000,
    readlink: 'seq.txt',
    lstatIsLink: true,
    readdir: ['link2'],
    statfs: true,
  });
  expect(r.rootNames).toEqual(
    expect.arrayContaining(['dir', 'seq.txt', 'rt-linaddr', 'rt-pagelist', 'rt-nobounce', 'rt-mixed']),
  );
  expect(r.listOneByOne).toBe((r.rootNames as string[]).length + 2);
  expect(r.listSmall).toBe((r.rootNames as string[]).length + 2);
});

test('handles a program leaves open are closed when its session ends (disconnect)', async () => {
  const fds = (): number => fs.readdirSync('/proc/self/fd').length;
  const before = fds();
  expect(await runProgram(rig, 'fsapi.ts', 'leaveOpen', { n: 25 })).toBe(25);
  expect(fds()).toBe(before);
});
