// A script that forgets Machine.stop() still exits once its work is done: idle machine threads do not
// hold the process, while a program in flight (even one started from a timer) does; and a script whose
// machine failed to start is not held by what held its process while the machine started.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Run a script of ./scripts under tsx and expect it to exit by itself with status 0, having printed `out`.
 * It is killed after 90 s: a bound on a hang, not a timing assertion (it needs a second or two, more on a
 * loaded machine).
 */
async function expectExitsByItself(name: string, out: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', `test/machine/scripts/${name}`], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  expect(signal, `killed: the script did not exit by itself\n${stdout}${stderr}`).toBeNull();
  expect(code, stderr).toBe(0);
  expect(stdout).toBe(out);
}

test('a script that never calls stop() exits by itself, after its last program returned', async () => {
  await expectExitsByItself('forget-stop.ts', 'first 42\nlater 10\n');
}, 120_000);

test('a script whose Machine.start() rejects exits by itself once it has handled the rejection', async () => {
  // The host workers' setup failed after their loops had started, before any vCPU existed.
  await expectExitsByItself('failed-start.ts', 'rejected: misbehave setup refuses to run\n');
}, 120_000);

test('a script whose stopped machine left its host pool for a next one exits by itself', async () => {
  await expectExitsByItself('spare-exit.ts', 'kept 1, holding the same: true\n');
}, 120_000);
