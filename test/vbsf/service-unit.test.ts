// The service without threads: a fake ServiceContext in this thread, a real temporary share.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ShflCreate, ShflFn, ShflResult, Status } from '../../src/abi/index.js';
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

beforeAll(() => {
  t = tempShare();
  host = new FakeHost([{ name: 'data', hostPath: t.share }]);
});
const scratches: TempShare[] = [];
/** A further temporary share, removed after the file's tests even if one fails. */
function scratch(): TempShare {
  const u = tempShare();
  scratches.push(u);
  return u;
}
afterAll(() => {
  t.cleanup();
  for (const u of scratches) u.cleanup();
});

function create(client: number, root: number, p: string, flags: number) {
  const parms = ptr(createParms(flags));
  const rc = host.call(client, ShflFn.CREATE, [u32(root), ptr(shflString(p)), parms]);
  return { rc, ...readCreate(parms.buf) };
}

describe('service (unit)', () => {
  test('map, create, write, read, close', () => {
    const { client, root } = host.mount('DATA');
    const c = create(client, root, '/hello.txt', ShflCreate.ACCESS_READWRITE);
    expect(c).toMatchObject({ rc: 0, result: ShflResult.FILE_CREATED });
    const data = new TextEncoder().encode('hello world');
    const off = u64(0n);
    const cnt = u32(data.length);
    expect(host.call(client, ShflFn.WRITE, [u32(root), u64(c.handle), off, cnt, ptr(data, 1)])).toBe(0);
    expect(cnt).toMatchObject({ u32: 11 });
    expect(off).toMatchObject({ u64: 11n });
    const buf = ptr(20, 2);
    const rcnt = u32(20);
    expect(host.call(client, ShflFn.READ, [u32(root), u64(c.handle), u64(6n), rcnt, buf])).toBe(0);
    expect(rcnt).toMatchObject({ u32: 5 });
    expect(Buffer.from(buf.buf.subarray(0, 5)).toString()).toBe('world');
    expect(host.call(client, ShflFn.CLOSE, [u32(root), u64(c.handle)])).toBe(0);
    expect(fs.readFileSync(path.join(t.share, 'hello.txt'), 'utf8')).toBe('hello world');
    host.disconnect(client);
  });
  test('a symlink out of the share is not followed', () => {
    fs.symlinkSync(t.sentinel, path.join(t.share, 'out'));
    const { client, root } = host.mount('data');
    const c = create(client, root, '/out/secret.txt', ShflCreate.ACCESS_READ | ShflCreate.ACT_FAIL_IF_NEW);
    expect(c.rc).toBe(Status.VERR_INVALID_NAME);
    expect(c.handle).toBe(0xffffffffffffffffn);
    const w = create(client, root, '/out/new.txt', ShflCreate.ACCESS_READWRITE);
    expect(w.rc).toBe(Status.VERR_INVALID_NAME);
    expect(fs.readdirSync(t.sentinel)).toEqual(['secret.txt']);
    host.disconnect(client);
  });
});

