// The test build: every .ts module of src/, test/, stress/ and bench/ transformed to JavaScript, in the
// same layout under node_modules/.cache/hgcm-runtime/test-build, for the worker threads the tests start.
// From source, each thread a Machine starts (device, every vCPU, every pool worker) registered tsx on its
// own (Node 20 applies no loader hooks to workers): about 2 s of CPU per Machine, and the suite starts over
// a hundred. With HGCM_RUNTIME_TEST_BUILD set (vitest.config.ts, the 'threads' project), those threads run
// these copies instead (src/runtime/modules.ts). The transform is esbuild's, with the options tsx itself
// uses, so the threads run the same code tsx would have given them; no type check here (tsc does that).
// Incremental: a copy is rewritten only when its source is newer; a copy whose source is gone is removed.
// Run by the tests' global setup; `node scripts/test-build.mjs` does it by hand.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { transform } from 'esbuild';

/** The checkout this script belongs to. */
export const SOURCE_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');
/** Where the copies go. */
export const BUILT_ROOT = path.join(SOURCE_ROOT, 'node_modules/.cache/hgcm-runtime/test-build');
/** The environment variable the runtime reads (src/runtime/modules.ts): source root, then built root. */
export const TEST_BUILD_VAR = 'HGCM_RUNTIME_TEST_BUILD';
/** Its value for this checkout. */
export const TEST_BUILD_VALUE = `${SOURCE_ROOT}${path.delimiter}${BUILT_ROOT}`;

const FOLDERS = ['src', 'test', 'stress', 'bench'];
const TS = /\.([cm]?)ts$/;
// tsx's transform options (tsx/dist: target node<version>, keepNames, esm), with the source map in a file
// beside each copy, linked from its last line: a thread started with --enable-source-maps (NODE_OPTIONS)
// then names the .ts line in a stack. Not inline, as tsx has it: no thread of the suite enables source
// maps, and each thread would still read, decode and keep the maps of every module it loads; inline maps
// made a Machine's start and stop ~17% dearer in CPU (960 against 820 ms, ten cycles each, 2026-12-07).
const OPTIONS = {
  loader: 'ts',
  format: 'esm',
  target: `node${process.versions.node}`,
  sourcemap: 'external',
  keepNames: true,
  tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true, useDefineForClassFields: true } },
};

/** The .ts modules (not tests) under the folders, relative to the root. */
function sources() {
  const out = [];
  for (const folder of FOLDERS) {
    const dir = path.join(SOURCE_ROOT, folder);
    if (!fs.existsSync(dir)) continue;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!e.isFile() || !TS.test(e.name) || e.name.endsWith('.d.ts') || /\.test\.[cm]?ts$/.test(e.name))
        continue;
      out.push(path.relative(SOURCE_ROOT, path.join(e.parentPath, e.name)));
    }
  }
  return out;
}

/** The copy of a source module (relative path): .ts -> .js, .mts -> .mjs, .cts -> .cjs. */
function copyOf(rel) {
  return path.join(BUILT_ROOT, rel.replace(TS, '.$1js'));
}

/** Written last: the options the tree was built with. A tree built with others is rebuilt whole. */
const STAMP = path.join(BUILT_ROOT, '.options.json');
/**
 * The tree's package.json: its .js files are ES modules. Without it no package.json lies between them and
 * node_modules/, and Node 20 took each for CommonJS first: a failed compile (and an error built) per
 * module, then the module lexer, then the compile as ESM. That was ~8% of a Machine's start and stop.
 */
const PACKAGE_JSON = path.join(BUILT_ROOT, 'package.json');
const PACKAGE = `${JSON.stringify({ type: 'module', private: true })}\n`;

/** Write a file through a temporary name: a reader (a second vitest here) never sees half of it. */
function writeWhole(file, text) {
  fs.writeFileSync(`${file}.${process.pid}.tmp`, text);
  fs.renameSync(`${file}.${process.pid}.tmp`, file);
}

/** Bring the test build up to date; resolves with the number of modules transformed and removed. */
export async function buildTestTree() {
  const rels = sources();
  const wanted = new Set([
    STAMP,
    PACKAGE_JSON,
    ...rels.flatMap((rel) => [copyOf(rel), `${copyOf(rel)}.map`]),
  ]);
  const stamp = JSON.stringify(OPTIONS);
  const sameOptions = fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === stamp;
  const stale = rels.filter((rel) => {
    const out = copyOf(rel);
    return (
      !sameOptions ||
      !fs.existsSync(out) ||
      fs.statSync(out).mtimeMs < fs.statSync(path.join(SOURCE_ROOT, rel)).mtimeMs
    );
  });
  await Promise.all(
    stale.map(async (rel) => {
      const file = path.join(SOURCE_ROOT, rel);
      const { code, map } = await transform(fs.readFileSync(file, 'utf8'), { ...OPTIONS, sourcefile: file });
      const out = copyOf(rel);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      // The map first: a module is never there without the map it links.
      writeWhole(`${out}.map`, map);
      writeWhole(out, `${code}//# sourceMappingURL=${path.basename(out)}.map\n`);
    }),
  );
  fs.mkdirSync(BUILT_ROOT, { recursive: true });
  if (!fs.existsSync(PACKAGE_JSON) || fs.readFileSync(PACKAGE_JSON, 'utf8') !== PACKAGE)
    writeWhole(PACKAGE_JSON, PACKAGE);
  if (!sameOptions) writeWhole(STAMP, stamp);
  let removed = 0;
  for (const e of fs.readdirSync(BUILT_ROOT, { withFileTypes: true, recursive: true })) {
    const file = path.join(e.parentPath, e.name);
    if (e.isFile() && !wanted.has(file) && !file.endsWith('.tmp')) {
      fs.rmSync(file);
      removed++;
    }
  }
  return { transformed: stale.length, removed };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await buildTestTree();
  console.log(`test build: ${r.transformed} modules transformed, ${r.removed} removed (${BUILT_ROOT})`);
}
