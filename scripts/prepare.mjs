// npm's prepare step (npm ci, npm install, npm pack in a checkout): build dist/. TypeScript is a dev
// dependency, so `npm ci --omit=dev` has no compiler: say so and succeed, rather than fail the install.
import { createRequire } from 'node:module';

try {
  createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.error(
    'hgcm-runtime: dist/ not built (TypeScript is a dev dependency and was omitted); `npm ci` builds it',
  );
  process.exit(0);
}
await import('./build.mjs');
