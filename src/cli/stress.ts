// `hgcm stress`: the cancel-race stress harness. The harness lives in stress/ at the repository's root
// (outside src/ and the published package), so this loads it from a checkout: straight from source under
// tsx or vitest, and from dist/ by registering tsx first (a dev dependency).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The harness module's entry point. */
interface StressModule {
  stressMain(argv: readonly string[]): Promise<number>;
}

/** Run `hgcm stress ...`; returns the process exit code. */
export async function stress(argv: readonly string[]): Promise<number> {
  const entry = new URL('../../stress/cli.ts', import.meta.url);
  if (!existsSync(fileURLToPath(entry))) {
    console.error(
      'hgcm stress runs from a checkout of hgcm-runtime: the harness (stress/) is not in the package',
    );
    return 2;
  }
  if (!import.meta.url.endsWith('.ts')) {
    try {
      (await import('tsx/esm/api')).register();
    } catch {
      console.error('hgcm stress needs the dev dependencies (tsx): run npm ci in the checkout');
      return 2;
    }
  }
  // SAFETY: stress/cli.ts exports stressMain with this signature.
  const mod = (await import(entry.href)) as StressModule;
  return mod.stressMain(argv);
}
