// rtFileSetTimes without touch(1) (an empty PATH): the futimes fallback lands on the microsecond asked for
// (floor, before 1970 too), where a plain seconds double would miss it by a few hundred nanoseconds.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { rtFileSetTimes, setIprtLog } from '../../src/runtime/iprt/index.js';

let dir = '';
let savedPath: string | undefined;
const logs: string[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iprt-times-'));
  savedPath = process.env.PATH;
  process.env.PATH = dir;
  setIprtLog((l) => logs.push(l));
});
afterAll(() => {
  process.env.PATH = savedPath;
  fs.rmSync(dir, { recursive: true, force: true });
});

const floorUs = (ns: bigint): bigint => (ns >= 0n ? ns / 1000n : -((-ns + 999n) / 1000n)) * 1000n;

test.each([
  1_700_000_000_123_456_789n,
  1_700_000_000_000_000_999n,
  4_000_000_000_999_999_001n,
  -5_000_000_001n,
  -1n,
])('without touch(1), %s ns lands on its microsecond', (ns) => {
  const p = path.join(dir, 'f');
  fs.writeFileSync(p, 'x');
  const fd = fs.openSync(p, 'r');
  try {
    expect(rtFileSetTimes(fd, ns, ns)).toBe(0);
    const st = fs.fstatSync(fd, { bigint: true });
    expect(st.atimeNs).toBe(floorUs(ns));
    expect(st.mtimeNs).toBe(floorUs(ns));
  } finally {
    fs.closeSync(fd);
  }
  expect(logs.some((l) => l.includes('touch(1) failed'))).toBe(true);
});
