// Lint rules that hold the design together: layers import one another only through the surfaces the
// layer table of ARCHITECTURE.md allows (read here, so the lint enforces exactly that statement), only
// GuestMemory and the low-level byte/word classes touch shared memory, no enums, no focused tests.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * The layer table of ARCHITECTURE.md (between `<!-- layers` and `<!-- /layers -->`): each row's layer, its
 * folder (or file) relative to the root, and the surfaces it may import (`x`: src/x/index.ts; `x/y`:
 * src/x/y.ts if that file exists, else src/x/y/index.ts, else x/y.ts beside src).
 */
export function readLayers(markdown = readFileSync(path.join(root, 'ARCHITECTURE.md'), 'utf8')) {
  const start = markdown.indexOf('<!-- layers');
  const end = markdown.indexOf('<!-- /layers -->');
  if (start < 0 || end < start) throw new Error('ARCHITECTURE.md has no <!-- layers --> table');
  const rows = markdown
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
    .map((l) => l.split('|').map((c) => c.trim().replaceAll('`', '')));
  if (rows.length === 0) throw new Error('ARCHITECTURE.md: the layer table is empty');
  return rows.map(([, name, folder, may]) => ({
    name,
    folder,
    may: may === '' ? [] : may.split(',').map((s) => s.trim()),
  }));
}

/**
 * The file a surface name stands for, relative to the root: src/x/y.ts, src/x/y/index.ts, or, for a
 * folder beside src (`bench/cli`), x/y.ts.
 */
function surfaceFile(name) {
  const candidates = [`src/${name}.ts`, `src/${name}/index.ts`, `${name}.ts`];
  const exists = (f) => {
    try {
      readFileSync(path.join(root, f));
      return true;
    } catch {
      return false;
    }
  };
  return candidates.find(exists) ?? candidates[1];
}

const layers = readLayers();
// Longest folder first: a file belongs to the innermost layer folder that holds it.
const byDepth = [...layers].sort((a, b) => b.folder.length - a.folder.length);
const allowed = new Map(layers.map((l) => [l.name, new Set(l.may.map(surfaceFile))]));

/** The layer a repository-relative path belongs to, or undefined (tests, configs). */
function layerOf(rel) {
  if (rel.endsWith('.test.ts') || rel.startsWith('test/')) return undefined;
  return byDepth.find((l) => rel === l.folder || rel.startsWith(`${l.folder}/`));
}

/** layers/imports: an import leaving its layer must name a surface the layer table allows it. */
const importsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'layers import one another only through the surfaces ARCHITECTURE.md allows' },
    schema: [],
    messages: {
      forbidden:
        '{{layer}} may not import {{target}}: it may import only {{allowed}} (ARCHITECTURE.md, "Code map and layers")',
    },
  },
  create(context) {
    const file = path.relative(root, context.filename);
    const layer = layerOf(file);
    if (layer === undefined) return {};
    const ok = allowed.get(layer.name);
    const check = (node, spec) => {
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, '.ts');
      if (layerOf(target) === layer || ok.has(target)) return;
      context.report({
        node,
        messageId: 'forbidden',
        data: { layer: layer.name, target, allowed: [...ok].join(', ') || 'nothing' },
      });
    };
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.mjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    plugins: { layers: { rules: { imports: importsRule } } },
    // The rule reads the table from ARCHITECTURE.md, not from its options: naming it here puts it in the
    // config ESLint's cache keys on, so a changed table re-lints files the cache would otherwise pass.
    settings: { layers },
    rules: {
      'layers/imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // A step machine may have no interleaving point of its own; it is still a Proc.
      'require-yield': 'off',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use an `as const` object and a derived union, not enum.' },
        {
          selector: "NewExpression[callee.name='DataView']",
          message: 'Only GuestMemory and ByteView build DataViews over memory.',
        },
        {
          selector: "CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name='only']",
          message: 'A focused test skips the rest of the suite.',
        },
      ],
    },
  },
  {
    files: ['src/runtime/guest-memory.ts', 'src/runtime/bytes.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The protocol files import their fault-steps.ts, so it may import only their types (a value import
    // would be a cycle, evaluated before the protocol's step table exists).
    files: ['src/**/fault-steps.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                './hgcm-call.js',
                './hgcm-wait.js',
                './hgcm-cancel.js',
                './commands.js',
                './requests/*',
              ],
              allowTypeImports: true,
              message: 'fault-steps.ts imports only types from the protocol files that import it',
            },
            {
              group: ['./complete.js', './call.js', './worker.js'],
              allowTypeImports: true,
              message: 'fault-steps.ts imports only types from the protocol files that import it',
            },
          ],
        },
      ],
    },
  },
);
