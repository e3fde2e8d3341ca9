// npm run build: dist/ from scratch (src/, bench/ and stress/ compiled by tsc), so nothing a former build
// left (a renamed module, an old source map) is packed. dist/stress is for `hgcm stress` from a checkout's
// dist/ (package.json's files leave it out of the package, as the harness's sources are).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('..', import.meta.url);
rmSync(new URL('dist', root), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
