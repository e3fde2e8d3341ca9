// Where the model goes beyond upstream on purpose: every reply byte written, a per-client handle quota, a
// cap on the size CREATE may give a file. Real shares, real threads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  SHFLVOLINFO,
  ShflCreate as CF,
  ShflFn as Fn,
  ShflInfo,
  ShflResult as R,
  Status as S,
} from '../../src/abi/index.js';
import { DEFAULT_HANDLE_QUOTA } from '../../src/vbsf/index.js';
import { runScript, startRig, str, type Rig } from './helpers/machine.js';
import type { Step } from './programs/script.js';

const NIL = 0xffffffffffffffffn;
let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ vcpus: 1, extra: { capped: { maxCreateSize: 65536 } } });
  fs.writeFileSync(path.join(rig.t.share, 'ten.txt'), '0123456789');
});
afterAll(async () => {
  await rig?.stop();
});

const root = { var: 'root' } as const;

test('GET|VOLUME writes all 40 bytes of its reply, the padding after the properties included', async () => {
  const { results: r } = await runScript(rig, {
    clients: [{ share: 'share' }],
    steps: [
      {
        fn: Fn.INFORMATION,
        args: [root, 0n, ShflInfo.GET | ShflInfo.VOLUME, 40, { bytes: new Array<number>(40).fill(0xaa) }],
      },
    ],
  });
  expect(r[0]!.rc).toBe(S.VINF_SUCCESS);
  const reply = r[0]!.bufs[4]!;
  expect(reply.length).toBe(SHFLVOLINFO.size);
  // SHFLFSPROPERTIES is 10 bytes of fields in 12: bytes 38 and 39 are padding.
  expect([reply[38], reply[39]]).toEqual([0, 0]);
});

const open = (p: string, client = 0, save = 'h'): Step => ({
  fn: Fn.CREATE,
  args: [root, str(p), { create: { flags: CF.ACT_OPEN_IF_EXISTS | CF.ACT_FAIL_IF_NEW | CF.ACCESS_READ } }],
  client,
  save: { name: save, from: 'handle' },
});

test(`one client holds at most ${DEFAULT_HANDLE_QUOTA} handles; the others are not locked out`, async () => {
  const { results: r } = await runScript(rig, {
    clients: [{ share: 'share' }, { share: 'share' }],
    steps: [
      open('ten.txt', 0, 'first'),
      ...Array.from({ length: DEFAULT_HANDLE_QUOTA - 1 }, () => open('ten.txt')),
      open('ten.txt'), // over the quota
      open('ten.txt', 1), // another client
      { fn: Fn.CLOSE, args: [root, { var: 'first' }] },
      open('ten.txt'), // room again
    ],
  });
  const n = DEFAULT_HANDLE_QUOTA;
  expect(r.slice(0, n).every((x) => x.rc === S.VINF_SUCCESS && x.create!.handle !== NIL)).toBe(true);
  expect([r[n]!.rc, r[n]!.create!.result, r[n]!.create!.handle]).toEqual([
    S.VERR_TOO_MANY_OPEN_FILES,
    R.NO_RESULT,
    NIL,
  ]);
  expect([r[n + 1]!.rc, r[n + 1]!.create!.handle !== NIL]).toEqual([S.VINF_SUCCESS, true]);
  expect(r[n + 2]!.rc).toBe(S.VINF_SUCCESS);
  expect([r[n + 3]!.rc, r[n + 3]!.create!.handle !== NIL]).toEqual([S.VINF_SUCCESS, true]);
}, 60_000);

test("CREATE replacing or overwriting sets no size beyond the share's cap or the free space", async () => {
  const replace = (p: string, size: bigint, client = 0): Step => ({
    fn: Fn.CREATE,
    args: [
      { var: client === 0 ? 'root' : 'root1' },
      str(p),
      { create: { flags: CF.ACT_REPLACE_IF_EXISTS | CF.ACT_CREATE_IF_NEW | CF.ACCESS_READWRITE, size } },
    ],
    client,
  });
  const st = fs.statfsSync(rig.t.share, { bigint: true });
  const beyondFree = st.bavail * st.bsize + (1n << 30n);
  const { results: r } = await runScript(rig, {
    clients: [{ share: 'share' }, { share: 'capped' }],
    steps: [
      replace('tib.bin', 1n << 40n),
      replace('beyond.bin', beyondFree),
      replace('mib.bin', 1n << 20n),
      replace('tib.bin', 1n << 40n, 1),
      replace('cap.bin', 65537n, 1),
      replace('under.bin', 65536n, 1),
    ],
  });
  expect(r.map((x) => [x.rc, x.create!.result])).toEqual([
    [S.VINF_SUCCESS, R.FILE_CREATED],
    [S.VINF_SUCCESS, R.FILE_CREATED],
    [S.VINF_SUCCESS, R.FILE_CREATED],
    [S.VINF_SUCCESS, R.FILE_CREATED],
    [S.VINF_SUCCESS, R.FILE_CREATED],
    [S.VINF_SUCCESS, R.FILE_CREATED],
  ]);
  const size = (dir: string, f: string): number => fs.statSync(path.join(dir, f)).size;
  // Info tells the guest the size the file has.
  expect(r.map((x) => x.create!.size)).toEqual([0n, 0n, 1n << 20n, 0n, 0n, 65536n]);
  expect([
    size(rig.t.share, 'tib.bin'),
    size(rig.t.share, 'beyond.bin'),
    size(rig.t.share, 'mib.bin'),
  ]).toEqual([0, 0, 1 << 20]);
  const capped = rig.dirs.capped!;
  expect([size(capped, 'tib.bin'), size(capped, 'cap.bin'), size(capped, 'under.bin')]).toEqual([
    0, 0, 65536,
  ]);
});
