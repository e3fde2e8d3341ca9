// Property: whatever parameters a guest sends to whatever function number, the service returns a status
// and never throws (design.md 6), and nothing outside the share changes. Threadless, fast-check driven.
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ParmDirection, SHFL_FUNCTIONS, ShflCreate, ShflFn, type ShflParm } from '../../src/abi/index.js';
import type { GuestPages, SvcParm } from '../../src/hgcm/service.js';
import {
  FakeHost,
  createParms,
  ptr,
  readCreate,
  shflString,
  tempShare,
  u32,
  u64,
  type TempShare,
} from './helpers/fake-host.js';

let t: TempShare;
let host: FakeHost;
let client = 0;
let root = 0;
const handles: bigint[] = [];

beforeAll(() => {
  t = tempShare();
  fs.writeFileSync(path.join(t.share, 'a'), 'abc');
  fs.symlinkSync('../sentinel', path.join(t.share, 'out'));
  host = new FakeHost([
    { name: 'fz', hostPath: t.share, createSymlinks: true },
    { name: 'ro', hostPath: t.sentinel, writable: false },
  ]);
  const m = host.mount('fz');
  client = m.client;
  root = m.root;
  refresh();
});

const OPENERS = [
  ['/a', ShflCreate.ACCESS_READWRITE],
  ['/', ShflCreate.DIRECTORY | ShflCreate.ACCESS_READ | ShflCreate.ACT_FAIL_IF_NEW],
] as const;

/** Keep the client mapped and a live file and directory handle at hand (fuzzed calls unmap and close). */
function refresh(): void {
  host.call(client, ShflFn.MAP_FOLDER, [ptr(shflString('fz')), u32(0), u32(0x2f), u32(1)]);
  for (const [i, [p, flags]] of OPENERS.entries()) {
    const alive = host.call(client, ShflFn.INFORMATION, [
      u32(root),
      u64(handles[i] ?? 0n),
      u32(8),
      u32(92),
      ptr(92),
    ]);
    if (alive >= 0) continue;
    const parms = ptr(createParms(flags));
    host.call(client, ShflFn.CREATE, [u32(root), ptr(shflString(p)), parms]);
    handles[i] = readCreate(parms.buf).handle;
  }
}
afterAll(() => t.cleanup());

/** PAGES as the device hands them over: bounds-checked, writable only with FROM_HOST (like RunPages). */
function pages(bytes: Uint8Array, dir: number): SvcParm {
  const mem = bytes.slice();
  const check = (off: number, len: number): void => {
    if (off < 0 || len < 0 || off + len > mem.length) throw new RangeError('outside the page list');
  };
  const p: GuestPages = {
    size: mem.length,
    runs: mem.length === 0 ? [] : [[0x10000, mem.length]],
    read: (off, dst) => {
      check(off, dst.length);
      dst.set(mem.subarray(off, off + dst.length));
    },
    views: (off, len) => {
      check(off, len);
      return [mem.subarray(off, off + len)];
    },
    landing: (off, len) => {
      check(off, len);
      return (dir & ParmDirection.FROM_HOST) === 0 ? undefined : [mem.subarray(off, off + len)];
    },
    write: (off, src) => {
      check(off, src.length);
      if ((dir & ParmDirection.FROM_HOST) === 0) throw new RangeError('write to a to-host page list');
      mem.set(src, off);
    },
    scratch: (len) => {
      check(0, len);
      return new Uint8Array(len);
    },
  };
  return { type: 4, size: mem.length, pages: p, dir };
}

const interesting32 = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 0x2f, 0x5c, 0x10, 0x100, 0x3000, 0xffffffff, 0x80000000, 92, 108, 128),
  fc.nat(),
);
const interesting64 = fc.oneof(
  fc.constantFrom(0n, 1n, 0xffffffffffffffffn, 1n << 63n, (1n << 63n) - 1n, 1n << 53n, (1n << 32n) | 1n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .constantFrom('a', '/a', '../sentinel/secret.txt', '/out/secret.txt', 'out', '/', '')
    .map((s) => shflString(s)),
  fc.constantFrom(108, 92, 40, 128, 4096).map((n) => new Uint8Array(n)),
);
const parm: fc.Arbitrary<() => SvcParm> = fc.oneof(
  interesting32.map((v) => () => u32(v)),
  interesting64.map((v) => () => u64(v)),
  fc.tuple(bytes, fc.integer({ min: 0, max: 3 })).map(
    ([b, dir]) =>
      () =>
        ptr(b, dir),
  ),
  fc.tuple(bytes, fc.integer({ min: 1, max: 3 })).map(
    ([b, dir]) =>
      () =>
        pages(b, dir),
  ),
);
const fn = fc.oneof(fc.constantFrom(...Object.values(ShflFn)), fc.integer({ min: 0, max: 40 }));

const PATHS = [
  '/a',
  'a',
  '/b',
  '/d',
  '/d/e',
  '/out',
  '/out/secret.txt',
  '../sentinel',
  '/',
  '',
  'ro',
  'fz',
  '/a/x',
  '/*',
];
const strings = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...PATHS).map((x) => shflString(x)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) },
);
const flags = fc.oneof(
  fc.constantFrom(
    0,
    1,
    2,
    4,
    8,
    0x10,
    0x14,
    0x20,
    0x30,
    0x100,
    0x104,
    0x1000,
    0x3000,
    0x40000,
    0x2130,
    0x3104,
  ),
  interesting32,
);

