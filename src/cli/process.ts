// `hgcm` as a process (main thread): every run gets a private temporary root that holds whatever any part
// of it creates under os.tmpdir() (shares, benchmark files, stress shares), removed at the end whatever
// the end is; SIGINT and SIGTERM stop the running machines, remove the root and exit 130 / 143; a reader
// that goes away (EPIPE: `hgcm ... | head`) ends the run quietly; progress lines go to stderr.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runningMachines } from '../machine/index.js';

/** Exit codes for the signals `hgcm` handles, as a shell reports a process one ended (128 + signal). */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** How long stopping the machines may take on a signal before the process exits regardless (ms). */
const STOP_BOUND_MS = 5000;

let userTmpdir: string | undefined;

/** What a command asked to undo however the run ends (a FUSE mount to unmount), newest first. */
const cleanups: (() => Promise<void> | void)[] = [];

/**
 * Run `fn` when the run ends, whichever way (normal end, signal, EPIPE, an uncaught error), before the
 * temporary root goes; returns a function that forgets it (for a command that undid it itself).
 */
export function atExit(fn: () => Promise<void> | void): () => void {
  cleanups.unshift(fn);
  return () => {
    const i = cleanups.indexOf(fn);
    if (i >= 0) cleanups.splice(i, 1);
  };
}

type Signal = keyof typeof SIGNAL_EXIT;
/** A command that ends on a signal by itself (claimSignals), or undefined. */
let claimed: ((signal: Signal) => void) | undefined;
let asProcess = false;

/**
 * Let the running command decide what SIGINT and SIGTERM mean (`hgcm mount`: unmount, print the
 * statistics, exit 0): while claimed, a signal calls `fn` instead of ending the run; a second signal ends
 * the run as usual. Outside `runAsProcess` (a command run in-process) it listens for one signal itself.
 * Returns the function that gives the signals back.
 */
export function claimSignals(fn: (signal: Signal) => void): () => void {
  if (!asProcess) {
    const handlers = (Object.keys(SIGNAL_EXIT) as Signal[]).map((sig) => {
      const h = (): void => fn(sig);
      process.once(sig, h);
      return [sig, h] as const;
    });
    return () => handlers.forEach(([sig, h]) => process.off(sig, h));
  }
  claimed = fn;
  return () => {
    if (claimed === fn) claimed = undefined;
  };
}

/** Run and forget every registered cleanup; a failing one does not stop the others. */
async function runCleanups(): Promise<void> {
  for (const fn of cleanups.splice(0))
    await Promise.resolve()
      .then(fn)
      .catch(() => undefined);
}

/** The temporary directory the user's environment names: where `--keep` leaves what it keeps. */
export function keepTmpdir(): string {
  return userTmpdir ?? os.tmpdir();
}

/**
 * Run `main` as the process: returns at once; the process exits with main's code once it settles, after
 * the temporary root is gone. Only the `hgcm` executable calls this (tests call commands in-process).
 */
export function runAsProcess(main: () => Promise<number>): void {
  userTmpdir = os.tmpdir();
  const root = fs.mkdtempSync(path.join(userTmpdir, 'hgcm-run-'));
  // os.tmpdir() reads TMPDIR on every call, in this thread and in the workers started from now on.
  process.env.TMPDIR = root;
  const removeRoot = (): void => fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  let ending = false;

  const end = async (code: number): Promise<void> => {
    if (ending) {
      // A second signal while the first one's cleanup runs: leave now.
      removeRoot();
      process.exit(code);
    }
    ending = true;
    const machines = runningMachines().map((m) => m.stop({ waitMs: 0 }));
    await Promise.race([
      Promise.allSettled([...machines, runCleanups()]),
      new Promise((resolve) => setTimeout(resolve, STOP_BOUND_MS).unref()),
    ]);
    removeRoot();
    process.exit(code);
  };
  asProcess = true;
  for (const [signal, code] of Object.entries(SIGNAL_EXIT))
    process.on(signal, () => {
      const fn = claimed;
      claimed = undefined;
      // SAFETY: the keys of SIGNAL_EXIT are the signals.
      if (fn !== undefined && !ending) fn(signal as Signal);
      else void end(code);
    });
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      // The reader is gone: nobody is left to tell, so end without a word (and without a stack).
      void end(e.code === 'EPIPE' ? 0 : 1);
    });
  }
  // A bug that escapes a command (a throw in a timer) still leaves nothing behind. One while the run already
  // ends (a part torn down under a timer) is said in a line, and the end under way keeps its exit code:
  // taken for a second signal, it exited 1 at once, before the machines had stopped.
  process.on('uncaughtException', (e) => {
    if (ending) {
      console.error(`hgcm: while stopping: ${e.message}`);
      return;
    }
    console.error(e.stack ?? e.message);
    void end(1);
  });
  main().then(
    async (code) => {
      await runCleanups();
      removeRoot();
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      void end(1);
    },
  );
}

/**
 * Progress lines on stderr for work that takes more than a moment: on a terminal one line rewritten in
 * place, elsewhere a line at most every `everyMs`.
 */
export class Progress {
  private last = 0;
  private shown = false;
  private readonly tty: boolean;
  private readonly everyMs: number;
  private readonly write: (line: string) => void;

  /** `write` gets whole lines (no newline); by default process.stderr. */
  constructor(opts: { everyMs?: number; write?: (line: string) => void } = {}) {
    this.everyMs = opts.everyMs ?? 2000;
    this.tty = opts.write === undefined && process.stderr.isTTY === true;
    this.write = opts.write ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Show `line()` if it is time to (the function runs only then). */
  update(line: () => string, force = false): void {
    const now = performance.now();
    // A terminal line is cheap to rewrite, but not every few milliseconds.
    if (!force && this.shown && now - this.last < (this.tty ? 100 : this.everyMs)) return;
    this.last = now;
    this.shown = true;
    if (this.tty) process.stderr.write(`\r${line().padEnd(100)}`);
    else this.write(line());
  }

  /** Clear a terminal's progress line (a last line elsewhere is the caller's `update(..., true)`). */
  done(): void {
    if (this.tty && this.shown) process.stderr.write(`\r${''.padEnd(100)}\r`);
  }
}
