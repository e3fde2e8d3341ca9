// QUERY_MAP_NAME and QUERY_MAP_INFO into a buffer too small for the share name: upstream tells a UTF-8
// client (and QUERY_MAP_INFO's UTF-16 clients) how long the name is in u16Length, so it can retry; a UTF-16
// client of QUERY_MAP_NAME gets VERR_INVALID_PARAMETER and an untouched buffer.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ShflFn as Fn, Status as S } from '../../src/abi/index.js';
import { ByteView } from '../../src/runtime/bytes.js';
import { runScript, startRig, type Rig } from './helpers/machine.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ vcpus: 1, extra: { 'päivä-ÄÖ': {} } });
});
afterAll(async () => {
  await rig?.stop();
});

const u16Length = (b: Uint8Array | undefined): number => new ByteView(b!).u16(2);
const root = { var: 'root' } as const;

test('UTF-8: QUERY_MAP_NAME and QUERY_MAP_INFO say how many bytes the name takes', async () => {
  const { results: r } = await runScript(rig, {
    clients: [{ share: 'päivä-ÄÖ' }],
    steps: [
      { fn: Fn.QUERY_MAP_NAME, args: [root, { str: '', pad: 3 }] },
      { fn: Fn.QUERY_MAP_NAME, args: [root, { str: '', pad: 12 }] },
      { fn: Fn.QUERY_MAP_INFO, args: [root, { str: '', pad: 1 }, { str: '', pad: 10 }, 0n, 0] },
    ],
  });
  // "päivä-ÄÖ" is 12 bytes of UTF-8 (8 characters): 13 with the terminator.
  expect(r.map((x) => x.rc)).toEqual([S.VERR_BUFFER_OVERFLOW, S.VINF_SUCCESS, S.VERR_BUFFER_OVERFLOW]);
  expect(u16Length(r[0]!.bufs[1])).toBe(12);
  expect(Buffer.from(r[0]!.bufs[1]!.subarray(4)).every((b) => b === 0)).toBe(true);
  expect(u16Length(r[1]!.bufs[1])).toBe(12);
  expect(Buffer.from(r[1]!.bufs[1]!.subarray(4, 16)).toString()).toBe('päivä-ÄÖ');
  expect(u16Length(r[2]!.bufs[1])).toBe(12);
});

test('UTF-16: QUERY_MAP_NAME refuses a short buffer untouched; QUERY_MAP_INFO reports the length', async () => {
  const { results: r } = await runScript(rig, {
    clients: [{ share: 'share', utf8: false }],
    steps: [
      { fn: Fn.QUERY_MAP_NAME, args: [root, { str: '', pad: 8, utf16: true }] },
      { fn: Fn.QUERY_MAP_INFO, args: [root, { str: '', pad: 2, utf16: true }, { str: '', pad: 10 }, 0n, 0] },
      { fn: Fn.QUERY_MAP_NAME, args: [root, { str: '', pad: 10, utf16: true }] },
    ],
  });
  expect(r.map((x) => x.rc)).toEqual([S.VERR_INVALID_PARAMETER, S.VERR_BUFFER_OVERFLOW, S.VINF_SUCCESS]);
  expect(u16Length(r[0]!.bufs[1])).toBe(0);
  expect(u16Length(r[1]!.bufs[1])).toBe(10);
  expect(u16Length(r[2]!.bufs[1])).toBe(10);
  expect(Buffer.from(r[2]!.bufs[1]!.subarray(4, 14)).toString('utf16le')).toBe('share');
});
