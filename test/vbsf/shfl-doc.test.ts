// docs/SHFL.md's function table is the SHFL table rendered: the documentation reads the same rows as the
// code. The rest of the file (statuses, deviations) is written by hand around it.
import * as fs from 'node:fs';
import { expect, test } from 'vitest';
import { SHFL_DOC_MARKERS, shflTableMarkdown } from '../../src/abi/shfl-doc.js';

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
  const doc = fs.readFileSync(DOC, 'utf8');
  const [open, close] = SHFL_DOC_MARKERS;
  const start = doc.indexOf(open);
  const end = doc.indexOf(close);
  expect(start, 'docs/SHFL.md has the generated part').toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  if (process.env.UPDATE_DOCS === '1')
    fs.writeFileSync(DOC, `${doc.slice(0, start + open.length)}\n\n${want}\n\n${doc.slice(end)}`);
  const now = fs.readFileSync(DOC, 'utf8');
  expect(normalize(now.slice(now.indexOf(open) + open.length, now.indexOf(close)))).toBe(normalize(want));
});
