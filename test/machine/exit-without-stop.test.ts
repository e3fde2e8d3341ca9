// A script that forgets Machine.stop() still exits once its work is done: idle machine threads do not
// hold the process, while a program in flight (even one started from a timer) does.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Run a script of ./scripts under tsx to its end (killed after 90 s: a hang, not a timing bound). */
async function runScript(
  name: string,
): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', `test/machine/scripts/${name}`], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  // A bound on a hang, not a timing assertion: the script needs a second or two, more on a loaded machine.
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  return { code, signal, out, err };
}

test('a script that never calls stop() exits by itself, after its last program returned', async () => {
  const { code, signal, out, err } = await runScript('forget-stop.ts');
  expect(signal, `killed: the script did not exit by itself\n${out}${err}`).toBeNull();
  expect(code, err).toBe(0);
  expect(out).toBe('first 42\nlater 10\n');
}, 120_000);

test('a script whose Machine.start() rejects exits by itself once it has handled the rejection', async () => {
  // What held the process while the machine started (the pool's loops were running, the vCPUs not yet
  // started) must let go when the start fails.
  const { code, signal, out, err } = await runScript('failed-start.ts');
  expect(signal, `killed: the script did not exit by itself\n${out}${err}`).toBeNull();
  expect(code, err).toBe(0);
  expect(out).toBe('rejected: misbehave setup refuses to run\n');
}, 120_000);
