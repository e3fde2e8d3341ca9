// Real programs nobody here wrote, on a fresh mount: fio with crc32c verification (sequential and random,
// two jobs at once), git (init, add and commit of a few hundred files, clone inside the mount, fsck), tar
// (an archive extracted into the mount and on the host, compared with diff -r), sqlite3 (10,000 rows in
// transactions, integrity check). Each is sized to finish in seconds on a loaded 2-core machine.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { cannotRun, mountShare, run, sh, tree, unmountShare, type Mounted } from './mounted.js';

const ROOT = new URL('../../', import.meta.url).pathname;
// Each program's work is fixed (files, rows, bytes); the timeout only guards against a hang, wide enough
// for a machine loaded many times over (git's part took 107 s beside two CPU hogs and other test runs).
vi.setConfig({ testTimeout: 300_000 });
let m: Mounted | undefined;
const anyProgram = cannotRun();

beforeAll(async () => {
  if (anyProgram === undefined) m = await mountShare();
});
afterAll(async () => {
  await unmountShare(m);
});

const fio = cannotRun('fio');
describe.skipIf(fio !== undefined)(`fio${fio ? ` (skipped: ${fio})` : ''}`, () => {
  test('sequential and random writes verified with crc32c, two jobs at once', () => {
    const dir = join(m!.mp, 'fio');
    fs.mkdirSync(dir);
    const job = (name: string, rw: string, bs: string): string[] => [
      `--name=${name}`,
      `--rw=${rw}`,
      `--bs=${bs}`,
      '--size=8m',
      '--verify=crc32c',
      '--do_verify=1',
      '--verify_fatal=1',
      `--filename=${join(dir, name)}`,
    ];
    // (cwd: fio leaves verify state files in its working directory.)
    const r = run(
      'fio',
      [
        '--output-format=json',
        '--ioengine=psync',
        '--verify_state_save=0',
        ...job('seq', 'write', '1m'),
        ...job('rand', 'randwrite', '4k'),
      ],
      { cwd: m!.base },
    );
    expect(r.status, r.stderr + r.stdout.slice(-2000)).toBe(0);
    const out = JSON.parse(r.stdout) as { jobs: { jobname: string; error: number }[] };
    expect(out.jobs.map((j) => [j.jobname, j.error])).toEqual([
      ['seq', 0],
      ['rand', 0],
    ]);
    // The two jobs' requests were served at once, on both vCPUs.
    expect(m!.mount.stats().front.maxInFlight).toBe(2);
    // What fio verified through the mount is on the host.
    expect(fs.statSync(join(m!.host, 'fio/seq')).size).toBe(8 << 20);
    expect(fs.statSync(join(m!.host, 'fio/rand')).size).toBe(8 << 20);
  });
});

const git = cannotRun('git');
describe.skipIf(git !== undefined)(`git${git ? ` (skipped: ${git})` : ''}`, () => {
  test('init, add and commit a few hundred files, clone inside the mount, fsck --full', () => {
    const repo = join(m!.mp, 'repo');
    fs.mkdirSync(repo);
    for (let d = 0; d < 10; d++) {
      fs.mkdirSync(join(repo, `dir${d}`));
      for (let f = 0; f < 20; f++)
        fs.writeFileSync(join(repo, `dir${d}/file${f}.txt`), `${d}/${f}\n`.repeat(f + d));
    }
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.invalid',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.invalid',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: m!.base,
    };
    sh(
      `cd ${repo} && git init -q && git add . && git commit -qm first && echo more >> dir3/file4.txt && git commit -qam second`,
      { env },
    );
    sh(`cd ${m!.mp} && git clone -q repo clone`, { env });
    expect(
      sh(`cd ${m!.mp}/clone && git log --oneline | wc -l && git status --porcelain | wc -l`, { env }).trim(),
    ).toBe('2\n0');
    sh(`cd ${m!.mp}/repo && git fsck --full --strict && cd ../clone && git fsck --full --strict`, { env });
    // The host holds the same history.
    expect(sh(`cd ${m!.host}/clone && git rev-parse HEAD`, { env })).toBe(
      sh(`cd ${repo} && git rev-parse HEAD`, { env }),
    );
    expect(fs.readFileSync(join(m!.host, 'clone/dir3/file4.txt'), 'utf8').endsWith('more\n')).toBe(true);
  });
});

const tar = cannotRun('tar', 'diff');
describe.skipIf(tar !== undefined)(`tar${tar ? ` (skipped: ${tar})` : ''}`, () => {
  test('tar -x of a real archive into the mount equals the same archive extracted on the host', () => {
    // A real archive made now from installed packages (no download): a few thousand files, symlinks too.
    const archive = join(m!.base, 'pkgs.tar');
    const pkgs = ['fast-check', 'tinybench', 'comlink'].filter((p) =>
      fs.existsSync(join(ROOT, 'node_modules', p)),
    );
    expect(pkgs.length).toBeGreaterThan(0);
    sh(`cd ${ROOT}node_modules && tar -cf ${archive} ${pkgs.join(' ')} ../package.json`);
    const hostOut = join(m!.base, 'untar-host');
    fs.mkdirSync(hostOut);
    fs.mkdirSync(join(m!.mp, 'untar'));
    sh(`tar -xf ${archive} -C ${hostOut} && tar -xf ${archive} -C ${m!.mp}/untar`);
    sh(`diff -r ${hostOut} ${m!.mp}/untar`);
    expect(tree(join(m!.host, 'untar')).map((e) => [e.path, e.type, e.sha1, e.target])).toEqual(
      tree(hostOut).map((e) => [e.path, e.type, e.sha1, e.target]),
    );
  });
});

const sqlite = cannotRun('sqlite3');
describe.skipIf(sqlite !== undefined)(`sqlite3${sqlite ? ` (skipped: ${sqlite})` : ''}`, () => {
  test('a database with 10,000 rows inserted in transactions passes its integrity check', () => {
    const db = join(m!.mp, 'test.db');
    const batches = Array.from(
      { length: 10 },
      (_, b) =>
        `BEGIN;\n${Array.from({ length: 1000 }, (_, i) => `INSERT INTO t VALUES (${b * 1000 + i}, 'row ${b * 1000 + i}', randomblob(64));`).join('\n')}\nCOMMIT;`,
    ).join('\n');
    const script = `CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, blob BLOB);\n${batches}\nCREATE INDEX tn ON t(name);\n`;
    const r = run('sqlite3', [db], { input: script });
    expect(r.status, r.stderr).toBe(0);
    const check = run('sqlite3', [db, 'PRAGMA integrity_check; SELECT count(*), sum(id) FROM t;']);
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout.trim()).toBe('ok\n10000|49995000');
    // The host's copy of the database is the same database.
    const host = run('sqlite3', [
      join(m!.host, 'test.db'),
      'PRAGMA integrity_check; SELECT count(*) FROM t;',
    ]);
    expect(host.stdout.trim()).toBe('ok\n10000');
  });
});
