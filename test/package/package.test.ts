// The package as a user gets it, and the docs as a newcomer follows them. The package is packed (npm pack)
// and installed into a fresh project without dev dependencies, from the tarball and the local npm cache
// (offline; the registry only if the cache lacks a dependency); the README's and docs/' runnable blocks
// then run as written, in that project or in one using this checkout (for what needs the dev tools).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  blocks,
  checkCommands,
  docFiles,
  relativeLinks,
  tableRows,
  type Block,
  type Context,
} from './docs.js';

const root = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  license: string;
  bin: Record<string, string>;
  repository?: { url?: string };
  dependencies: Record<string, string>;
  scripts: Record<string, string>;
};
const npm = (args: string[], cwd: string): { status: number; stdout: string; stderr: string } => {
  const r = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
    },
  });
  return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
};

let work: string;
/** What npm would publish: its file list, and what it warned about. */
let packed: { files: string[]; warnings: string };
/** Projects the docs run in, by context. */
const projects: Record<Context, string> = { package: '', checkout: '' };

/** A lockfile for a project depending on the tarball: our lockfile's runtime entries, so npm ci finds every
 * dependency in the cache by its integrity, with no registry metadata. */
function lockFor(tarball: string): object {
  const ours = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const runtime = Object.entries(ours.packages).filter(([k, v]) => k !== '' && v.dev !== true);
  const spec = `file:${tarball}`;
  return {
    name: 'user-project',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'user-project', dependencies: { [pkg.name]: spec } },
      [`node_modules/${pkg.name}`]: {
        version: pkg.version,
        resolved: spec,
        license: pkg.license,
        dependencies: pkg.dependencies,
        // npm links a dependency's executables from what the lockfile records.
        bin: pkg.bin,
      },
      ...Object.fromEntries(runtime),
    },
  };
}

/** npm ci without dev dependencies, from the cache alone if it can; the registry only for what it lacks. */
function installOffline(dir: string): void {
  let r = npm(['ci', '--omit=dev', '--offline'], dir);
  if (r.status !== 0 && /ENOTCACHED/.test(r.stderr)) r = npm(['ci', '--omit=dev', '--prefer-offline'], dir);
  if (r.status !== 0) throw new Error(`npm ci failed in ${dir}:\n${r.stdout}\n${r.stderr}`);
}

/** A project whose node_modules links this checkout (and its dev tools), as a checkout's user has them. */
function checkoutProject(dir: string): void {
  const nm = path.join(dir, 'node_modules');
  fs.mkdirSync(path.join(nm, '.bin'), { recursive: true });
  fs.mkdirSync(path.join(nm, '@types'));
  fs.symlinkSync(root, path.join(nm, pkg.name));
  for (const dep of ['tsx', 'typescript'])
    fs.symlinkSync(path.join(root, 'node_modules', dep), path.join(nm, dep));
  fs.symlinkSync(path.join(root, 'node_modules/@types/node'), path.join(nm, '@types/node'));
  const shim = (name: string, target: string): void => {
    fs.writeFileSync(path.join(nm, '.bin', name), `#!/bin/sh\nexec node ${JSON.stringify(target)} "$@"\n`);
    fs.chmodSync(path.join(nm, '.bin', name), 0o755);
  };
  shim('hgcm', path.join(root, pkg.bin.hgcm!));
  shim('tsx', path.join(root, 'node_modules/tsx/dist/cli.mjs'));
  shim('tsc', path.join(root, 'node_modules/typescript/bin/tsc'));
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'checkout-user', type: 'module', private: true }),
  );
}

/** A fresh directory for one doc in one context: the context's node_modules, ESM by default. */
function docDir(doc: string, context: Context): string {
  const dir = path.join(work, 'docs', `${doc.replace(/[/.]/g, '-')}-${context}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(path.join(projects[context], 'node_modules'), path.join(dir, 'node_modules'));
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'docs-user', type: 'module', private: true }),
  );
  return dir;
}

/** Run a shell block as written; its stdout. */
function runShell(b: Block, cwd: string, doc: string): string {
  const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', b.body], {
    cwd,
    encoding: 'utf8',
    // npx must find the local `hgcm` and never ask a registry for it.
    env: { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' },
    timeout: 240_000,
  });
  expect(r.status, `${doc}:${b.line} failed:\n${b.body}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'hgcm-package-test-'));
  const dry = npm(['publish', '--dry-run', '--offline', '--ignore-scripts', '--json'], root);
  const json = JSON.parse(dry.stdout) as Record<string, { files: { path: string }[] }>;
  packed = { files: json[pkg.name]!.files.map((f) => f.path), warnings: dry.stderr };
  const tar = npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', work], root);
  expect(tar.status, tar.stderr).toBe(0);
  const tarball = path.join(work, tar.stdout.trim().split('\n').pop()!);
  projects.package = path.join(work, 'package-user');
  fs.mkdirSync(projects.package);
  fs.writeFileSync(
    path.join(projects.package, 'package.json'),
    JSON.stringify({
      name: 'user-project',
      private: true,
      type: 'module',
      dependencies: { [pkg.name]: `file:${tarball}` },
    }),
  );
  fs.writeFileSync(path.join(projects.package, 'package-lock.json'), JSON.stringify(lockFor(tarball)));
  installOffline(projects.package);
  projects.checkout = path.join(work, 'checkout-user');
  fs.mkdirSync(projects.checkout);
  checkoutProject(projects.checkout);
}, 240_000);

