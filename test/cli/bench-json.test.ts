// The benchmark flow a user follows: `--compare` reads the file `hgcm bench --json > run.json` wrote,
// tolerates what npm prints before it, and says clearly what is wrong with any other file, before
// measuring anything. (That the file holds nothing but the JSON, the docs test shows: docs/bench.md runs
// `npx hgcm bench --quick peers --json > peers.json` and require()s it, and the README compares against
// its run.json.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readRun } from '../../bench/cli.js';
import { UsageError } from '../../src/cli/kit/args.js';
import { mainCli } from '../../src/cli/main.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hgcm-bench-json-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('--compare tolerates an npm banner before the JSON', () => {
  const file = path.join(dir, 'run.json');
  const run = {
    info: { date: '2026-12-06T00:00:00.000Z' },
    rows: [{ id: 'peers.comlink', label: 'comlink call' }],
  };
  fs.writeFileSync(
    file,
    `\n> hgcm-runtime@0.1.0 bench\n> node dist/src/cli/hgcm.js bench --json\n\n${JSON.stringify(run, null, 2)}\n`,
  );
  expect(readRun(file).rows[0]!.id).toBe('peers.comlink');
});

test.each([
  ['missing', undefined, /cannot read .*missing\.json: ENOENT/],
  [
    'not JSON',
    'suite limit: raw doorbell round trips\n',
    /is not the JSON of a run \(hgcm bench --json > .* writes one\)/,
  ],
  ['truncated', '{"info": {"date": "x"}, "rows": [', /is not the JSON of a run/],
  ['another JSON', '{"traceEvents": []}', /is JSON but not a run of hgcm bench --json/],
  ['rows without ids', '{"info": {"date": "x"}, "rows": [{"label": "a"}]}', /is JSON but not a run/],
])(
  '--compare with a %s file is a usage error that says so, before any suite runs',
  async (name, content, message) => {
    const file = path.join(dir, name === 'missing' ? 'missing.json' : 'bad.json');
    if (content !== undefined) fs.writeFileSync(file, content);
    expect(() => readRun(file)).toThrow(UsageError);
    const out: string[] = [];
    const err: string[] = [];
    const code = await mainCli(['bench', '--compare', file, 'hgcm'], {
      out: (l) => void out.push(l),
      err: (l) => void err.push(l),
    });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(err.join('\n')).not.toMatch(/^suite /m);
    expect(err.join('\n')).not.toMatch(/^\s+at /m);
    expect(out).toEqual([]);
  },
);
