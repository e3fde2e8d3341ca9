// Before the tests: build dist/ if any source is newer than it. Tests that run `hgcm` as a user does (a
// process of its own, the packed package) run the built code; CI builds it in `npm ci` already, so there
// this finds nothing to do.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

/** Newest modification time under `dir` (files only). */
function newest(dir: string): number {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    t = Math.max(t, fs.statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const built = path.join(root, 'dist/src/index.js');
  const sources = Math.max(
    newest(path.join(root, 'src')),
    newest(path.join(root, 'bench')),
    newest(path.join(root, 'stress')),
    ...['package.json', 'tsconfig.json', 'tsconfig.build.json'].map(
      (f) => fs.statSync(path.join(root, f)).mtimeMs,
    ),
  );
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs >= sources) return;
  execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
}
