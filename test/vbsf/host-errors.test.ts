// The host's own failures, provoked for real rather than faked: a second file system inside the share
// (EXDEV), a size-limited tmpfs (ENOSPC), a read-only bind mount (EROFS), and the host side running as a
// non-root user (EACCES; root would bypass the permission checks). Each answers with upstream's status
// (RTErrConvertFromErrno, then vbsfCreate's Result rules). Mounting needs root: without it these tests are
// skipped, saying so.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ShflCreate as CF,
  ShflFn as Fn,
  ShflInfo,
  ShflRemove,
  ShflRename,
  ShflResult as R,
  Status as S,
} from '../../src/abi/index.js';
import { outsideFingerprint, runScript, runScriptAs, startRig, str, type Rig } from './helpers/machine.js';
import type { Step } from './programs/script.js';

const NOBODY = 65534;
const root = { var: 'root' } as const;
const h = { var: 'h' } as const;
const OPEN = CF.ACT_OPEN_IF_EXISTS | CF.ACT_FAIL_IF_NEW;
const NEW = CF.ACT_FAIL_IF_EXISTS | CF.ACT_CREATE_IF_NEW;
const create = (p: string, flags: number): Step => ({
  fn: Fn.CREATE,
  args: [root, str(p), { create: { flags } }],
  save: { name: 'h', from: 'handle' },
});

/** mount(8) as root; false (and nothing mounted) where this process may not mount. */
function tryMount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mounted: string[] = [];
function umountAll(): void {
  for (const m of mounted.splice(0).reverse()) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    }
  }
}

