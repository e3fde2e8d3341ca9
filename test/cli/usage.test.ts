// The command line's edge, one argument layer for every command: --help (and -h) prints the command's
// every option with its default and exits 0; an unknown option, a bad value or an unknown command is
// reported on stderr with the usage and exit 2, never a stack trace or a run with defaults; --version.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import type { Command, Group } from '../../src/cli/kit/command.js';
import { HGCM, mainCli } from '../../src/cli/main.js';
import { STRESS } from '../../stress/cli.js';

const root = path.resolve(import.meta.dirname, '../..');

async function hgcm(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await mainCli(argv, { out: (l) => void out.push(l), err: (l) => void err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Every command with its argv prefix: hgcm's own and the stress harness's subcommands. */
function commands(): [string[], Command][] {
  const list: [string[], Command][] = [];
  const walk = (g: Group, prefix: string[]): void => {
    for (const [name, c] of Object.entries(g.commands)) {
      if ('commands' in c) walk(c, [...prefix, name]);
      else if ('spec' in c) list.push([[...prefix, name], c]);
    }
  };
  walk(HGCM, []);
  walk(STRESS, ['stress']);
  return list;
}

test.each(commands().map(([argv, c]) => [argv.join(' '), argv, c] as const))(
  'hgcm %s --help lists every option with its default',
  async (_name, argv, c) => {
    for (const h of ['--help', '-h']) {
      const r = await hgcm([...argv, h]);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toMatch(new RegExp(`^usage: hgcm ${argv.join(' ')}`));
      for (const name of Object.keys(c.spec.options)) {
        const line = r.out.split('\n').find((l) => new RegExp(`^\\s+(-\\w, )?--${name}( |$)`).test(l));
        expect(line, `--${name}`).toMatch(/\(default: [^)]+\)$/);
      }
    }
  },
);

test('hgcm bench --help lists the suites; hgcm stress --help the subcommands and the run options', async () => {
  const bench = await hgcm(['bench', '--help']);
  for (const suite of ['limit', 'peers', 'dispatch', 'hgcm', 'vbsf', 'policy'])
    expect(bench.out).toMatch(new RegExp(`^  ${suite} `, 'm'));
  const stress = await hgcm(['stress', '--help']);
  expect(stress.code).toBe(0);
  for (const sub of ['run', 'explore', 'replay', 'shrink', 'mutate'])
    expect(stress.out).toContain(`hgcm stress ${sub}`);
  for (const opt of ['--scenario', '--executor', '--iterations', '--duration', '--shard'])
    expect(stress.out).toContain(opt);
  expect(stress.out).not.toMatch(/hgcm stress --help\)/);
});

test.each([
  [['demo', '--vcpus', '0'], /--vcpus must be an integer from 1 to 64 \(got "0"\)/],
  [['demo', '--ops', '1e3'], /--ops must be an integer/],
  [['demo', '--frob'], /Unknown option '--frob'/],
  [['demo', 'extra'], /unexpected argument "extra"/],
  [['trace', '--bytes', 'x'], /--bytes must be an integer from 0 to 16777216/],
  [['trace', 'rename'], /unknown operation rename/],
  [['fsx', '--io', 'bad'], /--io must be one of linaddr, pagelist, nobounce, mixed/],
  [['fsx', '--seed=-1'], /--seed must be an integer from 0/],
  [['bench', '--repeat', 'x'], /--repeat must be an integer from 1/],
  [['bench', '--device', 'gpu'], /--device must be one of emt, thread/],
  [['bench', '--spin', '1'], /--spin takes non-negative integers/],
  [['bench', 'nosuite'], /unknown suite nosuite/],
  [['bench', '--quick', '--json', '--compare', 'x.json'], /with --json only the JSON/],
  [['stress', '--iteration', '5'], /Unknown option '--iteration'/],
  [['stress', '--iterations', 'lots'], /--iterations must be an integer/],
  [['stress', '--shard', '3/2'], /--shard takes i\/n/],
  [['stress', '--scenario', 'S99'], /unknown scenario S99/],
  [['stress', '--fault', 'nofault'], /unknown fault nofault/],
  [['stress', 'explore', '--preemptions', '-1'], /--preemptions/],
  [['stress', 'shrink'], /missing FILE/],
  [['stress', 'mutate', '--mutation', 'nope', '--budget', '1'], /unknown mutation nope/],
  [['mount', '/tmp'], /missing <hostDir> <mountpoint>/],
  [['mount', '/tmp', '/mnt', '--flavor', 'bsd'], /--flavor must be one of linux, vbox-7.0, vbox-trunk/],
  [['mount', '/tmp', '/mnt', '--host-delay=-5'], /--host-delay must be an integer from 0 to 600000/],
  [['mount', '/tmp', '/mnt', '--vcpus', '99'], /--vcpus must be an integer from 1 to 64/],
  [['mount', '/no/such/directory', '/mnt'], /\/no\/such\/directory is not a directory/],
])('hgcm %j is a usage error: exit 2, the usage on stderr, nothing on stdout', async (argv, message) => {
  const r = await hgcm(argv);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(message);
  expect(r.err).toMatch(/\n\nusage: hgcm /);
  expect(r.err).not.toMatch(/^\s+at /m);
  expect(r.out).toBe('');
});

test('an unknown command is a usage error on stderr; no command and -h print the list; --version', async () => {
  const nope = await hgcm(['nope']);
  expect(nope.code).toBe(2);
  expect(nope.out).toBe('');
  expect(nope.err).toMatch(/no command "nope"[\s\S]*hgcm demo[\s\S]*hgcm trace[\s\S]*hgcm fsx/);
  for (const argv of [[], ['-h'], ['--help']]) {
    const r = await hgcm(argv);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: hgcm <command>/);
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const v = await hgcm(['--version']);
  expect(v.code).toBe(0);
  expect(v.out).toBe(`hgcm-runtime ${pkg.version}`);
});
