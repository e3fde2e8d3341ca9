// INFORMATION SET|FILE times on real files and directories: a time asked for lands to the nanosecond
// (before 1970 too), and the times not asked for (zero in the request) are left exactly as they were.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SHFLFSOBJINFO, ShflCreate as CF, ShflFn as Fn, ShflInfo, Status as S } from '../../src/abi/index.js';
import { ByteView } from '../../src/runtime/bytes.js';
import { runScript, startRig, str, type Rig } from './helpers/machine.js';
import type { Step } from './programs/script.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ vcpus: 1 });
  fs.writeFileSync(path.join(rig.t.share, 'f.txt'), 'x');
  fs.mkdirSync(path.join(rig.t.share, 'd'));
});
afterAll(async () => {
  await rig?.stop();
});

const root = { var: 'root' } as const;
const h = { var: 'h' } as const;

/** A SHFLFSOBJINFO asking for these times (0 = leave alone). */
function times(atime: bigint, mtime: bigint): { bytes: number[] } {
  const b = new Uint8Array(SHFLFSOBJINFO.size);
  const v = new ByteView(b);
  v.setI64(SHFLFSOBJINFO.off.AccessTime, atime);
  v.setI64(SHFLFSOBJINFO.off.ModificationTime, mtime);
  return { bytes: [...b] };
}

async function setTimes(p: string, dir: boolean, atime: bigint, mtime: bigint): Promise<number[]> {
  const flags = (dir ? CF.DIRECTORY : 0) | CF.ACT_OPEN_IF_EXISTS | CF.ACT_FAIL_IF_NEW | CF.ACCESS_READ;
  const steps: Step[] = [
    { fn: Fn.CREATE, args: [root, str(p), { create: { flags } }], save: { name: 'h', from: 'handle' } },
    { fn: Fn.INFORMATION, args: [root, h, ShflInfo.SET | ShflInfo.FILE, 92, times(atime, mtime)] },
    { fn: Fn.CLOSE, args: [root, h] },
  ];
  return (await runScript(rig, { clients: [{ share: 'share' }], steps })).results.map((r) => r.rc);
}

const stat = (p: string): fs.BigIntStats => fs.statSync(path.join(rig.t.share, p), { bigint: true });

test.each([
  ['a file', 'f.txt', false],
  ['a directory', 'd', true],
])('%s: one time set to the nanosecond, the other untouched to the nanosecond', async (_, p, dir) => {
  // Start from times with nanosecond digits, as the kernel stamps them.
  await setTimes(p, dir, 1_111_111_111_222_333_444n, 1_222_222_222_333_444_555n);
  const start = stat(p);
  expect([start.atimeNs, start.mtimeNs]).toEqual([1_111_111_111_222_333_444n, 1_222_222_222_333_444_555n]);

  expect(await setTimes(p, dir, 1_600_000_000_123_456_789n, 0n)).toEqual([0, 0, 0]);
  const a = stat(p);
  expect(a.atimeNs).toBe(1_600_000_000_123_456_789n);
  expect(a.mtimeNs).toBe(start.mtimeNs);

  // Before 1970, with nanoseconds.
  expect(await setTimes(p, dir, 0n, -1_000_000_001n)).toEqual([0, 0, 0]);
  const m = stat(p);
  expect(m.mtimeNs).toBe(-1_000_000_001n);
  expect(m.atimeNs).toBe(1_600_000_000_123_456_789n);
});

test('the reply after SET|FILE reports the times as set', async () => {
  const steps: Step[] = [
    {
      fn: Fn.CREATE,
      args: [root, str('f.txt'), { create: { flags: CF.ACT_FAIL_IF_NEW | CF.ACCESS_READWRITE } }],
      save: { name: 'h', from: 'handle' },
    },
    { fn: Fn.INFORMATION, args: [root, h, ShflInfo.SET | ShflInfo.FILE, 92, times(7n, 0n)] },
    { fn: Fn.CLOSE, args: [root, h] },
  ];
  const r = (await runScript(rig, { clients: [{ share: 'share' }], steps })).results;
  expect(r.map((x) => x.rc)).toEqual([S.VINF_SUCCESS, S.VINF_SUCCESS, S.VINF_SUCCESS]);
  const info = new ByteView(r[1]!.bufs[4]!);
  expect(info.i64(SHFLFSOBJINFO.off.AccessTime)).toBe(7n);
  expect(info.i64(SHFLFSOBJINFO.off.ModificationTime)).toBe(stat('f.txt').mtimeNs);
});
