// Machine-level helpers for the Shared Folders tests: a machine with temporary shares, running step
// scripts on a vCPU, and the sentinel audit (nothing beside the share may change).
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../../../src/machine/machine.js';
import type { SharedFolderConfig } from '../../../src/vbsf/index.js';
import type { Script, StepResult } from '../programs/script.js';
import { tempShare, type TempShare } from './fake-host.js';

/** A running machine and its temporary directories. */
export interface Rig {
  readonly m: Machine;
  readonly t: TempShare;
  /** Extra share directories by name (beside `share`, inside the temp base). */
  readonly dirs: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/**
 * Start a machine whose shares are `share` (the temp share, writable) plus the named extra directories
 * configured by `extra` (each gets its own directory under the temp base).
 */
export async function startRig(
  opts: {
    vcpus?: number;
    hostWorkers?: number;
    main?: Partial<SharedFolderConfig>;
    extra?: Record<string, Partial<SharedFolderConfig>>;
  } = {},
): Promise<Rig> {
  const t = tempShare();
  const dirs: Record<string, string> = {};
  const folders: SharedFolderConfig[] = [{ name: 'share', ...opts.main, hostPath: t.share }];
  for (const [name, cfg] of Object.entries(opts.extra ?? {})) {
    const dir = path.join(t.base, `share-${name}`);
    fs.mkdirSync(dir);
    dirs[name] = dir;
    folders.push({ name, ...cfg, hostPath: dir });
  }
  const m = await Machine.start({
    vcpus: opts.vcpus ?? 2,
    hostWorkers: opts.hostWorkers ?? 2,
    sharedFolders: folders,
  });
  return {
    m,
    t,
    dirs,
    stop: async () => {
      await m.stop();
      t.cleanup();
    },
  };
}

const SCRIPT = new URL('../programs/script.ts', import.meta.url);

/** Run a step script on a vCPU. */
export function runScript(
  rig: Rig,
  script: Script,
  vcpu = 0,
): Promise<{ clients: number[]; roots: number[]; results: StepResult[] }> {
  return rig.m.run({ module: SCRIPT, export: 'run', args: script, vcpu });
}

/** Run an export of a program module under test/vbsf/programs. */
export function runProgram<T>(rig: Rig, file: string, fn: string, args: unknown, vcpu = 0): Promise<T> {
  return rig.m.run<T>({ module: new URL(`../programs/${file}`, import.meta.url), export: fn, args, vcpu });
}

/**
 * A fingerprint of everything under the temp base except the shares: names, types, sizes, modes, mtimes,
 * link targets and contents. Equal before and after means nothing outside the shares changed.
 */
export function outsideFingerprint(rig: Rig): string {
  const shares = new Set([rig.t.share, ...Object.values(rig.dirs)]);
  const lines: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (shares.has(p)) continue;
      const st = fs.lstatSync(p);
      let extra = '';
      if (st.isSymbolicLink()) extra = fs.readlinkSync(p);
      else if (st.isFile()) extra = crypto.createHash('sha1').update(fs.readFileSync(p)).digest('hex');
      lines.push(`${path.relative(rig.t.base, p)} ${st.mode.toString(8)} ${st.size} ${st.mtimeMs} ${extra}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(rig.t.base);
  // The base directory itself (its own entries were listed above).
  return lines.join('\n');
}

/** A SHFLSTRING argument. */
export const str = (s: string, more: Record<string, unknown> = {}): { str: string } => ({ str: s, ...more });

/** What runScriptAs reports for one step. */
export interface ChildStep {
  readonly rc: number;
  readonly result: number | undefined;
}

/**
 * Run a step script on a machine whose host side runs as `uid`/`gid` (a child process: helpers/host-child.ts),
 * so that the host's file system permissions apply to the service. Needs root to start the child.
 */
export function runScriptAs(
  uid: number,
  gid: number,
  shares: readonly SharedFolderConfig[],
  script: Script,
): ChildStep[] {
  const child = new URL('./host-child.ts', import.meta.url);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(child), JSON.stringify({ shares, script })],
    {
      uid,
      gid,
      encoding: 'utf8',
      timeout: 120_000,
      // A temporary directory the user may write (tsx keeps its cache there).
      env: { ...process.env, TMPDIR: os.tmpdir() },
    },
  );
  if (r.status !== 0) throw new Error(`host child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ChildStep[];
}