describe('case sensitivity', () => {
  test('a case-insensitive host share matches names ignoring case, for every client', () => {
    const u = scratch();
    fs.writeFileSync(path.join(u.share, 'Hello.TXT'), 'hi');
    fs.mkdirSync(path.join(u.share, 'Sub'));
    const icase = new FakeHost([{ name: 'ci', hostPath: u.share, caseSensitive: false }]);
    const { client, root } = icase.mount('ci');
    const look = (p: string) => {
      const parms = ptr(createParms(ShflCreate.LOOKUP));
      const rc = icase.call(client, ShflFn.CREATE, [u32(root), ptr(shflString(p)), parms]);
      return { rc, ...readCreate(parms.buf) };
    };
    expect(look('/hello.txt')).toMatchObject({ rc: 0, result: ShflResult.FILE_EXISTS, size: 2n });
    expect(look('/SUB/../HELLO.txt')).toMatchObject({ rc: 0, result: ShflResult.FILE_EXISTS });
    expect(look('/sub')).toMatchObject({ rc: 0, result: ShflResult.FILE_EXISTS });
    expect(look('/nothere')).toMatchObject({ rc: 0, result: ShflResult.FILE_NOT_FOUND });
  });
  test('a guest mapping case-insensitively gets case correction; others may not differ meanwhile', () => {
    const u = scratch();
    fs.writeFileSync(path.join(u.share, 'Mixed.txt'), 'x');
    const h2 = new FakeHost([{ name: 'cs', hostPath: u.share }]);
    const a = h2.mount('cs', false);
    const parms = ptr(createParms(ShflCreate.LOOKUP));
    expect(h2.call(a.client, ShflFn.CREATE, [u32(a.root), ptr(shflString('/MIXED.TXT')), parms])).toBe(0);
    expect(readCreate(parms.buf).result).toBe(ShflResult.FILE_EXISTS);
    const b = h2.connect();
    h2.call(b, ShflFn.SET_UTF8, []);
    const rc = h2.call(b, ShflFn.MAP_FOLDER, [ptr(shflString('cs')), u32(0), u32(0x2f), u32(1)]);
    expect(rc).toBe(Status.VERR_INCOMPATIBLE_CONFIG);
  });
});

