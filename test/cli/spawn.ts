// Run `hgcm` as a user does, in a process of its own (the built command, dist/; test/global-setup.ts keeps
// it current), with a private TMPDIR, and watch its output line by line: for the tests of signals, pipes,
// progress and files left behind.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const entry = path.join(root, 'dist/src/cli/hgcm.js');

/** A running `hgcm`. */
export interface HgcmProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** The private TMPDIR it was given (empty at start). */
  readonly tmp: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when a line of stdout or stderr matches (rejects if the process exits first). */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp): Promise<string>;
  /** Resolves with the exit code (or 128 + signal number when a signal ended it). */
  exited: Promise<number>;
  /** Remove the TMPDIR (tests call this last, after checking it). */
  cleanup(): void;
}

const SIGNALS: Readonly<Record<string, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Start `hgcm ...args` in `cwd` (default: the checkout's root), with `env` added to this process's
 * environment.
 */
export function startHgcm(
  args: readonly string[],
  opts: { cwd?: string; env?: Readonly<Record<string, string>> } = {},
): HgcmProcess {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hgcm-cli-test-'));
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: opts.cwd ?? root,
    // tsx (which `hgcm stress` loads in a checkout) keeps a cache under TMPDIR: the tool's, not the run's.
    env: { ...process.env, ...opts.env, TMPDIR: tmp, TSX_DISABLE_CACHE: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const text = { stdout: '', stderr: '' };
  const waiters: {
    stream: 'stdout' | 'stderr';
    pattern: RegExp;
    resolve(l: string): void;
    reject(e: Error): void;
  }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      const line = text[w.stream].split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  for (const stream of ['stdout', 'stderr'] as const)
    child[stream].on('data', (d: Buffer) => {
      text[stream] += d.toString();
      check();
    });
  // A bound on a hang, never a timing assertion: no run here needs more than a fraction of it.
  const kill = setTimeout(() => child.kill('SIGKILL'), 150_000);
  const exited = new Promise<number>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(kill);
      for (const w of waiters.splice(0))
        w.reject(
          new Error(`hgcm exited before ${w.pattern} on ${w.stream}:\n${text.stdout}\n${text.stderr}`),
        );
      resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0));
    }),
  );
  return {
    child,
    tmp,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor: (stream, pattern) =>
      new Promise((resolve, reject) => {
        waiters.push({ stream, pattern, resolve, reject });
        check();
      }),
    exited,
    cleanup: () => fs.rmSync(tmp, { recursive: true, force: true }),
  };
}
