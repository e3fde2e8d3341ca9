// The command line's edge: bad options and values end with a message and the usage (exit 2), never a
// stack trace or a machine started with NaN; --help prints a command's usage.
import { afterEach, expect, test, vi } from 'vitest';
import { mainCli } from '../../src/cli/main.js';

const out: string[] = [];
const err: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  out.length = 0;
  err.length = 0;
});
function capture(): void {
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
}

test.each([
  [['demo', '--vcpus', '0'], /--vcpus must be an integer from 1 to 64 \(got "0"\)/],
  [['demo', '--ops', '1e3'], /--ops must be an integer/],
  [['demo', '--frob'], /Unknown option '--frob'/],
  [['trace', '--bytes', 'x'], /--bytes must be an integer from 0 to 16777216/],
  [['trace', 'rename'], /unknown operation rename/],
  [['fsx', '--io', 'bad'], /--io must be one of linaddr, pagelist, nobounce, mixed/],
  [['fsx', '--seed=-1'], /--seed must be an integer from 0/],
  [['mount', '/tmp'], /a host directory and a mount point are required/],
  [['mount', '/tmp', '/mnt', '--flavor', 'bsd'], /--flavor must be one of linux, vbox-7.0, vbox-trunk/],
  [['mount', '/tmp', '/mnt', '--host-delay=-5'], /--host-delay must be an integer from 0 to 600000/],
  [['mount', '/tmp', '/mnt', '--vcpus', '99'], /--vcpus must be an integer from 1 to 64/],
  [['mount', '/no/such/directory', '/mnt'], /\/no\/such\/directory is not a directory/],
])('hgcm %j is a usage error', async (argv, message) => {
  capture();
  expect(await mainCli(argv)).toBe(2);
  expect(err.join('\n')).toMatch(message);
});

test('--help prints the usage of that command; an unknown command lists them all', async () => {
  capture();
  expect(await mainCli(['fsx', '--help'])).toBe(0);
  expect(out.join('\n')).toMatch(/^usage: hgcm fsx .*--io linaddr\|pagelist\|nobounce\|mixed/);
  out.length = 0;
  expect(await mainCli(['nope'])).toBe(2);
  expect(out.join('\n')).toMatch(/hgcm demo[\s\S]*hgcm fsx[\s\S]*hgcm trace/);
  out.length = 0;
  expect(await mainCli([])).toBe(0);
});