describe('handle table', () => {
  test('a close while another worker uses the handle closes the fd only after that use', async () => {
    const { HandleTable, HandleType } = await import('../../src/vbsf/handles.js');
    const { VbsfMemory, VBSF_SHARED_BYTES } = await import('../../src/vbsf/layout.js');
    const mem = VbsfMemory.format(new SharedArrayBuffer(VBSF_SHARED_BYTES), 0);
    const table = new HandleTable(mem);
    const fd = fs.openSync(path.join(t.share, 'hello.txt'), 'r');
    const index = table.reserve(7, 0, 1, HandleType.FILE);
    const handle = table.activate(index, fd, 1);
    const inUse = table.acquire(handle, 7, HandleType.FILE)!;
    expect(table.acquire(handle, 8, HandleType.FILE)).toBeUndefined();
    expect(table.acquire(handle, 7, HandleType.DIR)).toBeUndefined();
    expect(table.close(handle, 7, 1)).toBe(Status.VERR_INVALID_HANDLE);
    expect(table.close(handle, 7, 0)).toBe(Status.VINF_SUCCESS);
    // Closed for newcomers, still open for the user in flight.
    expect(table.acquire(handle, 7, HandleType.FILE)).toBeUndefined();
    expect(fs.fstatSync(fd).size).toBe(11);
    table.release(inUse);
    expect(() => fs.fstatSync(fd)).toThrow(/EBADF/);
    // The entry is reused with a new generation: the old value stays dead.
    const again = table.activate(table.reserve(7, 0, 1, HandleType.FILE), fs.openSync(t.share, 'r'), 0);
    expect(again).not.toBe(handle);
    expect(table.acquire(handle, 7, HandleType.ANY)).toBeUndefined();
    expect(table.closeAll(7)).toBe(1);
    expect(table.open).toBe(0);
  });

  test("the block's extent holds every byte the service wrote; closeAll finds every handle within it", async () => {
    const { H, HANDLE_BASE, HANDLE_BYTES, MAP_BASE, MAP_BYTES } = await import('../../src/vbsf/layout.js');
    const service = (await import('../../src/vbsf/service.js')).default;
    const u = scratch();
    const v = scratch();
    fs.mkdirSync(path.join(u.share, 'd'));
    for (let i = 0; i < 300; i++) fs.writeFileSync(path.join(u.share, 'd', `f${i}`), `${i}`);
    const h = new FakeHost([
      { name: 'one', hostPath: u.share },
      { name: 'two', hostPath: v.share },
    ]);
    const open = (client: number, root: number, p: string, flags: number) => {
      const parms = ptr(createParms(flags));
      const rc = h.call(client, ShflFn.CREATE, [u32(root), ptr(shflString(p)), parms]);
      return { rc, ...readCreate(parms.buf) };
    };
    const shared = h.ctx.shared!;
    const bytes = new Uint8Array(shared);
    const openNow = (): number => Atomics.load(new Int32Array(shared), H.OPEN);
    /** The extent, after checking that nothing outside it was ever written. */
    const extent = (): readonly (readonly [number, number])[] => {
      const ranges = service.sharedExtent!(shared);
      const inside = new Uint8Array(bytes.length);
      for (const [start, end] of ranges) inside.fill(1, start, end);
      const stray = bytes.findIndex((b, i) => b !== 0 && inside[i] === 0);
      expect(stray, `a byte written at ${stray}, outside ${JSON.stringify(ranges)}`).toBe(-1);
      return ranges;
    };
    // Formatted with two shares: the header and two mapping records, no handle entry.
    expect(extent()).toEqual([
      [0, HANDLE_BASE],
      [MAP_BASE, MAP_BASE + 2 * MAP_BYTES],
    ]);
    // 300 files open at once, and a directory listed through a filter (its cursor and filter bytes).
    const { client, root } = h.mount('one');
    for (let i = 0; i < 300; i++)
      expect(open(client, root, `/d/f${i}`, ShflCreate.ACCESS_READ).rc, `f${i}`).toBe(0);
    const dir = open(client, root, '/d', ShflCreate.DIRECTORY | ShflCreate.ACCESS_READ);
    expect(dir.rc).toBe(0);
    const files = u32(0);
    const list = [
      u32(root),
      u64(dir.handle),
      u32(0),
      u32(4096),
      ptr(shflString('/d/f1*')),
      ptr(4096, 2),
      u32(0),
      files,
    ];
    expect(h.call(client, ShflFn.LIST, list)).toBe(0);
    expect(files.type === 1 ? files.u32 : 0).toBeGreaterThan(0);
    const [head, maps] = extent();
    expect(head).toEqual([0, HANDLE_BASE + HANDLE_BYTES * 302]);
    expect(maps).toEqual([MAP_BASE, MAP_BASE + 2 * MAP_BYTES]);
    // The disconnect closes all 301 (the scan stops at the extent, which holds them all).
    expect(openNow()).toBe(301);
    h.disconnect(client);
    expect(openNow()).toBe(0);
    const { client: c2, root: r2 } = h.mount('one');
    expect(open(c2, r2, '/d/f0', ShflCreate.ACCESS_READ).rc).toBe(0);
    h.disconnect(c2);
    expect(openNow()).toBe(0);
    // The allocation goes on from the last entry: the extent grows by one, and still holds every write.
    expect(extent()[0]).toEqual([0, HANDLE_BASE + HANDLE_BYTES * 303]);
  });
});

