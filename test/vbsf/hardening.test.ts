// Where the model goes beyond upstream on purpose: every reply byte written, a per-client handle quota, a
// cap on the size CREATE may give a file. Real shares, real threads.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SHFLVOLINFO, ShflFn as Fn, ShflInfo, Status as S } from '../../src/abi/index.js';
import { runScript, startRig, type Rig } from './helpers/machine.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ vcpus: 1 });
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
