// Test fixture for the FUSE front: a machine with one share on a fresh host directory, mounted on a fresh
// mount point, and helpers to run real programs against it and compare what they see with the host.
// Everything it makes it removes (the mount first, then the machine, then the directories).
import { spawn, spawnSync, type SpawnOptions, type SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { fuseUnavailable, isMounted } from '../../src/fuse/index.js';
import type { MachineConfig } from '../../src/machine/config.js';
import { Machine } from '../../src/machine/machine.js';
import type { FuseMount, MountOptions } from '../../src/machine/mount.js';
import { createFront, type FrontShared } from '../../src/fuse/layout.js';

/** Why FUSE mounts cannot run here (tests skip with it), or undefined. */
export const NO_FUSE = fuseUnavailable();

/** A small front's shared memory for tests without threads (`interruptRetryMs` as given). */
export function testFront(interruptRetryMs: number): FrontShared {
  return createFront(
    { ttlMs: 0, uid: 0, gid: 0, maxWrite: 4096, asyncRead: false, interruptibleIo: true, interruptRetryMs },
    { nodes: 4, files: 4 },
  );
}

/** Why a test cannot run: no FUSE, or one of `programs` missing (said in the skip), or undefined. */
export function cannotRun(...programs: string[]): string | undefined {
  if (NO_FUSE !== undefined) return NO_FUSE;
  const missing = programs.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0);
  return missing.length === 0 ? undefined : `not installed: ${missing.join(', ')}`;
}

/** A mounted share. */
export interface Mounted {
  readonly machine: Machine;
  readonly mount: FuseMount;
  /** Temporary root: share/ (the host directory), sentinel/ beside it. */
  readonly base: string;
  /** The host directory behind the share. */
  readonly host: string;
  /** The mount point (in a directory of its own, away from the share and the sentinel). */
  readonly mp: string;
}

/** Start a machine with a share and mount it. */
export async function mountShare(
  config: Partial<MachineConfig> = {},
  opts: MountOptions = {},
): Promise<Mounted> {
  const base = fs.mkdtempSync(join(tmpdir(), 'hgcm-fuse-'));
  const host = join(base, 'share');
  const mp = join(fs.mkdtempSync(join(tmpdir(), 'hgcm-fuse-mnt-')), 'm');
  fs.mkdirSync(host);
  fs.mkdirSync(mp);
  const machine = await Machine.start({
    vcpus: 2,
    ...config,
    sharedFolders: [{ name: 'share', hostPath: host, writable: true, createSymlinks: true }],
  });
  try {
    const mount = await machine.mount('share', mp, opts);
    return { machine, mount, base, host, mp };
  } catch (e) {
    await machine.stop();
    fs.rmSync(base, { recursive: true, force: true });
    throw e;
  }
}

/** Unmount (lazily if busy), stop the machine, remove the directories; the mount must be gone. */
export async function unmountShare(m: Mounted | undefined): Promise<void> {
  if (m === undefined) return;
  try {
    await m.mount.unmount();
  } finally {
    await m.machine.stop();
    const gone = !isMounted(m.mp);
    if (gone) {
      fs.rmSync(m.base, { recursive: true, force: true });
      fs.rmSync(join(m.mp, '..'), { recursive: true, force: true });
    }
    expect(gone, `${m.mp} is still mounted`).toBe(true);
  }
}

/** What a program did. */
export interface Ran {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a program (bounded by a generous timeout so a hang fails the test instead of the suite). */
export function run(cmd: string, args: readonly string[], opts: SpawnSyncOptions = {}): Ran {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 240_000, maxBuffer: 64 << 20, ...opts });
  return {
    status: r.status,
    signal: r.signal,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? '') + (r.error === undefined ? '' : `\n${r.error.message}`),
  };
}

/**
 * Start a program without blocking this thread (the mount's crash handling and signals run here), and a
 * promise of how it ended.
 */
export function start(
  cmd: string,
  args: readonly string[],
  opts: SpawnOptions = {},
): { pid: number; done: Promise<Ran>; stdin: NodeJS.WritableStream | null } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Ran>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { pid: child.pid ?? -1, done, stdin: child.stdin };
}

/**
 * Poll (rounds of 10 ms) until `done()` holds; whether it did. No deadline unless `rounds` is given: on a
 * loaded machine a condition may take long to come, and a test bounds its work, not the clock (one that
 * never comes fails at the test's timeout). True as soon as one look saw it hold: a condition that holds
 * only for a while (every accepted call taken, until the next one comes) is not asked again.
 */
export async function settle(done: () => boolean, rounds = Infinity): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return done();
}

/** Is process `pid` alive? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const ROOT = new URL('../../', import.meta.url).pathname;

/** `hgcm mount` of a fresh share, started from source in a process of its own. */
export interface CliMount {
  readonly base: string;
  readonly host: string;
  readonly mp: string;
  readonly cli: ReturnType<typeof start>;
  /** Kill what is left, release the mount point if needed (it must then be free), remove the directories. */
  cleanup(): void;
}

/** Start `hgcm mount <host> <mp>` (from source) on fresh directories; wait for the mount (bounded). */
export async function startCliMount(): Promise<CliMount> {
  const base = fs.mkdtempSync(join(tmpdir(), 'hgcm-fuse-cli-'));
  const host = join(base, 'share');
  const mp = join(base, 'mnt');
  fs.mkdirSync(host);
  fs.mkdirSync(mp);
  // Its temporary root (src/cli/process.ts) inside `base`: a test that kills it with SIGKILL, which no
  // process can clean up after, still leaves nothing behind once `base` is removed.
  const cli = start(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/hgcm.ts'), 'mount', host, mp], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: base },
  });
  const cleanup = (): void => {
    if (alive(cli.pid)) process.kill(cli.pid, 'SIGKILL');
    if (isMounted(mp)) run('umount', ['-l', mp]);
    expect(isMounted(mp)).toBe(false);
    fs.rmSync(base, { recursive: true, force: true });
  };
  if (!(await settle(() => isMounted(mp), 3000))) {
    cleanup();
    throw new Error(`hgcm mount did not mount ${mp}`);
  }
  return { base, host, mp, cli, cleanup };
}

/** Run a shell script; fails the test with its output unless it exits 0. */
export function sh(script: string, opts: SpawnSyncOptions = {}): string {
  const r = run('sh', ['-ec', script], opts);
  expect(r.status, `${script}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** One entry of a tree as a program sees it (everything but access times). */
export interface TreeEntry {
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'other';
  readonly mode: number;
  readonly size?: number;
  readonly mtimeMs?: number;
  readonly target?: string;
  readonly sha1?: string;
}

/** Every entry under `root` (lstat, sorted), with file contents hashed. */
export function tree(root: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  const walk = (rel: string): void => {
    const names = fs.readdirSync(join(root, rel)).sort();
    for (const name of names) {
      const p = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, p);
      const st = fs.lstatSync(abs);
      const mode = st.mode & 0o777;
      if (st.isSymbolicLink()) out.push({ path: p, type: 'symlink', mode: 0, target: fs.readlinkSync(abs) });
      else if (st.isDirectory()) {
        out.push({ path: p, type: 'dir', mode, mtimeMs: Math.floor(st.mtimeMs) });
        walk(p);
      } else if (st.isFile()) {
        const sha1 = createHash('sha1').update(fs.readFileSync(abs)).digest('hex');
        out.push({ path: p, type: 'file', mode, size: st.size, mtimeMs: Math.floor(st.mtimeMs), sha1 });
      } else out.push({ path: p, type: 'other', mode });
    }
  };
  walk('');
  return out;
}
