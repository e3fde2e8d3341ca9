// Lint rules that hold the design together: layers import one way (design.md section 4), only GuestMemory
// and the low-level byte/word classes touch shared memory, no enums, no focused tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders each layer may not import from. */
const layers = {
  abi: ['runtime', 'vcpu', 'vmmdev', 'hgcm', 'vbsf', 'sim', 'machine', 'fuse'],
  runtime: ['vcpu', 'vmmdev', 'hgcm', 'vbsf', 'sim', 'machine', 'fuse'],
  vcpu: ['vmmdev', 'hgcm', 'vbsf', 'sim', 'machine', 'fuse'],
  hgcm: ['vcpu', 'vmmdev', 'vbsf', 'sim', 'machine', 'fuse'],
  vbsf: ['vcpu', 'vmmdev', 'hgcm/host-loop', 'hgcm/connector', 'sim', 'machine', 'fuse'],
  vmmdev: ['vcpu', 'vbsf', 'sim', 'machine', 'fuse'],
  sim: ['vcpu', 'vmmdev', 'hgcm', 'vbsf', 'machine', 'fuse'],
  trace: ['vcpu', 'vmmdev', 'hgcm', 'vbsf', 'sim', 'machine', 'fuse'],
  // The FUSE front is the guest's (above its Shared Folders library): it reaches the host only through it.
  fuse: ['vmmdev', 'hgcm', 'vbsf', 'sim', 'machine'],
};

const layerRules = Object.entries(layers).map(([layer, banned]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: banned.map((b) => ({
          group: [`**/${b}/*`, `**/${b}`, `../${b}/*`, `../../${b}/*`],
          message: `src/${layer} must not import src/${b} (design.md section 4: dependencies point one way)`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.mjs', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
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
  ...layerRules,
);
