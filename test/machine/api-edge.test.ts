// The library's edge as a caller meets it: run() reports every failure as a rejection (never a throw);
// module references resolve against the caller (a URL, an absolute path, a path relative to the current
// directory); an error a guest program throws arrives with its class and fields; a machine is
// AsyncDisposable; stop() called twice settles both calls.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, GuestFsError, HgcmError, Machine, MachineStateError } from '../../src/index.js';

const program = new URL('./programs/api-edge.ts', import.meta.url);

describe('Machine.run', () => {
  let m: Machine;
  let share: string;
  beforeAll(async () => {
    share = fs.mkdtempSync(path.join(os.tmpdir(), 'hgcm-api-edge-'));
    m = await Machine.start({ vcpus: 1, hostWorkers: 1, sharedFolders: [{ name: 'data', hostPath: share }] });
  });
  afterAll(async () => {
    await m?.stop();
    fs.rmSync(share, { recursive: true, force: true });
  });

  test('a bad vCPU or module reference is a rejected promise, not a throw', async () => {
    let p: Promise<unknown> | undefined;
    expect(() => (p = m.run({ module: program, export: 'double', args: { n: 1 }, vcpu: 7 }))).not.toThrow();
    await expect(p).rejects.toThrow(/no vCPU 7/);
    expect(() => (p = m.run({ module: '', export: 'double' }))).not.toThrow();
    await expect(p).rejects.toBeInstanceOf(ConfigError);
  });

  test('module references: a URL, an absolute path, and a path relative to the current directory', async () => {
    const abs = fileURLToPath(program);
    const rel = path.relative(process.cwd(), abs);
    expect(path.isAbsolute(rel)).toBe(false);
    for (const module of [program, program.href, abs, rel, `./${rel}`])
      expect(await m.run({ module, export: 'double', args: { n: 21 } }), String(module)).toBe(42);
  });

  test("a guest program's GuestFsError arrives as a GuestFsError, with its code and errno", async () => {
    const e: unknown = await m.run({ module: program, export: 'openMissing', args: { share: 'data' } }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(GuestFsError);
    expect(e).toBeInstanceOf(HgcmError);
    const fsError = e as GuestFsError;
    expect(fsError.code).toBe('ERR_GUEST_FS');
    expect(fsError.errno).toBe('ENOENT');
    expect(fsError.message).toMatch(/ENOENT/);
    // A plain error from a guest program stays a plain Error with its message.
    const plain: unknown = await m.run({ module: program, export: 'nope' }).catch((x: unknown) => x);
    expect(plain).toBeInstanceOf(Error);
    expect((plain as Error).message).toMatch(/no function export "nope"/);
  });
});

test('Symbol.asyncDispose stops the machine; stop() twice settles both; run() after stop rejects', async () => {
  const m = await Machine.start({ vcpus: 1, hostWorkers: 1 });
  expect(typeof m[Symbol.asyncDispose]).toBe('function');
  const [a, b] = [m[Symbol.asyncDispose](), m.stop()];
  await Promise.all([a, b]);
  let p: Promise<unknown> | undefined;
  expect(() => (p = m.run({ module: program, export: 'double', args: { n: 1 } }))).not.toThrow();
  await expect(p).rejects.toBeInstanceOf(MachineStateError);
});