describe('walker', () => {
  test('links inside the share are followed, out of it refused, loops bounded', async () => {
    const { Scope, resolve, stackOf } = await import('../../src/vbsf/confine.js');
    const u = scratch();
    fs.mkdirSync(path.join(u.share, 'a/b'), { recursive: true });
    fs.writeFileSync(path.join(u.share, 'a/b/f'), 'f');
    fs.symlinkSync('b/f', path.join(u.share, 'a/tof'));
    fs.symlinkSync('..', path.join(u.share, 'a/b/toa'));
    fs.symlinkSync('../../..', path.join(u.share, 'a/b/up3'));
    fs.symlinkSync('l2', path.join(u.share, 'l1'));
    fs.symlinkSync('l1', path.join(u.share, 'l2'));
    const scope = Scope.open(u.share);
    if (typeof scope === 'number') throw new Error(`cannot open the share: ${scope}`);
    const b = (s: string) => s.split('/').map((x) => Buffer.from(x));
    const name = (t: unknown) => (typeof t === 'object' && t !== null && 'name' in t ? String(t.name) : t);
    expect(name(resolve(scope, b('a/tof'), { follow: true, icase: false }))).toBe('f');
    expect(name(resolve(scope, b('a/tof'), { follow: false, icase: false }))).toBe('tof');
    expect(name(resolve(scope, b('a/b/toa/b/toa/tof'), { follow: true, icase: false }))).toBe('f');
    expect(resolve(scope, b('a/b/up3/x'), { follow: true, icase: false })).toBe(Status.VERR_INVALID_NAME);
    expect(resolve(scope, b('l1'), { follow: true, icase: false })).toBe(Status.VERR_TOO_MANY_SYMLINKS);
    expect(resolve(scope, b('a/b/f/x'), { follow: true, icase: false })).toBe(Status.VERR_PATH_NOT_FOUND);
    expect(resolve(scope, b('a/nope/x'), { follow: true, icase: false })).toBe(Status.VERR_FILE_NOT_FOUND);
    // A directory fd found its way back to the root by its physical parents.
    const fd = fs.openSync(path.join(u.share, 'a/b'), 'r');
    expect(stackOf(scope, fd)).toHaveLength(3);
    const moved = path.join(u.base, 'moved');
    fs.renameSync(path.join(u.share, 'a'), moved);
    expect(stackOf(scope, fd)).toBeUndefined();
    fs.closeSync(fd);
    scope.close();
  });
  test('a deep path costs a bounded number of fds, and links climbing back through it still resolve', async () => {
    const { Scope, WALK_OPEN_LEVELS, resolve } = await import('../../src/vbsf/confine.js');
    const u = scratch();
    const depth = 300;
    const deep = path.join(u.share, ...Array<string>(depth).fill('d'));
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(u.share, ...Array<string>(50).fill('d'), 'x'), 'x');
    fs.symlinkSync(`${'../'.repeat(depth - 50)}x`, path.join(deep, 'up'));
    const scope = Scope.open(u.share);
    if (typeof scope === 'number') throw new Error(`cannot open the share: ${scope}`);
    const fds = (): number => fs.readdirSync('/proc/self/fd').length;
    const before = fds();
    const comps = [...Array<Buffer>(depth).fill(Buffer.from('d')), Buffer.from('up')];
    const t = resolve(scope, comps, { follow: true, icase: false });
    expect(typeof t === 'object' && t.kind === 'child' && String(t.name)).toBe('x');
    expect(fds() - before).toBeLessThanOrEqual(WALK_OPEN_LEVELS + 4);
    // All the way up through the closed levels, and one more: out of the share.
    fs.symlinkSync(`${'../'.repeat(depth + 1)}sentinel`, path.join(deep, 'out'));
    const out = [
      ...Array<Buffer>(depth).fill(Buffer.from('d')),
      Buffer.from('out'),
      Buffer.from('secret.txt'),
    ];
    expect(resolve(scope, out, { follow: true, icase: false })).toBe(Status.VERR_INVALID_NAME);
    scope.close();
  });
  test('listing a deep directory for a following client describes a link by its target (bounded climb)', async () => {
    const u = scratch();
    const depth = 40;
    const rel = Array<string>(depth).fill('d');
    fs.mkdirSync(path.join(u.share, ...rel), { recursive: true });
    fs.writeFileSync(path.join(u.share, 'd', 'x'), 'xyz');
    fs.symlinkSync(`${'../'.repeat(depth - 1)}x`, path.join(u.share, ...rel, 'l'));
    fs.symlinkSync(`${'../'.repeat(depth + 1)}sentinel`, path.join(u.share, ...rel, 'out'));
    const deepHost = new FakeHost([{ name: 'deep', hostPath: u.share }]);
    const { client, root } = deepHost.mount('deep');
    const parms = ptr(
      createParms(ShflCreate.DIRECTORY | ShflCreate.ACT_FAIL_IF_NEW | ShflCreate.ACCESS_READ),
    );
    expect(
      deepHost.call(client, ShflFn.CREATE, [u32(root), ptr(shflString(`/${rel.join('/')}`)), parms]),
    ).toBe(0);
    const buf = ptr(4096, 2);
    const files = u32(0);
    const args = [
      u32(root),
      u64(readCreate(parms.buf).handle),
      u32(0),
      u32(4096),
      ptr(0),
      buf,
      u32(0),
      files,
    ];
    expect(deepHost.call(client, ShflFn.LIST, args)).toBe(0);
    const { ByteView } = await import('../../src/runtime/bytes.js');
    const v = new ByteView(buf.buf);
    const seen: Record<string, bigint> = {};
    for (let i = 0, off = 0; i < (files.type === 1 ? files.u32 : 0); i++) {
      const size = v.u16(off + 122);
      seen[Buffer.from(buf.buf.subarray(off + 126, off + 126 + v.u16(off + 124))).toString()] = v.i64(off);
      off += 126 + size;
    }
    // 'l' is described by its target (3 bytes); 'out' leads out of the share, so by the link itself.
    expect(seen.l).toBe(3n);
    expect(seen.out).toBe(BigInt(`${'../'.repeat(depth + 1)}sentinel`.length));
    deepHost.disconnect(client);
  });
  test('LIST filters match like RTDIRFILTER_WINNT', async () => {
    const { winntMatcher } = await import('../../src/vbsf/dirlist.js');
    const m = (p: string, n: string) => winntMatcher(p)(n);
    expect([
      m('*.txt', 'A.TXT'),
      m('a?c', 'abc'),
      m('a?c', 'ac'),
      m('*', '.'),
      m('a.b', 'aXb'),
      m('a+(b)', 'a+(b)'),
    ]).toEqual([true, true, false, true, false, true]);
  });
});

