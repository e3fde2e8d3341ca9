// Shares added and removed while the guest runs (machine.shares: SHFL_FN_ADD_MAPPING / REMOVE_MAPPING as
// Main sends them), on real threads and real directories: what a guest then sees on each root, the
// placeholder a removal in use leaves, root ids and their versions, and the API edge's errors.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ShflCreate as CF,
  ShflFn as Fn,
  ShflHostFn,
  ShflResult as R,
  Status as S,
} from '../../src/abi/index.js';
import type { SvcParm } from '../../src/hgcm/service.js';
import { addMappingParms, checkShare, removeMappingParms, VBSF_SERVICE_NAME } from '../../src/vbsf/index.js';
import { ConfigError } from '../../src/runtime/errors.js';
import { runProgram, runScript, startRig, str, type Rig } from './helpers/machine.js';

let rig: Rig;
let dirA = '';
let dirB = '';
beforeAll(async () => {
  rig = await startRig({ vcpus: 2, main: { autoMount: true } });
  dirA = path.join(rig.t.base, 'late-a');
  dirB = path.join(rig.t.base, 'late-b');
  fs.mkdirSync(dirA);
  fs.mkdirSync(dirB);
  fs.writeFileSync(path.join(dirA, 'a.txt'), 'from a');
  fs.writeFileSync(path.join(dirB, 'b.txt'), 'from b');
});
afterAll(async () => {
  await rig?.stop();
});

const root = { var: 'root' } as const;
const lookup = (p: string) => ({ fn: Fn.CREATE, args: [root, str(p), { create: { flags: CF.LOOKUP } }] });

/** Resolve once cell `i` of `cells` holds `v` (the guest program's handshake). */
async function until(cells: Int32Array, i: number, v: number): Promise<void> {
  for (let n = 0; n < 1000 && Atomics.load(cells, i) !== v; n++) {
    const w = Atomics.waitAsync(cells, i, Atomics.load(cells, i), 10_000);
    if (w.async) await w.value;
  }
  expect(Atomics.load(cells, i)).toBe(v);
}

describe('adding', () => {
  test('a share added while the guest runs can be mapped at once, and removed again', async () => {
    const added = await rig.m.shares.add({ name: 'late', hostPath: dirA, autoMount: true });
    expect(added).toMatchObject({ name: 'late', hostPath: fs.realpathSync(dirA), missing: false });
    const { results: r, roots } = await runScript(rig, {
      clients: [{ share: 'late' }],
      steps: [lookup('a.txt'), { fn: Fn.QUERY_MAPPINGS, args: [0x10, 4, { zeros: 32 }] }],
    });
    expect(roots[0]).toBe(added.root);
    expect(r[0]!.create?.result).toBe(R.FILE_EXISTS);
    expect(r[1]!.out[1]).toBe(2);
    expect(await rig.m.shares.remove('late')).toBe('removed');
    expect(rig.m.shares.list().map((s) => s.name)).toEqual(['share']);
  });

  test('the API edge refuses a bad config, a name in use, a 65th share and an unknown name', async () => {
    const refused = [
      rig.m.shares.add({ name: 'share', hostPath: dirA }),
      rig.m.shares.add({ name: 'SHARE', hostPath: dirA }),
      rig.m.shares.add({ name: 'a/b', hostPath: dirA }),
      rig.m.shares.add({ name: 'rel', hostPath: 'relative/dir' }),
      rig.m.shares.add({ name: 'file', hostPath: path.join(dirA, 'a.txt') }),
      rig.m.shares.add({ name: 'pol', hostPath: dirA, symlinkPolicy: 'sometimes' as 'any' }),
      rig.m.shares.remove('nope'),
    ];
    for (const p of refused) await expect(p).rejects.toBeInstanceOf(ConfigError);
    const names = Array.from({ length: 63 }, (_, i) => `s${i}`);
    for (const name of names) await rig.m.shares.add({ name, hostPath: dirA });
    await expect(rig.m.shares.add({ name: 's63', hostPath: dirA })).rejects.toThrow(/64 shares/);
    for (const name of names) expect(await rig.m.shares.remove(name)).toBe('removed');
  });

  test('a folder that is not there yet: mappable, every path VERR_NOT_FOUND, until re-added', async () => {
    const later = path.join(rig.t.base, 'not-yet');
    const added = await rig.m.shares.add({ name: 'soon', hostPath: later });
    expect(added.missing).toBe(true);
    const first = await runScript(rig, { clients: [{ share: 'soon' }], steps: [lookup('x')] });
    expect(first.results[0]!.rc).toBe(S.VERR_NOT_FOUND);
    fs.mkdirSync(later);
    fs.writeFileSync(path.join(later, 'x'), 'x');
    // Still missing: upstream never looks again; the host removes and adds it.
    expect(
      (await runScript(rig, { clients: [{ share: 'soon' }], steps: [lookup('x')] })).results[0]!.rc,
    ).toBe(S.VERR_NOT_FOUND);
    expect(await rig.m.shares.remove('soon')).toBe('removed');
    expect((await rig.m.shares.add({ name: 'soon', hostPath: later })).missing).toBe(false);
    const again = await runScript(rig, { clients: [{ share: 'soon' }], steps: [lookup('x')] });
    expect(again.results[0]!.create?.result).toBe(R.FILE_EXISTS);
    expect(await rig.m.shares.remove('soon')).toBe('removed');
  });
});

