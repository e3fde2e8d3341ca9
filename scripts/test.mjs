// npm test: the type check and the lint beside the test suite, not before it. The suite leaves a 2-core
// machine idle in places (machines starting, processes waiting on one another), which the checks fill; run
// one after the other they added close to a minute. The suite's output comes as it runs; the checks'
// output is held and printed when they end. Any failure fails the run, and a failed check stops the suite
// at once (as `typecheck && lint && vitest` did). Arguments go to vitest (`npm test -- test/sim`).
import { spawn } from 'node:child_process';

/** Run `npm run -s NAME`, its output held; resolves with the exit code and the output. */
function script(name) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '-s', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (e) => resolve({ code: 1, out: `${out}${e.message}\n` }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), out }));
  });
}

const vitest = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
const tests = new Promise((resolve) => vitest.on('close', (code) => resolve(code ?? 1)));
// A signal to this process (Ctrl-C reaches the whole group; a CI runner's SIGTERM may not): the suite too.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => vitest.kill(sig));

let checksFailed = false;
for (const name of ['typecheck', 'lint']) {
  const t0 = performance.now();
  const r = await script(name);
  const took = ((performance.now() - t0) / 1000).toFixed(1);
  if (r.out.trim() !== '') process.stdout.write(`\n${r.out.trimEnd()}\n`);
  process.stdout.write(`\n${name}: ${r.code === 0 ? 'passed' : `FAILED (exit ${r.code})`} in ${took} s\n`);
  if (r.code !== 0) {
    checksFailed = true;
    vitest.kill('SIGTERM');
    break;
  }
}
const testsCode = await tests;
process.exitCode = checksFailed ? 1 : testsCode;
