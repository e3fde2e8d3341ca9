// READ/WRITE at offsets through every buffer path (LinAddr, PageList, no-bounce pages), append, zero-length
// and short buffers, directory listing with resume, on real threads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  SHFLDIRINFO,
  SHFLDIRINFO_NAME_OFFSET,
  SHFLFSOBJATTR,
  SHFLFSOBJINFO,
  ShflCreate as CF,
  ShflFn as Fn,
  ShflList,
  Status as S,
} from '../../src/abi/index.js';
import { ByteView } from '../../src/runtime/bytes.js';
import { outsideFingerprint, runProgram, runScript, startRig, str, type Rig } from './helpers/machine.js';
import type { Step, StepResult } from './programs/script.js';

let rig: Rig;
let before = '';
const root = { var: 'root' } as const;
const h = { var: 'h' } as const;

beforeAll(async () => {
  rig = await startRig({ vcpus: 2 });
  before = outsideFingerprint(rig);
});
afterAll(async () => {
  expect(outsideFingerprint(rig)).toBe(before);
  await rig?.stop();
});

async function steps(list: Step[], opts: { symlinks?: boolean } = {}): Promise<StepResult[]> {
  return (await runScript(rig, { clients: [{ share: 'share', symlinks: opts.symlinks }], steps: list }))
    .results;
}
const open = (p: string, flags: number, name = 'h'): Step => ({
  fn: Fn.CREATE,
  args: [root, str(p), { create: { flags } }],
  save: { name, from: 'handle' },
});
const bytes = (n: number, seed: number): number[] =>
  Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('read and write', () => {
  test('offsets, holes, end of file, zero lengths', async () => {
    const r = await steps([
      open('/io1', CF.ACCESS_READWRITE),
      { fn: Fn.WRITE, args: [root, h, 10n, 3, { bytes: [97, 98, 99] }] },
      { fn: Fn.READ, args: [root, h, 0n, 20, { zeros: 20 }] },
      { fn: Fn.READ, args: [root, h, 11n, 20, { zeros: 20 }] },
      { fn: Fn.READ, args: [root, h, 13n, 5, { zeros: 5 }] },
      { fn: Fn.READ, args: [root, h, 1n << 40n, 5, { zeros: 5 }] },
      { fn: Fn.WRITE, args: [root, h, 5n, 0, { zeros: 0 }] },
      { fn: Fn.READ, args: [root, h, 0n, 0, { zeros: 0 }] },
      { fn: Fn.WRITE, args: [root, h, 2n, 0, { bytes: [1, 2, 3] }] },
      { fn: Fn.READ, args: [root, h, 0n, 2, { zeros: 8 }] },
    ]);
    expect(r.map((x) => x.rc)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(r[1]!.out.slice(2, 4)).toEqual([13n, 3]);
    expect(r[2]!.out[3]).toBe(13);
    expect([...r[2]!.bufs[4]!.subarray(0, 13)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 97, 98, 99]);
    expect(r[3]!.out[3]).toBe(2);
    expect(r[4]!.out[3]).toBe(0);
    expect(r[5]!.out[3]).toBe(0);
    // A zero-length write succeeds, changes nothing and leaves the offset where it was.
    expect(r[6]!.out.slice(2, 4)).toEqual([5n, 0]);
    expect(r[8]!.out.slice(2, 4)).toEqual([2n, 0]);
    expect(r[9]!.out[3]).toBe(2);
    expect(fs.statSync(path.join(rig.t.share, 'io1')).size).toBe(13);
  });
  test('short buffers are refused before any I/O, with upstream statuses', async () => {
    const r = await steps([
      open('/io2', CF.ACCESS_READWRITE),
      { fn: Fn.WRITE, args: [root, h, 0n, 4, { bytes: [1, 2, 3] }] },
      { fn: Fn.READ, args: [root, h, 0n, 4, { zeros: 3 }] },
      { fn: Fn.WRITE, args: [root, h, 0n, 4, { pages: 3, dir: 'in' }], fast: true },
      { fn: Fn.READ, args: [root, h, 0n, 4, { pages: 3, dir: 'out' }], fast: true },
      { fn: Fn.READ, args: [root, h, 0n, 3, { pages: 3, dir: 'in' }], fast: true },
      { fn: Fn.WRITE, args: [root, h, 0n, 3, { pages: 3, dir: 'out' }], fast: true },
    ]);
    expect(r.map((x) => x.rc)).toEqual([
      0,
      S.VERR_INVALID_HANDLE,
      S.VERR_INVALID_HANDLE,
      S.VERR_OUT_OF_RANGE,
      S.VERR_OUT_OF_RANGE,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
    ]);
    expect(fs.statSync(path.join(rig.t.share, 'io2')).size).toBe(0);
  });
  test('every buffer path moves the same bytes, across page boundaries', async () => {
    const data = bytes(10_000, 7);
    const r = await steps([
      open('/io3', CF.ACCESS_READWRITE),
      { fn: Fn.WRITE, args: [root, h, 0n, 10_000, { bytes: data }] },
      { fn: Fn.WRITE, args: [root, h, 10_000n, 10_000, { pagelist: { bytes: data } }] },
      {
        fn: Fn.WRITE,
        args: [root, h, 20_000n, 10_000, { pages: 10_000, dir: 'in', fill: 0x5a }],
        fast: true,
      },
      { fn: Fn.READ, args: [root, h, 5_000n, 10_000, { zeros: 10_000 }] },
      { fn: Fn.READ, args: [root, h, 15_000n, 10_000, { pagelist: { zeros: 10_000 } }] },
      { fn: Fn.READ, args: [root, h, 9_999n, 10_002, { pages: 10_002, dir: 'out' }], fast: true },
    ]);
    expect(r.map((x) => x.rc)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    const file = fs.readFileSync(path.join(rig.t.share, 'io3'));
    expect(file.length).toBe(30_000);
    const model = Buffer.concat([Buffer.from(data), Buffer.from(data), Buffer.alloc(10_000, 0x5a)]);
    expect(file.equals(model)).toBe(true);
    expect(Buffer.from(r[4]!.bufs[4]!).equals(model.subarray(5_000, 15_000))).toBe(true);
    expect(Buffer.from(r[5]!.bufs[4]!).equals(model.subarray(15_000, 25_000))).toBe(true);
    expect(r[6]!.out[3]).toBe(10_002);
    expect(Buffer.from(r[6]!.bufs[4]!).equals(model.subarray(9_999, 20_001))).toBe(true);
  });
  test("append handles write at the end and report it; access modes are the host handle's", async () => {
    const r = await steps([
      open('/io4', CF.ACCESS_READWRITE, 'a'),
      { fn: Fn.WRITE, args: [root, { var: 'a' }, 0n, 4, { bytes: [1, 2, 3, 4] }] },
      open('/io4', CF.ACCESS_WRITE | CF.ACCESS_APPEND | CF.ACT_FAIL_IF_NEW, 'b'),
      { fn: Fn.WRITE, args: [root, { var: 'b' }, 0n, 2, { bytes: [9, 9] }] },
      { fn: Fn.WRITE, args: [root, { var: 'b' }, 100n, 1, { pages: 1, dir: 'in', fill: 8 }], fast: true },
      { fn: Fn.READ, args: [root, { var: 'b' }, 0n, 2, { zeros: 2 }] },
      open('/io4', CF.ACCESS_READ | CF.ACT_FAIL_IF_NEW, 'c'),
      { fn: Fn.WRITE, args: [root, { var: 'c' }, 0n, 1, { bytes: [7] }] },
      open('/', CF.ACCESS_READ | CF.ACT_FAIL_IF_NEW | CF.DIRECTORY, 'd'),
      { fn: Fn.READ, args: [root, { var: 'd' }, 0n, 1, { zeros: 1 }] },
    ]);
    expect(r.map((x) => x.rc)).toEqual([
      0,
      0,
      0,
      0,
      0,
      S.VERR_INVALID_HANDLE,
      0,
      S.VERR_INVALID_HANDLE,
      0,
      S.VERR_INVALID_HANDLE,
    ]);
    expect(r[3]!.out.slice(2, 4)).toEqual([6n, 2]);
    expect(r[4]!.out.slice(2, 4)).toEqual([101n, 1]);
    expect([...fs.readFileSync(path.join(rig.t.share, 'io4'))]).toEqual([1, 2, 3, 4, 9, 9, 8]);
  });
});

interface Entry {
  name: string;
  size: bigint;
  mode: number;
  ino: bigint;
}

function parseList(r: StepResult): Entry[] {
  const buf = r.bufs[5]!;
  const v = new ByteView(buf);
  const out: Entry[] = [];
  let off = 0;
  for (let i = 0; i < (r.out[7] as number); i++) {
    const size = v.u16(off + SHFLDIRINFO.off.nameSize);
    const len = v.u16(off + SHFLDIRINFO.off.nameLength);
    expect(size).toBe(len + 1);
    expect(buf[off + SHFLDIRINFO_NAME_OFFSET + len]).toBe(0);
    out.push({
      name: Buffer.from(
        buf.subarray(off + SHFLDIRINFO_NAME_OFFSET, off + SHFLDIRINFO_NAME_OFFSET + len),
      ).toString(),
      size: v.i64(off),
      mode: v.u32(off + SHFLFSOBJINFO.off.Attr),
      ino: v.u64(off + SHFLFSOBJINFO.off.Attr + SHFLFSOBJATTR.off.INodeId),
    });
    off += SHFLDIRINFO_NAME_OFFSET + size;
  }
  expect(r.out[3]).toBe(off);
  return out;
}

const list = (flags: number, cb: number, filter?: string): Step => ({
  fn: Fn.LIST,
  args: [root, h, flags, cb, filter === undefined ? { zeros: 0 } : str(filter), { zeros: cb }, 0, 0],
});

describe('directory listing', () => {
  test('small buffers resume where they stopped: every entry exactly once', async () => {
    const dir = path.join(rig.t.share, 'many');
    fs.mkdirSync(dir);
    const names = Array.from(
      { length: 40 },
      (_, i) => `file-${String(i).padStart(3, '0')}-${'x'.repeat(i % 7)}`,
    );
    for (const n of names) fs.writeFileSync(path.join(dir, n), n);
    const r = await steps([
      open('/many', CF.DIRECTORY | CF.ACT_OPEN_IF_EXISTS | CF.ACT_FAIL_IF_NEW | CF.ACCESS_READ),
      ...Array.from({ length: 40 }, () => list(0, 300)),
    ]);
    const seen: string[] = [];
    let done = -1;
    for (const [i, x] of r.slice(1).entries()) {
      if (x.rc === S.VERR_NO_MORE_FILES) {
        expect(x.out[3]).toBe(0);
        break;
      }
      expect(x.rc).toBe(0);
      seen.push(...parseList(x).map((e) => e.name));
      if (x.out[6] === 0) {
        done = i;
        break;
      }
      expect(x.out[6]).toBe(1);
    }
    expect(done).toBeGreaterThan(5);
    expect(seen).toEqual(['.', '..', ...names]);
  });
  test('RETURN_ONE, RESTART, a first entry that does not fit, filters, bad counts and handles', async () => {
    const dir = path.join(rig.t.share, 'few');
    fs.mkdirSync(dir);
    for (const n of ['a.txt', 'b.txt', 'c.log', 'L'.repeat(200)]) fs.writeFileSync(path.join(dir, n), '');
    const r = await steps([
      open('/few', CF.DIRECTORY | CF.ACT_OPEN_IF_EXISTS | CF.ACT_FAIL_IF_NEW | CF.ACCESS_READ),
      list(ShflList.RETURN_ONE, 4096),
      list(ShflList.RETURN_ONE, 4096),
      list(0, 200),
      list(0, 4096),
      list(0, 4096),
      list(ShflList.RESTART | ShflList.RETURN_ONE, 4096),
      list(ShflList.RESTART, 4096),
      list(0, 127),
      { fn: Fn.LIST, args: [root, h, 0, 200, { zeros: 0 }, { zeros: 150 }, 0, 0] },
      open('/few/a.txt', CF.ACCESS_READ | CF.ACT_FAIL_IF_NEW, 'f'),
      { fn: Fn.LIST, args: [root, { var: 'f' }, 0, 200, { zeros: 0 }, { zeros: 200 }, 0, 0] },
      open('/few', CF.DIRECTORY | CF.ACT_OPEN_IF_EXISTS | CF.ACT_FAIL_IF_NEW | CF.ACCESS_READ),
      list(0, 4096, '/few/*.TXT'),
      list(ShflList.RESTART, 4096, '/few/*.log'),
      list(0, 4096),
    ]);
    expect(r.map((x) => x.rc)).toEqual([
      0,
      0,
      0,
      S.VINF_BUFFER_OVERFLOW,
      0,
      S.VERR_NO_MORE_FILES,
      0,
      0,
      S.VERR_INVALID_PARAMETER,
      S.VERR_INVALID_PARAMETER,
      0,
      S.VERR_INVALID_HANDLE,
      0,
      0,
      0,
      S.VERR_NO_MORE_FILES,
    ]);
    expect(parseList(r[1]!).map((e) => e.name)).toEqual(['.']);
    expect(parseList(r[2]!).map((e) => e.name)).toEqual(['..']);
    // The entry that did not fit is not lost: it comes first next time.
    expect([r[3]!.out[7], r[3]!.out[6], r[3]!.out[3]]).toEqual([0, 1, 0]);
    expect(parseList(r[4]!).map((e) => e.name)).toEqual(['L'.repeat(200), 'a.txt', 'b.txt', 'c.log']);
    expect(r[4]!.out[6]).toBe(0);
    expect([r[5]!.out[3], r[5]!.out[6], r[5]!.out[7]]).toEqual([0, 0, 0]);
    expect(parseList(r[6]!).map((e) => e.name)).toEqual(['.']);
    const all = parseList(r[7]!);
    expect(all).toHaveLength(6);
    expect(all.find((e) => e.name === 'a.txt')!.mode & 0o170000).toBe(0o100000);
    expect(all.find((e) => e.name === '.')!.mode & 0o170000).toBe(0o040000);
    // '..' of the share root describes the root itself, never the host directory above it.
    const here = parseList(
      (await steps([open('/', CF.DIRECTORY | CF.ACCESS_READ | CF.ACT_FAIL_IF_NEW), list(0, 512)]))[1]!,
    );
    expect(here[0]!.ino).toBe(here[1]!.ino);
    // Filters bind on first use (wildcards, case-insensitive); a later filter is ignored.
    expect(parseList(r[13]!).map((e) => e.name)).toEqual(['a.txt', 'b.txt']);
    expect(parseList(r[14]!).map((e) => e.name)).toEqual(['a.txt', 'b.txt']);
  });
  test('entries created or removed while listing: none twice, none lost that stayed', async () => {
    const dir = path.join(rig.t.share, 'live');
    fs.mkdirSync(dir);
    for (const n of ['b', 'd', 'f', 'h']) fs.writeFileSync(path.join(dir, n), '');
    const two = 2 * (SHFLDIRINFO_NAME_OFFSET + 2) + 10;
    const r = await steps([
      open('/live', CF.DIRECTORY | CF.ACCESS_READ | CF.ACT_FAIL_IF_NEW),
      list(0, two),
      list(0, two),
      { fn: Fn.CREATE, args: [root, str('/live/a'), { create: { flags: CF.ACCESS_READ } }] },
      { fn: Fn.CREATE, args: [root, str('/live/z'), { create: { flags: CF.ACCESS_READ } }] },
      { fn: Fn.REMOVE, args: [root, str('/live/f'), 1] },
      list(0, two),
      list(0, two),
    ]);
    const names = r
      .filter((x) => x.bufs.length === 8 && x.rc === 0)
      .flatMap((x) => parseList(x).map((e) => e.name));
    expect(names).toEqual(['.', '..', 'b', 'd', 'h', 'z']);
    expect(r[7]!.rc).toBe(S.VERR_NO_MORE_FILES);
  });
});

describe('handles across pool workers', () => {
  // A smoke test on real threads: the window it probes is microseconds wide, so it rarely lands inside it;
  // the deferred close itself is pinned deterministically in service-unit.test.ts ('handle table').
  test('a close racing reads on another vCPU: the reader never sees a recycled fd', async () => {
    const sab = new SharedArrayBuffer(16);
    const [r, closed] = await Promise.all([
      runProgram<{ reads: number; bad: number; end: number }>(rig, 'race.ts', 'reader', { sab }, 0),
      runProgram<number>(rig, 'race.ts', 'closer', { sab, opens: 300 }, 1),
    ]);
    expect(closed).toBe(0);
    expect(r.bad).toBe(0);
    expect(r.reads).toBeGreaterThan(0);
    expect(r.end).toBe(S.VERR_INVALID_HANDLE);
  });
});
