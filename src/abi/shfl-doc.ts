// The SHFL function table rendered as the Markdown of docs/SHFL.md's generated part, so the documentation
// is generated from the same rows the guest builder and the host validator use (a test keeps it in step).
import { SHFL_FUNCTIONS, type ShflFunction } from './shfl.js';

const TYPE = { u32: 'u32', u64: 'u64', ptr: 'buffer', ptrOrPages: 'buffer or pages' } as const;
const CHECK = {
  'invalid-parameter': 'VERR_INVALID_PARAMETER',
  'wrong-count-type': 'VERR_WRONG_PARAMETER_COUNT / _TYPE',
  unchecked: 'not checked',
} as const;

function parms(f: ShflFunction): string {
  if (f.parms.length === 0) return '(none)';
  return f.parms.map((p, i) => `${i}: ${p.name} ${TYPE[p.type]} ${p.dir} (${p.doc})`).join('<br>');
}

/** Markdown-safe table cell text: pipes and asterisks (SHFL_MF_*) are literal. */
function escape(text: string): string {
  return text.replace(/[|*]/g, (c) => `\\${c}`);
}

/** The comments that open and close the generated part of docs/SHFL.md. */
export const SHFL_DOC_MARKERS = [
  '<!-- generated from SHFL_FUNCTIONS -->',
  '<!-- end of the generated part -->',
] as const;

/** The generated part of docs/SHFL.md (between SHFL_DOC_MARKERS). */
export function shflTableMarkdown(): string {
  const rows = SHFL_FUNCTIONS.map(
    (f) =>
      `| ${f.fn} | ${f.name}${f.async ? ' (async)' : ''} | ${f.since} | ${escape(parms(f))} | ${CHECK[f.check]} | ${escape(f.doc)} |`,
  );
  return [
    'Generated from `SHFL_FUNCTIONS` in `src/abi/shfl.ts` (the table the guest library builds its parameters',
    'from and the service checks calls against); regenerate with',
    '`UPDATE_DOCS=1 npx vitest run test/vbsf/shfl-doc.test.ts`. "Wrong count / type" is the status upstream',
    'returns for a call whose parameter count or types do not match the row.',
    '',
    '| fn | name | since | parameters (index: name type direction) | wrong count / type | what it does |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