describe('config', () => {
  test('mappings are checked at start', async () => {
    const { parseVbsfConfig } = await import('../../src/vbsf/index.js');
    const bad = [
      undefined,
      { mappings: [{ name: 'x', hostPath: 'relative' }] },
      { mappings: [{ name: 'x', hostPath: path.join(t.share, 'missing') }] },
      { mappings: [{ name: 'x', hostPath: path.join(t.share, 'hello.txt') }] },
      { mappings: [{ name: '', hostPath: t.share }] },
      { mappings: [{ name: 'a/b', hostPath: t.share }] },
      {
        mappings: [
          { name: 'x', hostPath: t.share },
          { name: 'X', hostPath: t.share },
        ],
      },
      { mappings: Array.from({ length: 65 }, (_, i) => ({ name: `m${i}`, hostPath: t.share })) },
      { mappings: [{ name: 'x', hostPath: t.share, writable: 'yes' }] },
    ];
    for (const c of bad)
      expect(() => parseVbsfConfig(c)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(parseVbsfConfig({ mappings: [{ name: 'x', hostPath: t.share }] }).shares[0]).toMatchObject({
      writable: true,
      createSymlinks: false,
      hostCaseSensitive: true,
    });
  });
});

describe('mapping waits', () => {
  test('a held wait ends VERR_CANCELLED when its client cancels, with the current version', async () => {
    const { client } = host.mount('data');
    const version = u32(0);
    expect(await host.callAsync(client, ShflFn.WAIT_FOR_MAPPINGS_CHANGES, [version])).toBe(0);
    const seen = version.type === 1 ? version.u32 : -1;
    const parm = u32(seen);
    const pending = host.callAsync(client, ShflFn.WAIT_FOR_MAPPINGS_CHANGES, [parm]);
    expect(host.call(client, ShflFn.CANCEL_MAPPINGS_CHANGES_WAITS, [])).toBe(0);
    expect(await pending).toBe(Status.VERR_CANCELLED);
    expect(parm).toMatchObject({ u32: seen });
    host.disconnect(client);
  });
});
