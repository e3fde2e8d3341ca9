// docs/SHFL.md is the SHFL table rendered: the documentation reads the same rows as the code.
import * as fs from 'node:fs';
import { expect, test } from 'vitest';
import { shflTableMarkdown } from '../../src/abi/shfl-doc.js';

const DOC = new URL('../../docs/SHFL.md', import.meta.url);

/** Prettier aligns table columns and rewraps nothing else; compare modulo that. */
function normalize(md: string): string {
  return md
    .split('\n')
    .map((l) => (l.startsWith('|') ? l.replace(/ +/g, ' ').replace(/-{3,}/g, '---') : l))
    .join('\n')
    .trim();
}

test('docs/SHFL.md matches the table', () => {
  const want = shflTableMarkdown();
  if (process.env.UPDATE_DOCS === '1') fs.writeFileSync(DOC, want);
  expect(normalize(fs.readFileSync(DOC, 'utf8'))).toBe(normalize(want));
});
