// The guest library's page-list READ and WRITE with zero bytes: VMMDev (like upstream's) refuses a page
// list without pages, so the library must send such a call another way, and the host must still check it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Status as S } from '../../src/abi/index.js';
import { runProgram, startRig, type Rig } from './helpers/machine.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ vcpus: 1 });
  fs.writeFileSync(path.join(rig.t.share, 'ten.txt'), '0123456789');
});
afterAll(async () => {
  await rig?.stop();
});

test('zero-length no-bounce READ and WRITE reach the service, move nothing, and are still checked', async () => {
  const r = await runProgram<{
    create: number;
    read: { rc: number; count: number };
    write: { rc: number; count: number; offset: bigint };
    forged: { rc: number; count: number };
    forgedWrite: number;
  }>(rig, 'zero-io.ts', 'zeroLength', { share: 'share', path: '/ten.txt' });
  expect(r.create).toBe(S.VINF_SUCCESS);
  expect(r.read).toEqual({ rc: S.VINF_SUCCESS, count: 0 });
  // Upstream: a zero-byte write changes nothing and hands the offset back as it came.
  expect(r.write).toEqual({ rc: S.VINF_SUCCESS, count: 0, offset: 5n });
  // A forged handle is the service's VERR_INVALID_HANDLE, not a device refusal of the request.
  expect(r.forged.rc).toBe(S.VERR_INVALID_HANDLE);
  expect(r.forgedWrite).toBe(S.VERR_INVALID_HANDLE);
  expect(fs.readFileSync(path.join(rig.t.share, 'ten.txt'), 'utf8')).toBe('0123456789');
});
