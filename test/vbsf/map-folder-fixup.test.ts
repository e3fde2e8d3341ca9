// MAP_FOLDER's fix-up for old Windows additions (a UTF-16 name whose u16Length counts its terminator), as
// the fixed upstream does it: only a u16Length of at least 2 in a buffer of at least 6 bytes is retried two
// bytes shorter, the shorter length stays in the buffer (seen by a guest that passed it both ways), and
// anything else is VERR_INVALID_PARAMETER.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Status as S } from '../../src/abi/index.js';
import { runProgram, startRig, type Rig } from './helpers/machine.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ vcpus: 1 });
});
afterAll(async () => {
  await rig?.stop();
});

/** A SHFLSTRING: u16Size, u16Length, then the UTF-16 units. */
function shflString(size: number, length: number, units: readonly number[]): number[] {
  const b = Buffer.alloc(4 + 2 * units.length);
  b.writeUInt16LE(size, 0);
  b.writeUInt16LE(length, 2);
  units.forEach((u, i) => b.writeUInt16LE(u, 4 + 2 * i));
  return [...b];
}
const units = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const u16Length = (b: readonly number[]): number => Buffer.from(b).readUInt16LE(2);

interface MapResult {
  rc: number;
  result: number;
  root: number;
  after: number[];
}
const map = (name: number[], dir: 'in' | 'inout'): Promise<MapResult> =>
  runProgram<MapResult>(rig, 'mappings.ts', 'mapRaw', { name, dir });

test('the terminator counted in: mapped, and the fixed-up length is written back where the guest sees it', async () => {
  // "share" + NUL with u16Length 12 (10 characters' bytes + the terminator's 2).
  const name = shflString(12, 12, [...units('share'), 0]);
  const both = await map(name, 'inout');
  expect([both.rc, both.result, both.root]).toEqual([S.VINF_SUCCESS, S.VINF_SUCCESS, 0]);
  expect(u16Length(both.after)).toBe(10);
  // Passed in only, the host's copy is not copied back: the guest's buffer keeps its length.
  const inOnly = await map(name, 'in');
  expect([inOnly.result, u16Length(inOnly.after)]).toEqual([S.VINF_SUCCESS, 12]);
});

test('a zero or odd length, a buffer below 6 bytes, a retry that still fails: VERR_INVALID_PARAMETER', async () => {
  const cases = [
    shflString(4, 0, units('AB')), // zero length, no terminator: not retried (upstream needs >= 2)
    shflString(4, 1, units('AB')), // odd length
    shflString(1, 2, []).concat([0x41]), // 5 bytes: too small to hold a SHFLSTRING
    shflString(6, 6, units('abc')), // two bytes shorter still has no terminator
  ];
  for (const name of cases) {
    const r = await map(name, 'inout');
    expect(r.result).toBe(S.VERR_INVALID_PARAMETER);
    // A retry that fails puts the length back.
    expect(u16Length(r.after)).toBe(u16Length(name));
  }
});

test('an empty name with its terminator counted: fixed up to "", which no share is called (as upstream)', async () => {
  const r = await map(shflString(4, 2, [0, 0]), 'inout');
  expect(r.result).toBe(S.VERR_FILE_NOT_FOUND);
  expect(u16Length(r.after)).toBe(0);
});
