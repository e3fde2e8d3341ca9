// The commands around a mount: `hgcm mount` in the foreground ends on SIGINT by unmounting and printing the
// mount's statistics; `hgcm trace fuse` shows the path of a real program's requests down to the host file.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { traceFuse } from '../../src/cli/trace-fuse.js';
import { isMounted } from '../../src/fuse/index.js';
import { cannotRun, startCliMount } from './mounted.js';

const skip = cannotRun('sh');

describe.skipIf(skip !== undefined)(
  `hgcm mount and hgcm trace fuse${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    test('hgcm mount: SIGINT unmounts and prints the statistics', async () => {
      const { host, mp, cli, cleanup } = await startCliMount();
      try {
        fs.writeFileSync(join(mp, 'hello.txt'), 'hello\n');
        expect(fs.readFileSync(join(host, 'hello.txt'), 'utf8')).toBe('hello\n');
        process.kill(cli.pid, 'SIGINT');
        const r = await cli.done;
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toContain(`mounted ${mp}`);
        expect(r.stdout).toContain(`unmounted ${mp}: unmounted`);
        expect(r.stdout).toMatch(/requests +\d+ \(.*CREATE 1\b/);
        expect(r.stdout).toMatch(/requests +\d+ \(.*WRITE 1\b/);
        expect(r.stdout).toMatch(/calls by outcome \d+ calls: \d+ completed, 0 cancelled, 0 leaked/);
        expect(r.stdout).toMatch(/host: 0 handles open, 0 commands pending/);
        expect(isMounted(mp)).toBe(false);
      } finally {
        cleanup();
      }
    });

    test('hgcm trace fuse: echo hi > $M/x, from the FUSE request to the host write', async () => {
      const lines: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
      const out = join('/tmp', `hgcm-trace-fuse-test-${process.pid}.json`);
      try {
        expect(await traceFuse({ cmd: 'echo hi > "$M/x"', out, points: false })).toBe(0);
        const text = lines.join('\n');
        for (const step of [
          'FUSE_LOOKUP',
          'FUSE_CREATE',
          'FUSE_WRITE',
          'vboxCallCreate',
          'vboxCallWrite',
          'VbglR0GRPerform',
          'svcCall SHFL_FN_WRITE',
          'vbsfWrite',
          'RTFileWrite (3 bytes)',
        ])
          expect(text).toContain(step);
        expect(JSON.parse(fs.readFileSync(out, 'utf8')).traceEvents.length).toBeGreaterThan(10);
      } finally {
        fs.rmSync(out, { force: true });
      }
    });
  },
);
