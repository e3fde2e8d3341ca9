// What the `hgcm` command knows about its own package: the version (--version), the repository (where the
// checkout-only harness lives) and the root directory (from which a checkout's stress/ is found). Read
// from the package.json above this file, in a checkout (src/ or dist/) or an installed package alike.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fields of package.json the command uses. */
export interface PackageInfo {
  readonly root: string;
  readonly name: string;
  readonly version: string;
  /** The repository's web address, without a trailing ".git". */
  readonly repository: string;
}

let cached: PackageInfo | undefined;

/** The package this file belongs to. */
export function packageInfo(): PackageInfo {
  if (cached !== undefined) return cached;
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as {
        name?: string;
        version?: string;
        repository?: string | { url?: string };
      };
      if (pkg.name === 'hgcm-runtime') {
        const repo = typeof pkg.repository === 'string' ? pkg.repository : (pkg.repository?.url ?? '');
        cached = {
          root: dir,
          name: pkg.name,
          version: pkg.version ?? '0.0.0',
          repository: repo.replace(/^git\+/, '').replace(/\.git$/, ''),
        };
        return cached;
      }
    }
    if (path.dirname(dir) === dir) throw new Error('hgcm: the package.json of hgcm-runtime was not found');
  }
}