describe('removing', () => {
  test('in use: a placeholder (paths VERR_NOT_FOUND, handles VERR_ACCESS_DENIED) until the last unmap', async () => {
    const added = await rig.m.shares.add({ name: 'held', hostPath: dirA, autoMount: true });
    const sab = new SharedArrayBuffer(8);
    const cells = new Int32Array(sab);
    interface Probe {
      name: { rc: number; text: string };
      info: { rc: number; version: number };
      all: number[];
      auto: number[];
      path: number;
      read: number;
    }
    const run = runProgram<{
      root: number;
      before: Probe;
      after: Probe;
      close: number;
      remap: number;
      unmap: number;
      unmapAgain: number;
    }>(rig, 'mappings.ts', 'holdAcrossRemoval', {
      share: 'held',
      path: 'a.txt',
      sab,
    });
    await until(cells, 0, 1);
    expect(await rig.m.shares.remove('held')).toBe('in-use');
    expect(rig.m.shares.list().find((s) => s.name === 'held')).toMatchObject({
      placeholder: true,
      missing: true,
      mapped: 1,
    });
    // The name is free again for a new share (a placeholder does not hold it).
    const newcomer = await rig.m.shares.add({ name: 'held', hostPath: dirB });
    expect(newcomer.root).not.toBe(added.root);
    Atomics.store(cells, 1, 1);
    Atomics.notify(cells, 1);
    await until(cells, 0, 2);
    expect(rig.m.shares.list().filter((s) => s.name === 'held')).toHaveLength(2);
    Atomics.store(cells, 1, 2);
    Atomics.notify(cells, 1);
    const r = await run;
    expect(r.root).toBe(added.root);
    expect(r.before).toMatchObject({ path: S.VINF_SUCCESS, read: S.VINF_SUCCESS });
    expect(r.before.auto).toEqual([0, added.root]);
    // After the removal, as upstream answers for a placeholder:
    expect(r.after.path).toBe(S.VERR_NOT_FOUND);
    expect(r.after.read).toBe(S.VERR_ACCESS_DENIED);
    expect(r.after.name).toEqual({ rc: S.VINF_SUCCESS, text: 'held' });
    expect(r.after.info.rc).toBe(S.VINF_SUCCESS);
    expect(r.after.all).toEqual([0, added.root, newcomer.root]);
    expect(r.after.auto).toEqual([0]);
    expect([r.close, r.remap, r.unmap, r.unmapAgain]).toEqual([
      S.VINF_SUCCESS,
      S.VINF_SUCCESS, // maps the newcomer, not the placeholder
      S.VINF_SUCCESS,
      S.VERR_FILE_NOT_FOUND, // the last unmap removed the placeholder
    ]);
    expect(rig.m.shares.list().map((s) => [s.name, s.root])).toEqual([
      ['share', 0],
      ['held', newcomer.root],
    ]);
    expect(await rig.m.shares.remove('held')).toBe('removed');
  });

  test('a root id given to another share: its version moves, and an old handle does not reach the newcomer', async () => {
    const first = await rig.m.shares.add({ name: 'one', hostPath: dirA });
    const info = (share: string) => ({
      fn: Fn.QUERY_MAP_INFO,
      args: [{ var: `root@${share}` }, { str: '', pad: 31 }, { str: '', pad: 31 }, 0n, 0],
    });
    const v1 = (await runScript(rig, { clients: [{ share: 'share', extra: ['one'] }], steps: [info('one')] }))
      .results[0]!.out[4];
    expect(await rig.m.shares.remove('one')).toBe('removed');
    const second = await rig.m.shares.add({ name: 'two', hostPath: dirB });
    expect(second.root).toBe(first.root);
    const v2 = (await runScript(rig, { clients: [{ share: 'share', extra: ['two'] }], steps: [info('two')] }))
      .results[0]!.out[4];
    // Added, removed, added: g_auRootHandleVersions moved twice.
    expect(Number(v2)).toBe(Number(v1) + 2);
    expect(await rig.m.shares.remove('two')).toBe('removed');
  });

  test('a handle kept past its share: once the root id is another share, VERR_ACCESS_DENIED; close works', async () => {
    const first = await rig.m.shares.add({ name: 'old', hostPath: dirA });
    const sab = new SharedArrayBuffer(8);
    const cells = new Int32Array(sab);
    const run = runProgram<Record<string, number>>(rig, 'mappings.ts', 'handleAcrossReuse', {
      share: 'old',
      next: 'new',
      path: 'a.txt',
      sab,
    });
    await until(cells, 0, 1);
    expect(await rig.m.shares.remove('old')).toBe('removed');
    expect((await rig.m.shares.add({ name: 'new', hostPath: dirB })).root).toBe(first.root);
    Atomics.store(cells, 1, 1);
    Atomics.notify(cells, 1);
    const r = await run;
    expect(r).toEqual({
      root: first.root,
      unmap: S.VINF_SUCCESS,
      nextRoot: first.root,
      read: S.VERR_ACCESS_DENIED,
      close: S.VINF_SUCCESS,
    });
    expect(await rig.m.shares.remove('new')).toBe('removed');
  });
});