afterAll(() => {
  if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
});

describe('the package', () => {
  test('the tarball: dist/src and dist/bench, docs, LICENSE; no source maps, sources, tests or harness; nothing npm corrects', () => {
    const files = new Set(packed.files);
    for (const f of [
      'LICENSE',
      'README.md',
      'ARCHITECTURE.md',
      'package.json',
      'dist/src/index.js',
      'dist/src/index.d.ts',
    ])
      expect(files, f).toContain(f);
    expect(files).toContain('dist/bench/cli.js');
    expect(files).toContain(pkg.bin.hgcm);
    for (const doc of docFiles(root)) expect(files, doc).toContain(doc);
    // (dist/stress is the harness built for a checkout's `hgcm stress`: not shipped, as stress/ is not.)
    const stray = packed.files.filter(
      (f) => f.endsWith('.map') || /\.test\.|^src\/|^test\/|^stress\/|^dist\/stress\//.test(f),
    );
    expect(stray).toEqual([]);
    expect(packed.warnings).not.toMatch(/auto-corrected|errors corrected|invalid and removed/);
    expect(Object.values(pkg.bin).every((b) => !b.startsWith('./'))).toBe(true);
    expect(pkg.license).toBe('MIT');
    expect(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License[\s\S]*hgcm-runtime/);
    expect(pkg.repository?.url).toMatch(/^git\+https:\/\/github\.com\/.+\.git$/);
    // tinybench is a dependency because the shipped benchmark imports it.
    expect(pkg.dependencies).toHaveProperty('tinybench');
    expect(fs.readFileSync(path.join(root, 'dist/bench/measure.js'), 'utf8')).toMatch(/from 'tinybench'/);
  });

  test('every relative link in the shipped Markdown leads to a shipped file', () => {
    const files = new Set(packed.files);
    const broken: string[] = [];
    for (const md of packed.files.filter((f) => f.endsWith('.md'))) {
      for (const link of relativeLinks(fs.readFileSync(path.join(root, md), 'utf8'))) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(md), link));
        if (!files.has(target)) broken.push(`${md} -> ${link}`);
      }
    }
    expect(broken).toEqual([]);
  });

  test('installed without dev dependencies: hgcm runs, and hgcm stress says where the harness is', () => {
    const hgcm = (args: string[]): { status: number; stdout: string; stderr: string } => {
      const r = spawnSync(path.join(projects.package, 'node_modules/.bin/hgcm'), args, { encoding: 'utf8' });
      return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    };
    expect(fs.existsSync(path.join(projects.package, 'node_modules/tsx'))).toBe(false);
    expect(hgcm(['--version']).stdout.trim()).toBe(`hgcm-runtime ${pkg.version}`);
    const help = hgcm(['stress', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/runs from a checkout of the repository/);
    expect(help.stdout).toContain(pkg.repository!.url!.replace(/^git\+/, '').replace(/\.git$/, ''));
    const run = hgcm(['stress']);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/runs from a checkout/);
    expect(hgcm(['--help']).stdout).toMatch(/hgcm stress .*\n.*not in the package/);
  });

  test('a TypeScript guest or service: a clear ConfigError without tsx, and working with it', () => {
    const dir = docDir('typescript', 'package');
    fs.writeFileSync(
      path.join(dir, 'guest.ts'),
      'export function main(_g: unknown, args: { n: number }): number {\n  return args.n * 2;\n}\n',
    );
    fs.writeFileSync(
      path.join(dir, 'svc.ts'),
      "import { defineService, Status } from 'hgcm-runtime/service';\nexport default defineService({ call: (): number => Status.VINF_SUCCESS });\n",
    );
    const script = (ext: string): string =>
      `import { ConfigError, Machine } from 'hgcm-runtime';
const m = await Machine.start({ vcpus: 1, hostWorkers: 1 });
try {
  console.log('guest', await m.run({ module: './guest.ts', args: { n: 21 } }));
} catch (e) {
  console.log('guest', e instanceof ConfigError, e.message);
}
await m.stop();
try {
  const s = await Machine.start({ vcpus: 1, hostWorkers: 1, services: [{ name: 'svc', module: './svc.ts' }] });
  await s.stop();
  console.log('service ok');
} catch (e) {
  console.log('service', e instanceof ConfigError, e.message);
}
// ${ext}
`;
    fs.writeFileSync(path.join(dir, 'main.mjs'), script('js'));
    const plain = spawnSync(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(plain.stdout).toMatch(
      /^guest true guest module file:.*guest\.ts is TypeScript.*npm install --save-dev tsx/m,
    );
    expect(plain.stdout).toMatch(/^service true service module file:.*svc\.ts is TypeScript/m);
    const tsx = path.join(projects.package, 'node_modules/tsx');
    fs.symlinkSync(path.join(root, 'node_modules/tsx'), tsx);
    try {
      fs.writeFileSync(path.join(dir, 'main.ts'), script('ts'));
      const under = spawnSync(process.execPath, ['--import', 'tsx', 'main.ts'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(under.stdout, under.stderr).toBe('guest 42\nservice ok\n');
    } finally {
      fs.rmSync(tsx);
    }
  }, 240_000);

  test('npm ci --omit=dev in a checkout gets past prepare (no TypeScript to build with: it says so)', () => {
    const dir = path.join(work, 'omit-dev-checkout');
    fs.mkdirSync(path.join(dir, 'scripts'), { recursive: true });
    for (const f of ['package.json', 'package-lock.json', 'scripts/prepare.mjs', 'scripts/build.mjs'])
      fs.copyFileSync(path.join(root, f), path.join(dir, f));
    installOffline(dir);
    expect(fs.existsSync(path.join(dir, 'node_modules/typescript'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'node_modules/piscina'))).toBe(true);
  }, 120_000);
});

describe('the docs, run as written', () => {
  test('the README is short: what it is, the two commands, a traced call, one example, links', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(readme.length).toBeLessThan(8000);
    expect(readme).toMatch(/```sh\nnpm ci && npm start .*\nnpm test /);
    expect(readme).toContain('VbglR0HGCMCall');
    for (const doc of docFiles(root).filter((d) => d.startsWith('docs/')))
      expect(readme).toContain(`](${doc})`);
  });

  test.each(docFiles(root))(
    '%s',
    (doc) => {
      const all = blocks(fs.readFileSync(path.join(root, doc), 'utf8'));
      const dirs = new Map<Context, string>();
      const dirOf = (c: Context): string => {
        if (!dirs.has(c)) dirs.set(c, docDir(doc, c));
        return dirs.get(c)!;
      };
      const typescript: string[] = [];
      for (const b of all) {
        const where = `${doc}:${b.line}`;
        if (b.runnable === undefined) {
          // Not run: shell commands are checked, code is not allowed to go unrun.
          expect(['js', 'ts', 'mjs'], `${where}: an example that no test runs`).not.toContain(b.lang);
          if (b.lang === 'sh') expect(checkCommands(b.body, pkg.scripts), where).toEqual([]);
          continue;
        }
        const dir = dirOf(b.runnable);
        if (b.file !== undefined) {
          fs.writeFileSync(path.join(dir, b.file), b.body);
          if (b.file.endsWith('.ts')) typescript.push(b.file);
          continue;
        }
        expect(b.lang, where).toBe('sh');
        const stdout = runShell(b, dir, doc);
        if (b.expected !== undefined)
          expect(tableRows(stdout.split('\n')), where).toEqual(tableRows(b.expected));
      }
      // TypeScript examples also compile under strict settings, against the package's declarations.
      if (typescript.length > 0) {
        const dir = dirOf('checkout');
        const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
        const flags = [
          '--noEmit',
          '--strict',
          '--target',
          'es2022',
          '--module',
          'nodenext',
          '--lib',
          'es2023,esnext.disposable',
          '--types',
          'node',
          '--noUncheckedIndexedAccess',
        ];
        const r = spawnSync(process.execPath, [tsc, ...flags, ...typescript], { cwd: dir, encoding: 'utf8' });
        expect(r.status, `${doc}: tsc\n${r.stdout}${r.stderr}`).toBe(0);
      }
    },
    600_000,
  );
});
