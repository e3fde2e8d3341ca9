// `hgcm stress`: the cancel-race stress harness. It lives in stress/ at the repository's root, outside the
// published package (it is a development tool, like the tests), so this runs it from a checkout: straight
// from source under tsx or vitest, and from dist/ as built beside the CLI (dist/stress, `npm run build`;
// without that build, or older than the sources, from source by registering tsx, a dev dependency,
// first). Installed from the package, it says where the harness is.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Delegate, type Io } from './kit/index.js';
import { packageInfo } from './package-info.js';

/** The harness module's entry point. */
interface StressModule {
  stressMain(argv: readonly string[], out: Io['out'], err: Io['err']): Promise<number>;
}

/** How to get the harness, for a user of the package. */
function checkoutOnly(): string {
  const { repository } = packageInfo();
  return [
    'hgcm stress is the cancel-race stress harness. It runs from a checkout of the repository, not from',
    'the installed package:',
    '',
    `  git clone ${repository}.git && cd hgcm-runtime && npm ci`,
    '  npx hgcm stress --help',
    '',
    `What it does and how to use it: ${repository}/blob/main/docs/stress.md`,
  ].join('\n');
}

/** Whether the built harness `built` exists and no .ts file under src/ or stress/ of `root` is newer. */
export function builtIsCurrent(built: string, root: string): boolean {
  let at: number;
  try {
    at = statSync(built).mtimeMs;
  } catch {
    return false;
  }
  for (const dir of ['src', 'stress']) {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith('.ts') && statSync(path.join(e.parentPath, e.name)).mtimeMs > at)
        return false;
    }
  }
  return true;
}

/** `hgcm stress ...`: the harness's own command line (stress/cli.ts), when there is a checkout. */
export const stressCommand: Delegate = {
  summary: 'the cancel-race stress harness (from a checkout of the repository; not in the package)',
  usage: 'hgcm stress [run|explore|replay|shrink|mutate] [options]',
  async run(argv, io) {
    const root = packageInfo().root;
    const entry = path.join(root, 'stress', 'cli.ts');
    if (!existsSync(entry)) {
      const help = argv.includes('--help') || argv.includes('-h');
      (help ? io.out : io.err)(checkoutOnly());
      return help ? 0 : 1;
    }
    let harness = entry;
    if (!import.meta.url.endsWith('.ts')) {
      // Built, the harness runs as the CLI does: plain JavaScript, the protocol modules shared with
      // dist/src. (Through tsx, the default campaign ran ~7% slower: its transform names every closure at
      // run time.) A build older than a source of the harness or the protocol is passed over: this command
      // has always run the checkout's harness as it is.
      const built = fileURLToPath(new URL('../../stress/cli.js', import.meta.url));
      if (builtIsCurrent(built, root)) harness = built;
      else {
        try {
          (await import('tsx/esm/api')).register();
        } catch {
          io.err('hgcm stress needs the dev dependencies (tsx): run npm ci in the checkout');
          return 1;
        }
      }
    }
    // SAFETY: stress/cli.ts (built: dist/stress/cli.js) exports stressMain with this signature.
    const mod = (await import(pathToFileURL(harness).href)) as StressModule;
    return mod.stressMain(argv, io.out, io.err);
  },
};
