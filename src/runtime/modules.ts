// Guest program and service modules named by a library user: where a reference points (resolved against
// the caller, never against this library's files) and how a thread imports one, TypeScript included.
// Runs on any thread: the main thread (service init), vCPU workers (guest programs), pool workers and the
// device (services).
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from './errors.js';

/** A URL scheme ("file:", "data:", "node:"); a Windows drive letter ("C:\") is a path, not a scheme. */
const SCHEME = /^[a-z][a-z0-9+.-]+:/i;

/**
 * The href of a module reference as a caller means it: a URL (or a URL string such as "file:…",
 * "data:…") as is; an absolute path; any other string a path relative to the current directory (as a
 * shell argument is). A package's module is named by its URL: `import.meta.resolve('pkg/guest.js')`.
 */
export function moduleHref(ref: string | URL): string {
  if (ref instanceof URL) return ref.href;
  if (typeof ref !== 'string' || ref.length === 0)
    throw new ConfigError(`a module reference is a URL or a path, not ${JSON.stringify(ref)}`);
  if (SCHEME.test(ref)) return ref;
  return pathToFileURL(path.resolve(ref)).href;
}

/**
 * URL of the module `relative` (without its extension) beside the module at `base` (an import.meta.url):
 * a .ts one from source, a .js one built. For guest programs and workers that ship with the code.
 */
export function besideModule(base: string, relative: string): URL {
  if (!base.endsWith('.ts')) return new URL(`${relative}.js`, base);
  const url = new URL(`${relative}.ts`, base);
  const copy = testBuildCopy(url.href);
  return copy === undefined ? url : new URL(copy);
}

/**
 * The tests' switch (scripts/test-build.mjs writes the copies, vitest.config.ts sets it): the source root
 * and a tree of JavaScript copies of its .ts modules in the same layout, joined by path.delimiter.
 */
export const TEST_BUILD_VAR = 'HGCM_RUNTIME_TEST_BUILD';

/**
 * Tests only: the href of the JavaScript copy of a .ts module under the test build's source root, or
 * undefined (switch off, another module, no copy). Read at each call, not once: the process's environment
 * is what a worker inherits, and a test turns the switch off to start a Machine from source.
 */
export function testBuildCopy(href: string): string | undefined {
  const roots = testBuildRoots();
  if (roots === undefined || !href.startsWith('file:') || !isTypeScriptModule(href)) return undefined;
  const rel = inside(roots.source, fileURLToPath(href.split(/[?#]/)[0]!));
  if (rel === undefined) return undefined;
  const copy = path.join(roots.built, rel.replace(/\.([cm]?)tsx?$/, '.$1js'));
  return fs.existsSync(copy) ? pathToFileURL(copy).href : undefined;
}

/** The test build's source and built roots, when the switch is on. */
function testBuildRoots(): { source: string; built: string } | undefined {
  const [source, built] = (process.env[TEST_BUILD_VAR] ?? '').split(path.delimiter);
  return source && built ? { source, built } : undefined;
}

/** `file` relative to `dir` when it lies inside it. */
function inside(dir: string, file: string): string | undefined {
  const rel = path.relative(dir, file);
  return rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)
    ? undefined
    : rel;
}

/**
 * Does this module run from the test build? Only such a thread takes copies: a thread running dist/ (a
 * process the tests start as a user would) must not load a test-build copy beside its own runtime.
 */
function inTestBuild(): boolean {
  const roots = testBuildRoots();
  return roots !== undefined && inside(roots.built, fileURLToPath(import.meta.url)) !== undefined;
}

/** Does the href name a TypeScript module (.ts, .mts, .cts, .tsx)? */
export function isTypeScriptModule(href: string): boolean {
  return /\.[cm]?tsx?$/.test(href.split(/[?#]/)[0]!);
}

/** Set by ts-boot.mjs in workers it starts: tsx's hooks are registered on that thread already. */
const TSX_MARK = Symbol.for('hgcm-runtime.tsx');

let tsxHooks: Promise<boolean> | undefined;

/**
 * Register tsx's ESM hooks on this thread once (Node 20 applies no loader hooks inside workers, so each
 * thread that imports a .ts module registers its own). False when tsx cannot be imported from here.
 */
function tsxOnThisThread(): Promise<boolean> {
  // SAFETY: reading a symbol-keyed global; anything but `true` means not set.
  if ((globalThis as Record<symbol, unknown>)[TSX_MARK] === true) return Promise.resolve(true);
  tsxHooks ??= import('tsx/esm/api').then(
    (m: { register(): unknown }) => {
      m.register();
      return true;
    },
    () => false,
  );
  return tsxHooks;
}

/**
 * Import a module by href on this thread. A TypeScript module is imported through tsx, registered here
 * first; without tsx that is a ConfigError saying what to do (Node 20 itself cannot import .ts, and after a
 * failed attempt its loader keeps the failure, so hooks must be in place before the first import).
 */
export async function importModule(href: string, what: string): Promise<Record<string, unknown>> {
  // Tests: a thread running the test build takes the test build's copy of a source module, so that the
  // module and the runtime it imports are one copy each on this thread (and tsx is not needed here).
  if (inTestBuild()) href = testBuildCopy(href) ?? href;
  const ts = isTypeScriptModule(href);
  // The main thread of a program run under tsx imports TypeScript without our help.
  if (ts && !(await tsxOnThisThread()) && !isMainThread) throw tsxMissing(href, what);
  try {
    return (await import(href)) as Record<string, unknown>;
  } catch (e) {
    if (ts && (e as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION') throw tsxMissing(href, what);
    throw e;
  }
}

function tsxMissing(href: string, what: string): ConfigError {
  return new ConfigError(
    `${what} ${href} is TypeScript, and tsx cannot be imported where hgcm-runtime is installed: ` +
      'install it in your project (npm install --save-dev tsx) or compile the module to JavaScript',
  );
}
