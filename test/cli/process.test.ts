// `hgcm` as a process: SIGINT and SIGTERM stop the machines, leave nothing in the temporary directory and
// exit 130 / 143; a reader that goes away (EPIPE) ends the run quietly; no file is written unless asked;
// commands that run for a while print progress on stderr (fsx, the threads campaign).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { startHgcm, type HgcmProcess } from './spawn.js';
import { TEST_BUILD_VALUE, TEST_BUILD_VAR } from '../../scripts/test-build.mjs';

const started: HgcmProcess[] = [];
function hgcm(args: string[], opts: Parameters<typeof startHgcm>[1] = {}): HgcmProcess {
  const p = startHgcm(args, opts);
  started.push(p);
  return p;
}
afterEach(() => {
  for (const p of started.splice(0)) {
    p.child.kill('SIGKILL');
    p.cleanup();
  }
});

const noStack = (text: string): void => expect(text).not.toMatch(/^\s+at .*\(.*:\d+:\d+\)$/m);

test.each([
  ['SIGINT', 130, ['demo', '--ops', '10000000'], /\[current host\] \d+/],
  ['SIGTERM', 143, ['fsx', '--ops', '100000000'], /fsx: \d+\/\d+ ops/],
] as const)(
  '%s in the middle of a run: machines stopped, temporary files gone, exit %d',
  async (signal, code, args, progress) => {
    const p = hgcm([...args]);
    // The machine runs and its share exists once progress shows.
    await p.waitFor('stderr', progress);
    expect(fs.readdirSync(p.tmp).length).toBeGreaterThan(0);
    p.child.kill(signal);
    expect(await p.exited).toBe(code);
    expect(fs.readdirSync(p.tmp)).toEqual([]);
    noStack(p.stderr());
  },
);

test('EPIPE: the reader going away ends the run quietly and cleans up', async () => {
  const p = hgcm(['demo', '--ops', '400']);
  await p.waitFor('stdout', /^hgcm-runtime: /);
  // The summary comes later, into a pipe nobody reads any more.
  p.child.stdout.destroy();
  expect(await p.exited).toBe(0);
  expect(p.stderr()).not.toMatch(/EPIPE|Error/);
  noStack(p.stderr());
  expect(fs.readdirSync(p.tmp)).toEqual([]);
});

test('trace and demo write no file unless asked (no Chrome trace in the temporary directory or here)', async () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'hgcm-cli-cwd-'));
  try {
    for (const args of [
      ['trace', 'write'],
      ['trace', 'cancel'],
      ['demo', '--ops', '60'],
    ]) {
      const p = hgcm(args, { cwd });
      expect(await p.exited, p.stderr()).toBe(0);
      expect(p.stdout()).not.toMatch(/Chrome trace/);
      expect(fs.readdirSync(p.tmp), args.join(' ')).toEqual([]);
      expect(fs.readdirSync(cwd), args.join(' ')).toEqual([]);
    }
    // Asked for, it is where it was asked.
    const out = path.join(cwd, 'write.json');
    const p = hgcm(['trace', 'write', '--out', out], { cwd });
    expect(await p.exited).toBe(0);
    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toHaveProperty('traceEvents');
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

test('progress on stderr: fsx counts its ops, the threads campaign its runs; results stay on stdout', async () => {
  const fsx = hgcm(['fsx', '--ops', '3000', '--seed', '7']);
  expect(await fsx.exited, fsx.stderr()).toBe(0);
  expect(fsx.stderr()).toMatch(/^ {2}fsx: 0\/6000 ops$/m);
  expect(fsx.stdout()).not.toMatch(/fsx: \d+\/6000 ops/);
  expect(fsx.stdout()).toMatch(/6000 ops in \d+ ms/);
  // The harness runs from source under tsx on the main thread, as in a checkout; the threads of its
  // Machines run the test build's copies (as in the 'threads' project: vitest.config.ts), not each its own
  // tsx, which cost about 8 s of CPU here on a 2-core machine, for a test of where the progress goes.
  const threads = hgcm(['stress', '--executor', 'threads', '--scenario', 'S1,S2', '--iterations', '1'], {
    env: { [TEST_BUILD_VAR]: TEST_BUILD_VALUE },
  });
  expect(await threads.exited, threads.stdout() + threads.stderr()).toBe(0);
  expect(threads.stderr()).toMatch(/threads: run 1, S1 iteration 0/);
  expect(threads.stdout()).not.toMatch(/threads: run/);
}, 200_000);

test('what a command registers with atExit runs on a signal and on a normal end (a mount to undo); a throw while it runs does not cut it short', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hgcm-cli-atexit-'));
  try {
    const processJs = pathToFileURL(path.resolve(import.meta.dirname, '../../dist/src/cli/process.js')).href;
    const script = path.join(dir, 'command.mjs');
    fs.writeFileSync(
      script,
      `import fs from 'node:fs';
import { atExit, runAsProcess } from ${JSON.stringify(processJs)};
const [marker, mode] = process.argv.slice(2);
runAsProcess(async () => {
  atExit(() => fs.writeFileSync(marker, 'undone'));
  const forgotten = atExit(() => fs.writeFileSync(marker + '.forgotten', 'ran'));
  forgotten();
  if (mode === 'throw')
    // A cleanup that takes a while, during which a timer of something torn down throws.
    atExit(async () => {
      setTimeout(() => { throw new Error('torn down under a timer'); }, 10);
      await new Promise((r) => setTimeout(r, 200));
      fs.writeFileSync(marker + '.slow', 'done');
    });
  console.log('ready');
  // Until a signal: a timer holds the process, the promise never settles.
  if (mode !== 'end') await new Promise(() => setInterval(() => undefined, 1000));
  return 3;
});
`,
    );
    let stderr = '';
    const run = (mode: string, marker: string): Promise<number> =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [script, marker, mode], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.stdout.on('data', () => {
          if (mode !== 'end') child.kill('SIGTERM');
        });
        child.on('exit', (code) => resolve(code ?? -1));
      });
    const onSignal = path.join(dir, 'signal');
    expect(await run('wait', onSignal)).toBe(143);
    expect(fs.readFileSync(onSignal, 'utf8')).toBe('undone');
    const onEnd = path.join(dir, 'end');
    expect(await run('end', onEnd)).toBe(3);
    expect(fs.readFileSync(onEnd, 'utf8')).toBe('undone');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.forgotten'))).toEqual([]);
    // The throw is said in a line; the signal's exit code and every cleanup stand.
    const onThrow = path.join(dir, 'throw');
    expect(await run('throw', onThrow)).toBe(143);
    expect(fs.readFileSync(`${onThrow}.slow`, 'utf8')).toBe('done');
    expect(fs.readFileSync(onThrow, 'utf8')).toBe('undone');
    expect(stderr).toMatch(/while stopping: torn down under a timer/);
    noStack(stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
