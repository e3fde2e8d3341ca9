// hgcm demo --add-share NAME=DIR: the host adds a share while the guests run the workload; the summary says
// what it got (its root id), every invariant still holds, and a malformed value is a usage error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, vi } from 'vitest';
import { mainCli } from '../../src/cli/main.js';

test('hgcm demo --add-share: added mid-run, listed, all invariants pass', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hgcm-late-'));
  const trace = join(tmpdir(), `hgcm-demo-late-${process.pid}.json`);
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    const code = await mainCli(['demo', '--ops', '200', '--trace', trace, '--add-share', `late=${dir}`]);
    const out = lines.join('\n');
    expect(code, out).toBe(0);
    expect(out).toMatch(new RegExp(`shares +added late -> ${dir} \\(root 1\\) at \\d+ ops`));
    expect(out).toContain('shares now: share (root 0, mapped');
    expect(out).toContain('late (root 1, mapped 0)');
    expect(out).toContain('All invariant checks passed.');
  } finally {
    log.mockRestore();
    rmSync(dir, { recursive: true, force: true });
    rmSync(trace, { force: true });
  }
}, 120_000);

test('hgcm demo --add-share without NAME=DIR is a usage error', async () => {
  const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    expect(await mainCli(['demo', '--add-share', 'nodir'])).toBe(2);
    expect(err.mock.calls.flat().join(' ')).toContain('--add-share must be NAME=DIR');
  } finally {
    err.mockRestore();
  }
});
