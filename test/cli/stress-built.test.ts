// `hgcm stress` from dist/ runs the harness built beside the CLI only while that build is current: a
// source of the harness or of the protocol changed since (a .ts file under stress/ or src/ newer than the
// built entry) sends it back to the sources, as the command always ran them. Real files in a temporary
// checkout-shaped tree, their times set explicitly.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { builtIsCurrent } from '../../src/cli/stress.js';

let root = '';
let built = '';
const T0 = new Date('2026-01-01T00:00:00Z');
const LATER = new Date('2026-01-01T00:01:00Z');

/** Write `rel` under the tree with modification time `at`. */
function file(rel: string, at: Date): string {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, '');
  fs.utimesSync(p, at, at);
  return p;
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'hgcm-stress-built-'));
  file('src/vcpu/guest-lib.ts', T0);
  file('stress/oracle/monitor.ts', T0);
  built = file('dist/stress/cli.js', LATER);
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

test('a build newer than every source is current', () => {
  expect(builtIsCurrent(built, root)).toBe(true);
});

test('no build: not current', () => {
  fs.rmSync(built);
  expect(builtIsCurrent(built, root)).toBe(false);
});

test('a harness source changed since the build, however deep: not current', () => {
  file('stress/oracle/monitor.ts', new Date(LATER.getTime() + 1000));
  expect(builtIsCurrent(built, root)).toBe(false);
});

test('a protocol source changed since the build: not current', () => {
  file('src/vcpu/guest-lib.ts', new Date(LATER.getTime() + 1000));
  expect(builtIsCurrent(built, root)).toBe(false);
});

test('only .ts sources count: a newer baseline or Markdown file leaves the build current', () => {
  file('stress/baseline/coverage.json', new Date(LATER.getTime() + 1000));
  file('stress/README.md', new Date(LATER.getTime() + 1000));
  expect(builtIsCurrent(built, root)).toBe(true);
});
