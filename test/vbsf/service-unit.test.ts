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
afterAll(() => t.cleanup());

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