describe('svcHostCall', () => {
  test("upstream's parameter checks and statuses, and the model's two extra parameters", async () => {
    const call = (fn: number, parms: SvcParm[]) => rig.m.hostCall(VBSF_SERVICE_NAME, fn, parms);
    const full = addMappingParms(checkShare({ name: 'hc', hostPath: dirA }, 'hc'));
    const upstream = full.slice(0, 5);
    const u32 = (v: number): SvcParm => ({ type: 1, u32: v });
    const utf8 = (t: string): SvcParm => {
      const buf = Buffer.alloc(4 + t.length + 1);
      buf.writeUInt16LE(t.length + 1, 0);
      buf.writeUInt16LE(t.length, 2);
      buf.write(t, 4);
      return { type: 3, size: buf.length, buf: new Uint8Array(buf), dir: 1 };
    };
    expect(await call(ShflHostFn.ADD_MAPPING, [])).toBe(S.VERR_INVALID_PARAMETER);
    expect(await call(ShflHostFn.ADD_MAPPING, full.slice(0, 6))).toBe(S.VERR_INVALID_PARAMETER);
    expect(await call(ShflHostFn.ADD_MAPPING, [u32(0), ...upstream.slice(1)])).toBe(S.VERR_INVALID_PARAMETER);
    expect(await call(ShflHostFn.ADD_MAPPING, [utf8(dirA), ...upstream.slice(1)])).toBe(
      S.VERR_INVALID_PARAMETER,
    );
    expect(await call(ShflHostFn.ADD_MAPPING, [...upstream.slice(0, 4), u32(9)])).toBe(
      S.VERR_INVALID_PARAMETER,
    );
    expect(await call(ShflHostFn.ADD_MAPPING, upstream)).toBe(S.VINF_SUCCESS);
    expect(await call(ShflHostFn.ADD_MAPPING, full)).toBe(S.VERR_ALREADY_EXISTS);
    expect(await call(ShflHostFn.REMOVE_MAPPING, [])).toBe(S.VERR_INVALID_PARAMETER);
    expect(await call(ShflHostFn.REMOVE_MAPPING, [u32(1)])).toBe(S.VERR_INVALID_PARAMETER);
    expect(await call(ShflHostFn.REMOVE_MAPPING, removeMappingParms('HC'))).toBe(S.VINF_SUCCESS);
    expect(await call(ShflHostFn.REMOVE_MAPPING, removeMappingParms('hc'))).toBe(S.VERR_FILE_NOT_FOUND);
    expect(await call(ShflHostFn.SET_STATUS_LED, [u32(0)])).toBe(S.VERR_NOT_SUPPORTED);
    expect(await call(99, [])).toBe(S.VERR_NOT_IMPLEMENTED);
    expect(await rig.m.hostCall('echo', 1, [])).toBe(S.VERR_NOT_SUPPORTED);
    await expect(rig.m.hostCall('nope', 1, [])).rejects.toBeInstanceOf(ConfigError);
  });
});