describe('mounts: a second file system, a full one, a read-only one', () => {
  let rig: Rig;
  let canMount = false;
  let before = '';
  beforeAll(async () => {
    // One host worker: the time setter's state (touch(1) usable or not) is per worker thread.
    rig = await startRig({ vcpus: 1, hostWorkers: 1 });
    const at = (p: string): string => path.join(rig.t.share, p);
    fs.mkdirSync(at('mnt'));
    fs.mkdirSync(at('ro'));
    const roSource = path.join(rig.t.base, 'ro-source');
    fs.mkdirSync(roSource);
    fs.writeFileSync(path.join(roSource, 'r.txt'), 'read only');
    canMount =
      process.getuid?.() === 0 && tryMount(['-t', 'tmpfs', '-o', 'size=64k,mode=0777', 'tmpfs', at('mnt')]);
    if (canMount) mounted.push(at('mnt'));
    if (canMount && tryMount(['--bind', roSource, at('ro')])) {
      mounted.push(at('ro'));
      canMount = tryMount(['-o', 'remount,bind,ro', at('ro')]);
    }
    fs.writeFileSync(at('a.txt'), 'move me');
    fs.writeFileSync(at('big.bin'), Buffer.alloc(100 * 1024, 7));
    fs.mkdirSync(at('d'));
    before = outsideFingerprint(rig);
  });
  afterAll(async () => {
    umountAll();
    if (rig !== undefined) expect(outsideFingerprint(rig)).toBe(before);
    await rig?.stop();
  });
  const at = (p: string): string => path.join(rig.t.share, p);

  test('EXDEV: a rename across file systems is VERR_NOT_SAME_DEVICE; a file move copies (RTFileMove)', async (ctx) => {
    if (!canMount) ctx.skip('mount(8) is not possible here (needs root and CAP_SYS_ADMIN)');
    const { results: r } = await runScript(rig, {
      clients: [{ share: 'share' }],
      steps: [
        { fn: Fn.RENAME, args: [root, str('a.txt'), str('mnt/a.txt'), ShflRename.FILE | ShflRename.DIR] },
        { fn: Fn.RENAME, args: [root, str('d'), str('mnt/d'), ShflRename.DIR] },
        { fn: Fn.RENAME, args: [root, str('a.txt'), str('mnt/a.txt'), ShflRename.FILE] },
        // 100 KiB into 64 KiB: the copy fills the file system and is taken back.
        { fn: Fn.RENAME, args: [root, str('big.bin'), str('mnt/big.bin'), ShflRename.FILE] },
      ],
    });
    expect(r.map((x) => x.rc)).toEqual([
      S.VERR_NOT_SAME_DEVICE,
      S.VERR_NOT_SAME_DEVICE,
      S.VINF_SUCCESS,
      S.VERR_DISK_FULL,
    ]);
    expect(fs.existsSync(at('a.txt'))).toBe(false);
    expect(fs.readFileSync(at('mnt/a.txt'), 'utf8')).toBe('move me');
    expect(fs.statSync(at('big.bin')).size).toBe(100 * 1024);
    expect(fs.existsSync(at('mnt/big.bin'))).toBe(false);
    expect(fs.statSync(at('d')).isDirectory()).toBe(true);
  });

  test('ENOSPC: a write that fills the file system is short, the next one VERR_DISK_FULL', async (ctx) => {
    if (!canMount) ctx.skip('mount(8) is not possible here (needs root and CAP_SYS_ADMIN)');
    const chunk = { zeros: 128 * 1024 };
    const { results: r } = await runScript(rig, {
      clients: [{ share: 'share' }],
      steps: [
        create('mnt/fill.bin', NEW | CF.ACCESS_READWRITE),
        { fn: Fn.WRITE, args: [root, h, 0n, 128 * 1024, chunk], save: { name: 'end', from: 2 } },
        { fn: Fn.WRITE, args: [root, h, { var: 'end' }, 128 * 1024, chunk] },
        { fn: Fn.CLOSE, args: [root, h] },
      ],
    });
    expect(r[0]!.create?.result).toBe(R.FILE_CREATED);
    const written = Number(r[1]!.out[3]);
    expect(r[1]!.rc).toBe(S.VINF_SUCCESS);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(128 * 1024);
    expect([r[2]!.rc, r[2]!.out[3]]).toEqual([S.VERR_DISK_FULL, 0]);
    expect(fs.statSync(at('mnt/fill.bin')).size).toBe(written);
    fs.rmSync(at('mnt/fill.bin'));
  });

  test('EROFS: creating, opening for writing, removing, mkdir on a read-only mount: VERR_WRITE_PROTECT', async (ctx) => {
    if (!canMount) ctx.skip('mount(8) is not possible here (needs root and CAP_SYS_ADMIN)');
    const { results: r } = await runScript(rig, {
      clients: [{ share: 'share' }],
      steps: [
        create('ro/new.txt', NEW | CF.ACCESS_READWRITE),
        create('ro/r.txt', OPEN | CF.ACCESS_READWRITE),
        { fn: Fn.REMOVE, args: [root, str('ro/r.txt'), ShflRemove.FILE] },
        create('ro/dir', CF.DIRECTORY | NEW | CF.ACCESS_READ),
        { fn: Fn.RENAME, args: [root, str('ro/r.txt'), str('ro/s.txt'), ShflRename.FILE] },
        create('ro/r.txt', OPEN | CF.ACCESS_READ),
      ],
    });
    expect(r.map((x) => [x.rc, x.create?.result])).toEqual([
      [S.VERR_WRITE_PROTECT, R.NO_RESULT],
      [S.VERR_WRITE_PROTECT, R.NO_RESULT],
      [S.VERR_WRITE_PROTECT, undefined],
      [S.VERR_WRITE_PROTECT, R.NO_RESULT],
      [S.VERR_WRITE_PROTECT, undefined],
      [S.VINF_SUCCESS, R.FILE_EXISTS],
    ]);
    expect(fs.readdirSync(at('ro'))).toEqual(['r.txt']);
  });

  test('EROFS refusing a time is ignored (as upstream) and leaves later times exact', async (ctx) => {
    if (!canMount) ctx.skip('mount(8) is not possible here (needs root and CAP_SYS_ADMIN)');
    const times = (atime: bigint): { bytes: number[] } => {
      const b = Buffer.alloc(92);
      b.writeBigInt64LE(atime, 16);
      return { bytes: [...b] };
    };
    fs.writeFileSync(at('t.txt'), 't');
    const { results: r } = await runScript(rig, {
      clients: [{ share: 'share' }],
      steps: [
        create('ro/r.txt', OPEN | CF.ACCESS_READ),
        {
          fn: Fn.INFORMATION,
          args: [root, h, ShflInfo.SET | ShflInfo.FILE, 92, times(1_000_000_000_123_456_789n)],
        },
        { fn: Fn.CLOSE, args: [root, h] },
        create('t.txt', OPEN | CF.ACCESS_READWRITE),
        {
          fn: Fn.INFORMATION,
          args: [root, h, ShflInfo.SET | ShflInfo.FILE, 92, times(1_000_000_000_987_654_321n)],
        },
        { fn: Fn.CLOSE, args: [root, h] },
      ],
    });
    expect(r.map((x) => x.rc)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(fs.statSync(at('ro/r.txt'), { bigint: true }).atimeNs).not.toBe(1_000_000_000_123_456_789n);
    expect(fs.statSync(at('t.txt'), { bigint: true }).atimeNs).toBe(1_000_000_000_987_654_321n);
  });
});

describe('the host side as a non-root user', () => {
  let base = '';
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'vbsf-eacces-'));
    fs.chmodSync(base, 0o755);
    const share = path.join(base, 'share');
    fs.mkdirSync(share, { mode: 0o755 });
    fs.writeFileSync(path.join(share, 'open.txt'), 'anyone may read', { mode: 0o644 });
    fs.writeFileSync(path.join(share, 'secret'), 'root only', { mode: 0o600 });
    fs.mkdirSync(path.join(share, 'private'), { mode: 0o700 });
    fs.writeFileSync(path.join(share, 'private', 'x'), 'x');
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  test("EACCES: every refusal of the host is VERR_ACCESS_DENIED, with upstream's Result", (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip('starting the host side as another user needs root');
    const steps: Step[] = [
      create('n.txt', NEW | CF.ACCESS_READWRITE), // 0: open(O_CREAT) in a directory not writable
      create('secret', OPEN | CF.ACCESS_READ), // 1: a file not readable
      create('open.txt', OPEN | CF.ACCESS_READWRITE), // 2: readable, not writable
      create('open.txt', OPEN | CF.ACCESS_READ), // 3: fine
      create('private', CF.DIRECTORY | OPEN | CF.ACCESS_READ), // 4: a directory not readable
      { fn: Fn.CREATE, args: [root, str('private/x'), { create: { flags: CF.LOOKUP } }] }, // 5: not searchable
      create('nd', CF.DIRECTORY | NEW | CF.ACCESS_READ), // 6: mkdir
      { fn: Fn.REMOVE, args: [root, str('open.txt'), ShflRemove.FILE] }, // 7
      { fn: Fn.RENAME, args: [root, str('open.txt'), str('o2.txt'), ShflRename.FILE] }, // 8
    ];
    const r = runScriptAs(NOBODY, NOBODY, [{ name: 'share', hostPath: path.join(base, 'share') }], {
      clients: [{ share: 'share' }],
      steps,
    });
    expect(r.map((x) => [x.rc, x.result])).toEqual([
      [S.VERR_ACCESS_DENIED, R.NO_RESULT],
      [S.VERR_ACCESS_DENIED, R.NO_RESULT],
      [S.VERR_ACCESS_DENIED, R.NO_RESULT],
      [S.VINF_SUCCESS, R.FILE_EXISTS],
      [S.VERR_ACCESS_DENIED, R.FILE_EXISTS],
      [S.VERR_ACCESS_DENIED, R.NO_RESULT],
      [S.VERR_ACCESS_DENIED, R.NO_RESULT],
      [S.VERR_ACCESS_DENIED, undefined],
      [S.VERR_ACCESS_DENIED, undefined],
    ]);
    expect(fs.readdirSync(path.join(base, 'share')).sort()).toEqual(['open.txt', 'private', 'secret']);
  }, 120_000);
});