/** A value of the type the table asks for: plausible for its name most of the time, sometimes wild. */
function typed(p: ShflParm): fc.Arbitrary<() => SvcParm> {
  if (p.type === 'u32') {
    const v = p.name.startsWith('root')
      ? fc.oneof(
          { weight: 6, arbitrary: fc.constant(0) },
          { weight: 1, arbitrary: fc.constantFrom(1, 2) },
          { weight: 1, arbitrary: interesting32 },
        )
      : p.name === 'count' || p.name === 'version'
        ? fc.oneof(
            { weight: 4, arbitrary: fc.integer({ min: 0, max: 3000 }) },
            { weight: 1, arbitrary: interesting32 },
          )
        : p.name === 'delimiter'
          ? fc.constantFrom(0x2f, 0x5c, 0x41)
          : flags;
    return v.map((x) => () => u32(x));
  }
  if (p.type === 'u64') {
    if (p.name.startsWith('handle')) {
      // Late bound: the live handles change as the fuzzed calls close them.
      return fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(0, 1).map((i) => () => u64(handles[i] ?? 0n)) },
        { weight: 1, arbitrary: interesting64.map((x) => () => u64(x)) },
      );
    }
    return fc.oneof(fc.bigInt({ min: 0n, max: 1n << 20n }), interesting64).map((x) => () => u64(x));
  }
  const dir = p.dir === 'in' ? 1 : p.dir === 'out' ? 2 : 3;
  const content =
    p.name === 'parms'
      ? flags.map((f) => createParms(f))
      : /path|src|dst|name|target|mountPoint/i.test(p.name)
        ? strings
        : fc.oneof(
            fc.integer({ min: 0, max: 6000 }).map((n) => new Uint8Array(n)),
            bytes,
          );
  const b = fc.tuple(
    content,
    fc.oneof({ weight: 6, arbitrary: fc.constant(dir) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 3) }),
  );
  return p.type === 'ptrOrPages'
    ? fc.oneof(
        b.map(
          ([x, d]) =>
            () =>
              ptr(x, d),
        ),
        b.map(
          ([x, d]) =>
            () =>
              pages(x, d),
        ),
      )
    : b.map(
        ([x, d]) =>
          () =>
            ptr(x, d),
      );
}

/** Calls that pass the table's checks, so the handlers' own checks are what the values meet. */
const wellTyped = fc
  .constantFrom(...SHFL_FUNCTIONS.filter((f) => !f.async))
  .chain((f) => fc.tuple(fc.constant(f.fn as number), fc.tuple(...f.parms.map(typed))));

test('any function, any parameters: a status, never a throw, nothing outside the share touched', () => {
  const sentinel = fs.readdirSync(t.sentinel).join();
  const call = fc.oneof(
    { weight: 4, arbitrary: wellTyped },
    { weight: 1, arbitrary: fc.tuple(fn, fc.array(parm, { maxLength: 9 })) },
  );
  fc.assert(
    fc.property(call, ([f, make]) => {
      // Async waits complete later; keep the property synchronous.
      if (f === ShflFn.WAIT_FOR_MAPPINGS_CHANGES) return;
      refresh();
      const rc = host.call(
        client,
        f,
        make.map((m) => m()),
      );
      expect(Number.isInteger(rc)).toBe(true);
    }),
    { numRuns: 4000, seed: 4242 },
  );
  expect(fs.readdirSync(t.sentinel).join()).toBe(sentinel);
  expect(fs.readFileSync(path.join(t.sentinel, 'secret.txt'), 'utf8')).toBe('secret');
  expect(host.logs.filter((l) => !l.startsWith('iprt:'))).toEqual([]);
});
